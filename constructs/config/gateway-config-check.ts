/**
 * The gateway's own configuration loader, run at synth time on exactly what the container will receive, so a
 * configuration the gateway would refuse (exit 2, then a restart loop under `restart = unless-stopped`) never
 * synthesizes. One source of truth: the schemas live in gateway-image/src (load-config.ts, config.ts,
 * core/security/security-config.ts, core/upstreams/upstreams-config.ts) and are imported, not copied.
 */
import type { ProblemCollector } from '../errors';
import { ConfigError } from '../../gateway-image/src/errors';
import { loadGatewayConfig } from '../../gateway-image/src/load-config';
import { SECRET_ENV_PREFIX } from './secret-references';
import type { JsonValue, LogLevel } from './stack-config';

/** What the stack puts into the gateway's environment that shapes its configuration. */
export interface GatewayConfigInputs {
  readonly gatewaySettings: Readonly<Record<string, JsonValue>>;
  readonly mcpServers: Readonly<Record<string, JsonValue>>;
  readonly gatewayPort: number;
  readonly logLevel: LogLevel;
  /** The team name when the tunnel (and so Access) is on; unset there, Terraform reads it from the account. */
  readonly accessTeamName?: string;
  /** `<tunnel_hostname>.<domain_suffix>` when the tunnel is on. */
  readonly publicHostname?: string;
  readonly serviceTokens: readonly string[];
  /** `tcp://` engine endpoint passed as DOCKER_HOST, if any. */
  readonly dockerTcpEndpoint?: string;
  readonly secretNames: readonly string[];
}

// Stand-ins for values that exist only at apply time (they are validated by Terraform variables instead).
const PLACEHOLDER_TOKEN = 'synth=stack-synth-placeholder-token-0000';
const PLACEHOLDER_AUD = '0'.repeat(64);
// access_team_name unset: a data source reads the team at plan time; any valid label stands in for it.
const PLACEHOLDER_TEAM = 'synth-placeholder-team';

/**
 * Bearer-token names the policy binds (`policy.bindings[].tokens`). Token names live in the sensitive
 * gateway_auth_tokens, known only at plan time: synth stands them in so the gateway's reference check passes, and
 * the variable's validation (bindingTokensCondition) checks them against the real value at plan.
 */
export function boundTokenNames(gatewaySettings: Readonly<Record<string, JsonValue>>): string[] {
  const policy = gatewaySettings.policy;
  const bindings = policy && typeof policy === 'object' && !Array.isArray(policy) ? policy.bindings : undefined;
  const names = new Set<string>();
  if (Array.isArray(bindings)) {
    for (const b of bindings) {
      const tokens = b && typeof b === 'object' && !Array.isArray(b) ? b.tokens : undefined;
      if (Array.isArray(tokens)) for (const t of tokens) if (typeof t === 'string' && TOKEN_NAME.test(t)) names.add(t);
    }
  }
  return [...names].sort();
}
const TOKEN_NAME = /^[A-Za-z0-9._@-]{1,128}$/;

/**
 * Terraform condition that every token name the policy binds is a name in `var.<variable>` ("name=token,..."), so a
 * binding to a token the operator did not supply fails the plan instead of crash-looping the gateway (exit 2).
 * Undefined when the policy binds no token. The names match TOKEN_NAME, so they are safe inside an HCL string.
 */
export function bindingTokensCondition(names: readonly string[], variable: string): string | undefined {
  if (names.length === 0) return undefined;
  const supplied = `[for e in split(",", var.${variable}) : split("=", e)[0]]`;
  return `alltrue([for n in ${JSON.stringify(names)} : contains(${supplied}, n)])`;
}

/**
 * The environment GatewayContainer gives the gateway, with apply-time values replaced by valid stand-ins.
 * Kept beside the check so both read the same keys (gateway-container.ts builds the real one).
 */
export function gatewayEnvironmentForCheck(inputs: GatewayConfigInputs): Record<string, string> {
  const env: Record<string, string> = {
    MCP_GATEWAY_HOST: '0.0.0.0',
    MCP_GATEWAY_PORT: String(inputs.gatewayPort),
    MCP_DOCKER_LOG_LEVEL: inputs.logLevel,
    MCP_DOCKER_STRUCTURED_LOGS: 'true',
    MCP_DOCKER_AUDIT_FILE: '/var/lib/mcp-gateway/audit/audit.log',
    MCP_GATEWAY_CONFIG_JSON: JSON.stringify({ ...inputs.gatewaySettings, mcpServers: inputs.mcpServers }),
    MCP_GATEWAY_AUTH_TOKENS: [PLACEHOLDER_TOKEN, ...boundTokenNames(inputs.gatewaySettings).map((n) => `${n}=stack-synth-placeholder-token-0000`)].join(','),
  };
  for (const name of inputs.secretNames) env[`${SECRET_ENV_PREFIX}${name}`] = 'synth-placeholder';
  if (inputs.dockerTcpEndpoint) env.DOCKER_HOST = inputs.dockerTcpEndpoint;
  if (inputs.publicHostname) {
    env.MCP_GATEWAY_ACCESS_TEAM_DOMAIN = `${inputs.accessTeamName ?? PLACEHOLDER_TEAM}.cloudflareaccess.com`;
    env.MCP_GATEWAY_ACCESS_AUD = PLACEHOLDER_AUD;
    env.MCP_GATEWAY_PUBLIC_HOSTNAME = inputs.publicHostname;
    if (inputs.serviceTokens.length > 0) env.MCP_GATEWAY_ACCESS_CLIENT_NAMES = inputs.serviceTokens.map((t) => `${t}=${t}.access`).join(',');
  }
  return env;
}

/** The tfvars key a gateway issue belongs to. */
function keyOf(issue: string): 'mcp_servers' | 'gateway_settings' {
  return /^(?:- )?mcpServers[.:]|^upstreams\b/.test(issue) ? 'mcp_servers' : 'gateway_settings';
}

/**
 * Runs the gateway's loader on the environment the container will get and records each issue it reports as a
 * problem of `gateway_settings` or `mcp_servers`. The gateway's wording is kept (it names the field and the fix),
 * with "config file" read as the key it came from.
 */
export function checkGatewayConfig(inputs: GatewayConfigInputs, problems: ProblemCollector): void {
  try {
    loadGatewayConfig({ env: gatewayEnvironmentForCheck(inputs), readFile: () => { throw new Error('no files at synth time'); } });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const issue of err.issues) {
      const key = keyOf(issue);
      // The gateway names its source (config file or MCP_GATEWAY_CONFIG_JSON); here the source is the tfvars key.
      const text = issue.replace(/^(?:config file|MCP_GATEWAY_CONFIG_JSON): /, '');
      problems.addRendered(key, '', `the gateway would refuse this configuration (exit 2): ${text}`);
    }
  }
}

/** The validation block for the bearer-token variable that checks the token names the policy binds (none: none). */
export function bindingTokenValidation(names: readonly string[], variable: string): Array<{ condition: string; errorMessage: string }> {
  const condition = bindingTokensCondition(names, variable);
  return condition === undefined ? [] : [{
    condition,
    errorMessage: `gateway_settings.policy.bindings name bearer tokens ${names.join(', ')}: each must be a name in ${variable} ("name=token,..."), or the gateway refuses to start; add the token or fix the binding.`,
  }];
}
