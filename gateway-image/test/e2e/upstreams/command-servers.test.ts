/**
 * Command servers for real: server-everything and failure fixtures as child processes, driven through the
 * upstreams core by the official SDK client.
 */
import Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUpstreams, parseUpstreamsConfig, type Upstreams } from '../../../src/core/upstreams/index.js';
import { EVERYTHING, FIXTURES, alive, connectClient, firstText, testLogger, toolContext, waitFor } from './harness.js';

const FAULTY = `${FIXTURES}/faulty-server.mjs`;

function config(mcpServers: Record<string, unknown>, upstreams: Record<string, unknown> = {}) {
  const { config: c, problems } = parseUpstreamsConfig({ mcpServers, upstreams });
  if (!c) throw new Error(problems.map((p) => p.message).join('\n'));
  return c;
}

describe('command servers', () => {
  let upstreams: Upstreams;
  const started = Date.now();

  beforeAll(async () => {
    upstreams = createUpstreams(
      config(
        {
          everything: { command: process.execPath, args: [EVERYTHING, 'stdio'], lifecycle: 'shared', environment: { DECLARED: 'yes' } },
          faulty: { command: process.execPath, args: [FAULTY, 'ok'], lifecycle: 'shared', block_secrets: true },
          hanging: { command: process.execPath, args: [FAULTY, 'ok'], lifecycle: 'per-session', enabled_tools: ['hang', 'echo'] },
          noinit: { command: process.execPath, args: [FAULTY, 'no-init'], lifecycle: 'shared' },
        },
        { callTimeoutMs: 1_500, initTimeoutMs: 1_500, restartBackoffMs: 50 },
      ),
      { docker: new Dockerode(), logger: testLogger, instanceId: `cmd-${process.pid}` },
    );
    await upstreams.start();
  });
  afterAll(async () => {
    await upstreams?.close();
  });

  it('lists prefixed tools of working servers and leaves out the one that never initializes, within its timeout', async () => {
    const began = Date.now();
    const names = (await upstreams.tools()).map((t) => t.name);
    expect(Date.now() - began).toBeLessThan(5_000);
    expect(names).toEqual(expect.arrayContaining(['everything__echo', 'everything__get-sum', 'everything__trigger-long-running-operation', 'faulty__boom']));
    expect(names.filter((n) => n.startsWith('hanging__')).sort()).toEqual(['hanging__echo', 'hanging__hang']);
    expect(names.some((n) => n.startsWith('noinit__'))).toBe(false);
    const noinit = upstreams.status().find((s) => s.server === 'noinit')!;
    expect(noinit.state).toMatch(/failed|backoff/);
    expect(noinit.lastError).toMatch(/upstream "noinit" did not finish starting .* within 1500 ms/);
    void started;
  });

  it('calls echo and get-sum through the SDK client; definitions follow contracts.ts', async () => {
    const { client, close } = await connectClient(upstreams, 's-basic');
    try {
      const echo = await client.callTool({ name: 'everything__echo', arguments: { message: 'hi' } });
      expect(firstText(echo)).toBe('Echo: hi');
      const sum = await client.callTool({ name: 'everything__get-sum', arguments: { a: 2, b: 3 } });
      expect(firstText(sum)).toContain('5');
      const defs = await upstreams.tools();
      const echoDef = defs.find((d) => d.name === 'everything__echo')!;
      expect(echoDef.mutating).toBe(false);
      expect(echoDef.jsonSchema).toMatchObject({ type: 'object', properties: { message: { type: 'string' } } });
      expect(defs.find((d) => d.name === 'faulty__boom')!.mutating).toBe(true);
    } finally {
      await close();
    }
  });

  it('forwards progress from a long-running tool', async () => {
    const { client, close } = await connectClient(upstreams, 's-progress');
    try {
      const seen: Array<{ progress: number; total?: number }> = [];
      const r = await client.callTool({ name: 'everything__trigger-long-running-operation', arguments: { duration: 1, steps: 4 } }, undefined, {
        onprogress: (p) => seen.push(p),
      });
      expect(firstText(r)).toContain('Long running operation completed');
      expect(seen.map((p) => p.progress)).toEqual([1, 2, 3, 4]);
      expect(seen[0].total).toBe(4);
    } finally {
      await close();
    }
  });

  it('forwards cancellation: the client aborts, the call ends promptly and the server keeps working', async () => {
    const { client, close } = await connectClient(upstreams, 's-cancel');
    try {
      const ac = new AbortController();
      const began = Date.now();
      const call = client.callTool({ name: 'everything__trigger-long-running-operation', arguments: { duration: 20, steps: 20 } }, undefined, {
        signal: ac.signal,
        onprogress: () => ac.abort('user cancelled'),
      });
      await expect(call).rejects.toThrow();
      expect(Date.now() - began).toBeLessThan(5_000);
      // Directly on the definition: the ctx signal aborts the upstream request and yields a clear error.
      const def = (await upstreams.tools()).find((d) => d.name === 'everything__trigger-long-running-operation')!;
      const ac2 = new AbortController();
      setTimeout(() => ac2.abort(), 200);
      const r = await def.run({ duration: 20, steps: 20 }, toolContext({ signal: ac2.signal }));
      expect(r.isError).toBe(true);
      expect(firstText(r)).toMatch(/upstream "everything" was cancelled/);
      expect(firstText(await client.callTool({ name: 'everything__echo', arguments: { message: 'after' } }))).toBe('Echo: after');
    } finally {
      await close();
    }
  });

  it('reads resources and gets prompts, routed back by their exposed names', async () => {
    const { client, close } = await connectClient(upstreams, 's-res');
    try {
      const { resources } = await client.listResources();
      const mine = resources.filter((r) => r.uri.startsWith('mcp-upstream://everything/'));
      expect(mine.length).toBeGreaterThan(0);
      const read = await client.readResource({ uri: mine[0].uri });
      expect(read.contents[0].uri).toBe(mine[0].uri);
      const { resourceTemplates } = await client.listResourceTemplates();
      expect(resourceTemplates.some((t) => t.uriTemplate.startsWith('mcp-upstream://everything/'))).toBe(true);
      const { prompts } = await client.listPrompts();
      const simple = prompts.find((p) => p.name === 'everything__simple-prompt');
      expect(simple).toBeDefined();
      const got = await client.getPrompt({ name: 'everything__simple-prompt' });
      expect(got.messages.length).toBeGreaterThan(0);
    } finally {
      await close();
    }
  });

  it('gives each command server a clean environment: declared variables plus PATH and HOME only', async () => {
    const cfg = config({ env: { command: process.execPath, args: [FAULTY, 'ok'], environment: { ONLY_ME: '1' }, lifecycle: 'per-call' } });
    const u = createUpstreams(cfg, { docker: new Dockerode(), logger: testLogger, instanceId: 'env-test' });
    await u.start();
    try {
      const whoami = (await u.tools()).find((t) => t.name === 'env__whoami')!;
      const { env } = JSON.parse(firstText(await whoami.run({}, toolContext()))) as { env: Record<string, string> };
      expect(Object.keys(env).sort()).toEqual(['HOME', 'ONLY_ME', 'PATH'].filter((k) => k !== 'HOME' || process.env.HOME !== undefined).sort());
    } finally {
      await u.close();
    }
  });

  it('a crash mid-call gives a clear tool error naming the server, and the server restarts for the next call', async () => {
    const def = (name: string) => upstreams.tools().then((ts) => ts.find((t) => t.name === name)!);
    const boom = await def('faulty__boom');
    const began = Date.now();
    const r = await boom.run({}, toolContext());
    expect(Date.now() - began).toBeLessThan(3_000);
    expect(r.isError).toBe(true);
    expect(firstText(r)).toMatch(/upstream "faulty" \(process \d+ .*\) ended while calling boom \(exit code 7\).*last stderr: fixture: about to crash/s);
    const echo = await def('faulty__echo');
    expect(firstText(await echo.run({ message: 'back' }, toolContext()))).toBe('echo: back');
    const st = upstreams.status().find((s) => s.server === 'faulty')!;
    expect(st.crashes).toBe(1);
    expect(st.state).toBe('running');
  });

  it('a hanging tool times out with a clear error while other servers keep answering', async () => {
    const tools = await upstreams.tools('s-hang');
    const hang = tools.find((t) => t.name === 'hanging__hang')!;
    const echo = tools.find((t) => t.name === 'everything__echo')!;
    const began = Date.now();
    const [h, e] = await Promise.all([hang.run({}, toolContext({ sessionId: 's-hang' })), echo.run({ message: 'alive' }, toolContext())]);
    expect(Date.now() - began).toBeLessThan(4_000);
    expect(h.isError).toBe(true);
    expect(firstText(h)).toMatch(/calling hang on upstream "hanging" timed out after 1500 ms/);
    expect(firstText(e)).toBe('Echo: alive');
    await upstreams.closeSession('s-hang');
  });

  it('block_secrets redacts secrets in arguments and results and reports the count', async () => {
    const events: Array<{ direction: string; count: number }> = [];
    const cfg = config({ sec: { command: process.execPath, args: [FAULTY, 'ok'], block_secrets: true, lifecycle: 'shared' } });
    const u = createUpstreams(cfg, { docker: new Dockerode(), logger: testLogger, instanceId: 'sec', onSecretsRedacted: (e) => events.push(e) });
    await u.start();
    try {
      const leak = (await u.tools()).find((t) => t.name === 'sec__leak-secret')!;
      const r = await leak.run({ note: 'token=supersecretvalue123' }, toolContext());
      const text = firstText(r);
      expect(text).not.toContain('AKIAABCDEFGHIJKLMNOP');
      expect(text).not.toContain('supersecretvalue123');
      expect(text).toBe('got token=<redacted>; key <redacted> and <redacted>');
      expect(events.map((e) => [e.direction, e.count])).toEqual([
        ['arguments', 1],
        ['result', 2],
      ]);
    } finally {
      await u.close();
    }
  });

  it('propagates tools/list_changed from an upstream to the client', async () => {
    const { client, close } = await connectClient(upstreams, 's-changed');
    try {
      let changed = 0;
      client.setNotificationHandler((await import('@modelcontextprotocol/sdk/types.js')).ToolListChangedNotificationSchema, async () => {
        changed++;
      });
      await client.callTool({ name: 'faulty__add-tool', arguments: { name: 'fresh' } });
      expect(await waitFor(() => changed > 0, 5_000)).toBe(true);
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain('faulty__fresh');
    } finally {
      await close();
    }
  });

  it('kills the whole process group on close: no grandchild survives', async () => {
    const cfg = config({ gc: { command: process.execPath, args: [FAULTY, 'ok'], lifecycle: 'shared' } });
    const u = createUpstreams(cfg, { docker: new Dockerode(), logger: testLogger, instanceId: 'gc' });
    await u.start();
    const tools = await u.tools();
    const grandchild = Number(firstText(await tools.find((t) => t.name === 'gc__spawn-grandchild')!.run({}, toolContext())));
    const { pid } = JSON.parse(firstText(await tools.find((t) => t.name === 'gc__whoami')!.run({}, toolContext()))) as { pid: number };
    expect(alive([pid, grandchild])).toEqual([pid, grandchild]);
    await u.close();
    expect(await waitFor(() => alive([pid, grandchild]).length === 0, 5_000)).toBe(true);
  });
});
