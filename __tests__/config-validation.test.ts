import { describe, expect, it } from 'vitest';
import { closestKey, editDistance } from '../constructs/config/closest-key';
import { parseMemoryMiB } from '../constructs/config/parse-memory';
import { validateConfig } from '../constructs/config/validate-config';
import { StackConfigError } from '../constructs/errors';
import { ACCOUNT_ID, problemsOf, TUNNEL_RAW, ZONE_ID } from './helpers';

const validate = (raw: Record<string, unknown>) => () => validateConfig(raw);

describe('validateConfig defaults (empty tfvars = embedded default)', () => {
  const config = validateConfig({});
  it.each([
    ['enableGateway', true],
    ['enableTunnel', false],
    ['tunnelHostname', 'docker-mcp'],
    ['gatewayPort', 3000],
    ['memoryMiB', 512],
    ['dockerHost', 'unix:///var/run/docker.sock'],
    ['dockerSocketPath', '/var/run/docker.sock'],
    ['dockerSocketGid', 999],
    ['logLevel', 'info'],
    ['accessSessionDuration', '24h'],
    ['cloudflaredVersion', '2025.8.1'],
  ] as const)('%s defaults to %j', (field, expected) => {
    expect(config[field]).toEqual(expected);
  });
  it('leaves optional keys unset and lists empty', () => {
    expect(config.domainSuffix).toBeUndefined();
    expect(config.cloudflareAccountId).toBeUndefined();
    expect(config.dockerImage).toBeUndefined();
    expect(config.baseImage).toBeUndefined();
    expect(config.allowedEmails).toEqual([]);
    expect(config.serviceTokens).toEqual([]);
    expect(config.gatewaySettings).toEqual({});
    expect(config.mcpServers).toEqual({});
  });
  it('is frozen', () => {
    expect(Object.isFrozen(config)).toBe(true);
  });
});

describe('validateConfig accepts', () => {
  it('a full tunnel configuration', () => {
    const config = validateConfig({ ...TUNNEL_RAW, service_tokens: ['ci'], allowed_email_domains: ['example.com'] });
    expect(config.enableTunnel).toBe(true);
    expect(config.cloudflareAccountId).toBe(ACCOUNT_ID);
    expect(config.cloudflareZoneId).toBe(ZONE_ID);
    expect(config.accessTeamName).toBe('acme');
  });
  it.each([
    ['512m', 512],
    ['1g', 1024],
    ['1.5G', 1536],
    ['2048MiB', 2048],
    [256, 256],
    ['131072k', 128],
  ])('memory_limit %j as %d MiB', (value, mib) => {
    expect(validateConfig({ memory_limit: value }).memoryMiB).toBe(mib);
  });
  it('null as unset, as in Terraform', () => {
    const nulls = Object.fromEntries(['enable_docker_mcp_gateway', 'gateway_port', 'memory_limit', 'domain_suffix', 'allowed_emails', 'gateway_settings'].map((k) => [k, null]));
    expect(validateConfig(nulls)).toEqual(validateConfig({}));
  });
  it('DNS names in lower case', () => {
    const config = validateConfig({ domain_suffix: 'Example.COM', tunnel_hostname: 'Docker-MCP', allowed_email_domains: ['Corp.Example.com'] });
    expect([config.domainSuffix, config.tunnelHostname, config.allowedEmailDomains]).toEqual(['example.com', 'docker-mcp', ['corp.example.com']]);
  });
  it('a tcp:// docker_socket_path', () => {
    expect(validateConfig({ docker_socket_path: 'tcp://docker-proxy:2375' }).dockerSocketPath).toBe('tcp://docker-proxy:2375');
  });
  it('escaped template sequences ($${, %%{) in pass-through maps, kept escaped for Terraform to unescape', () => {
    const config = validateConfig({ mcp_servers: { s: { command: 'x', environment: { HOME_DIR: '$${HOME}', FMT: '100%%{x}' } } } });
    expect(config.mcpServers).toEqual({ s: { command: 'x', environment: { HOME_DIR: '$${HOME}', FMT: '100%%{x}' } } });
  });
  it('gateway_settings and mcp_servers as JSON objects', () => {
    const config = validateConfig({ gateway_settings: { policy: { roles: { admin: { tools: ['*'] } } }, limits: { execPerMinute: 3 } }, mcp_servers: { a: { command: 'x' } } });
    expect(config.gatewaySettings).toEqual({ policy: { roles: { admin: { tools: ['*'] } } }, limits: { execPerMinute: 3 } });
    expect(config.mcpServers).toEqual({ a: { command: 'x' } });
  });
});

describe('validateConfig messages (each names key, value and fix)', () => {
  it.each<[string, Record<string, unknown>, string]>([
    ['unknown key with the closest known key', { gatway_port: 3000 }, 'gatway_port: unknown key; did you mean "gateway_port"? Rename it or remove it (terraform.tfvars.example lists every key) (got 3000)'],
    ['wrong bool type', { enable_cloudflare_tunnel: 'yes' }, 'enable_cloudflare_tunnel: must be a bool; write enable_cloudflare_tunnel = true or enable_cloudflare_tunnel = false (no quotes) (got "yes")'],
    ['wrong string type', { domain_suffix: 42 }, 'domain_suffix: must be a string; write domain_suffix = "..." in double quotes (got 42)'],
    ['an expression instead of a literal', { domain_suffix: '${var.domain}' }, 'domain_suffix: must be a literal string; tfvars files cannot use variables or functions, write the value itself (got "${var.domain}")'],
    ['wrong number type', { gateway_port: '3000' }, 'gateway_port: must be a whole number between 1 and 65535; pick a free TCP port such as 3000 (got "3000")'],
    ['port out of range (high)', { gateway_port: 70000 }, 'gateway_port: is out of range: must be between 1 and 65535; pick a free TCP port such as 3000 (got 70000)'],
    ['port out of range (zero)', { gateway_port: 0 }, 'gateway_port: is out of range: must be between 1 and 65535; pick a free TCP port such as 3000 (got 0)'],
    ['wrong list type', { allowed_emails: 'a@example.com' }, 'allowed_emails: must be a list of literal strings; write allowed_emails = ["a", "b"] (got "a@example.com")'],
    ['wrong map type', { gateway_settings: ['x'] }, 'gateway_settings: must be a map of JSON values; write gateway_settings = { key = value } (got ["x"])'],
    ['memory below the minimum', { memory_limit: '32m' }, 'memory_limit: is below the minimum of 64 MiB; use at least "64m" (512m recommended) (got "32m")'],
    ['memory unparseable', { memory_limit: 'lots' }, 'memory_limit: cannot be read as a size; write "512m", "1g" or a number of MiB such as 512 (got "lots")'],
    ['account id not 32 hex', { cloudflare_account_id: 'abc' }, 'cloudflare_account_id: must be 32 hexadecimal characters; copy the Account ID from the Cloudflare dashboard overview page (got "abc")'],
    ['zone id not 32 hex', { cloudflare_zone_id: 'g'.repeat(32) }, `cloudflare_zone_id: must be 32 hexadecimal characters; copy the Zone ID from the zone overview page of domain_suffix (got "${'g'.repeat(32)}")`],
    ['malformed domain', { domain_suffix: 'https://example.com' }, 'domain_suffix: is not a domain name; use the zone apex such as "example.com" (no scheme, no trailing dot) (got "https://example.com")'],
    ['malformed tunnel hostname', { tunnel_hostname: 'mcp.example.com' }, 'tunnel_hostname: must be one DNS label (letters, digits, inner hyphens, at most 63); domain_suffix is appended for you (got "mcp.example.com")'],
    ['malformed email', { allowed_emails: ['bob'] }, 'allowed_emails: contains a malformed email address; write it as "name@example.com" (got "bob")'],
    ['email domain with @', { allowed_email_domains: ['@example.com'] }, 'allowed_email_domains: contains a malformed domain; drop the "@": "example.com" (got "@example.com")'],
    ['malformed email domain', { allowed_email_domains: ['example'] }, 'allowed_email_domains: contains a malformed domain; write a domain such as "example.com" (got "example")'],
    ['bad service token name', { service_tokens: ['my token'] }, 'service_tokens: contains an invalid token name; use letters, digits, "-" and "_" (at most 64), starting with a letter or digit (got "my token")'],
    ['duplicate service token', { service_tokens: ['ci', 'CI'] }, 'service_tokens: contains a duplicate name (names are compared case-insensitively); list each service token once (got "CI")'],
    ['unquoted log_level (hcl2json reads a bare word as ${word})', { log_level: '${info}' }, 'log_level: must be a quoted string; write log_level = "info" (in double quotes) (got "info")'],
    ['bad session duration', { access_session_duration: '1 day' }, 'access_session_duration: must be a duration such as "30m", "24h" or "1h30m" (got "1 day")'],
    ['team domain instead of team name', { access_team_name: 'acme.cloudflareaccess.com' }, 'access_team_name: must be the team name alone; write only "acme" (got "acme.cloudflareaccess.com")'],
    ['bad team name', { access_team_name: 'ac me' }, 'access_team_name: must be the team name alone; write the part before .cloudflareaccess.com (got "ac me")'],
    ['bad docker_image', { docker_image: 'my image' }, 'docker_image: is not an image reference; write it like "ghcr.io/me/mcp-gateway:1.2.3" (got "my image")'],
    ['bad base_image', { base_image: 'node 22' }, 'base_image: is not an image reference; write it like "node:22-bookworm-slim" (got "node 22")'],
    ['base_image with docker_image', { docker_image: 'a/b:1', base_image: 'node:22' }, 'base_image: has no effect when docker_image is set (nothing is built); remove one of them (got "node:22")'],
    ['bad docker_host', { docker_host: '/var/run/docker.sock' }, 'docker_host: must be an engine URL: "unix:///var/run/docker.sock", "tcp://host:2376" or "ssh://user@host" (got "/var/run/docker.sock")'],
    ['bad docker_socket_path', { docker_socket_path: 'docker.sock' }, 'docker_socket_path: must be an absolute socket path such as "/var/run/docker.sock" or a "tcp://host:port" endpoint (got "docker.sock")'],
    ['bad docker_socket_gid', { docker_socket_gid: -1 }, 'docker_socket_gid: is out of range: must be between 0 and 2147483647; use the group id printed by `stat -c %g /var/run/docker.sock` (got -1)'],
    ['bad log_level', { log_level: 'verbose' }, 'log_level: must be one of debug, info, warn, error (got "verbose")'],
    ['unpinned cloudflared', { cloudflared_version: 'latest' }, 'cloudflared_version: must be a pinned release tag such as "2025.8.1" (not "latest") (got "latest")'],
    ['mcpServers inside gateway_settings', { gateway_settings: { mcpServers: {} } }, 'gateway_settings: must not contain "mcpServers"; move the servers to the mcp_servers key (got {})'],
    ['literal secret in gateway_settings', { gateway_settings: { upstream: { api_key: 'sk-123' } } }, 'gateway_settings: holds a literal secret, which would be written into the synthesized JSON; gateway settings hold no secrets; bearer tokens come from TF_VAR_gateway_auth_tokens (got "gateway_settings.upstream.api_key")'],
    ['literal secret in mcp_servers', { mcp_servers: { gh: { env: { GITHUB_TOKEN: 'ghp_x' } } } }, 'mcp_servers: holds a literal secret, which would be written into the synthesized JSON; write "{{secret:NAME}}" there and export TF_VAR_mcp_server_secrets=\'{"NAME":"<value>"}\' (a sensitive variable, resolved by the gateway at run time; docs/stack.md "Upstream secrets") (got "mcp_servers.gh.env.GITHUB_TOKEN")'],
    ['an expression nested in gateway_settings', { gateway_settings: { a: ['${var.x}'] } }, 'gateway_settings: holds a Terraform expression ("${...}" or "%{...}"); tfvars values must be literals: write "$${" for a literal "${" (got "gateway_settings.a[0]")'],
    ['a template directive in mcp_servers', { mcp_servers: { s: { args: ['%{ if true }x%{ endif }'] } } }, 'mcp_servers: holds a Terraform expression ("${...}" or "%{...}"); tfvars values must be literals: write "$${" for a literal "${" (got "mcp_servers.s.args[0]")'],
  ])('%s', (_name, raw, message) => {
    expect(problemsOf(validate(raw))).toEqual([message]);
  });

  it('a repeated name is a duplicate, not a second invalid name (the first occurrence carries the format problem)', () => {
    expect(problemsOf(validate({ service_tokens: ['bad name', 'Bad Name', 'ci', 'ci'] }))).toEqual([
      'service_tokens: contains an invalid token name; use letters, digits, "-" and "_" (at most 64), starting with a letter or digit (got "bad name")',
      'service_tokens: contains a duplicate name (names are compared case-insensitively); list each service token once (got "Bad Name")',
      'service_tokens: contains a duplicate name (names are compared case-insensitively); list each service token once (got "ci")',
    ]);
  });

  it('tunnel enabled without domain, account or principals: every missing key reported (zone and team are looked up)', () => {
    expect(problemsOf(validate({ enable_cloudflare_tunnel: true }))).toEqual([
      'domain_suffix: is required when enable_cloudflare_tunnel = true; set it to the domain of your Cloudflare zone, e.g. "example.com" (got <missing>)',
      'cloudflare_account_id: is required when enable_cloudflare_tunnel = true; set it to your 32-hex-character account id (got <missing>)',
      'allowed_emails: nobody could pass Access: set at least one of allowed_emails, allowed_email_domains or service_tokens when enable_cloudflare_tunnel = true (got [])',
    ]);
  });

  it('tunnel enabled with the gateway disabled', () => {
    expect(problemsOf(validate({ ...TUNNEL_RAW, enable_docker_mcp_gateway: false }))).toEqual([
      'enable_docker_mcp_gateway: must be true when enable_cloudflare_tunnel = true (the tunnel publishes the gateway); enable the gateway or disable the tunnel (got false)',
    ]);
  });

  it('collects every problem at once, in one StackConfigError naming the source', () => {
    let error: unknown;
    try {
      validateConfig({ gatway_port: 1, gateway_port: 70000, memory_limit: '1m', log_level: 'loud' }, 'terraform.tfvars');
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(StackConfigError);
    const e = error as StackConfigError;
    expect(e.problems.map((p) => p.key)).toEqual(['gatway_port', 'gateway_port', 'memory_limit', 'log_level']);
    expect(e.message.split('\n')[0]).toBe('4 configuration problems in terraform.tfvars:');
  });
});

describe('helpers', () => {
  it('editDistance', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('same', 'same')).toBe(0);
  });
  it('closestKey suggests the nearest key, case-insensitively', () => {
    expect(closestKey('Memory_Limit', ['gateway_port', 'memory_limit'])).toBe('memory_limit');
    expect(closestKey('tunel_hostname', ['domain_suffix', 'tunnel_hostname'])).toBe('tunnel_hostname');
  });
  it.each([['12x'], [''], [null], [Number.NaN], [{}]])('parseMemoryMiB(%j) is undefined', (value) => {
    expect(parseMemoryMiB(value)).toBeUndefined();
  });
});
