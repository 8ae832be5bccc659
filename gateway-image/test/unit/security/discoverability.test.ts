/** Turning things on is discoverable: denials name the role and the setting, lists show what a caller may call, references are checked. */
import { describe, expect, it } from 'vitest';
import type { Principal } from '../../../src/core/contracts.js';
import { createAuthorizer, grantHint } from '../../../src/core/security/authorizer.js';
import { checkPolicyReferences, type PolicyReferenceFacts } from '../../../src/core/security/policy-references.js';
import { parseSecurityConfig } from '../../../src/core/security/security-config.js';
import { createToolCatalog } from '../../../src/core/tool-catalog.js';
import { createToolSource } from '../../../src/core/tool-source.js';
import { builtinTools } from '../../../src/core/tools/builtin-tools.js';
import { BUILTIN_TOOL_NAMES, LIFECYCLE_TOOL_NAMES, switchedOffToolMessage } from '../../../src/core/tools/tool-names.js';
import { loadGatewayConfig } from '../../../src/load-config.js';
import { lookup, req, tool } from './fixtures.js';

const bearer = (id: string): Principal => ({ id, authMethod: 'bearer' });
const facts: PolicyReferenceFacts = { builtinTools: BUILTIN_TOOL_NAMES, lifecycleTools: LIFECYCLE_TOOL_NAMES, lifecycleEnabled: false, upstreamServers: ['github'], separator: '__' };

describe('a denial names the role and the setting that would grant the call', () => {
  const config = parseSecurityConfig({
    policy: { roles: { ops: { tools: ['docker_ps', 'docker_logs'], containers: { names: ['web-*'] } } }, bindings: [{ tokens: ['alice'], roles: ['ops'] }] },
  });
  const a = createAuthorizer(config, { lookupContainer: lookup().lookupContainer });

  it('tool not allowed: the role names, the role tool list and a binding for this principal', async () => {
    const d = await a.authorize(req(tool('docker_exec', true), { id: 'web-1', cmd: ['ls'] }, bearer('alice')));
    expect(d).toMatchObject({ allow: false, ruleId: 'policy.tool-not-allowed' });
    expect(d.reason).toBe('alice (roles: ops) may not call docker_exec; to grant it, add "docker_exec" to policy.roles.ops.tools, or bind alice to a role whose tools include it ' +
      'in policy.bindings: { "tokens": ["alice"], "roles": ["<role>"] } (config file, MCP_GATEWAY_CONFIG_JSON, or the stack\'s gateway_settings)');
  });

  it('the binding hint matches how the caller authenticated', () => {
    expect(grantHint({ id: 'a@x.io', authMethod: 'cf-access-jwt', email: 'a@x.io' }, 't', [])).toContain('{ "emails": ["a@x.io"]');
    expect(grantHint({ id: 'ci', authMethod: 'cf-access-jwt', serviceToken: 'ci' }, 't', ['reader'])).toContain('{ "serviceTokens": ["ci"]');
    expect(grantHint({ id: 'stdio', authMethod: 'stdio' }, 't', ['reader', 'x'])).toMatch(/policy\.roles\.<one of reader, x>\.tools.*\{ "principals": \["stdio"\]/);
  });

  it('out of scope: names the roles and the containers setting', async () => {
    const d = await a.authorize(req(tool('docker_logs'), { id: 'db-1' }, bearer('alice')));
    expect(d.reason).toBe('container db-1 is outside the scope of alice\'s roles for docker_logs (ops); widen it in policy.roles.<role>.containers (names globs or label selectors)');
  });
});

describe('tools/list shows a caller the tools its roles allow; a switched-off tool says how to switch it on', () => {
  const catalog = createToolCatalog(['docker_ps', 'docker_exec', 'health'].map((n) => tool(n)));
  const source = createToolSource(catalog, undefined, {
    mayCall: (p, t) => p.id === 'ops' || t !== 'docker_exec',
    switchedOff: (n) => switchedOffToolMessage(n, false),
  });

  it('filters by principal, and lists all without one', async () => {
    expect((await source.list(undefined, bearer('viewer'))).map((t) => t.name)).toEqual(['docker_ps', 'health']);
    expect((await source.list(undefined, bearer('ops'))).map((t) => t.name)).toEqual(['docker_ps', 'docker_exec', 'health']);
    expect((await source.list()).map((t) => t.name)).toEqual(['docker_ps', 'docker_exec', 'health']);
  });

  it('names the env variable, the config key and the stack setting for a lifecycle tool; the plain message otherwise', () => {
    const m = source.unknownToolMessage('docker_stop');
    expect(m).toContain('docker_stop is switched off');
    expect(m).toContain('MCP_DOCKER_ENABLE_LIFECYCLE=true');
    expect(m).toContain('"tools": {"enableLifecycle": true}');
    expect(m).toContain('gateway_settings = { tools = { enableLifecycle = true } }');
    expect(source.unknownToolMessage('nope')).toBe('Unknown tool: nope. Call tools/list for the available tools.');
    expect(switchedOffToolMessage('docker_stop', true)).toBeUndefined();
  });

  it('BUILTIN_TOOL_NAMES is exactly what builtinTools offers with lifecycle on', () => {
    const deps = { docker: {} as never, limits: { maxBytes: 1, maxStreamBytes: 1, chunkBytes: 1, timeoutMs: 1, maxFollowSeconds: 1, enableLifecycle: true }, version: '0', startedAt: 0 };
    expect(builtinTools(deps as never).map((t) => t.name).sort()).toEqual([...BUILTIN_TOOL_NAMES].sort());
    expect(builtinTools({ ...deps, limits: { ...deps.limits, enableLifecycle: false } } as never).map((t) => t.name).filter((n) => (LIFECYCLE_TOOL_NAMES as readonly string[]).includes(n))).toEqual([]);
  });
});

describe('roles naming unknown tools and bindings naming unknown tokens', () => {
  const check = (policy: Record<string, unknown>, tokens: string[] = ['alice'], extra: Partial<typeof facts> = {}) =>
    checkPolicyReferences(parseSecurityConfig({ policy, auth: { tokens: tokens.map((name) => ({ name, sha256: 'a'.repeat(64) })) } }), { ...facts, ...extra });

  it('accepts built-in names, globs that match one, upstream tools of configured servers, and *', () => {
    expect(check({ roles: { r: { tools: ['docker_ps', 'docker_*', 'github__create_issue', 'git*__*', '*'] } }, bindings: [{ tokens: ['alice'], roles: ['r'] }] })).toEqual({ errors: [], warnings: [] });
  });

  it('a typo is an error with the nearest name; an unconfigured server is named', () => {
    const { errors } = check({ roles: { r: { tools: ['docker_exce', 'gitlab__x', 'kubectl_*'] } } });
    expect(errors).toEqual([
      expect.stringMatching(/^policy\.roles\.r\.tools\[0\]: "docker_exce" matches no tool; did you mean "docker_exec"\?/),
      expect.stringMatching(/^policy\.roles\.r\.tools\[1\]: "gitlab__x" matches no tool \(no upstream server "gitlab" is configured under mcpServers\)/),
      expect.stringMatching(/^policy\.roles\.r\.tools\[2\]: "kubectl_\*" matches no tool/),
    ]);
  });

  it('with a prefix: false server, a pattern matching no built-in is not judged (that server names its tools at run time)', () => {
    expect(check({ roles: { r: { tools: ['test_*'] } } }, ['alice'], { unprefixedServers: ['conformance'] }).errors).toEqual([]);
    expect(check({ roles: { r: { tools: ['test_*'] } } }).errors).toEqual([expect.stringMatching(/^policy\.roles\.r\.tools\[0\]: "test_\*" matches no tool/)]);
  });

  it('a role of lifecycle tools while they are off is a warning naming the setting', () => {
    expect(check({ roles: { r: { tools: ['docker_stop'] } } }).warnings).toEqual([expect.stringContaining('MCP_DOCKER_ENABLE_LIFECYCLE=true')]);
    expect(check({ roles: { r: { tools: ['docker_stop'] } } }, ['alice'], { lifecycleEnabled: true }).warnings).toEqual([]);
  });

  it('a binding naming a token that is not configured is an error listing the configured names', () => {
    expect(check({ bindings: [{ tokens: ['alice', 'bob'], roles: ['reader'] }] }).errors)
      .toEqual(['policy.bindings[0].tokens[1]: "bob" names no bearer token (configured: alice); name it in MCP_GATEWAY_AUTH_TOKENS (name=token) or auth.tokens, or fix the spelling']);
  });

  it('loadGatewayConfig reports them with the rest, and names MCP_GATEWAY_CONFIG_JSON (not "config file") for inline config', () => {
    const json = JSON.stringify({ polcy: {}, policy: { roles: { r: { tools: ['docker_exce'] } }, bindings: [{ tokens: ['bob'], roles: ['r'] }] } });
    let issues: string[] = [];
    try {
      loadGatewayConfig({ env: { MCP_GATEWAY_AUTH_TOKENS: 'alice=0123456789abcdef0', MCP_GATEWAY_CONFIG_JSON: json } });
    } catch (err) {
      issues = (err as { issues: string[] }).issues;
    }
    expect(issues).toEqual([
      expect.stringMatching(/^MCP_GATEWAY_CONFIG_JSON: unknown key "polcy"; did you mean "policy"\?/),
      expect.stringMatching(/^policy\.roles\.r\.tools\[0\]: "docker_exce" matches no tool/),
      expect.stringMatching(/^policy\.bindings\[0\]\.tokens\[0\]: "bob" names no bearer token \(configured: alice\)/),
    ]);
  });
});

describe('configWarnings', () => {
  it('warns (without failing the load) about a role of lifecycle tools while they are off', async () => {
    const { configWarnings } = await import('../../../src/load-config.js');
    const config = loadGatewayConfig({ env: { MCP_GATEWAY_AUTH_TOKENS: 'alice=0123456789abcdef0', MCP_GATEWAY_CONFIG_JSON: JSON.stringify({ policy: { roles: { ops: { tools: ['docker_restart'] } } } }) } });
    expect(configWarnings(config)).toEqual([expect.stringMatching(/^policy\.roles\.ops\.tools\[0\]: "docker_restart" names only lifecycle tools, which are switched off; set MCP_DOCKER_ENABLE_LIFECYCLE=true/)]);
    const on = loadGatewayConfig({ env: { MCP_GATEWAY_AUTH_TOKENS: 'alice=0123456789abcdef0', MCP_DOCKER_ENABLE_LIFECYCLE: 'true', MCP_GATEWAY_CONFIG_JSON: JSON.stringify({ policy: { roles: { ops: { tools: ['docker_restart'] } } } }) } });
    expect(configWarnings(on)).toEqual([]);
  });
});
