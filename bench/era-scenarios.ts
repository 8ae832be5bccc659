/**
 * Issue 14's scenarios: MCP 2026-07-28 (stateless, one SDK v2 server per request) against the 2025 session path on
 * the same /mcp URL, and against mcp-proxy's 2026 leg with the same upstream.
 *
 * Every comparison uses one keep-alive raw client for both sides (clients.ts openRawMcpClient), so it measures the
 * servers and not two different SDK clients; the SDK clients' own view (v2 pinned vs 1.x session) is reported too.
 *
 * - Built-in `docker_ps` through the gateway (its own process, like issue 4's): sequential latency of a 2026 call
 *   (stateless) and of a 2025 session call (one reused session), interleaved call by call; then the gateway's own CPU
 *   per call (/proc) for each path in a closed loop.
 * - server-everything's `echo` as the `everything` upstream (shared lifecycle) vs mcp-proxy 6.7.19 serving the same
 *   stdio server: calls/s at 1, 8 and 32 concurrent callers, all at 2026-07-28 (mcp-proxy's 2026 leg), the two
 *   contenders in alternating slices.
 */
import { Client as ClientV2, StreamableHTTPClientTransport as HttpTransportV2 } from '@modelcontextprotocol/client';
import { startMcpProxy, type Bridge } from './bridges.js';
import { openRawMcpClient, openSdkSession, type RawMcpClient } from './clients.js';
import { BENCH_CONFIG } from './containers.js';
import { buildGatewayDist, startGatewayProcess } from './gateway-process.js';
import { cpuMs } from './process-tree.js';
import { closedLoop, sampleInterleaved, type LatencySummary, type LoopBounds, type ThroughputResult } from './stats.js';
import { issue4GatewayConfig } from './upstream-scenarios.js';

/** Bounds of issue 14's loops. */
export interface EraBounds {
  readonly latency: LoopBounds;
  /** Calls per path for the CPU-per-call figure. */
  readonly cpuCalls: number;
  readonly concurrency: readonly number[];
  /** Per contender and concurrency level, over its slices. */
  readonly maxCalls: number;
  readonly maxMs: number;
  readonly slices: number;
}

/** Default bounds: a few minutes in all. */
export const DEFAULT_ERA_BOUNDS: EraBounds = { latency: { warmup: 30, count: 600, maxMs: 60_000 }, cpuCalls: 2000, concurrency: [1, 8, 32], maxCalls: 10_000, maxMs: 4000, slices: 4 };
/** A smoke run. */
export const QUICK_ERA_BOUNDS: EraBounds = { latency: { warmup: 3, count: 40, maxMs: 5000 }, cpuCalls: 100, concurrency: [1, 8, 32], maxCalls: 300, maxMs: 800, slices: 2 };

/** Issue 14's figures. */
export interface EraResults {
  /** docker_ps, sequential, the same raw client: 2026 stateless vs 2025 session. */
  readonly psLatency: { readonly modern: LatencySummary; readonly legacy: LatencySummary };
  /** The same with the SDK clients users run: v2 pinned to 2026-07-28 vs 1.x in a session. */
  readonly psLatencySdk?: { readonly modern: LatencySummary; readonly legacy: LatencySummary };
  /** The gateway process's CPU per docker_ps call (ms), per path. */
  readonly psCpuMsPerCall: { readonly modern: number; readonly legacy: number };
  /** everything__echo / echo at 2026-07-28: the gateway vs mcp-proxy, per concurrency. */
  readonly echoThroughput: Array<{ readonly clients: number; readonly gateway: ThroughputResult & { firstError?: string }; readonly mcpProxy?: ThroughputResult & { firstError?: string }; readonly mcpProxyUnavailable?: string }>;
}

/** A connected SDK v2 client speaking 2026-07-28 only. */
async function modernClient(url: string, token?: string): Promise<ClientV2> {
  const client = new ClientV2({ name: 'bench-2026', version: '1.0.0' }, { versionNegotiation: { mode: { pin: '2026-07-28' } } });
  await client.connect(new HttpTransportV2(new URL(url), { requestInit: { headers: token ? { authorization: `Bearer ${token}` } : {} } }));
  return client;
}

/** Calls a tool and fails loudly on an error result. */
async function call(client: ClientV2, name: string, args: Record<string, unknown>): Promise<void> {
  const r = await client.callTool({ name, arguments: args });
  if (r.isError) throw new Error(`${name} failed: ${JSON.stringify(r.content).slice(0, 300)}`);
}

/** Closed loop of `c` concurrent callers on one keep-alive client (`c` sockets). */
async function loop(client: RawMcpClient, c: number, tool: string, args: Record<string, unknown>, bounds: { maxCalls: number; maxMs: number }): Promise<ThroughputResult & { firstError?: string }> {
  return closedLoop(Array.from({ length: c }, () => () => client.call(tool, args)), bounds);
}

/** Adds slice results. */
function addUp(parts: ReadonlyArray<ThroughputResult & { firstError?: string }>): ThroughputResult & { firstError?: string } {
  const calls = parts.reduce((n, p) => n + p.calls, 0);
  const errors = parts.reduce((n, p) => n + p.errors, 0);
  const seconds = parts.reduce((n, p) => n + p.seconds, 0);
  return { ...parts[0], calls, errors, seconds, perSecond: seconds > 0 ? calls / seconds : 0, firstError: parts.find((p) => p.firstError)?.firstError };
}

/** Runs issue 14's benchmark. */
export async function runIssue14(log: (l: string) => void, bounds: EraBounds = DEFAULT_ERA_BOUNDS): Promise<EraResults> {
  await buildGatewayDist();
  // Built-in docker_ps: the gateway alone.
  const gw = await startGatewayProcess(BENCH_CONFIG);
  let psLatency: EraResults['psLatency'];
  let psLatencySdk: EraResults['psLatencySdk'];
  let psCpuMsPerCall: EraResults['psCpuMsPerCall'];
  try {
    const modern = await openRawMcpClient(gw.url, 'modern', { token: gw.token, maxSockets: 1 });
    const legacy = await openRawMcpClient(gw.url, 'legacy', { token: gw.token, maxSockets: 1 });
    const sdkModern = await modernClient(`${gw.url}/mcp`, gw.token);
    const sdkLegacy = await openSdkSession(gw.url, { token: gw.token });
    try {
      log('issue 14: docker_ps latency, 2026 stateless vs 2025 session, interleaved ...');
      const [m, l] = await sampleInterleaved([() => modern.call('docker_ps'), () => legacy.call('docker_ps')], bounds.latency);
      psLatency = { modern: m, legacy: l };
      const [sm, sl] = await sampleInterleaved([() => call(sdkModern, 'docker_ps', {}), () => sdkLegacy.call('docker_ps')], bounds.latency);
      psLatencySdk = { modern: sm, legacy: sl };
      const cpuPer = async (fn: () => Promise<unknown>) => {
        const c0 = cpuMs(gw.pid);
        const r = await closedLoop([fn], { maxCalls: bounds.cpuCalls, maxMs: 60_000 });
        return (cpuMs(gw.pid) - c0) / Math.max(1, r.calls);
      };
      psCpuMsPerCall = { modern: await cpuPer(() => modern.call('docker_ps')), legacy: await cpuPer(() => legacy.call('docker_ps')) };
      log(`issue 14: docker_ps p50 ${m.p50.toFixed(2)} ms (2026) vs ${l.p50.toFixed(2)} ms (2025); gateway CPU/call ${psCpuMsPerCall.modern.toFixed(3)} vs ${psCpuMsPerCall.legacy.toFixed(3)} ms`);
    } finally {
      modern.close();
      legacy.close();
      await sdkModern.close();
      await sdkLegacy.close();
    }
  } finally {
    await gw.close();
  }

  // The same upstream behind the gateway and behind mcp-proxy, both served at 2026-07-28.
  const upstreamGw = await startGatewayProcess(issue4GatewayConfig('shared'));
  let proxy: Bridge | undefined;
  let proxyUnavailable: string | undefined;
  try {
    proxy = await startMcpProxy();
  } catch (err) {
    proxyUnavailable = (err as Error).message;
  }
  const echoThroughput: EraResults['echoThroughput'] = [];
  try {
    for (const c of bounds.concurrency) {
      const gwClient = await openRawMcpClient(upstreamGw.url, 'modern', { token: upstreamGw.token, maxSockets: c });
      const pxClient = proxy ? await openRawMcpClient(proxy.url, 'modern', { path: proxy.path, maxSockets: c }) : undefined;
      try {
        const per = { maxCalls: Math.ceil(bounds.maxCalls / bounds.slices), maxMs: Math.ceil(bounds.maxMs / bounds.slices) };
        const g: Array<ThroughputResult & { firstError?: string }> = [];
        const p: Array<ThroughputResult & { firstError?: string }> = [];
        for (let s = 0; s < bounds.slices; s += 1) {
          // Alternate who goes first, so load from elsewhere hits both alike.
          const runG = async () => { g.push(await loop(gwClient, c, 'everything__echo', { message: 'hi' }, per)); };
          const runP = async () => { if (pxClient) p.push(await loop(pxClient, c, 'echo', { message: 'hi' }, per)); };
          if (s % 2 === 0) { await runG(); await runP(); } else { await runP(); await runG(); }
        }
        const row: EraResults['echoThroughput'][number] = { clients: c, gateway: addUp(g), ...(proxy ? { mcpProxy: addUp(p) } : { mcpProxyUnavailable: proxyUnavailable }) };
        echoThroughput.push(row);
        log(`issue 14: echo at 2026-07-28 x${c}: gateway ${row.gateway.perSecond.toFixed(0)}/s, mcp-proxy ${row.mcpProxy ? `${row.mcpProxy.perSecond.toFixed(0)}/s` : `n/a (${proxyUnavailable})`}`);
      } finally {
        gwClient.close();
        pxClient?.close();
      }
    }
  } finally {
    await proxy?.close();
    await upstreamGw.close();
  }
  return { psLatency, psLatencySdk, psCpuMsPerCall, echoThroughput };
}

/** Issue 14's section of the report. */
export function issue14Markdown(r: EraResults): string {
  const f = (n: number | undefined, d = 2) => (n === undefined || Number.isNaN(n) ? 'n/a' : n.toFixed(d));
  const rows = r.echoThroughput.map((t) => {
    const ratio = t.mcpProxy && t.mcpProxy.perSecond > 0 ? t.gateway.perSecond / t.mcpProxy.perSecond : undefined;
    return `| ${t.clients} | ${f(t.gateway.perSecond, 0)} (${t.gateway.errors} errors) | ${t.mcpProxy ? `${f(t.mcpProxy.perSecond, 0)} (${t.mcpProxy.errors} errors)` : `n/a: ${t.mcpProxyUnavailable}`} | ${f(ratio)} | ${ratio === undefined ? 'n/a' : ratio >= 1.3 ? 'met' : 'NOT met'} |`;
  });
  return [
    '| `docker_ps` through /mcp | p50 ms (raw client) | p95 ms (raw client) | gateway CPU ms/call | p50 ms (SDK client) |',
    '| --- | --- | --- | --- | --- |',
    `| 2026-07-28, stateless | ${f(r.psLatency.modern.p50)} | ${f(r.psLatency.modern.p95)} | ${f(r.psCpuMsPerCall.modern, 3)} | ${f(r.psLatencySdk?.modern.p50)} (v2, pinned) |`,
    `| 2025-11-25, one session | ${f(r.psLatency.legacy.p50)} | ${f(r.psLatency.legacy.p95)} | ${f(r.psCpuMsPerCall.legacy, 3)} | ${f(r.psLatencySdk?.legacy.p50)} (1.x) |`,
    '',
    `Target "2026 p50 no higher than the 2025 session path": ${r.psLatency.modern.p50 <= r.psLatency.legacy.p50 ? 'met' : 'NOT met'}.`,
    '',
    '| concurrent callers | gateway `everything__echo` calls/s (2026) | mcp-proxy `echo` calls/s (2026 leg) | ratio | target >= 1.3x |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}
