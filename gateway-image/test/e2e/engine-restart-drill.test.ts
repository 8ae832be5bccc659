/**
 * Fault drill: the Docker daemon restarted under a streaming exec and under a logs follow. The engine is one of the
 * test's own (helpers/drill-engine.ts: own data/exec roots and socket, own network namespace, --live-restore); the
 * shared engine is never restarted. The gateway runs on the shared engine, as the stack runs it, with the drill
 * engine's socket directory mounted (the socket file is recreated on each start, so a file mount would go stale).
 * Each call ends with a clear error, the exec the engine lost is killed once it is back (no orphan survives its
 * live-restored container), the audit chain verifies, and the gateway serves again without a restart of its own.
 */
import { execFile, spawn } from 'node:child_process';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uniq } from './helpers/docker-cli.js';
import { startDrillEngine, type DrillEngine } from './helpers/drill-engine.js';
import { E2E_CONFIG, rpcCall, startGateway, type GatewayUnderTest } from './helpers/gateway-container.js';
import { BASE_IMAGE, TEST_LABEL } from './helpers/images.js';
import { connectClient } from './helpers/mcp-client.js';

const DRILL_SOCKET_DIR = '/var/run/drill';

describe('fault drill: the Docker daemon restarted (an engine of the test\'s own)', () => {
  let engine: DrillEngine;
  let gw: GatewayUnderTest;
  let client: Client;
  const target = uniq('drill-target');

  beforeAll(async () => {
    engine = await startDrillEngine();
    // The drill engine starts empty: give it the base image (loaded from the shared engine, no registry).
    await new Promise<void>((resolve, reject) => {
      const save = spawn('docker', ['save', BASE_IMAGE], { stdio: ['ignore', 'pipe', 'inherit'] });
      const load = spawn('docker', ['-H', engine.host, 'load', '-q'], { stdio: ['pipe', 'ignore', 'inherit'] });
      save.stdout.pipe(load.stdin);
      load.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`docker load into the drill engine exited ${code}`))));
    });
    await engine.cli('run', '-d', '--network', 'none', '--label', TEST_LABEL, '--name', target, BASE_IMAGE,
      // Lines longer than the smallest streamed chunk (64 bytes): each one reaches the client as progress at once.
      'sh', '-c', `i=0; while true; do i=$((i+1)); echo "tick $i ${'.'.repeat(80)}"; sleep 1; done`);
    gw = await startGateway({
      env: { DOCKER_HOST: `unix://${DRILL_SOCKET_DIR}/docker.sock`, MCP_GATEWAY_ENGINE_CIRCUIT_OPEN_MS: '500' },
      args: ['-v', `${engine.runDir}:${DRILL_SOCKET_DIR}`],
      config: { ...E2E_CONFIG, exec: { ...E2E_CONFIG.exec, commandPatterns: [...E2E_CONFIG.exec.commandPatterns, 'sh'] } },
    });
    client = await connectClient(gw.url);
  }, 300_000);

  afterAll(async () => {
    await client?.close().catch(() => undefined);
    await gw?.remove();
    await engine?.close();
  }, 120_000);

  /** Processes in the target, through the drill engine. */
  const processes = async () => (await engine.cli('exec', target, 'ps', '-o', 'pid,args')).split('\n').slice(1).map((l) => l.trim());

  /** Waits (bounded) until the gateway answers docker_ps from the engine again. */
  async function servesAgain(): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const r = await rpcCall(gw, 'docker_ps', { name: target });
      if (!r.result?.isError) {
        expect((r.result?.structuredContent as { containers: Array<{ name: string }> }).containers.map((c) => c.name)).toEqual([target]);
        return;
      }
      if (Date.now() > deadline) throw new Error(`gateway still failing 30 s after the engine came back: ${r.result?.content[0].text}`);
      await new Promise((res) => setTimeout(res, 200));
    }
  }

  it('during a streaming exec: the call ends with a clear error, and the exec the engine lost is killed once it is back', async () => {
    let firstOutput!: () => void;
    const started = new Promise<void>((resolve) => { firstOutput = resolve; });
    const call = client.callTool({ name: 'docker_exec', arguments: { id: target, cmd: ['sh', '-c', 'seq 1 40; exec sleep 317'], stream: true, chunkBytes: 64, timeoutMs: 600_000 } },
      undefined, { onprogress: () => firstOutput(), timeout: 300_000 });
    await started;
    expect((await processes()).some((p) => p.includes('sleep 317'))).toBe(true);

    await engine.restart();
    const r = await call;
    expect(r.isError).toBe(true);
    expect((r.content as Array<{ text: string }>)[0].text).toMatch(
      /^(Docker engine unreachable at unix:\/\/\/var\/run\/drill\/docker\.sock: .+; the command is killed once the engine answers again|The command ended without an exit status: the engine no longer knows this exec .+)$/);

    // The container lived on (live-restore); the command in it does not.
    const deadline = Date.now() + 60_000;
    while ((await processes()).some((p) => p.includes('sleep 317'))) {
      if (Date.now() > deadline) throw new Error(`the exec survived the engine restart: ${JSON.stringify(await processes())}`);
      await new Promise((res) => setTimeout(res, 250));
    }
    await servesAgain();
  });

  it('during a logs follow: the call ends with a clear error; the gateway serves again without a restart, /ready recovers, the audit chain verifies', async () => {
    let firstOutput!: () => void;
    const started = new Promise<void>((resolve) => { firstOutput = resolve; });
    const call = client.callTool({ name: 'docker_logs', arguments: { id: target, follow: true, followSeconds: 300, tail: 1, chunkBytes: 64 } },
      undefined, { onprogress: () => firstOutput(), timeout: 300_000 });
    await started;

    await engine.restart();
    const r = await call;
    expect(r.isError).toBe(true);
    expect((r.content as Array<{ text: string }>)[0].text).toMatch(/^Docker engine at unix:\/\/\/var\/run\/drill\/docker\.sock sent a malformed output stream \(the engine closed the stream before its end: stopped or restarted\?\); the call was aborted$/);

    await servesAgain();
    const deadline = Date.now() + 30_000;
    let ready = await gw.fetch('/ready');
    while (ready.status !== 200 && Date.now() < deadline) {
      await ready.body?.cancel();
      await new Promise((res) => setTimeout(res, 250));
      ready = await gw.fetch('/ready');
    }
    expect(ready.status).toBe(200);

    const verified = await new Promise<{ code: number; out: string }>((resolve) => {
      execFile('docker', ['exec', gw.id, 'node', 'dist/main.js', 'verify-audit', '/var/lib/mcp-gateway/audit'], { timeout: 60_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` }));
    });
    expect(verified.code, verified.out).toBe(0);
    const outcomes = (await new Promise<string>((resolve) => execFile('docker', ['exec', gw.id, 'sh', '-c', 'cat /var/lib/mcp-gateway/audit/audit-*.log'], (_e, out) => resolve(out))))
      .split('\n').filter(Boolean).map((l) => JSON.parse(l) as { tool: string; phase: string; isError?: boolean });
    expect(outcomes.filter((o) => o.phase === 'outcome' && (o.tool === 'docker_exec' || o.tool === 'docker_logs')).map((o) => [o.tool, o.isError]))
      .toEqual([['docker_exec', true], ['docker_logs', true]]);
  });
});
