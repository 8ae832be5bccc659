/**
 * Lifecycles, caps, idle shutdown, crash handling and aggregation, with in-process MCP servers (the SDK's
 * linked in-memory transports) standing in for processes and containers.
 */
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { CreateMessageResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type Dockerode from 'dockerode';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { AskClient, ToolContext } from '../../../src/core/contracts.js';
import { createUpstreams, parseUpstreamsConfig, type Upstreams, type UpstreamsDeps } from '../../../src/core/upstreams/index.js';
import type { Launcher, UpstreamExit } from '../../../src/core/upstreams/launcher.js';

const logger = pino({ level: 'silent' });
const ctx = (over: Partial<ToolContext> = {}): ToolContext => ({ principal: { id: 'p', authMethod: 'none' }, traceId: 't', signal: new AbortController().signal, dryRun: false, ...over });
const text = (r: { content: Array<{ text: string }> }) => r.content[0]?.text;

interface Started {
  server: string;
  id: number;
  exited: boolean;
}

/** Launches an in-memory server per instance; records starts and exits. */
function memoryLauncher(started: Started[], opts: { failStarts?: number } = {}): Launcher {
  let failures = opts.failStarts ?? 0;
  return async (_cfg, lctx) => {
    if (failures-- > 0) throw new Error('simulated start failure');
    const record: Started = { server: lctx.server, id: started.length + 1, exited: false };
    started.push(record);
    const mcp = new McpServer({ name: lctx.server, version: '1' });
    mcp.registerTool('echo', { inputSchema: { message: z.string() }, annotations: { readOnlyHint: true, title: 'Echo' } }, async ({ message }) => ({
      content: [{ type: 'text', text: `${lctx.server}#${record.id}: ${message}` }],
    }));
    mcp.registerTool('write', { description: 'mutates' }, async () => ({ content: [{ type: 'text', text: 'written' }] }));
    mcp.registerTool('die', {}, async () => {
      setTimeout(() => void mcp.close(), 5);
      return new Promise(() => undefined);
    });
    mcp.registerTool('slow', { inputSchema: { ms: z.number(), ticks: z.number() } }, async ({ ms, ticks }, extra) => {
      for (let i = 1; i <= ticks; i++) {
        await new Promise((r) => setTimeout(r, ms));
        const token = extra._meta?.progressToken;
        if (token !== undefined) await extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: i, total: ticks } });
      }
      return { content: [{ type: 'text', text: 'slow done' }] };
    });
    // Asks the client of the call for a completion, as sampling servers do; prompt "leak" adds a key of the server's own.
    mcp.registerTool('ask', { inputSchema: { prompt: z.string() } }, async ({ prompt }, extra) => {
      const asked = prompt === 'leak' ? 'leak AKIAZZZZZZZZZZZZZZZZ' : prompt;
      const r = await extra.sendRequest({ method: 'sampling/createMessage', params: { messages: [{ role: 'user', content: { type: 'text', text: asked } }], maxTokens: 10 } }, CreateMessageResultSchema);
      return { content: [{ type: 'text', text: `sampled: ${(r.content as { text: string }).text}` }] };
    });
    mcp.registerTool('grow', {}, async () => {
      mcp.registerTool('grown', {}, async () => ({ content: [{ type: 'text', text: 'new' }] }));
      return { content: [{ type: 'text', text: 'grew' }] };
    });
    mcp.registerResource('readme', 'file:///readme.md', { mimeType: 'text/markdown' }, async (uri) => ({ contents: [{ uri: uri.href, text: `readme of ${lctx.server}` }] }));
    mcp.registerPrompt('greet', { argsSchema: { who: z.string() } }, ({ who }) => ({ messages: [{ role: 'user', content: { type: 'text', text: `hello ${who}` } }] }));
    const [client, server] = InMemoryTransport.createLinkedPair();
    let resolveExit: (e: UpstreamExit) => void = () => undefined;
    const exited = new Promise<UpstreamExit>((r) => (resolveExit = r));
    mcp.server.onclose = () => {
      record.exited = true;
      resolveExit({ code: 0 });
    };
    await mcp.connect(server);
    return { transport: client, describe: `memory ${lctx.server}#${record.id}`, exited, stderrTail: () => '' };
  };
}

let open: Upstreams[] = [];
afterEach(async () => {
  await Promise.all(open.map((u) => u.close()));
  open = [];
});

async function make(mcpServers: Record<string, unknown>, settings: Record<string, unknown> = {}, launcher?: Launcher, reserved: string[] = [], deps: Partial<UpstreamsDeps> = {}) {
  const { config, problems } = parseUpstreamsConfig({ mcpServers, upstreams: settings });
  if (!config) throw new Error(JSON.stringify(problems));
  const u = createUpstreams(config, { docker: {} as Dockerode, logger, instanceId: 'unit', launcher, reservedToolNames: reserved, ...deps });
  open.push(u);
  await u.start();
  return u;
}

const cmd = (extra: Record<string, unknown> = {}) => ({ command: '/bin/sh', ...extra });

async function tool(u: Upstreams, name: string, sessionId?: string) {
  const t = (await u.tools(sessionId)).find((d) => d.name === name);
  if (!t) throw new Error(`no tool ${name}`);
  return t;
}

describe('lifecycles', () => {
  it('shared: one instance for every session', async () => {
    const started: Started[] = [];
    const u = await make({ s: cmd({ lifecycle: 'shared' }) }, {}, memoryLauncher(started));
    const echo = await tool(u, 's__echo');
    expect(text(await echo.run({ message: 'a' }, ctx({ sessionId: '1' })))).toBe('s#1: a');
    expect(text(await echo.run({ message: 'b' }, ctx({ sessionId: '2' })))).toBe('s#1: b');
    expect(started).toHaveLength(1);
    expect(u.status()).toMatchObject([{ server: 's', lifecycle: 'shared', state: 'running', instances: 1 }]);
  });

  it('per-session: one instance per session, reused within it, stopped on closeSession; listing uses a throwaway instance', async () => {
    const started: Started[] = [];
    const u = await make({ s: cmd({ lifecycle: 'per-session' }) }, {}, memoryLauncher(started));
    const echo = await tool(u, 's__echo', 'A');
    expect(started.map((s) => s.exited)).toEqual([true]);
    expect(text(await echo.run({ message: 'x' }, ctx({ sessionId: 'A' })))).toBe('s#2: x');
    expect(text(await echo.run({ message: 'y' }, ctx({ sessionId: 'A' })))).toBe('s#2: y');
    expect(text(await echo.run({ message: 'z' }, ctx({ sessionId: 'B' })))).toBe('s#3: z');
    expect(u.status()[0].instances).toBe(2);
    await u.closeSession('A');
    expect(started.map((s) => s.exited)).toEqual([true, true, false]);
    // No session (stateless caller): a per-call instance, gone after the call.
    expect(text(await echo.run({ message: 'w' }, ctx()))).toBe('s#4: w');
    expect(started[3].exited).toBe(true);
  });

  it('per-call: a fresh instance per call, stopped after it', async () => {
    const started: Started[] = [];
    const u = await make({ s: cmd({ lifecycle: 'per-call' }) }, {}, memoryLauncher(started));
    const echo = await tool(u, 's__echo');
    await echo.run({ message: '1' }, ctx({ sessionId: 'A' }));
    await echo.run({ message: '2' }, ctx({ sessionId: 'A' }));
    expect(started.map((s) => s.exited)).toEqual([true, true, true]);
    expect(u.status()[0].instances).toBe(0);
  });

  it('caps instances: per-session refuses with a clear error, per-call waits for a slot', async () => {
    const started: Started[] = [];
    const u = await make({ s: cmd({ lifecycle: 'per-session' }), c: cmd({ lifecycle: 'per-call' }) }, { maxInstancesPerServer: 1 }, memoryLauncher(started));
    const echo = await tool(u, 's__echo');
    await echo.run({ message: '1' }, ctx({ sessionId: 'A' }));
    const refused = await echo.run({ message: '2' }, ctx({ sessionId: 'B' }));
    expect(refused).toEqual({ content: [{ type: 'text', text: 'upstream "s" already runs 1 instances (upstreams.maxInstancesPerServer); try again later or raise the limit' }], isError: true });
    const slow = await tool(u, 'c__slow');
    const results = await Promise.all([slow.run({ ms: 20, ticks: 2 }, ctx()), slow.run({ ms: 20, ticks: 2 }, ctx())]);
    expect(results.map(text)).toEqual(['slow done', 'slow done']);
  });

  it('stops instances idle longer than idleTimeoutSeconds', async () => {
    const started: Started[] = [];
    const u = await make({ s: cmd({ lifecycle: 'shared' }) }, { idleTimeoutSeconds: 1 }, memoryLauncher(started));
    await (await tool(u, 's__echo')).run({ message: 'x' }, ctx());
    expect(started[0].exited).toBe(false);
    const deadline = Date.now() + 5_000;
    while (!started[0].exited && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(started[0].exited).toBe(true);
    expect(u.status()[0].state).toBe('idle');
  });
});

describe('failures', () => {
  it('a crash mid-call is a clear isError result; the next call restarts after the backoff', async () => {
    const started: Started[] = [];
    const u = await make({ s: cmd({ lifecycle: 'shared' }) }, { restartBackoffMs: 100 }, memoryLauncher(started));
    const r = await (await tool(u, 's__die')).run({}, ctx());
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(/^upstream "s" \(memory s#1\) ended while calling die \(exit code 0\); the call did not complete/);
    expect(u.status()[0]).toMatchObject({ crashes: 1, state: 'backoff' });
    const began = Date.now();
    expect(text(await (await tool(u, 's__echo')).run({ message: 'again' }, ctx()))).toBe('s#2: again');
    expect(Date.now() - began).toBeGreaterThanOrEqual(90);
  });

  it('an eager shared server is restarted after a crash without waiting for a call', async () => {
    const started: Started[] = [];
    const u = await make({ s: cmd({ lifecycle: 'shared', eager: true }) }, { restartBackoffMs: 50 }, memoryLauncher(started));
    expect(started).toHaveLength(1);
    await (await tool(u, 's__die')).run({}, ctx());
    const deadline = Date.now() + 3_000;
    while (started.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(started.map((s) => s.exited)).toEqual([true, false]);
    expect(u.status()[0]).toMatchObject({ state: 'running', crashes: 1, starts: 2 });
  });

  it('a call without result or progress times out; progress keeps it alive', async () => {
    const u = await make({ s: cmd({ lifecycle: 'shared' }) }, { callTimeoutMs: 150 }, memoryLauncher([]));
    const slow = await tool(u, 's__slow');
    const timedOut = await slow.run({ ms: 400, ticks: 1 }, ctx());
    expect(text(timedOut)).toBe('calling slow on upstream "s" timed out after 150 ms without a result or progress; the call was cancelled upstream');
    const progress: number[] = [];
    const kept = await slow.run({ ms: 100, ticks: 4 }, ctx({ progress: (p) => { progress.push(p.progress); } }));
    expect(text(kept)).toBe('slow done');
    expect(progress).toEqual([1, 2, 3, 4]);
  });

  it('a server that fails to start is left out of lists and recovers in the background with list_changed', async () => {
    const started: Started[] = [];
    const u = await make({ ok: cmd({ lifecycle: 'shared' }), flaky: cmd({ lifecycle: 'shared' }) }, { restartBackoffMs: 10 }, (cfg, c) =>
      c.server === 'flaky' && started.filter((s) => s.server === 'flaky').length === 0 && !flakyOnce.done ? ((flakyOnce.done = true), Promise.reject(new Error('boot failure'))) : memoryLauncher(started)(cfg, c),
    );
    const changed: string[] = [];
    u.onToolsChanged((s) => changed.push(s));
    const first = (await u.tools()).map((t) => t.name);
    expect(first.some((n) => n.startsWith('flaky__'))).toBe(false);
    expect(u.status().find((s) => s.server === 'flaky')!.lastError).toBe('upstream "flaky" failed to start: boot failure');
    const second = (await u.tools()).map((t) => t.name);
    expect(second.some((n) => n.startsWith('flaky__'))).toBe(false);
    const deadline = Date.now() + 3_000;
    while (!changed.includes('flaky') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(changed).toContain('flaky');
    expect((await u.tools()).some((t) => t.name === 'flaky__echo')).toBe(true);
  });
});
const flakyOnce = { done: false };

describe('aggregation', () => {
  it('prefixes, filters by enabled_tools, skips reserved names, sets mutating from readOnlyHint', async () => {
    const u = await make(
      { a: cmd({ lifecycle: 'shared', enabled_tools: ['echo', 'write'], description: 'Alpha' }), b: cmd({ lifecycle: 'shared' }) },
      {},
      memoryLauncher([]),
      ['b__die'],
    );
    const defs = await u.tools();
    expect(defs.map((d) => d.name).sort()).toEqual(['a__echo', 'a__write', 'b__ask', 'b__echo', 'b__grow', 'b__slow', 'b__write']);
    const echo = defs.find((d) => d.name === 'a__echo')!;
    expect(echo).toMatchObject({ mutating: false, annotations: { readOnlyHint: true, title: 'Echo' }, description: '[a: Alpha]' });
    expect(echo.jsonSchema).toMatchObject({ type: 'object', properties: { message: { type: 'string' } }, required: ['message'] });
    expect(defs.find((d) => d.name === 'a__write')!.mutating).toBe(true);
  });

  it('routes resources and prompts back to their server and rejects unknown names', async () => {
    const u = await make({ a: cmd({ lifecycle: 'shared' }), b: cmd({ lifecycle: 'shared' }) }, { separator: '.' }, memoryLauncher([]));
    const resources = await u.resources();
    expect(resources.map((r) => [r.uri, r.name]).sort()).toEqual([
      ['mcp-upstream://a/file:///readme.md', 'a.readme'],
      ['mcp-upstream://b/file:///readme.md', 'b.readme'],
    ]);
    expect(await u.readResource('mcp-upstream://b/file:///readme.md')).toEqual({ contents: [{ uri: 'mcp-upstream://b/file:///readme.md', text: 'readme of b' }] });
    expect((await u.prompts()).map((p) => p.name).sort()).toEqual(['a.greet', 'b.greet']);
    expect((await u.getPrompt('a.greet', { who: 'you' })).messages[0].content).toEqual({ type: 'text', text: 'hello you' });
    await expect(u.readResource('file:///readme.md')).rejects.toThrow(/unknown resource URI "file:\/\/\/readme.md"/);
    await expect(u.getPrompt('zz.greet', {})).rejects.toThrow(/unknown upstream name "zz.greet"/);
  });

  it('list_changed from an upstream drops the cache and reaches onToolsChanged listeners', async () => {
    const u = await make({ a: cmd({ lifecycle: 'shared' }) }, {}, memoryLauncher([]));
    const changed: string[] = [];
    const off = u.onToolsChanged((s) => changed.push(s));
    const before = await u.tools();
    expect(before.some((t) => t.name === 'a__grown')).toBe(false);
    expect((await u.tools())[0]).toBe(before[0]);
    // Unchanged lists: the very same array (every call looks its tool up in it).
    expect(await u.tools()).toBe(before);
    await (await tool(u, 'a__grow')).run({}, ctx());
    const deadline = Date.now() + 2_000;
    while (changed.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(changed).toEqual(['a']);
    const after = await u.tools();
    expect(after).not.toBe(before);
    expect(after.some((t) => t.name === 'a__grown')).toBe(true);
    expect(await u.tools()).toBe(after);
    off();
  });

  it('relays an upstream\'s sampling to the client of the call; block_secrets redacts it both ways and reports it', async () => {
    const events: Array<{ direction: string; count: number }> = [];
    const u = await make({ a: cmd({ lifecycle: 'shared' }), s: cmd({ lifecycle: 'shared', block_secrets: true }) }, {}, memoryLauncher([]), [],
      { onSecretsRedacted: (e) => events.push({ direction: e.direction, count: e.count }) });
    const seen: Array<Record<string, unknown>> = [];
    const askClient: AskClient = async (method, params) => {
      seen.push({ method, ...params });
      return { model: 'm', role: 'assistant', content: { type: 'text', text: 'fine, key AKIAABCDEFGHIJKLMNOP' } };
    };
    expect(text(await (await tool(u, 'a__ask')).run({ prompt: 'hello' }, ctx({ askClient })))).toBe('sampled: fine, key AKIAABCDEFGHIJKLMNOP');
    expect(seen[0]).toMatchObject({ method: 'sampling/createMessage', messages: [{ content: { text: 'hello' } }] });
    expect(events).toEqual([]);
    const r = await (await tool(u, 's__ask')).run({ prompt: 'leak' }, ctx({ askClient }));
    expect(seen[1]).toMatchObject({ messages: [{ content: { text: 'leak <redacted>' } }] });
    expect(text(r)).toBe('sampled: fine, key <redacted>');
    expect(events).toEqual([{ direction: 'client-request', count: 1 }, { direction: 'client-response', count: 1 }]);
    // Without a way back to the client (a /rpc call), the upstream gets the reason and the tool says it.
    const noWay = await (await tool(u, 'a__ask')).run({ prompt: 'x' }, ctx());
    expect(noWay.isError).toBe(true);
    expect(text(noWay)).toMatch(/through \/rpc, which has no channel back to its client/);
  });

  it('dry run does not call the upstream', async () => {
    const started: Started[] = [];
    const u = await make({ a: cmd({ lifecycle: 'per-call' }) }, {}, memoryLauncher(started));
    const write = await tool(u, 'a__write');
    const before = started.length;
    expect(await write.run({}, ctx({ dryRun: true }))).toEqual({ content: [{ type: 'text', text: 'dry run: write on upstream "a" was not called' }] });
    expect(started.length).toBe(before);
  });

  it('refuses to start with an invalid config, listing every problem', async () => {
    const { config } = parseUpstreamsConfig({ mcpServers: { 'x__y': { command: '/nonexistent/bin' } } });
    const u = createUpstreams(config!, { docker: {} as Dockerode, logger, instanceId: 'bad' });
    await expect(u.start()).rejects.toThrow(/2 problems\):\n- mcpServers.x__y.*separator[\s\S]*command not found/);
  });
});
