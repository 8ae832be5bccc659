import { describe, expect, it } from 'vitest';
import type { Principal } from '../../../src/core/contracts.js';
import { createAuthorizer, targetOf } from '../../../src/core/security/authorizer.js';
import { parseSecurityConfig } from '../../../src/core/security/security-config.js';
import { GATEWAY_ID, lookup, req, tool } from './fixtures.js';

const config = parseSecurityConfig({
  policy: {
    roles: {
      operator: { tools: ['docker_*', 'health'], containers: { labels: ['mcp.expose=true'] } },
      admin: { tools: ['*'], allowSecrets: true },
      fs: { tools: ['filesystem__*'] },
    },
    bindings: [
      { tokens: ['ops'], roles: ['operator'] },
      { tokens: ['root-admin'], roles: ['admin'] },
      { tokens: ['files'], roles: ['fs'] },
    ],
  },
  exec: { commandPatterns: ['echo', 'ls'] },
});
const P = (id: string): Principal => ({ id, authMethod: 'bearer' });
const exec = tool('docker_exec', true);
const stop = tool('docker_stop', true);
const restart = tool('docker_restart', true);
const inspect = tool('docker_inspect');
const logs = tool('docker_logs');
const ps = tool('docker_ps', false, false);

function make(list?: Parameters<typeof lookup>[0]) {
  const l = lookup(list);
  return { l, a: createAuthorizer(config, { lookupContainer: l.lookupContainer, gatewayContainerId: GATEWAY_ID.slice(0, 12) }) };
}

describe('role -> tool', () => {
  const { a } = make();
  it('reader may ps/inspect/logs but not exec or stop', async () => {
    expect(await a.authorize(req(ps, {}, P('anyone')))).toMatchObject({ allow: true, ruleId: 'policy.allowed' });
    expect((await a.authorize(req(logs, { id: 'db-1' }, P('anyone')))).allow).toBe(true);
    expect(await a.authorize(req(exec, { id: 'web-1', cmd: ['ls'] }, P('anyone')))).toMatchObject({ allow: false, ruleId: 'policy.tool-not-allowed' });
    expect(await a.authorize(req(stop, { id: 'web-1' }, P('anyone')))).toMatchObject({ allow: false, ruleId: 'policy.tool-not-allowed' });
  });
  it('upstream tools by <server>__* pattern', async () => {
    expect((await a.authorize(req(tool('filesystem__read_file', false, false), { path: '/x' }, P('files')))).allow).toBe(true);
    expect((await a.authorize(req(tool('github__create_issue', true, false), {}, P('files')))).ruleId).toBe('policy.tool-not-allowed');
    expect((await a.authorize(req(tool('filesystem__read_file', false, false), {}, P('anyone')))).ruleId).toBe('policy.tool-not-allowed');
  });
});

describe('scope', () => {
  it('operator may exec into labelled containers only', async () => {
    const { a } = make();
    expect(await a.authorize(req(exec, { id: 'web-1', cmd: ['echo', 'hi'] }, P('ops')))).toMatchObject({ allow: true, ruleId: 'exec.allowlisted' });
    expect(await a.authorize(req(exec, { id: 'db-1', cmd: ['echo', 'hi'] }, P('ops')))).toMatchObject({ allow: false, ruleId: 'scope.out-of-scope' });
    expect(await a.authorize(req(stop, { id: 'db-1' }, P('ops')))).toMatchObject({ allow: false, ruleId: 'scope.out-of-scope' });
  });
  it('nobody may exec, stop or restart the gateway or the connector, not even admin', async () => {
    const { a } = make();
    for (const [t, args] of [[exec, { cmd: ['ls'] }], [stop, {}], [restart, {}], [tool('docker_start', true), {}]] as const) {
      for (const id of ['cloudflared', 'mcp-gateway', GATEWAY_ID]) {
        expect(await a.authorize(req(t, { id, ...args }, P('root-admin')))).toMatchObject({ allow: false, ruleId: 'scope.protected-container' });
      }
    }
  });
  it('a protected container is also protected from any tool marked mutating', async () => {
    const { a } = make();
    expect((await a.authorize(req(tool('docker_rename', true), { id: 'cloudflared' }, P('root-admin')))).ruleId).toBe('scope.protected-container');
  });
  it('inspect and logs on a protected container are allowed (inspect secrets are redacted)', async () => {
    const { a } = make();
    expect((await a.authorize(req(inspect, { kind: 'container', id: 'cloudflared' }, P('root-admin')))).allow).toBe(true);
    expect((await a.authorize(req(logs, { id: 'cloudflared' }, P('anyone')))).allow).toBe(true);
  });
  it('unknown containers are denied by name', async () => {
    const { a } = make();
    expect(await a.authorize(req(exec, { id: 'ghost', cmd: ['ls'] }, P('ops')))).toMatchObject({ allow: false, ruleId: 'scope.unknown-container', reason: 'container "ghost" not found' });
  });
  it('inspect of an image does not look up a container', async () => {
    const { a, l } = make();
    expect((await a.authorize(req(inspect, { kind: 'image', id: 'node:22' }, P('anyone')))).allow).toBe(true);
    expect(l.calls).toEqual([]);
  });
  it('docker_exec without a target is denied', async () => {
    const { a } = make();
    expect((await a.authorize(req(tool('docker_exec', true, false), { cmd: ['ls'] }, P('ops')))).ruleId).toBe('scope.no-target');
  });
});

describe('exec policy through the authorizer', () => {
  it('applies argv, user, env, workdir and the container user', async () => {
    const { a } = make();
    const r = (args: Record<string, unknown>) => a.authorize(req(exec, { id: 'web-1', ...args }, P('ops')));
    expect((await r({ cmd: ['sh', '-c', 'id'] })).ruleId).toBe('exec.shell');
    expect((await r({ cmd: ['cat', '/proc/1/environ'] })).ruleId).toBe('exec.denied-path');
    expect((await r({ cmd: ['ls'], user: 'root' })).ruleId).toBe('exec.root-user');
    expect((await r({ cmd: ['ls'], env: ['LD_PRELOAD=/x'] })).ruleId).toBe('exec.env-denied');
    expect((await r({ cmd: ['ls'], workdir: '/sys' })).ruleId).toBe('exec.denied-path');
    expect((await r({ cmd: 'ls -la' })).ruleId).toBe('exec.cmd-invalid');
    // rooty runs as root by default: no user given -> denied
    expect((await a.authorize(req(exec, { id: 'rooty', cmd: ['ls'] }, P('ops')))).ruleId).toBe('exec.root-user');
    expect((await a.authorize(req(exec, { id: 'rooty', cmd: ['ls'], user: '1000' }, P('ops')))).allow).toBe(true);
  });
});

describe('fail closed', () => {
  it('a throwing lookup denies', async () => {
    const a = createAuthorizer(config, { lookupContainer: async () => { throw new Error('engine down'); } });
    expect(await a.authorize(req(exec, { id: 'web-1', cmd: ['ls'] }, P('ops')))).toMatchObject({ allow: false, ruleId: 'policy.error' });
  });
  it('a throwing target() denies', async () => {
    const { a } = make();
    const bad = { ...exec, target: () => { throw new Error('bug'); } };
    expect((await a.authorize(req(bad, { id: 'web-1', cmd: ['ls'] }, P('ops')))).ruleId).toBe('policy.error');
  });
  it('an aborted call denies', async () => {
    const ac = new AbortController();
    const a = createAuthorizer(config, {
      lookupContainer: async (_id, signal) => {
        ac.abort();
        signal.throwIfAborted();
        return null;
      },
    });
    const r = await a.authorize({ tool: exec, args: { id: 'web-1', cmd: ['ls'] }, ctx: { principal: P('ops'), traceId: 't', signal: ac.signal, dryRun: false } });
    expect(r).toMatchObject({ allow: false, ruleId: 'policy.aborted' });
  });
});

describe('targetOf', () => {
  it('uses target(), falls back to args.id for container tools, skips non-container inspect', () => {
    expect(targetOf({ tool: exec, args: { id: 'x' } })).toBe('x');
    expect(targetOf({ tool: tool('docker_logs', false, false), args: { id: 'y' } })).toBe('y');
    expect(targetOf({ tool: inspect, args: { kind: 'volume', id: 'v' } })).toBeUndefined();
    expect(targetOf({ tool: ps, args: {} })).toBeUndefined();
  });
});
