/**
 * gateway_settings and mcp_servers are checked at synth time by the gateway's own loader, on the environment the
 * container will get: what the gateway would refuse (exit 2, restart loop) never synthesizes.
 */
import { describe, expect, it } from 'vitest';
import { boundTokenNames, gatewayEnvironmentForCheck } from '../constructs/config/gateway-config-check';
import { validateConfig } from '../constructs/config/validate-config';
import { loadGatewayConfig } from '../gateway-image/src/load-config';
import { envMap, onlyResource, problemsOf, synthJson, TUNNEL_RAW } from './helpers';
import type { JsonValue } from '../constructs/config/stack-config';
import { K8S_RAW } from './kubernetes-helpers';

const REFUSE = 'the gateway would refuse this configuration (exit 2): ';

describe('the gateway\'s loader runs at synth time', () => {
  it('refuses the old example: roles at the top level', () => {
    expect(problemsOf(() => validateConfig({ gateway_settings: { roles: { admin: ['*'] } } }))).toEqual([
      `gateway_settings: ${REFUSE}unknown key "roles" (known keys: server, docker, tools, logging, dryRun, auth, http, policy, exec, containers, limits, audit, redaction, mcpServers, upstreams)`,
    ]);
  });
  it('names the field of a wrong type deep inside policy', () => {
    expect(problemsOf(() => validateConfig({ gateway_settings: { policy: { roles: { admin: ['*'] } } } }))).toEqual([
      `gateway_settings: ${REFUSE}policy.roles.admin: Invalid input: expected object, received array (got ["*"])`,
    ]);
  });
  it('a binding to an undefined role', () => {
    expect(problemsOf(() => validateConfig({ gateway_settings: { policy: { bindings: [{ tokens: ['ci'], roles: ['ops'] }] } } }))[0]).toContain('unknown role "ops"; define it under policy.roles');
  });
  it('an mcp_servers entry the gateway cannot run is a problem of mcp_servers', () => {
    expect(problemsOf(() => validateConfig({ mcp_servers: { s: { args: ['x'] } } }))).toEqual([
      `mcp_servers: ${REFUSE}mcpServers.s.command: no \`image\`, \`command\` or \`url\`: the gateway does not know how to run this server. Fix: set \`image\` (container), \`command\` (child process) or \`url\` (remote server)`,
    ]);
  });
  it('a secret reference is checked with a stand-in, so a referenced secret is never "missing" at synth', () => {
    expect(validateConfig({ mcp_servers: { gh: { command: 'npx', environment: { T: '{{secret:GH}}' } } } }).mcpServerSecretNames).toEqual(['GH']);
  });
  it('accepts what the gateway accepts, and synthesizes it unchanged', () => {
    const settings = { policy: { roles: { admin: { tools: ['*'] } }, bindings: [{ tokens: ['alice'], roles: ['admin'] }] }, limits: { execPerMinute: 10 } };
    const env = envMap(onlyResource(synthJson({ gateway_settings: settings }), 'docker_container'));
    expect(JSON.parse(env.MCP_GATEWAY_CONFIG_JSON)).toEqual({ ...settings, mcpServers: {} });
  });
  it('does not run when the stack already refused the map (no echo of a refused secret)', () => {
    const found = problemsOf(() => validateConfig({ gateway_settings: { roles: 1, upstream: { api_key: 'sk-live-abcdefghijklmnop' } } }));
    expect(found.join('\n')).not.toContain(REFUSE);
    expect(found.join('\n')).not.toContain('sk-live-abcdefghijklmnop');
  });
});

describe('the environment the check uses is the container\'s', () => {
  it('every variable the stack sets on the container is in the checked environment (apply-time values stood in)', () => {
    const raw = { ...TUNNEL_RAW, service_tokens: ['ci'], mcp_servers: { gh: { command: 'npx', environment: { T: '{{secret:GH}}' } } }, docker_socket_path: 'tcp://proxy:2375' };
    const config = validateConfig(raw);
    const container = Object.values(synthJson(raw).resource!.docker_container).find((c) => c.name === 'mcp-gateway')!;
    const checked = gatewayEnvironmentForCheck({
      gatewaySettings: config.gatewaySettings, mcpServers: config.mcpServers, gatewayPort: config.gatewayPort, logLevel: config.logLevel,
      accessTeamName: config.accessTeamName, publicHostname: `${config.tunnelHostname}.${config.domainSuffix}`, serviceTokens: config.serviceTokens,
      dockerTcpEndpoint: 'tcp://proxy:2375', secretNames: config.mcpServerSecretNames,
    });
    expect(Object.keys(checked).sort()).toEqual(Object.keys(envMap(container)).sort());
    const real = envMap(container);
    for (const key of ['MCP_GATEWAY_HOST', 'MCP_GATEWAY_PORT', 'MCP_DOCKER_LOG_LEVEL', 'MCP_DOCKER_STRUCTURED_LOGS', 'MCP_DOCKER_AUDIT_FILE', 'MCP_GATEWAY_CONFIG_JSON', 'DOCKER_HOST', 'MCP_GATEWAY_ACCESS_TEAM_DOMAIN', 'MCP_GATEWAY_PUBLIC_HOSTNAME']) {
      expect(checked[key], key).toBe(real[key]);
    }
    // ... and the gateway loads it.
    expect(() => loadGatewayConfig({ env: checked })).not.toThrow();
  });
});

describe('binding token names: known only at plan time, checked there', () => {
  const policy: JsonValue = { roles: { admin: { tools: ['*'] } }, bindings: [{ tokens: ['alice', 'ci.bot'], roles: ['admin'] }, { emails: ['a@example.org'], roles: ['admin'] }] };
  const bindingCheck = (variable: { validation?: Array<{ condition: string; error_message: string }> }) =>
    variable.validation?.find((v) => v.error_message.startsWith('gateway_settings.policy.bindings'));

  it('synth stands in the bound names (gateway_auth_tokens is sensitive), so the gateway\'s reference check passes', () => {
    expect(boundTokenNames({ policy })).toEqual(['alice', 'ci.bot']);
    expect(() => validateConfig({ gateway_settings: { policy } })).not.toThrow();
  });
  it('still refuses what no token could fix: a binding to an undefined role', () => {
    expect(problemsOf(() => validateConfig({ gateway_settings: { policy: { bindings: [{ tokens: ['alice'], roles: ['ops'] }] } } }))[0]).toContain('unknown role "ops"');
  });
  it('the gateway_auth_tokens variable checks at plan that every bound name is supplied (Docker target)', () => {
    const check = bindingCheck(synthJson({ gateway_settings: { policy } }).variable!.gateway_auth_tokens as never);
    expect(check?.condition).toBe('alltrue([for n in ["alice","ci.bot"] : contains([for e in split(",", var.gateway_auth_tokens) : split("=", e)[0]], n)])');
    expect(check?.error_message).toContain('alice, ci.bot');
  });
  it('... and with target = "kubernetes"', () => {
    const check = bindingCheck(synthJson({ ...K8S_RAW, gateway_settings: { policy } }).variable!.gateway_auth_tokens as never);
    expect(check?.condition).toContain('for n in ["alice","ci.bot"]');
  });
  it('no bound token: no extra validation', () => {
    expect(bindingCheck(synthJson({}).variable!.gateway_auth_tokens as never)).toBeUndefined();
  });
});

describe('access_team_name unset (the team is read from the account at plan)', () => {
  const { access_team_name: _team, ...noTeam } = TUNNEL_RAW;
  it('the check still runs the Access configuration, with a stand-in team', () => {
    const config = validateConfig({ ...noTeam, service_tokens: ['ci'], gateway_settings: { policy: { roles: { v: { tools: ['health'] } }, bindings: [{ serviceTokens: ['ci'], roles: ['v'] }] } } });
    expect(config.accessTeamName).toBeUndefined();
    const env = gatewayEnvironmentForCheck({
      gatewaySettings: config.gatewaySettings, mcpServers: config.mcpServers, gatewayPort: config.gatewayPort, logLevel: config.logLevel,
      accessTeamName: config.accessTeamName, publicHostname: `${config.tunnelHostname}.${config.domainSuffix}`, serviceTokens: config.serviceTokens, secretNames: [],
    });
    expect(env.MCP_GATEWAY_ACCESS_TEAM_DOMAIN).toMatch(/^[a-z0-9-]+\.cloudflareaccess\.com$/);
    expect(env.MCP_GATEWAY_ACCESS_CLIENT_NAMES).toBe('ci=ci.access');
    expect(loadGatewayConfig({ env }).security).toBeDefined();
  });
  it('an Access-only binding the gateway would refuse is refused at synth without a team name too', () => {
    expect(problemsOf(() => validateConfig({ ...noTeam, gateway_settings: { policy: { bindings: [{ serviceTokens: ['ci'], roles: ['nope'] }] } } })).join('\n')).toContain('unknown role "nope"');
  });
});
