/**
 * Issue 4's scenario: server-everything's echo tool through this gateway (as the `everything` upstream) vs
 * through supergateway and mcp-proxy, all over Streamable HTTP with the official SDK client: sequential
 * latency and throughput at 1, 8 and 32 concurrent clients (one session each).
 *
 * Every contender is its own process under the same node binary, all started before the first measurement and
 * measured interleaved so that load from elsewhere on a shared machine hits them alike: latency in blocks of
 * calls (A x100, B x100, ..., order rotating; also call by call, A, B, C, D, A, ..., as "cold" latency),
 * throughput in short slices per concurrency level, the contenders' order rotating from one round to the next.
 */
import { everythingUpstreamConfig, startMcpProxy, startSupergateway, type Bridge } from './bridges.js';
import { openSdkSession, type SdkSession } from './clients.js';
import { BENCH_CONFIG } from './containers.js';
import { buildGatewayDist, startGatewayProcess } from './gateway-process.js';
import { cpuMs, treeCpuMs } from './process-tree.js';
import { closedLoop, sampleBlocks, sampleInterleaved, summarize, type LatencySummary, type LoopBounds, type ThroughputResult } from './stats.js';

/** Throughput of one contender at one concurrency, over all its slices. */
export type UpstreamThroughput = ThroughputResult & {
  readonly firstError?: string;
  /** calls/s of each slice, in the order they ran. */
  readonly slices?: readonly number[];
  /** CPU time of the bridge's own process per call (ms; /proc, so machine load disturbs it far less than calls/s). */
  readonly cpuMsPerCall?: number;
  /** The same including the stdio servers it runs (its children). */
  readonly treeCpuMsPerCall?: number;
};

/** One contender's figures, or why there are none. */
export interface UpstreamResult {
  readonly name: string;
  readonly available: boolean;
  readonly reason?: string;
  /** Sequential calls, warm: blocks of calls per contender, rotating (see sampleBlocks). */
  readonly latency?: LatencySummary & { readonly cpuMsPerCall?: number; readonly treeCpuMsPerCall?: number };
  /** Sequential calls alternating call by call between contenders: every call finds its bridge cold. */
  readonly coldLatency?: LatencySummary;
  /** A new session: initialize plus its first echo (a per-session bridge starts the stdio server for it). */
  readonly sessionStart?: LatencySummary;
  readonly throughput?: readonly UpstreamThroughput[];
  /** How the contender ran (process, node binary). */
  readonly runtime?: string;
}

/** Bounds of issue 4's loops. */
export interface UpstreamBounds {
  /** Per contender: warm-up and measured calls, and the wall-clock budget of the whole interleaved loop. */
  readonly latency: LoopBounds;
  /** Calls per contender per block of the warm latency loop. @default 100 */
  readonly latencyBlock?: number;
  /** Per contender: calls of the call-by-call (cold) loop, 0 to skip it. @default latency.count / 4 */
  readonly coldCount?: number;
  readonly concurrency: readonly number[];
  /** Per contender and concurrency level, over all slices. */
  readonly maxCalls: number;
  /** Per contender and concurrency level, over all slices. */
  readonly maxMs: number;
  /** Slices per contender and level (maxCalls and maxMs are split among them). @default 4 */
  readonly slices?: number;
  /** New sessions per contender for the session-start figure, 0 to skip. @default 12 */
  readonly sessionStarts?: number;
}

/** Default bounds. */
export const DEFAULT_UPSTREAM_BOUNDS: UpstreamBounds = { latency: { warmup: 50, count: 1000, maxMs: 60_000 }, concurrency: [1, 8, 32], maxCalls: 20_000, maxMs: 4000, slices: 4 };

/** The gateway config issue 4 runs with: the `everything` upstream and a role that may call its tools. */
export function issue4GatewayConfig(lifecycle: 'per-session' | 'shared'): Record<string, unknown> {
  const servers = everythingUpstreamConfig() as Record<string, Record<string, unknown>>;
  return {
    ...BENCH_CONFIG,
    policy: { ...BENCH_CONFIG.policy, roles: { operator: { tools: [...BENCH_CONFIG.policy.roles.operator.tools, 'everything__*'] } } },
    mcpServers: { everything: { ...servers.everything, lifecycle } },
    // 32 per-session clients must fit (the default of 16 would refuse half of them).
    upstreams: { maxInstancesPerServer: 64 },
  };
}

/**
 * Starts the built gateway as its own process (like the peers) with {@link issue4GatewayConfig}; reports
 * "not available" when it does not serve `everything__echo`.
 */
async function startGatewayBridge(lifecycle: 'per-session' | 'shared'): Promise<Bridge | { unavailable: string }> {
  const gw = await startGatewayProcess(issue4GatewayConfig(lifecycle));
  try {
    const probe = await openSdkSession(gw.url, { token: gw.token });
    const tools = (await probe.client.listTools()).tools.map((t) => t.name);
    await probe.close();
    if (!tools.includes('everything__echo')) {
      await gw.close();
      return { unavailable: `the gateway started with mcpServers.everything but tools/list has no everything__echo (tools: ${tools.length})` };
    }
  } catch (err) {
    await gw.close().catch(() => undefined);
    return { unavailable: `probe failed: ${(err as Error).message}` };
  }
  return { name: `mcp-gateway (${lifecycle})`, url: gw.url, path: '/mcp', token: gw.token, echoTool: 'everything__echo', pid: gw.pid, close: () => gw.close() };
}

const open = (b: Bridge) => openSdkSession(b.url, { token: b.token, path: b.path });
const echo = (b: Bridge, s: SdkSession) => async () => {
  const r = await s.call(b.echoTool, { message: 'hi' });
  const text = (r.content as Array<{ text?: string }>)[0]?.text ?? '';
  if (!text.includes('hi')) throw new Error(`${b.name}: echo answered ${JSON.stringify(text)}`);
};

/** CPU time so far of a bridge's process, alone and with its children (NaN without a pid). */
const cpuOf = (b: Bridge) => (b.pid === undefined ? { own: Number.NaN, tree: Number.NaN } : { own: cpuMs(b.pid), tree: treeCpuMs(b.pid) });

/** Throughput of every bridge at `c` clients each, in interleaved slices. */
async function throughputAt(bridges: readonly Bridge[], c: number, bounds: UpstreamBounds): Promise<UpstreamThroughput[]> {
  const slices = bounds.slices ?? 4;
  const pools = await Promise.all(bridges.map((b) => Promise.all(Array.from({ length: c }, () => open(b)))));
  try {
    // Warm each session (a per-session bridge starts its child on first use).
    await Promise.all(pools.map((sessions, k) => Promise.all(sessions.map((s) => echo(bridges[k], s)()))));
    const acc = bridges.map(() => ({ calls: 0, errors: 0, seconds: 0, cpu: 0, treeCpu: 0, samples: [] as number[], slices: [] as number[], firstError: undefined as string | undefined }));
    for (let round = 0; round < slices; round += 1) {
      for (let j = 0; j < bridges.length; j += 1) {
        const k = (j + round) % bridges.length;
        const a = acc[k];
        const cpu0 = cpuOf(bridges[k]);
        const r = await closedLoop(pools[k].map((s) => echo(bridges[k], s)), { maxCalls: Math.ceil(bounds.maxCalls / slices), maxMs: bounds.maxMs / slices, samples: a.samples });
        const cpu1 = cpuOf(bridges[k]);
        a.cpu += cpu1.own - cpu0.own;
        a.treeCpu += cpu1.tree - cpu0.tree;
        a.calls += r.calls;
        a.errors += r.errors;
        a.seconds += r.seconds;
        a.slices.push(Math.round(r.perSecond));
        a.firstError ??= r.firstError;
      }
    }
    return acc.map((a) => ({
      concurrency: c, calls: a.calls, errors: a.errors, seconds: a.seconds, perSecond: a.calls / a.seconds, latency: summarize(a.samples), slices: a.slices,
      cpuMsPerCall: a.cpu / a.calls, treeCpuMsPerCall: a.treeCpu / a.calls,
      ...(a.firstError ? { firstError: a.firstError } : {}),
    }));
  } finally {
    await Promise.all(pools.flat().map((s) => s.close()));
  }
}

/**
 * Runs issue 4's benchmark; every contender is stopped before this returns (a contender that leaves child
 * processes behind fails the run). Builds gateway-image/ first; the gateway, both bridges and the stdio server
 * they bridge all run under this process's node binary.
 */
export async function runIssue4(log: (l: string) => void, bounds: UpstreamBounds = DEFAULT_UPSTREAM_BOUNDS): Promise<UpstreamResult[]> {
  const runtime = `own process, ${process.execPath} ${process.version}`;
  log(`building gateway-image (dist/); every contender runs under ${process.execPath} (${process.version}) ...`);
  await buildGatewayDist();
  const starters: Array<[string, () => Promise<Bridge | { unavailable: string }>]> = [
    ['mcp-gateway (per-session)', () => startGatewayBridge('per-session')], ['mcp-gateway (shared)', () => startGatewayBridge('shared')],
    ['supergateway', startSupergateway], ['mcp-proxy', startMcpProxy],
  ];
  const results = new Map<string, UpstreamResult>();
  const bridges: Bridge[] = [];
  try {
    for (const [name, start] of starters) {
      try {
        const bridge = await start();
        if ('unavailable' in bridge) {
          log(`${name}: not available: ${bridge.unavailable}`);
          results.set(name, { name, available: false, reason: bridge.unavailable });
        } else {
          bridges.push(bridge);
        }
      } catch (err) {
        log(`${name}: failed to start: ${(err as Error).message.slice(0, 300)}`);
        results.set(name, { name, available: false, reason: (err as Error).message.slice(0, 500) });
      }
    }
    const firsts = await Promise.all(bridges.map(open));
    let latency: Array<LatencySummary & { cpuMsPerCall?: number; treeCpuMsPerCall?: number }>;
    let cold: LatencySummary[] | undefined;
    try {
      // Contenders take turns, so each one's CPU over the whole loop is its own calls' CPU.
      const cpu0 = bridges.map(cpuOf);
      const summaries = await sampleBlocks(bridges.map((b, k) => echo(b, firsts[k])), { ...bounds.latency, block: bounds.latencyBlock ?? 100, maxErrors: 10 });
      latency = summaries.map((l, k) => {
        const cpu1 = cpuOf(bridges[k]);
        const calls = l.n + bounds.latency.warmup;
        return { ...l, cpuMsPerCall: (cpu1.own - cpu0[k].own) / calls, treeCpuMsPerCall: (cpu1.tree - cpu0[k].tree) / calls };
      });
      const coldCount = bounds.coldCount ?? Math.ceil(bounds.latency.count / 4);
      if (coldCount > 0) cold = await sampleInterleaved(bridges.map((b, k) => echo(b, firsts[k])), { warmup: 0, count: coldCount, maxMs: bounds.latency.maxMs, maxErrors: 10 });
    } finally {
      await Promise.all(firsts.map((s) => s.close()));
    }
    bridges.forEach((b, k) => log(`${b.name} echo sequential: p50 ${latency[k].p50.toFixed(2)} ms p95 ${latency[k].p95.toFixed(2)} ms (n ${latency[k].n}), CPU ${latency[k].cpuMsPerCall?.toFixed(3)} ms/call (${latency[k].treeCpuMsPerCall?.toFixed(3)} with children)${cold ? `; cold p50 ${cold[k].p50.toFixed(2)} ms` : ''}`));
    // Session start, contenders taking turns; each session is closed before the next contender's starts.
    const starts: number[][] = bridges.map(() => []);
    for (let i = 0; i < (bounds.sessionStarts ?? 12); i += 1) {
      for (const [k, b] of bridges.entries()) {
        const t0 = performance.now();
        const s = await open(b);
        await echo(b, s)();
        starts[k].push(performance.now() - t0);
        await s.close();
      }
    }
    const sessionStart = starts.map((x) => (x.length ? summarize(x) : undefined));
    bridges.forEach((b, k) => sessionStart[k] && log(`${b.name} session start (initialize + first echo): p50 ${sessionStart[k]!.p50.toFixed(1)} ms p95 ${sessionStart[k]!.p95.toFixed(1)} ms`));
    const throughput: UpstreamThroughput[][] = bridges.map(() => []);
    for (const c of bounds.concurrency) {
      const at = await throughputAt(bridges, c, bounds);
      at.forEach((r, k) => {
        throughput[k].push(r);
        log(`${bridges[k].name} echo x${c}: ${r.perSecond.toFixed(0)}/s (slices ${r.slices?.join('/')}) p50 ${r.latency.p50.toFixed(2)} ms, CPU ${r.cpuMsPerCall?.toFixed(3)} ms/call (${r.treeCpuMsPerCall?.toFixed(3)} with children)${r.errors ? ` (${r.errors} errors: ${r.firstError})` : ''}`);
      });
    }
    bridges.forEach((b, k) => results.set(b.name, { name: b.name, available: true, latency: latency[k], ...(cold ? { coldLatency: cold[k] } : {}),
      ...(sessionStart[k] ? { sessionStart: sessionStart[k] } : {}), throughput: throughput[k], runtime }));
  } finally {
    const closed = await Promise.allSettled(bridges.map((b) => b.close()));
    const failures = closed.flatMap((c, k) => (c.status === 'rejected' ? [`${bridges[k].name}: ${(c.reason as Error).message}`] : []));
    if (failures.length > 0) throw new Error(`contenders did not stop cleanly: ${failures.join('; ')}`);
  }
  return starters.map(([name]) => results.get(name) ?? { name, available: false, reason: 'not measured' });
}
