import { Container } from '@cdktf/provider-docker/lib/container';
import type { Network } from '@cdktf/provider-docker/lib/network';
import { Volume } from '@cdktf/provider-docker/lib/volume';
import { Token } from 'cdktf';
import { Construct } from 'constructs';
import type { GatewayAccess } from './access';
import type { JsonValue, LogLevel } from './config/stack-config';
import { ProblemCollector } from './errors';
import type { GatewayImage } from './gateway-image';
import { standardLabels } from './labels';
import { SECRET_ENV_PREFIX } from './config/secret-references';

/** Where the audit volume is mounted; the gateway writes its audit log below it (the root fs is read-only). */
export const GATEWAY_STATE_DIR = '/var/lib/mcp-gateway';
/** The audit log file the gateway is told to write (`MCP_DOCKER_AUDIT_FILE`). */
export const GATEWAY_AUDIT_FILE = `${GATEWAY_STATE_DIR}/audit/audit.log`;
/** uid:gid of the `node` user in the gateway image. */
export const GATEWAY_USER = '1000:1000';
/** The `node` user's HOME: a tmpfs, the scratch space of command upstream servers (npm cache), on a read-only root. */
export const GATEWAY_HOME = '/home/node';

/** Props of {@link GatewayContainer}. */
export interface GatewayContainerProps {
  /** The image to run. */
  readonly image: GatewayImage;
  /** The private network shared with the tunnel connector. */
  readonly network: Network;
  /**
   * Bearer tokens, `name=token,name2=token2`: a reference to a sensitive variable, never a literal.
   * Reaches the container as `MCP_GATEWAY_AUTH_TOKENS` only.
   */
  readonly authTokens: string;
  /**
   * Upstream secrets by name: references to a sensitive variable, never literals. Each reaches the container as
   * `MCP_GATEWAY_SECRET_<NAME>`, where the gateway resolves `{{secret:NAME}}` in mcp_servers from it.
   * @default - none
   */
  readonly upstreamSecrets?: Readonly<Record<string, string>>;
  /**
   * The Access application in front of the public hostname; its team domain, AUD and hostname are passed
   * to the gateway so it verifies Access JWTs and allows that Origin/Host itself.
   * @default - no Access variables: the gateway is reachable on 127.0.0.1 only
   */
  readonly access?: GatewayAccess;
  /**
   * Container name, also its DNS name on the private network (the tunnel's origin).
   * @default "mcp-gateway"
   */
  readonly containerName?: string;
  /**
   * Port the gateway listens on, published as 127.0.0.1:<port>.
   * @default 3000
   */
  readonly port?: number;
  /**
   * Memory limit in MiB; swap is set to the same value so the container cannot swap.
   * @default 512
   */
  readonly memoryMiB?: number;
  /**
   * Gateway log level (`MCP_DOCKER_LOG_LEVEL`).
   * @default "info"
   */
  readonly logLevel?: LogLevel;
  /**
   * Non-secret gateway settings, sent in `MCP_GATEWAY_CONFIG_JSON`.
   * @default - {} (the gateway's own defaults)
   */
  readonly settings?: Readonly<Record<string, JsonValue>>;
  /**
   * Upstream MCP servers, sent in `MCP_GATEWAY_CONFIG_JSON` under `mcpServers`.
   * @default - {} (no upstream servers)
   */
  readonly mcpServers?: Readonly<Record<string, JsonValue>>;
  /**
   * The engine the gateway drives: an absolute socket path (bind-mounted at /var/run/docker.sock) or a
   * `tcp://host:port` endpoint (passed as `DOCKER_HOST`, nothing mounted).
   * @default "/var/run/docker.sock"
   */
  readonly dockerSocketPath?: string;
  /**
   * Group owning the socket, added to the non-root user so it can use the socket. Unused for tcp://.
   * @default 999
   */
  readonly dockerSocketGid?: number;
  /**
   * Healthcheck interval.
   * @default 30
   */
  readonly healthcheckIntervalSeconds?: number;
  /**
   * Healthcheck timeout.
   * @default 5
   */
  readonly healthcheckTimeoutSeconds?: number;
  /**
   * Failed checks before the container is unhealthy.
   * @default 3
   */
  readonly healthcheckRetries?: number;
  /**
   * Grace period after start during which failures do not count.
   * @default 15
   */
  readonly healthcheckStartPeriodSeconds?: number;
  /**
   * Size of one json-file log before rotation.
   * @default 10
   */
  readonly logMaxSizeMiB?: number;
  /**
   * Rotated log files kept.
   * @default 3
   */
  readonly logMaxFiles?: number;
  /**
   * Size of the tmpfs mounted at /tmp (the only writable path besides the audit volume).
   * @default 64
   */
  readonly tmpSizeMiB?: number;
  /**
   * Size of the tmpfs mounted at the gateway user's home (`/home/node`): the writable scratch space of command upstream
   * servers (`npx -y` keeps its npm cache in `~/.npm`). Memory-backed and counted against the container's memory
   * limit; executables allowed (npx runs the package's bin from there).
   * @default 256
   */
  readonly scratchSizeMiB?: number;
  /**
   * How long Terraform waits after SIGTERM before killing the container on replace/destroy.
   * @default 30 - time for the gateway to flush its audit log and remove the containers it spawned
   */
  readonly stopGraceSeconds?: number;
  /**
   * How long `cdktf deploy` waits for the container to report healthy; a gateway that never becomes healthy
   * (e.g. refusing to start without authentication) fails the deploy instead of crash-looping unnoticed.
   * @default 120
   */
  readonly healthyWaitSeconds?: number;
}

const CONTAINER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/**
 * The gateway container, locked down: published on 127.0.0.1 only, non-root with the socket's group,
 * read-only root filesystem with a tmpfs /tmp, a tmpfs home (command servers' scratch space) and an audit volume, all capabilities dropped,
 * no-new-privileges, memory limit without swap, `nc` healthcheck, rotated logs, on the private network.
 */
export class GatewayContainer extends Construct {
  /** The docker_container resource. */
  public readonly container: Container;
  /** The named volume holding the audit log. */
  public readonly auditVolume: Volume;
  /** Container name, which is also its host name on the private network. */
  public readonly containerName: string;
  /** The port the gateway listens on. */
  public readonly port: number;
  /** URL for local clients on the Docker host. */
  public readonly localUrl: string;
  /** URL on the private network: the tunnel's origin service. */
  public readonly internalUrl: string;

  constructor(scope: Construct, id: string, props: GatewayContainerProps) {
    super(scope, id);
    this.containerName = props.containerName ?? 'mcp-gateway';
    this.port = props.port ?? 3000;
    const memoryMiB = props.memoryMiB ?? 512;
    const socket = props.dockerSocketPath ?? '/var/run/docker.sock';
    const socketGid = props.dockerSocketGid ?? 999;
    validate(this.node.path, { ...props, containerName: this.containerName, port: this.port, memoryMiB, dockerSocketPath: socket, dockerSocketGid: socketGid });

    this.localUrl = `http://127.0.0.1:${this.port}`;
    this.internalUrl = `http://${this.containerName}:${this.port}`;

    this.auditVolume = new Volume(this, 'audit', {
      name: `${this.containerName}-audit`,
      labels: standardLabels('gateway-audit'),
    });

    const usesTcp = socket.startsWith('tcp://');
    const configJson = JSON.stringify({ ...(props.settings ?? {}), mcpServers: props.mcpServers ?? {} });
    const env: string[] = [
      'MCP_GATEWAY_HOST=0.0.0.0',
      `MCP_GATEWAY_PORT=${this.port}`,
      `MCP_DOCKER_LOG_LEVEL=${props.logLevel ?? 'info'}`,
      'MCP_DOCKER_STRUCTURED_LOGS=true',
      `MCP_DOCKER_AUDIT_FILE=${GATEWAY_AUDIT_FILE}`,
      `MCP_GATEWAY_CONFIG_JSON=${configJson}`,
      `MCP_GATEWAY_AUTH_TOKENS=${props.authTokens}`,
    ];
    for (const [name, ref] of Object.entries(props.upstreamSecrets ?? {})) env.push(`${SECRET_ENV_PREFIX}${name}=${ref}`);
    if (usesTcp) env.push(`DOCKER_HOST=${socket}`);
    if (props.access) {
      env.push(
        `MCP_GATEWAY_ACCESS_TEAM_DOMAIN=${props.access.teamDomain}`,
        `MCP_GATEWAY_ACCESS_AUD=${props.access.aud}`,
        `MCP_GATEWAY_PUBLIC_HOSTNAME=${props.access.hostname}`,
      );
      // Service-token principals by the names in tfvars (client ids exist only after apply; the reference resolves then).
      if (props.access.serviceTokens.length > 0) {
        env.push(`MCP_GATEWAY_ACCESS_CLIENT_NAMES=${props.access.serviceTokens.map((t) => `${t.name}=${t.token.clientId}`).join(',')}`);
      }
    }

    const mounts: Array<{ type: string; source: string; target: string; readOnly?: boolean }> = [
      { type: 'volume', source: this.auditVolume.name, target: GATEWAY_STATE_DIR },
    ];
    if (!usesTcp) mounts.push({ type: 'bind', source: socket, target: '/var/run/docker.sock' });

    this.container = new Container(this, 'container', {
      name: this.containerName,
      image: props.image.imageRef,
      restart: 'unless-stopped',
      destroyGraceSeconds: props.stopGraceSeconds ?? 30,
      wait: true,
      waitTimeout: props.healthyWaitSeconds ?? 120,
      user: GATEWAY_USER,
      groupAdd: usesTcp ? undefined : [String(socketGid)],
      env,
      ports: [{ internal: this.port, external: this.port, ip: '127.0.0.1', protocol: 'tcp' }],
      networksAdvanced: [{ name: props.network.name }],
      memory: memoryMiB,
      memorySwap: memoryMiB,
      readOnly: true,
      tmpfs: {
        '/tmp': `rw,noexec,nosuid,size=${props.tmpSizeMiB ?? 64}m`,
        [GATEWAY_HOME]: `rw,exec,nosuid,nodev,size=${props.scratchSizeMiB ?? 256}m,uid=${GATEWAY_USER.split(':')[0]},gid=${GATEWAY_USER.split(':')[1]},mode=0700`,
      },
      mounts,
      capabilities: { drop: ['ALL'] },
      securityOpts: ['no-new-privileges:true'],
      healthcheck: {
        test: ['CMD', 'nc', '-z', '127.0.0.1', String(this.port)],
        interval: `${props.healthcheckIntervalSeconds ?? 30}s`,
        timeout: `${props.healthcheckTimeoutSeconds ?? 5}s`,
        retries: props.healthcheckRetries ?? 3,
        startPeriod: `${props.healthcheckStartPeriodSeconds ?? 15}s`,
      },
      logDriver: 'json-file',
      logOpts: { 'max-size': `${props.logMaxSizeMiB ?? 10}m`, 'max-file': String(props.logMaxFiles ?? 3) },
      labels: standardLabels('gateway', 'gateway'),
    });
  }
}

function validate(where: string, props: GatewayContainerProps & Required<Pick<GatewayContainerProps, 'containerName' | 'port' | 'memoryMiB' | 'dockerSocketPath' | 'dockerSocketGid'>>): void {
  const problems = new ProblemCollector();
  const known = (value: unknown) => !Token.isUnresolved(value);
  if (known(props.port) && (!Number.isInteger(props.port) || props.port < 1 || props.port > 65535)) {
    problems.add('port', props.port, 'must be an integer between 1 and 65535');
  }
  if (known(props.memoryMiB) && (!Number.isFinite(props.memoryMiB) || props.memoryMiB < 64)) {
    problems.add('memoryMiB', props.memoryMiB, 'must be at least 64 (MiB)');
  }
  if (props.scratchSizeMiB !== undefined && known(props.scratchSizeMiB) && (!Number.isInteger(props.scratchSizeMiB) || props.scratchSizeMiB < 16 || props.scratchSizeMiB >= props.memoryMiB)) {
    problems.add('scratchSizeMiB', props.scratchSizeMiB, `must be a whole number of MiB from 16 to below memoryMiB (${props.memoryMiB}): the tmpfs counts against the memory limit`);
  }
  if (known(props.containerName) && !CONTAINER_NAME.test(props.containerName)) {
    problems.add('containerName', props.containerName, 'must match [a-zA-Z0-9][a-zA-Z0-9_.-]*');
  }
  if (known(props.dockerSocketPath) && !(props.dockerSocketPath.startsWith('/') || props.dockerSocketPath.startsWith('tcp://'))) {
    problems.add('dockerSocketPath', props.dockerSocketPath, 'must be an absolute socket path or a tcp:// endpoint');
  }
  if (known(props.dockerSocketGid) && (!Number.isInteger(props.dockerSocketGid) || props.dockerSocketGid < 0)) {
    problems.add('dockerSocketGid', props.dockerSocketGid, 'must be a non-negative integer group id');
  }
  for (const [name, ref] of Object.entries(props.upstreamSecrets ?? {})) {
    if (known(ref)) problems.add(`upstreamSecrets.${name}`, '<redacted>', 'must be a reference to a sensitive TerraformVariable, never a literal (it would be written into cdk.tf.json)');
  }
  if (known(props.authTokens) && props.authTokens !== '') {
    problems.add('authTokens', '<redacted>', 'must be a reference to a sensitive TerraformVariable, never a literal (it would be written into cdk.tf.json)');
  }
  problems.throwIfAny(`GatewayContainer ${where}`);
}
