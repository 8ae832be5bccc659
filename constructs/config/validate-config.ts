import { ProblemCollector } from '../errors';
import { closestKey } from './closest-key';
import { CONFIG_KEY_NAMES, DEFAULT_CLOUDFLARED_VERSION } from './config-keys';
import { validateOAuthConfig } from './oauth-config';
import { validateKubernetesConfig } from './kubernetes-config';
import { validateSocketProxyConfig } from './socket-proxy-config';
import { parseMemoryMiB } from './parse-memory';
import { FALLBACK_SOCKET_GID } from './socket-gid';
import { validateStateBackend } from './state-backend';
import { checkGatewayConfig } from './gateway-config-check';
import { LOG_LEVELS, type JsonValue, type LogLevel, type StackConfig } from './stack-config';
import { containsSecretLookingValue, HIDDEN_VALUE, isSecretName, knownSecretKey, looksLikeSecret } from './secret-keys';
import { collectSecretReferences, SECRET_REFERENCE_GLOBAL } from './secret-references';

/** Smallest memory limit accepted: below it node and the gateway do not start reliably. */
export const MIN_MEMORY_MIB = 64;

const HEX32 = /^[0-9a-f]{32}$/i;
const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;
const DOMAIN = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
const EMAIL = /^[^\s@,]+@(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
const TOKEN_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/i;
const GO_DURATION = /^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/;
const IMAGE_REF = /^[a-z0-9][a-z0-9._\/:@-]*$/i;
const DOCKER_HOST = /^(?:unix|tcp|ssh|npipe):\/\/\S+$/;
const TCP_ENDPOINT = /^tcp:\/\/[^\s/:]+:\d{1,5}$/;
const CLOUDFLARED_TAG = /^\d{4}\.\d{1,2}\.\d+$/;
// hcl2json renders a bare word (`log_level = info`, an unquoted string) as the expression `${info}`.
const BARE_WORD = /^\$\{([A-Za-z_][A-Za-z0-9_-]*)\}$/;

type Raw = Readonly<Record<string, unknown>>;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Values hcl2json hands back for an expression (`var.x`, `file(...)`) look like `${...}`; tfvars must be literals. */
function isExpression(value: unknown): boolean {
  return typeof value === 'string' && value.includes('${');
}

// hcl2json hands strings back as Terraform templates: `$${` / `%%{` are escaped literals (and stay escaped in the
// synthesized JSON, where Terraform unescapes them); a bare `${` or `%{` is an expression, which tfvars cannot hold.
const TEMPLATE_EXPRESSION = /(?:^|[^$])\$\{|(?:^|[^%])%\{/;

function findExpressions(value: unknown, path: string, out: string[]): void {
  if (typeof value === 'string') {
    if (TEMPLATE_EXPRESSION.test(value)) out.push(path);
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => findExpressions(item, `${path}[${i}]`, out));
  } else if (isPlainObject(value)) {
    for (const [k, v] of Object.entries(value)) findExpressions(v, `${path}.${k}`, out);
  }
}

// A string made only of secret references (and the text around them) is not a literal secret.
const literalPart = (v: string): string => v.replace(SECRET_REFERENCE_GLOBAL, '');

/**
 * Paths of literal secrets: a non-empty string under a secret-looking name (`*_token`, `password`, `apiKey`,
 * `Authorization` ...), or, where upstream credentials go (`mcp_servers` environment, headers, args, url), any
 * value shaped like a credential. `{{secret:NAME}}` references are what belongs there instead.
 */
function findSecretLiterals(value: unknown, path: string, out: string[], credentialSlot = false): void {
  if (typeof value === 'string') {
    if (credentialSlot && looksLikeSecret(literalPart(value))) out.push(path);
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => findSecretLiterals(item, `${path}[${i}]`, out, credentialSlot));
  } else if (isPlainObject(value)) {
    for (const [k, v] of Object.entries(value)) {
      const child = `${path}.${k}`;
      // Under a secret name: any literal value, unless it is built around a reference ("Bearer {{secret:X}}").
      if (isSecretName(k) && typeof v === 'string' && (literalPart(v) === v ? v.trim() !== '' : looksLikeSecret(literalPart(v)))) out.push(child);
      else findSecretLiterals(v, child, out, credentialSlot || (path.startsWith('mcp_servers.') && CREDENTIAL_SLOTS.includes(k)));
    }
  }
}

/** Fields of an upstream server entry that carry credentials in practice. */
const CREDENTIAL_SLOTS = ['environment', 'headers', 'args', 'url'];

/**
 * Turns the raw tfvars object (as parsed from HCL) into a frozen {@link StackConfig}, or throws one
 * `StackConfigError` listing every problem: unknown keys (with the closest known key), wrong types,
 * bad formats, and keys the tunnel needs but does not have.
 * @param source names the file in the error message.
 */
export function validateConfig(raw: Raw, source?: string): StackConfig {
  const problems = new ProblemCollector();

  for (const key of Object.keys(raw)) {
    if (CONFIG_KEY_NAMES.includes(key)) continue;
    const secret = knownSecretKey(key);
    if (secret) {
      // Its own message, and never its value: the point is that the value must not be in this file at all.
      problems.addRendered(key, '', `is a secret and must not be in a tfvars file (its value would be written into cdk.tf.json); remove the line and ${secret.instead}`);
      continue;
    }
    const suggestion = closestKey(key, CONFIG_KEY_NAMES);
    const message = `unknown key; did you mean "${suggestion}"? Rename it or remove it (terraform.tfvars.example lists every key)`;
    if (isSecretName(key) || containsSecretLookingValue(raw[key])) problems.addRendered(key, HIDDEN_VALUE, message);
    else problems.add(key, raw[key], message);
  }

  const bool = (name: string, fallback: boolean): boolean => {
    const value = raw[name];
    if (value === undefined || value === null) return fallback;
    if (typeof value === 'boolean') return value;
    problems.add(name, value, `must be a bool; write ${name} = true or ${name} = false (no quotes)`);
    return fallback;
  };

  const str = (name: string): string | undefined => {
    const value = raw[name];
    if (value === undefined || value === null) return undefined;
    const bare = typeof value === 'string' ? BARE_WORD.exec(value) : null;
    if (bare) {
      problems.add(name, bare[1], `must be a quoted string; write ${name} = "${bare[1]}" (in double quotes)`);
      return undefined;
    }
    if (isExpression(value)) {
      problems.add(name, value, 'must be a literal string; tfvars files cannot use variables or functions, write the value itself');
      return undefined;
    }
    if (typeof value === 'string') return value.trim() === '' ? undefined : value.trim();
    problems.add(name, value, `must be a string; write ${name} = "..." in double quotes`);
    return undefined;
  };

  const int = (name: string, fallback: number, min: number, max: number, fix: string): number => {
    const value = raw[name];
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value)) {
      problems.add(name, value, `must be a whole number between ${min} and ${max}; ${fix}`);
      return fallback;
    }
    if (value < min || value > max) {
      problems.add(name, value, `is out of range: must be between ${min} and ${max}; ${fix}`);
      return fallback;
    }
    return value;
  };

  const list = (name: string): string[] => {
    const value = raw[name];
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || isExpression(v))) {
      problems.add(name, value, `must be a list of literal strings; write ${name} = ["a", "b"]`);
      return [];
    }
    return value.map((v: string) => v.trim());
  };

  const map = (name: string): Record<string, JsonValue> => {
    const value = raw[name];
    if (value === undefined || value === null) return {};
    if (!isPlainObject(value)) {
      problems.add(name, value, `must be a map of JSON values; write ${name} = { key = value }`);
      return {};
    }
    return value as Record<string, JsonValue>;
  };

  const enableGateway = bool('enable_docker_mcp_gateway', true);
  const enableTunnel = bool('enable_cloudflare_tunnel', false);

  // DNS names are case-insensitive; lower case keeps the Access domain, DNS name and ingress hostname identical.
  const domainSuffix = str('domain_suffix')?.toLowerCase();
  if (domainSuffix !== undefined && !DOMAIN.test(domainSuffix)) {
    problems.add('domain_suffix', domainSuffix, 'is not a domain name; use the zone apex such as "example.com" (no scheme, no trailing dot)');
  }
  const tunnelHostname = (str('tunnel_hostname') ?? 'docker-mcp').toLowerCase();
  if (!DNS_LABEL.test(tunnelHostname)) {
    problems.add('tunnel_hostname', tunnelHostname, 'must be one DNS label (letters, digits, inner hyphens, at most 63); domain_suffix is appended for you');
  }
  const cloudflareAccountId = str('cloudflare_account_id');
  if (cloudflareAccountId !== undefined && !HEX32.test(cloudflareAccountId)) {
    problems.add('cloudflare_account_id', cloudflareAccountId, 'must be 32 hexadecimal characters; copy the Account ID from the Cloudflare dashboard overview page');
  }
  const cloudflareZoneId = str('cloudflare_zone_id');
  if (cloudflareZoneId !== undefined && !HEX32.test(cloudflareZoneId)) {
    problems.add('cloudflare_zone_id', cloudflareZoneId, 'must be 32 hexadecimal characters; copy the Zone ID from the zone overview page of domain_suffix');
  }
  let accessTeamName = str('access_team_name');
  if (accessTeamName !== undefined && !DNS_LABEL.test(accessTeamName)) {
    const hint = accessTeamName.endsWith('.cloudflareaccess.com') ? ` write only "${accessTeamName.split('.')[0]}"` : ' write the part before .cloudflareaccess.com';
    problems.add('access_team_name', accessTeamName, `must be the team name alone;${hint}`);
    accessTeamName = undefined;
  }

  const allowedEmailDomains = list('allowed_email_domains').map((d) => d.toLowerCase());
  for (const domain of allowedEmailDomains) {
    if (!DOMAIN.test(domain)) {
      const hint = domain.startsWith('@') ? `; drop the "@": "${domain.slice(1)}"` : '; write a domain such as "example.com"';
      problems.add('allowed_email_domains', domain, `contains a malformed domain${hint}`);
    }
  }
  const allowedEmails = list('allowed_emails');
  for (const email of allowedEmails) {
    if (!EMAIL.test(email)) problems.add('allowed_emails', email, 'contains a malformed email address; write it as "name@example.com"');
  }
  const serviceTokens = list('service_tokens');
  const seen = new Set<string>();
  for (const name of serviceTokens) {
    // Duplicate first: a name listed twice is one mistake, reported once, whatever else is wrong with it.
    if (seen.has(name.toLowerCase())) {
      problems.add('service_tokens', name, 'contains a duplicate name (names are compared case-insensitively); list each service token once');
    } else if (!TOKEN_NAME.test(name)) {
      problems.add('service_tokens', name, 'contains an invalid token name; use letters, digits, "-" and "_" (at most 64), starting with a letter or digit');
    }
    seen.add(name.toLowerCase());
  }
  const accessSessionDuration = str('access_session_duration') ?? '24h';
  if (!GO_DURATION.test(accessSessionDuration)) {
    problems.add('access_session_duration', accessSessionDuration, 'must be a duration such as "30m", "24h" or "1h30m"');
  }

  const gatewayPort = int('gateway_port', 3000, 1, 65535, 'pick a free TCP port such as 3000');

  let memoryMiB = 512;
  const rawMemory = raw.memory_limit;
  if (rawMemory !== undefined && rawMemory !== null) {
    const parsed = parseMemoryMiB(rawMemory);
    if (parsed === undefined) {
      problems.add('memory_limit', rawMemory, 'cannot be read as a size; write "512m", "1g" or a number of MiB such as 512');
    } else if (parsed < MIN_MEMORY_MIB) {
      problems.add('memory_limit', rawMemory, `is below the minimum of ${MIN_MEMORY_MIB} MiB; use at least "${MIN_MEMORY_MIB}m" (512m recommended)`);
    } else {
      memoryMiB = Math.floor(parsed);
    }
  }

  const dockerImage = str('docker_image');
  if (dockerImage !== undefined && !IMAGE_REF.test(dockerImage)) {
    problems.add('docker_image', dockerImage, 'is not an image reference; write it like "ghcr.io/me/mcp-gateway:1.2.3"');
  }
  const baseImage = str('base_image');
  if (baseImage !== undefined && !IMAGE_REF.test(baseImage)) {
    problems.add('base_image', baseImage, 'is not an image reference; write it like "node:22-bookworm-slim"');
  }
  if (dockerImage !== undefined && baseImage !== undefined) {
    problems.add('base_image', baseImage, 'has no effect when docker_image is set (nothing is built); remove one of them');
  }
  const dockerHost = str('docker_host') ?? 'unix:///var/run/docker.sock';
  if (!DOCKER_HOST.test(dockerHost)) {
    problems.add('docker_host', dockerHost, 'must be an engine URL: "unix:///var/run/docker.sock", "tcp://host:2376" or "ssh://user@host"');
  }
  const dockerSocketPath = str('docker_socket_path') ?? '/var/run/docker.sock';
  if (!(dockerSocketPath.startsWith('/') || TCP_ENDPOINT.test(dockerSocketPath))) {
    problems.add('docker_socket_path', dockerSocketPath, 'must be an absolute socket path such as "/var/run/docker.sock" or a "tcp://host:port" endpoint');
  }
  const dockerSocketGid = int('docker_socket_gid', FALLBACK_SOCKET_GID, 0, 2147483647, 'use the group id printed by `stat -c %g /var/run/docker.sock`');

  const rawLevel = str('log_level') ?? 'info';
  let logLevel: LogLevel = 'info';
  if ((LOG_LEVELS as readonly string[]).includes(rawLevel)) logLevel = rawLevel as LogLevel;
  else problems.add('log_level', rawLevel, `must be one of ${LOG_LEVELS.join(', ')}`);

  const cloudflaredVersion = str('cloudflared_version') ?? DEFAULT_CLOUDFLARED_VERSION;
  if (!CLOUDFLARED_TAG.test(cloudflaredVersion)) {
    problems.add('cloudflared_version', cloudflaredVersion, `must be a pinned release tag such as "${DEFAULT_CLOUDFLARED_VERSION}" (not "latest")`);
  }

  const gatewaySettings = map('gateway_settings');
  if ('mcpServers' in gatewaySettings) {
    problems.add('gateway_settings', gatewaySettings.mcpServers, 'must not contain "mcpServers"; move the servers to the mcp_servers key');
  }
  const secretPaths: string[] = [];
  findSecretLiterals(gatewaySettings, 'gateway_settings', secretPaths);
  const mcpServers = map('mcp_servers');
  findSecretLiterals(mcpServers, 'mcp_servers', secretPaths);
  const mcpServerSecretNames = collectSecretReferences(mcpServers, gatewaySettings, problems);
  const expressionPaths: string[] = [];
  findExpressions(gatewaySettings, 'gateway_settings', expressionPaths);
  findExpressions(mcpServers, 'mcp_servers', expressionPaths);
  for (const path of expressionPaths) {
    problems.add(path.split(/[.[]/)[0], path, 'holds a Terraform expression ("${...}" or "%{...}"); tfvars values must be literals: write "$${" for a literal "${"');
  }
  for (const path of secretPaths) {
    const fix = path.startsWith('mcp_servers')
      ? `write "{{secret:NAME}}" there and export TF_VAR_mcp_server_secrets='{"NAME":"<value>"}' (a sensitive variable, resolved by the gateway at run time; docs/stack.md "Upstream secrets")`
      : 'gateway settings hold no secrets; bearer tokens come from TF_VAR_gateway_auth_tokens';
    problems.add(path.split(/[.[]/)[0], path, `holds a literal secret, which would be written into the synthesized JSON; ${fix}`);
  }

  const stateBackend = validateStateBackend(raw.state_backend, problems);

  // Only a configuration the stack itself accepts is handed to the gateway's loader: its messages would repeat
  // ours, and a value we refused as a secret must not be echoed by its "(got ...)".
  if (problems.problems.every((p) => !['gateway_settings', 'mcp_servers', 'log_level', 'gateway_port'].includes(p.key))) {
    checkGatewayConfig({
      gatewaySettings, mcpServers, gatewayPort, logLevel,
      accessTeamName: enableTunnel ? accessTeamName : undefined,
      publicHostname: enableTunnel && domainSuffix ? `${tunnelHostname}.${domainSuffix}` : undefined,
      serviceTokens, secretNames: mcpServerSecretNames,
      dockerTcpEndpoint: dockerSocketPath.startsWith('tcp://') ? dockerSocketPath : undefined,
    }, problems);
  }

  if (enableTunnel) {
    if (!enableGateway) {
      problems.add('enable_docker_mcp_gateway', false, 'must be true when enable_cloudflare_tunnel = true (the tunnel publishes the gateway); enable the gateway or disable the tunnel');
    }
    const required: Array<[string, string | undefined, string]> = [
      ['domain_suffix', domainSuffix, 'set it to the domain of your Cloudflare zone, e.g. "example.com"'],
      ['cloudflare_account_id', cloudflareAccountId, 'set it to your 32-hex-character account id'],
    ];
    for (const [name, value, fix] of required) {
      if (value === undefined && raw[name] === undefined) problems.add(name, undefined, `is required when enable_cloudflare_tunnel = true; ${fix}`);
    }
    if (allowedEmailDomains.length + allowedEmails.length + serviceTokens.length === 0) {
      problems.add('allowed_emails', raw.allowed_emails ?? [], 'nobody could pass Access: set at least one of allowed_emails, allowed_email_domains or service_tokens when enable_cloudflare_tunnel = true');
    }
  }

  // cloudflare_zone_id and access_team_name are optional: unset, Terraform looks them up in the account.
  const oauth = validateOAuthConfig(raw, problems, allowedEmails.length + allowedEmailDomains.length > 0);
  const { target, kubernetes } = validateKubernetesConfig(raw, { dockerImage, mcpServers, enableTunnel }, problems);
  const { dockerSocketProxy, socketProxyBaseImage } = validateSocketProxyConfig(raw, { target, dockerSocketPath }, problems);

  problems.throwIfAny(source);
  return Object.freeze({
    ...oauth,
    target,
    kubernetes,
    dockerSocketProxy,
    socketProxyBaseImage,
    enableGateway,
    enableTunnel,
    domainSuffix,
    tunnelHostname,
    cloudflareAccountId,
    cloudflareZoneId,
    accessTeamName,
    allowedEmailDomains: Object.freeze(allowedEmailDomains),
    allowedEmails: Object.freeze(allowedEmails),
    serviceTokens: Object.freeze(serviceTokens),
    accessSessionDuration,
    gatewayPort,
    memoryMiB,
    dockerImage,
    baseImage,
    dockerHost,
    dockerSocketPath,
    dockerSocketGid,
    dockerSocketGidSource: raw.docker_socket_gid === undefined || raw.docker_socket_gid === null ? ('default' as const) : ('tfvars' as const),
    logLevel,
    cloudflaredVersion,
    gatewaySettings: Object.freeze(gatewaySettings),
    mcpServers: Object.freeze(mcpServers),
    mcpServerSecretNames: Object.freeze(mcpServerSecretNames),
    stateBackend,
  });
}
