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

describe('remote servers', () => {
  let server: ChildProcess;
  let port = 0;
  let upstreams: Upstreams;

  beforeAll(async () => {
    server = spawn(process.execPath, [`${FIXTURES}/everything-http.mjs`, AUTH], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    const [line] = (await Promise.race([
      once(server.stdout!, 'data'),
      new Promise((_, reject) => setTimeout(() => reject(new Error('remote fixture did not report its port within 15 s')), 15_000)),
    ])) as [Buffer];
    port = (JSON.parse(line.toString().split('\n')[0]) as { port: number }).port;
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
    expect(st.lastError).toMatch(/upstream "noauth" failed to start: .*unauthorized/);
    expect((await upstreams.tools()).some((t) => t.name.startsWith('noauth__'))).toBe(false);
    const echo = (await upstreams.tools()).find((t) => t.name === 'http__echo')!;
    expect(firstText(await echo.run({ message: 'still fine' }, toolContext()))).toBe('Echo: still fine');
  });
});
