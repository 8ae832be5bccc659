import type { OAuthConfig } from './oauth-config';
import type { KubernetesConfig, Target } from './kubernetes-config';
import type { StateBackend } from './state-backend';

/** A JSON value, as found in the pass-through maps (`gateway_settings`, `mcp_servers`). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Log levels the gateway understands (`MCP_DOCKER_LOG_LEVEL`). */
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;

/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * The validated, typed stack configuration: what `terraform.tfvars` means once every key has been checked.
 * Produced only by `validateConfig`; frozen.
 */
export interface StackConfig extends OAuthConfig {
  /** `enable_docker_mcp_gateway`: build and run the gateway. */
  readonly enableGateway: boolean;
  /** `enable_cloudflare_tunnel`: publish the gateway through a Cloudflare Tunnel behind Access. */
  readonly enableTunnel: boolean;
  /** `domain_suffix`: the Cloudflare zone's domain, e.g. `example.com`. Required with the tunnel. */
  readonly domainSuffix?: string;
  /** `tunnel_hostname`: the first label of the public hostname. */
  readonly tunnelHostname: string;
  /** `cloudflare_account_id`: 32 hex characters. Required with the tunnel. */
  readonly cloudflareAccountId?: string;
  /** `cloudflare_zone_id`: 32 hex characters; unset, the stack looks the zone up by `domain_suffix`. */
  readonly cloudflareZoneId?: string;
  /** `access_team_name`: the Zero Trust team, as in `<team>.cloudflareaccess.com`; unset, the stack reads the account's. */
  readonly accessTeamName?: string;
  /** `allowed_email_domains`: email domains the Access allow policy admits. */
  readonly allowedEmailDomains: readonly string[];
  /** `allowed_emails`: single email addresses the Access allow policy admits. */
  readonly allowedEmails: readonly string[];
  /** `service_tokens`: names of Access service tokens for non-browser MCP clients. */
  readonly serviceTokens: readonly string[];
  /** `access_session_duration`: Access session lifetime, e.g. `24h`. */
  readonly accessSessionDuration: string;
  /** `gateway_port`: the port the gateway listens on, published on 127.0.0.1. */
  readonly gatewayPort: number;
  /** `memory_limit`, in MiB. */
  readonly memoryMiB: number;
  /** `docker_image`: a prebuilt gateway image to use instead of building gateway-image/. */
  readonly dockerImage?: string;
  /** `base_image`: the Dockerfile's `BASE_IMAGE` build argument; unset keeps the Dockerfile's default. */
  readonly baseImage?: string;
  /** `docker_host`: the Docker engine Terraform talks to. */
  readonly dockerHost: string;
  /** `docker_socket_path`: the engine the gateway talks to: a socket path to mount, or a `tcp://` endpoint. */
  readonly dockerSocketPath: string;
  /** `docker_socket_gid`: the group owning the socket, added to the gateway's non-root user. */
  readonly dockerSocketGid: number;
  /**
   * Where `dockerSocketGid` came from: `tfvars` (written there), `detected` (the socket's group, read at synth time
   * when docker_host is this machine's unix socket) or `default` (999).
   */
  readonly dockerSocketGidSource: 'tfvars' | 'detected' | 'default';
  /** `log_level`. */
  readonly logLevel: LogLevel;
  /** `cloudflared_version`: the pinned cloudflared image tag. */
  readonly cloudflaredVersion: string;
  /** `gateway_settings`: non-secret gateway settings, passed through as JSON. */
  readonly gatewaySettings: Readonly<Record<string, JsonValue>>;
  /** `mcp_servers`: upstream MCP servers, passed through as JSON under `mcpServers`. */
  readonly mcpServers: Readonly<Record<string, JsonValue>>;
  /** `docker_socket_proxy`: the gateway reaches the engine through the filtering socket proxy (Docker target). */
  readonly dockerSocketProxy: boolean;
  /** `socket_proxy_base_image`: socket-proxy/Dockerfile's `BASE_IMAGE` build argument. */
  readonly socketProxyBaseImage?: string;
  /** `target`: where the gateway runs, `docker` (default) or `kubernetes`. */
  readonly target: Target;
  /** The Kubernetes keys, validated; present only with `target = "kubernetes"`. */
  readonly kubernetes?: KubernetesConfig;
  /**
   * Names of the secrets `mcp_servers` references as `{{secret:NAME}}` (sorted): each is read from the sensitive
   * variable `mcp_server_secrets` at apply time and reaches the gateway as `MCP_GATEWAY_SECRET_<NAME>`.
   */
  readonly mcpServerSecretNames: readonly string[];
  /** `state_backend`: where Terraform keeps its state (local by default; s3/R2, gcs, azurerm encrypted). */
  readonly stateBackend: StateBackend;
}
