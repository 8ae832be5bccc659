import { Container } from '@cdktf/provider-docker/lib/container';
import type { Network } from '@cdktf/provider-docker/lib/network';
import { Construct } from 'constructs';
import type { GatewayImage } from './gateway-image';
import { standardLabels } from './labels';

/** Port the proxy listens on (the Engine API's plain-HTTP port by convention). */
export const SOCKET_PROXY_PORT = 2375;
/** The proxy's non-root user in its image (nobody). */
export const SOCKET_PROXY_USER = '65534:65534';

/** Props of {@link SocketProxyContainer}. */
export interface SocketProxyContainerProps {
  /** The proxy image, built from socket-proxy/. */
  readonly image: GatewayImage;
  /** The private network shared with the gateway (the proxy is reachable there only). */
  readonly network: Network;
  /**
   * Host path of the engine's socket, mounted read-only into the proxy (and nowhere else).
   * @default "/var/run/docker.sock"
   */
  readonly socketPath?: string;
  /**
   * Group owning the socket, added to the proxy's non-root user.
   * @default 999
   */
  readonly socketGid?: number;
  /**
   * Let image upstream servers' endpoints through (create, attach, start, stop, wait, kill, remove, pull).
   * @default false
   */
  readonly allowUpstreams?: boolean;
  /**
   * Let the lifecycle tools' endpoints through (start, stop, restart).
   * @default false
   */
  readonly allowLifecycle?: boolean;
  /**
   * Container name, also its host name on the private network.
   * @default "mcp-gateway-socket-proxy"
   */
  readonly containerName?: string;
}

/**
 * The filtering Docker socket proxy (socket-proxy/, HAProxy) on the private network: the only container with the
 * socket, mounted read-only; non-root with the socket's group, read-only root, capabilities dropped,
 * no-new-privileges, 64 MiB, no published port. The gateway reaches the engine at {@link endpoint}.
 */
export class SocketProxyContainer extends Construct {
  /** The proxy container. */
  public readonly container: Container;
  /** `tcp://<name>:2375`, the gateway's DOCKER_HOST. */
  public readonly endpoint: string;

  constructor(scope: Construct, id: string, props: SocketProxyContainerProps) {
    super(scope, id);
    const name = props.containerName ?? 'mcp-gateway-socket-proxy';
    this.endpoint = `tcp://${name}:${SOCKET_PROXY_PORT}`;
    const env: string[] = [];
    if (props.allowUpstreams) env.push('ALLOW_UPSTREAMS=1');
    if (props.allowLifecycle) env.push('ALLOW_LIFECYCLE=1');
    this.container = new Container(this, 'container', {
      name,
      image: props.image.imageRef,
      restart: 'unless-stopped',
      wait: true,
      waitTimeout: 60,
      user: SOCKET_PROXY_USER,
      groupAdd: [String(props.socketGid ?? 999)],
      env: env.length > 0 ? env : undefined,
      // The alias is the name the gateway's DOCKER_HOST uses, whatever the container is called.
      networksAdvanced: [{ name: props.network.name, aliases: [name] }],
      memory: 64,
      memorySwap: 64,
      readOnly: true,
      mounts: [{ type: 'bind', source: props.socketPath ?? '/var/run/docker.sock', target: '/var/run/docker.sock', readOnly: true }],
      capabilities: { drop: ['ALL'] },
      securityOpts: ['no-new-privileges:true'],
      healthcheck: {
        test: ['CMD', 'busybox', 'wget', '-q', '-O', '/dev/null', `http://127.0.0.1:${SOCKET_PROXY_PORT}/_ping`],
        interval: '30s',
        timeout: '5s',
        retries: 3,
        startPeriod: '5s',
      },
      logDriver: 'json-file',
      logOpts: { 'max-size': '10m', 'max-file': '3' },
      labels: standardLabels('socket-proxy'),
    });
  }
}
