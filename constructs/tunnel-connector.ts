import { Container } from '@cdktf/provider-docker/lib/container';
import { Image } from '@cdktf/provider-docker/lib/image';
import type { Network } from '@cdktf/provider-docker/lib/network';
import { Token } from 'cdktf';
import { Construct } from 'constructs';
import { DEFAULT_CLOUDFLARED_VERSION } from './config/config-keys';
import { ProblemCollector } from './errors';
import { standardLabels } from './labels';
import type { GatewayTunnel } from './tunnel';

/** Where cloudflared serves /ready inside its container (never published). */
export const CLOUDFLARED_METRICS = '127.0.0.1:20241';

/** Props of {@link TunnelConnector}. */
export interface TunnelConnectorProps {
  /** The tunnel to run; its token reaches cloudflared as `TUNNEL_TOKEN`. */
  readonly tunnel: GatewayTunnel;
  /** The private network shared with the gateway. */
  readonly network: Network;
  /**
   * cloudflare/cloudflared image tag, pinned.
   * @default DEFAULT_CLOUDFLARED_VERSION
   */
  readonly version?: string;
  /**
   * Memory limit in MiB (swap equal).
   * @default 128
   */
  readonly memoryMiB?: number;
  /**
   * Container name.
   * @default "mcp-gateway-cloudflared"
   */
  readonly containerName?: string;
}

/**
 * The cloudflared connector: `tunnel --no-autoupdate run` with the token in the environment (never argv),
 * no published ports, non-root, read-only, all capabilities dropped, health from `cloudflared tunnel ready`.
 */
export class TunnelConnector extends Construct {
  /** The pinned cloudflared image. */
  public readonly image: Image;
  /** The connector container. */
  public readonly container: Container;
  /** The image reference used. */
  public readonly imageName: string;

  constructor(scope: Construct, id: string, props: TunnelConnectorProps) {
    super(scope, id);
    const version = props.version ?? DEFAULT_CLOUDFLARED_VERSION;
    const memoryMiB = props.memoryMiB ?? 128;
    const problems = new ProblemCollector();
    if (!Token.isUnresolved(version) && !/^\d{4}\.\d{1,2}\.\d+$/.test(version)) {
      problems.add('version', version, 'must be a pinned release tag such as "2025.8.1"');
    }
    if (!Token.isUnresolved(memoryMiB) && memoryMiB < 32) problems.add('memoryMiB', memoryMiB, 'must be at least 32');
    problems.throwIfAny(`TunnelConnector ${this.node.path}`);

    this.imageName = `cloudflare/cloudflared:${version}`;
    this.image = new Image(this, 'image', { name: this.imageName, keepLocally: true });
    this.container = new Container(this, 'container', {
      name: props.containerName ?? 'mcp-gateway-cloudflared',
      image: this.image.imageId,
      command: ['tunnel', '--no-autoupdate', 'run'],
      env: [`TUNNEL_TOKEN=${props.tunnel.token}`, `TUNNEL_METRICS=${CLOUDFLARED_METRICS}`],
      restart: 'unless-stopped',
      // Deploy fails when the connector cannot reach Cloudflare (bad token, egress blocked) instead of looping.
      wait: true,
      waitTimeout: 120,
      user: '65532:65532',
      networksAdvanced: [{ name: props.network.name }],
      memory: memoryMiB,
      memorySwap: memoryMiB,
      readOnly: true,
      capabilities: { drop: ['ALL'] },
      securityOpts: ['no-new-privileges:true'],
      healthcheck: {
        test: ['CMD', 'cloudflared', 'tunnel', '--metrics', CLOUDFLARED_METRICS, 'ready'],
        interval: '30s',
        timeout: '10s',
        retries: 3,
        startPeriod: '20s',
      },
      logDriver: 'json-file',
      logOpts: { 'max-size': '10m', 'max-file': '3' },
      labels: standardLabels('tunnel-connector', 'connector'),
    });
  }
}
