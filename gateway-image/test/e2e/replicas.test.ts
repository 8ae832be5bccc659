/**
 * Two replicas of the built image behind a real HAProxy (Debian's package, started here as a plain process on
 * 127.0.0.1), round-robin, configured as docs/replicas.md shows: MCP 2026-07-28 clients need no affinity (each
 * request may land on either replica, and every call succeeds), 2025 sessions are pinned by the `Mcp-Session-Id`
 * stick table. A second frontend without the stick table shows it is the stickiness that keeps 2025 sessions working.
 * Behind both replicas, a 2026-07-28 upstream (fixtures/upstreams/mrtr-server.mjs, SDK v2 over stdio, one instance per
 * replica) answers `input_required`: the client's retry lands on the other replica, which opens the sealed
 * `requestState` with the key every replica shares (MCP_GATEWAY_STATE_KEY) and completes the call there. HAProxy adds `x-replica` (the server that answered) to every
 * response, so the test sees where requests landed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client as ClientV2, StreamableHTTPClientTransport as HttpTransportV2 } from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTarget, uniq, type TestContainer } from './helpers/docker-cli.js';
import { E2E_TOKEN, freePort, startGateway, type GatewayUnderTest } from './helpers/gateway-container.js';
import { data } from './helpers/mcp-client.js';
import { FIXTURES_MOUNT, gatewayConfig, ownerIdFor, upstreamMounts } from './upstreams-gateway/harness.js';


/** docs/replicas.md's HAProxy backend, with the two replicas' published ports filled in. */
function haproxyConfig(opts: { sticky: number; plain: number; replicas: Array<{ name: string; port: number }> }): string {
  const servers = opts.replicas.map((r) => `  server ${r.name} 127.0.0.1:${r.port}`).join('\n');
  return `global
  maxconn 512

defaults
  mode http
  timeout connect 5s
  timeout client 120s
  timeout server 120s

frontend mcp
  bind 127.0.0.1:${opts.sticky}
  default_backend gateways

backend gateways
  balance roundrobin
  # 2025 sessions live on the replica that answered initialize: pin them by Mcp-Session-Id.
  # 2026-07-28 requests carry no session id and go to any replica.
  stick-table type string len 64 size 100k expire 30m
  stick store-response res.hdr(mcp-session-id)
  stick match req.hdr(mcp-session-id)
  http-response set-header x-replica %[srv_name]
${servers}

frontend mcp-no-stickiness
  bind 127.0.0.1:${opts.plain}
  default_backend gateways-plain

backend gateways-plain
  balance roundrobin
  http-response set-header x-replica %[srv_name]
${servers}
`;
}

/** A fetch that records which replica answered each request. */
function recordingFetch(seen: string[]): typeof fetch {
  return async (input, init) => {
    const res = await fetch(input, init);
    seen.push(res.headers.get('x-replica') ?? 'none');
    return res;
  };
}

describe('replicas behind HAProxy: 2026-07-28 needs no affinity, 2025 sessions are pinned (built image, real engine)', () => {
  let target: TestContainer;
  const replicas: GatewayUnderTest[] = [];
  let haproxy: ChildProcess | undefined;
  let haproxyLog = '';
  let dir: string;
  let sticky: string;
  let plain: string;

  beforeAll(async () => {
    target = await runTarget(uniq('replica-target'));
    // Same configuration and the same request-state key on every replica.
    const stateKey = randomBytes(36).toString('base64');
    const owner = ownerIdFor('replicas');
    for (let i = 0; i < 2; i += 1) {
      replicas.push(await startGateway({
        name: uniq(`gw-replica${i + 1}`), args: upstreamMounts(),
        env: { MCP_GATEWAY_STATE_KEY: stateKey },
        config: gatewayConfig(owner, { mrtr: { command: 'node', args: [`${FIXTURES_MOUNT}/mrtr-server.mjs`], protocol: 'modern', lifecycle: 'shared' } }),
      }));
    }
    const [stickyPort, plainPort] = [await freePort(), await freePort()];
    dir = mkdtempSync(join(tmpdir(), 'mcp-haproxy-'));
    const cfg = join(dir, 'haproxy.cfg');
    writeFileSync(cfg, haproxyConfig({ sticky: stickyPort, plain: plainPort, replicas: replicas.map((r, i) => ({ name: `gw${i + 1}`, port: r.port })) }));
    // -db: foreground, no daemon; the test owns the process and ends it by pid.
    haproxy = spawn('haproxy', ['-db', '-f', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
    haproxy.stdout?.on('data', (d: Buffer) => { haproxyLog += d.toString(); });
    haproxy.stderr?.on('data', (d: Buffer) => { haproxyLog += d.toString(); });
    const spawned = await new Promise<Error | undefined>((resolve) => { haproxy!.once('spawn', () => resolve(undefined)); haproxy!.once('error', resolve); });
    if (spawned) throw new Error(`haproxy could not be started (${spawned.message}): scripts/docker-engine.sh start installs Debian's haproxy`);
    sticky = `http://127.0.0.1:${stickyPort}`;
    plain = `http://127.0.0.1:${plainPort}`;
    // Ready once both frontends answer /health through a replica (bounded).
    const deadline = Date.now() + 20_000;
    for (const url of [sticky, plain]) {
      for (;;) {
        const ok = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) }).then((r) => r.ok, () => false);
        if (ok) break;
        if (haproxy.exitCode !== null || Date.now() > deadline) throw new Error(`haproxy did not serve ${url}/health; its output:\n${haproxyLog}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }, 240_000);

  afterAll(async () => {
    if (haproxy?.pid && haproxy.exitCode === null) haproxy.kill('SIGTERM');
    for (const r of replicas) await r.remove();
    await target?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the config docs/replicas.md shows is the one running here', () => {
    const doc = readFileSync(new URL('../../../docs/replicas.md', import.meta.url), 'utf8');
    for (const line of ['balance roundrobin', 'stick-table type string len 64 size 100k expire 30m', 'stick store-response res.hdr(mcp-session-id)', 'stick match req.hdr(mcp-session-id)']) {
      expect(doc).toContain(line);
    }
  });

  it('a 2026-07-28 client is spread over both replicas and every call succeeds', async () => {
    const seen: string[] = [];
    const client = new ClientV2({ name: 'replica-2026', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });
    await client.connect(new HttpTransportV2(new URL(`${sticky}/mcp`), { fetch: recordingFetch(seen), requestInit: { headers: { authorization: `Bearer ${E2E_TOKEN}` } } }));
    try {
      expect(client.getProtocolEra()).toBe('modern');
      for (let i = 0; i < 10; i += 1) {
        expect(data(await client.callTool({ name: 'docker_ps', arguments: { name: target.name } })).count).toBe(1);
        const ex = data(await client.callTool({ name: 'docker_exec', arguments: { id: target.name, cmd: ['echo', `call-${i}`] } }));
        expect(ex.stdout).toBe(`call-${i}\n`);
      }
    } finally {
      await client.close();
    }
    expect(new Set(seen)).toEqual(new Set(['gw1', 'gw2']));
  });

  it('an upstream\'s input request is answered on one replica and its retry completes on the other (shared state key)', async () => {
    const seen: Array<{ replica: string; retry: boolean }> = [];
    const client = new ClientV2({ name: 'replica-mrtr', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } }, capabilities: { elicitation: { form: {} } } });
    client.setRequestHandler('elicitation/create', async () => ({ action: 'accept', content: { ok: true } }));
    const fetchWithReplica: typeof fetch = async (input, init) => {
      const body = typeof init?.body === 'string' ? JSON.parse(init.body) as { method?: string; params?: { inputResponses?: unknown } } : undefined;
      const res = await fetch(input, init);
      if (body?.method === 'tools/call') seen.push({ replica: res.headers.get('x-replica') ?? 'none', retry: body.params?.inputResponses !== undefined });
      return res;
    };
    await client.connect(new HttpTransportV2(new URL(`${sticky}/mcp`), { fetch: fetchWithReplica, requestInit: { headers: { authorization: `Bearer ${E2E_TOKEN}` } } }));
    try {
      for (let i = 0; i < 3; i += 1) {
        const r = await client.callTool({ name: 'mrtr__confirm', arguments: {} });
        expect(r.isError ?? false, JSON.stringify(r.content)).toBe(false);
        expect(r.content).toEqual([{ type: 'text', text: 'confirmed=true upstreamState=upstream-round-1' }]);
      }
    } finally {
      await client.close();
    }
    // Each call: a first round and a retry; with round-robin and one client, consecutive requests alternate.
    const firsts = seen.filter((s) => !s.retry);
    const retries = seen.filter((s) => s.retry);
    expect(firsts).toHaveLength(3);
    expect(retries).toHaveLength(3);
    expect(firsts.some((f, i) => f.replica !== retries[i].replica)).toBe(true);
  });

  it('a 2025 session stays on the replica that opened it, through the stick table', async () => {
    const seen: string[] = [];
    const client = new Client({ name: 'replica-2025', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${sticky}/mcp`), { fetch: recordingFetch(seen), requestInit: { headers: { authorization: `Bearer ${E2E_TOKEN}` } } }));
    try {
      for (let i = 0; i < 6; i += 1) expect(data(await client.callTool({ name: 'docker_ps', arguments: { name: target.name } })).count).toBe(1);
    } finally {
      await client.close();
    }
    expect(seen.length).toBeGreaterThan(6);
    expect(new Set(seen).size).toBe(1);
  });

  it('without the stick table a 2025 session breaks on the other replica (what the stickiness is for)', async () => {
    const client = new Client({ name: 'replica-2025-plain', version: '1.0.0' });
    const connecting = client.connect(new StreamableHTTPClientTransport(new URL(`${plain}/mcp`), { requestInit: { headers: { authorization: `Bearer ${E2E_TOKEN}` } } }));
    // initialize lands on one replica; the next request (notifications/initialized or tools/list) on the other.
    const outcome = await connecting.then(async () => {
      try {
        for (let i = 0; i < 4; i += 1) await client.listTools();
        return 'worked';
      } catch (err) {
        return (err as Error).message;
      }
    }, (err: Error) => err.message);
    await client.close().catch(() => undefined);
    expect(outcome).toMatch(/session not found|404/i);
  });
});
