/**
 * Streamed output reaches the client as Docker emits it (built image run as the stack runs it, real engine, the
 * official SDK client). No timing assertions: each test is a handshake. The command prints `ready`, then waits until
 * a file exists, which the test creates only after it received `ready` as a progress notification; then it prints
 * `done`. A gateway that holds output back (until a chunk is full, or until the call ends) never delivers `ready`
 * while the command runs, so the command never sees its file and the call ends by its timeout: the test fails.
 * Stopping the gateway mid-stream: the output the command printed reaches the client first, then a result that says
 * the gateway is shutting down.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker, runContainer, uniq, waitForProcess, type TestContainer } from './helpers/docker-cli.js';
import { E2E_CONFIG, rpcCall, startGateway, type GatewayUnderTest } from './helpers/gateway-container.js';
import { BASE_IMAGE } from './helpers/images.js';
import { connectClient } from './helpers/mcp-client.js';

/** Mounted into the target at /opt/handshake (an allowlisted program, so no shell needs allowing). */
const HANDSHAKE = '/opt/handshake/handshake';
const SCRIPT = `#!/bin/sh
# Prints "ready", waits (bounded by the exec's timeout) until the file named by $1 exists, then prints "done".
# With a second argument, it then marks that "done" was printed (file $2) and waits for a file that never comes.
echo ready
while [ ! -e "$1" ]; do sleep 0.05; done
echo done
if [ -n "$2" ]; then touch "$2"; while true; do sleep 1; done; fi
`;

const CONFIG = { ...E2E_CONFIG, exec: { ...E2E_CONFIG.exec, commandPatterns: [...E2E_CONFIG.exec.commandPatterns, HANDSHAKE] } };

/**
 * The stdout text of a progress notification's message ({stream, data}). stderr is left out: a shell killed by the
 * shutdown may report its killed child there ("Killed"), which is output too, but not what the tests compare.
 */
function progressText(message: string | undefined): string {
  const m = JSON.parse(message ?? '{}') as { stream?: string; data?: string };
  return m.stream === 'stdout' ? m.data ?? '' : '';
}

/**
 * Calls `name` with progress, and once the progress received so far contains `ready`, runs `onReady` (once).
 * Returns the result and the progress text, in arrival order, received before the result.
 */
async function callWithHandshake(client: Client, name: string, args: Record<string, unknown>, onReady: () => Promise<unknown>) {
  let streamed = '';
  let readySeen: Promise<unknown> | undefined;
  const result = await client.callTool({ name, arguments: args }, undefined, {
    timeout: 90_000,
    onprogress: (p) => {
      streamed += progressText(p.message);
      if (!readySeen && streamed.includes('ready\n')) readySeen = onReady();
    },
  }) as CallToolResult;
  await readySeen;
  return { result, streamed, sawReady: readySeen !== undefined };
}

/**
 * What a transport's client must have received as progress before the result. Over /mcp: everything. The SDK's
 * /sse client dispatches a notification a microtask later than a response read with it, so a progress notification
 * that arrives in the same network read as the result is dropped by the client (the gateway sent it first; the
 * result carries the output anyway): typescript-sdk issue #2580. There the last piece may be missing, nothing else.
 */
function expectStreamed(transport: 'streamable-http' | 'sse', streamed: string, full: string): void {
  if (transport === 'streamable-http') {
    expect(streamed).toBe(full);
  } else {
    expect(streamed.startsWith('ready\n'), `streamed ${JSON.stringify(streamed)}`).toBe(true);
    expect(full.startsWith(streamed), `streamed ${JSON.stringify(streamed)}`).toBe(true);
  }
}

/** Creates `path` in a container (as the test, through the docker CLI). */
const touch = (container: string, path: string) => docker('exec', container, 'touch', path);

describe('streaming delivers output as it is emitted (built image, real engine, SDK client)', () => {
  let dir: string;
  let target: TestContainer;
  let gw: GatewayUnderTest;
  const loggers: TestContainer[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mcp-handshake-'));
    writeFileSync(join(dir, 'handshake'), SCRIPT);
    chmodSync(join(dir, 'handshake'), 0o755);
    chmodSync(dir, 0o755);
    target = await runContainer({ name: uniq('stream-target'), image: BASE_IMAGE, args: ['--network', 'none', '-v', `${dir}:/opt/handshake:ro`], cmd: ['sleep', '3600'] });
    gw = await startGateway({ config: CONFIG });
  }, 120_000);

  afterAll(async () => {
    await gw?.remove();
    await target?.remove();
    await Promise.all(loggers.map((c) => c.remove()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const transport of ['streamable-http', 'sse'] as const) {
    it(`docker_exec stream: "ready" arrives while the command runs, "done" after the test answered it, both before the result (${transport})`, async () => {
      const client = await connectClient(gw.url, transport);
      try {
        const file = `/tmp/go-${uniq(transport)}`;
        const { result, streamed, sawReady } = await callWithHandshake(client, 'docker_exec',
          { id: target.name, cmd: [HANDSHAKE, file], stream: true, timeoutMs: 60_000 }, () => touch(target.name, file));
        expect(sawReady).toBe(true);
        expect(result.isError).toBeFalsy();
        expect(result.structuredContent).toMatchObject({ exitCode: 0, stdout: 'ready\ndone\n' });
        // Everything was streamed, and before the result (the SDK drops progress that arrives after it).
        expectStreamed(transport, streamed, 'ready\ndone\n');
      } finally {
        await client.close().catch(() => undefined);
      }
    }, 120_000);

    it(`docker_logs follow: a line logged on demand arrives while following (${transport})`, async () => {
      // Logs "ready", waits for the test's file, logs "done" and exits (which ends the follow).
      const logger = await runContainer({
        name: uniq('stream-logger'), image: BASE_IMAGE, args: ['--network', 'none'],
        cmd: ['sh', '-c', 'echo ready; i=0; while [ ! -e /tmp/go ] && [ $i -lt 1200 ]; do i=$((i+1)); sleep 0.05; done; echo done'],
      });
      loggers.push(logger);
      const client = await connectClient(gw.url, transport);
      try {
        const { result, streamed, sawReady } = await callWithHandshake(client, 'docker_logs',
          { id: logger.name, tail: 'all', follow: true, followSeconds: 60 }, () => touch(logger.name, '/tmp/go'));
        expect(sawReady).toBe(true);
        expect(result.isError).toBeFalsy();
        // The container exited after "done": the follow ended with the log, not by followSeconds.
        expect(result.structuredContent).toMatchObject({ stdout: 'ready\ndone\n' });
        expect((result.structuredContent as { stopped?: string }).stopped).toBeUndefined();
        expectStreamed(transport, streamed, 'ready\ndone\n');
      } finally {
        await client.close().catch(() => undefined);
      }
    }, 120_000);
  }

  it('/rpc has no progress channel: a streaming exec is answered once, with its whole output in the result', async () => {
    const file = `/tmp/go-${uniq('rpc')}`;
    await touch(target.name, file); // nobody can see "ready" over /rpc: the command must not wait for an answer
    const r = await rpcCall(gw, 'docker_exec', { id: target.name, cmd: [HANDSHAKE, file], stream: true });
    expect(r.result?.isError).toBeFalsy();
    expect(r.result?.structuredContent).toMatchObject({ exitCode: 0, stdout: 'ready\ndone\n' });
  }, 60_000);
});

describe('stopping the gateway during streaming calls (built image, real engine, SDK client)', () => {
  let dir: string;
  let target: TestContainer;
  let logger: TestContainer;
  let gw: GatewayUnderTest;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mcp-handshake-'));
    writeFileSync(join(dir, 'handshake'), SCRIPT);
    chmodSync(join(dir, 'handshake'), 0o755);
    chmodSync(dir, 0o755);
    target = await runContainer({ name: uniq('stream-stop-target'), image: BASE_IMAGE, args: ['--network', 'none', '-v', `${dir}:/opt/handshake:ro`], cmd: ['sleep', '3600'] });
    logger = await runContainer({ name: uniq('stream-stop-logger'), image: BASE_IMAGE, args: ['--network', 'none'], cmd: ['sh', '-c', 'echo ready; exec sleep 3600'] });
    // The longest flush interval: "done" is most likely still held in the gateway when it is told to stop.
    gw = await startGateway({ config: CONFIG, env: { MCP_DOCKER_STREAM_FLUSH_MS: '1000' } });
  }, 120_000);

  afterAll(async () => {
    await gw?.remove();
    await target?.remove();
    await logger?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('what the command printed (or the container logged) reaches the client first, then a result saying the gateway is shutting down (/mcp, /sse, /rpc)', async () => {
    const run = uniq('stop');
    const mcp = await connectClient(gw.url);
    const sse = await connectClient(gw.url, 'sse');
    // Each command prints "ready", then (on the test's file) "done", marks that it printed it, and waits for ever.
    const streamingCall = (client: Client, name: string) => {
      const go = `/tmp/go-${run}-${name}`;
      const printed = `/tmp/printed-${run}-${name}`;
      const call = callWithHandshake(client, 'docker_exec', { id: target.name, cmd: [HANDSHAKE, go, printed], stream: true, timeoutMs: 600_000 },
        () => touch(target.name, go));
      call.catch(() => undefined); // awaited below; a rejection before that is still reported there
      return { call, printed };
    };
    const calls = [{ ...streamingCall(mcp, 'mcp'), transport: 'streamable-http' as const }, { ...streamingCall(sse, 'sse'), transport: 'sse' as const }];
    const rpc = rpcCall(gw, 'docker_exec', { id: target.name, cmd: ['sleep', '323'], stream: true, timeoutMs: 600_000 });
    // A follow of a container that logged "ready" and then nothing: stopped by the shutdown, not by followSeconds.
    let logged!: () => void;
    const loggedReady = new Promise<void>((resolve) => { logged = resolve; });
    const follow = callWithHandshake(mcp, 'docker_logs', { id: logger.name, tail: 'all', follow: true, followSeconds: 300 }, async () => logged());
    follow.catch(() => undefined);
    // Both commands printed "done" (they marked it), and /rpc's command runs: now stop the gateway.
    for (const c of calls) await waitForFile(target.name, c.printed);
    await waitForProcess(target.name, 'sleep 323');
    await loggedReady;

    await docker('stop', '-t', '20', gw.id);
    expect(await docker('inspect', '-f', '{{.State.ExitCode}}', gw.id)).toBe('0');

    for (const c of calls) {
      const { result, streamed } = await c.call;
      expectStreamed(c.transport, streamed, 'ready\ndone\n');
      expect(result.isError).toBe(true);
      expect((result.content as Array<{ text: string }>)[0].text).toMatch(/gateway is shutting down/);
      expect(result.structuredContent).toMatchObject({ stdout: 'ready\ndone\n', stopped: 'shutdown' });
    }
    const followed = await follow;
    expect(followed.streamed).toBe('ready\n');
    expect(followed.result.isError).toBe(true);
    expect((followed.result.content as Array<{ text: string }>)[0].text).toMatch(/gateway is shutting down/);
    expect(followed.result.structuredContent).toMatchObject({ stdout: 'ready\n', stopped: 'shutdown' });
    const answered = await rpc;
    expect(answered.result?.isError).toBe(true);
    expect(answered.result?.content[0].text).toMatch(/gateway is shutting down/);
    await Promise.all([mcp.close().catch(() => undefined), sse.close().catch(() => undefined)]);
    await waitForProcess(target.name, HANDSHAKE, false);
    await waitForProcess(target.name, 'sleep 323', false);
  }, 120_000);
});

/** Waits (bounded, 10 s) until `path` exists in the container: the command's own signal that it printed "done". */
async function waitForFile(container: string, path: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await docker('exec', container, 'test', '-e', path);
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`${path} never appeared in ${container}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
