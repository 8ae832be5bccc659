/**
 * Remote servers: server-everything over Streamable HTTP and SSE on 127.0.0.1 (port chosen by the OS), reached
 * through the remote launcher with a required Authorization header.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUpstreams, parseUpstreamsConfig, type Upstreams } from '../../../src/core/upstreams/index.js';
import { FIXTURES, REPO_ROOT, connectClient, firstText, testLogger, toolContext } from './harness.js';

const AUTH = 'Bearer remote-test-token';

/** Starts the fixture; resolves with the process and its port. */
async function startFixture(auth: string, port = 0): Promise<{ proc: ChildProcess; port: number }> {
  const proc = spawn(process.execPath, [`${FIXTURES}/everything-http.mjs`, auth, String(port)], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await Promise.race([
    once(proc.stdout!, 'data'),
    new Promise((_, reject) => setTimeout(() => reject(new Error('remote fixture did not report its port within 15 s')), 15_000)),
  ])) as [Buffer];
  return { proc, port: (JSON.parse(line.toString().split('\n')[0]) as { port: number }).port };
}

describe('remote servers', () => {
  let server: ChildProcess;
  let port = 0;
  let upstreams: Upstreams;

  beforeAll(async () => {
    ({ proc: server, port } = await startFixture(AUTH));
    const { config } = parseUpstreamsConfig({
      mcpServers: {
        http: { url: `http://127.0.0.1:${port}/mcp`, headers: { Authorization: AUTH }, lifecycle: 'per-session' },
        sse: { url: `http://127.0.0.1:${port}/sse`, transport: 'sse', headers: { Authorization: AUTH }, lifecycle: 'shared' },
        noauth: { url: `http://127.0.0.1:${port}/mcp`, lifecycle: 'shared' },
      },
      upstreams: { callTimeoutMs: 10_000, initTimeoutMs: 5_000 },
    });
    upstreams = createUpstreams(config!, { docker: new Dockerode(), logger: testLogger, instanceId: `remote-${process.pid}` });
    await upstreams.start();
  });
  afterAll(async () => {
    await upstreams?.close();
    server?.kill('SIGTERM');
  });

  it('lists and calls tools over Streamable HTTP and SSE, with progress, resources and prompts', async () => {
    const { client, close } = await connectClient(upstreams, 'remote-1');
    try {
      const names = (await client.listTools()).tools.map((t) => t.name);
      expect(names).toEqual(expect.arrayContaining(['http__echo', 'sse__echo', 'http__trigger-long-running-operation']));
      expect(firstText(await client.callTool({ name: 'http__echo', arguments: { message: 'over http' } }))).toBe('Echo: over http');
      expect(firstText(await client.callTool({ name: 'sse__echo', arguments: { message: 'over sse' } }))).toBe('Echo: over sse');
      const seen: number[] = [];
      await client.callTool({ name: 'http__trigger-long-running-operation', arguments: { duration: 0.6, steps: 3 } }, undefined, { onprogress: (p) => seen.push(p.progress) });
      expect(seen).toEqual([1, 2, 3]);
      const res = (await client.listResources()).resources.find((r) => r.uri.startsWith('mcp-upstream://http/'))!;
      expect((await client.readResource({ uri: res.uri })).contents.length).toBeGreaterThan(0);
      expect((await client.getPrompt({ name: 'sse__simple-prompt' })).messages.length).toBeGreaterThan(0);
    } finally {
      await close();
    }
  });

  it('a remote server that refuses us is left out of the list and fails calls with a clear error', async () => {
    const st = upstreams.status().find((s) => s.server === 'noauth')!;
    expect(st.state).toMatch(/failed|backoff/);
    expect(st.lastError).toMatch(/upstream "noauth" failed to start: .*(unauthorized|requires authorization \(HTTP 401\))/);
    expect((await upstreams.tools()).some((t) => t.name.startsWith('noauth__'))).toBe(false);
    const echo = (await upstreams.tools()).find((t) => t.name === 'http__echo')!;
    expect(firstText(await echo.run({ message: 'still fine' }, toolContext()))).toBe('Echo: still fine');
  });

  it('a remote server that restarts: the in-flight session fails clearly, the next call reconnects with a new session', async () => {
    let fixture = await startFixture('');
    const { config } = parseUpstreamsConfig({
      mcpServers: { flip: { url: `http://127.0.0.1:${fixture.port}/mcp`, lifecycle: 'shared' } },
      upstreams: { callTimeoutMs: 5_000, initTimeoutMs: 5_000, restartBackoffMs: 50 },
    });
    const u = createUpstreams(config!, { docker: new Dockerode(), logger: testLogger, instanceId: `flip-${process.pid}` });
    try {
      await u.start();
      const echo = (await u.tools()).find((t) => t.name === 'flip__echo')!;
      expect(firstText(await echo.run({ message: 'one' }, toolContext()))).toBe('Echo: one');
      fixture.proc.kill('SIGKILL');
      await once(fixture.proc, 'exit');
      fixture = await startFixture('', fixture.port);
      // The old session id is unknown to the restarted server: a clear error, not a silent empty success ...
      const failed = await echo.run({ message: 'two' }, toolContext());
      expect(failed.isError).toBe(true);
      expect(firstText(failed)).toMatch(/^connection to remote upstream "flip" \(http:\/\/127\.0\.0\.1:\d+\/mcp\) failed while calling echo: .*; the next call reconnects$/);
      // ... and the next call gets a fresh session.
      expect(firstText(await echo.run({ message: 'three' }, toolContext()))).toBe('Echo: three');
    } finally {
      await u.close();
      fixture.proc.kill('SIGTERM');
    }
  });
});
