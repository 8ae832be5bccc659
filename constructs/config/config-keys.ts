import { KUBERNETES_CONFIG_KEYS } from './kubernetes-config';
import { SOCKET_PROXY_CONFIG_KEYS } from './socket-proxy-config';
import type { StackConfig } from './stack-config';

/** The shape a tfvars key accepts, as told to the user in messages and docs. */
export type ConfigKeyType = 'bool' | 'string' | 'number' | 'list(string)' | 'map(any)' | 'map(string)' | 'map(list(string))' | 'memory';

/** One documented tfvars key. */
export interface ConfigKey {
  /** The key as written in terraform.tfvars. */
  readonly name: string;
  /** The typed field it fills. */
  readonly field: keyof StackConfig;
  readonly type: ConfigKeyType;
  /** The default, as written in HCL; undefined when the key has no default. */
  readonly defaultHcl?: string;
  /** One line for the README/docs table and the example file. */
  readonly description: string;
}

/** The pinned cloudflared image tag (bumped deliberately; `cloudflared_version` overrides it). */
export const DEFAULT_CLOUDFLARED_VERSION = '2025.8.1';

/**
 * Every tfvars key the stack reads. The validator rejects anything else (with the closest name),
 * and docs/stack.md and terraform.tfvars.example follow this table (a test keeps them in step).
 */
export const CONFIG_KEYS: readonly ConfigKey[] = [
  { name: 'enable_docker_mcp_gateway', field: 'enableGateway', type: 'bool', defaultHcl: 'true', description: 'Build and run the gateway container.' },
  { name: 'enable_cloudflare_tunnel', field: 'enableTunnel', type: 'bool', defaultHcl: 'false', description: 'Publish the gateway through a Cloudflare Tunnel behind Zero Trust Access.' },
  { name: 'domain_suffix', field: 'domainSuffix', type: 'string', description: 'Domain of the Cloudflare zone, e.g. "example.com" (required with the tunnel).' },
  { name: 'tunnel_hostname', field: 'tunnelHostname', type: 'string', defaultHcl: '"docker-mcp"', description: 'First label of the public hostname: <tunnel_hostname>.<domain_suffix>.' },
  { name: 'cloudflare_account_id', field: 'cloudflareAccountId', type: 'string', description: 'Cloudflare account id, 32 hex characters (required with the tunnel).' },
  { name: 'cloudflare_zone_id', field: 'cloudflareZoneId', type: 'string', description: 'Zone id of domain_suffix, 32 hex characters (unset: Terraform looks the zone up by name in the account).' },
  { name: 'access_team_name', field: 'accessTeamName', type: 'string', description: 'Zero Trust team name, as in <team>.cloudflareaccess.com (unset: Terraform reads it from the account\'s Zero Trust organization).' },
  { name: 'allowed_email_domains', field: 'allowedEmailDomains', type: 'list(string)', defaultHcl: '[]', description: 'Email domains admitted by the Access allow policy.' },
  { name: 'allowed_emails', field: 'allowedEmails', type: 'list(string)', defaultHcl: '[]', description: 'Email addresses admitted by the Access allow policy.' },
  { name: 'service_tokens', field: 'serviceTokens', type: 'list(string)', defaultHcl: '[]', description: 'Names of Access service tokens for non-browser MCP clients (one non_identity policy each).' },
  { name: 'access_managed_oauth', field: 'accessManagedOAuth', type: 'bool', defaultHcl: 'true', description: 'Access Managed OAuth: MCP clients log in with an allowed email (OAuth); on when allowed_emails or allowed_email_domains is set.' },
  { name: 'access_oauth_clients', field: 'accessOAuthClients', type: 'list(string)', defaultHcl: '["claude", "chatgpt", "cursor", "vscode", "local"]', description: 'Clients whose OAuth redirect URIs Access admits ("local" = any localhost/127.0.0.1 callback: Claude Code, mcp-remote, VS Code).' },
  { name: 'access_oauth_redirect_uris', field: 'accessOAuthRedirectUris', type: 'list(string)', defaultHcl: '[]', description: 'Further OAuth redirect URIs Access admits (https, path may end in "/*", or an app scheme).' },
  { name: 'access_oauth_token_lifetime', field: 'accessOAuthTokenLifetime', type: 'string', defaultHcl: '"15m"', description: 'Lifetime of the OAuth access token Access issues to MCP clients (Go duration).' },
  { name: 'access_oauth_grant_duration', field: 'accessOAuthGrantDuration', type: 'string', defaultHcl: '"336h"', description: 'How long an MCP client may refresh its token before the user logs in again (Go duration).' },
  { name: 'access_session_duration', field: 'accessSessionDuration', type: 'string', defaultHcl: '"24h"', description: 'Access session lifetime (Go duration: "30m", "24h").' },
  { name: 'gateway_port', field: 'gatewayPort', type: 'number', defaultHcl: '3000', description: 'Port the gateway listens on; published on 127.0.0.1 only.' },
  { name: 'memory_limit', field: 'memoryMiB', type: 'memory', defaultHcl: '"512m"', description: 'Gateway memory limit (swap is set equal): "512m", "1g" or a number of MiB; at least 64 MiB.' },
  { name: 'docker_image', field: 'dockerImage', type: 'string', description: 'Prebuilt gateway image to run instead of building gateway-image/.' },
  { name: 'base_image', field: 'baseImage', type: 'string', description: 'BASE_IMAGE build argument of gateway-image/Dockerfile (unset keeps the Dockerfile default).' },
  { name: 'docker_host', field: 'dockerHost', type: 'string', defaultHcl: '"unix:///var/run/docker.sock"', description: 'Docker engine Terraform manages (unix://, tcp:// or ssh://).' },
  { name: 'docker_socket_path', field: 'dockerSocketPath', type: 'string', defaultHcl: '"/var/run/docker.sock"', description: 'Engine the gateway drives: a socket path to mount, or a tcp:// endpoint passed as DOCKER_HOST.' },
  { name: 'docker_socket_gid', field: 'dockerSocketGid', type: 'number', description: 'Group id owning the socket, added to the non-root gateway user. Unset: read from the socket at synth time when docker_host is this machine\'s unix socket, else 999.' },
  { name: 'log_level', field: 'logLevel', type: 'string', defaultHcl: '"info"', description: 'Gateway log level: debug, info, warn or error.' },
  { name: 'cloudflared_version', field: 'cloudflaredVersion', type: 'string', defaultHcl: `"${DEFAULT_CLOUDFLARED_VERSION}"`, description: 'Pinned cloudflare/cloudflared image tag for the tunnel connector.' },
  { name: 'gateway_settings', field: 'gatewaySettings', type: 'map(any)', defaultHcl: '{}', description: 'Non-secret gateway settings (policy, roles, rate limits, audit, exec policy), passed as MCP_GATEWAY_CONFIG_JSON.' },
  { name: 'mcp_servers', field: 'mcpServers', type: 'map(any)', defaultHcl: '{}', description: 'Upstream MCP servers, passed in MCP_GATEWAY_CONFIG_JSON under "mcpServers"; credentials as "{{secret:NAME}}" (TF_VAR_mcp_server_secrets).' },
  { name: 'state_backend', field: 'stateBackend', type: 'map(any)', defaultHcl: '{ type = "local" }', description: 'Where Terraform keeps its state (it holds secrets): local, or encrypted s3 (also Cloudflare R2), gcs or azurerm; credentials from the environment.' },
  ...SOCKET_PROXY_CONFIG_KEYS,
  ...KUBERNETES_CONFIG_KEYS,
];

/** The key names, for lookups. */
export const CONFIG_KEY_NAMES: readonly string[] = CONFIG_KEYS.map((k) => k.name);
