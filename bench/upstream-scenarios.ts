/**
 * Issue 4's scenario: server-everything's echo tool through this gateway (as the `everything` upstream) vs
 * through supergateway and mcp-proxy, all over Streamable HTTP with the official SDK client: sequential
 * latency and throughput at 1, 8 and 32 concurrent clients (one session each).
 */
import { everythingUpstreamConfig, startMcpProxy, startSupergateway, type Bridge } from './bridges.js';
import { openSdkSession } from './clients.js';
import { BENCH_CONFIG } from './containers.js';
import { startInProcessGateway } from './in-process-gateway.js';
import { closedLoop, sampleLatency, type LatencySummary, type LoopBounds, type ThroughputResult } from './stats.js';

/** One contender's figures, or why there are none. */
export interface UpstreamResult {
  readonly name: string;
  readonly available: boolean;
  readonly reason?: string;
  readonly latency?: LatencySummary;
  readonly throughput?: ReadonlyArray<ThroughputResult & { firstError?: string }>;
}

/** Bounds of issue 4's loops. */
export interface UpstreamBounds {
  readonly latency: LoopBounds;
  readonly concurrency: readonly number[];
  readonly maxCalls: number;
  readonly maxMs: number;
}

/** Default bounds. */
export const DEFAULT_UPSTREAM_BOUNDS: UpstreamBounds = { latency: { warmup: 50, count: 1000, maxMs: 15_000 }, concurrency: [1, 8, 32], maxCalls: 20_000, maxMs: 4000 };

async function measure(bridge: Bridge, bounds: UpstreamBounds, log: (l: string) => void): Promise<UpstreamResult> {
  const open = () => openSdkSession(bridge.url, { token: bridge.token, path: bridge.path });
  const one = await open();
  const echo = (s: typeof one) => async () => {
    const r = await s.call(bridge.echoTool, { message: 'hi' });
    const text = (r.content as Array<{ text?: string }>)[0]?.text ?? '';
    if (!text.includes('hi')) throw new Error(`${bridge.name}: echo answered ${JSON.stringify(text)}`);
  };
  const latency = await sampleLatency(echo(one), bounds.latency);
  await one.close();
  const throughput: Array<ThroughputResult & { firstError?: string }> = [];
  for (const c of bounds.concurrency) {
    const sessions = await Promise.all(Array.from({ length: c }, open));
    // Warm each session (a per-session bridge starts its child on first use).
    await Promise.all(sessions.map((s) => echo(s)()));
    const r = await closedLoop(sessions.map((s) => echo(s)), { maxCalls: bounds.maxCalls, maxMs: bounds.maxMs });
    throughput.push(r);
    await Promise.all(sessions.map((s) => s.close()));
    log(`${bridge.name} echo x${c}: ${r.perSecond.toFixed(0)}/s p50 ${r.latency.p50.toFixed(2)} ms${r.errors ? ` (${r.errors} errors: ${r.firstError})` : ''}`);
  }
  return { name: bridge.name, available: true, latency, throughput };
}

/**
 * Starts the gateway (in-process) with the `everything` upstream and a role that may call its tools; reports
 * "not available" when it does not serve `everything__echo`. The instance cap is raised so that 32 per-session
 * clients fit (the default of 16 would refuse half of them).
 */
async function startGatewayBridge(lifecycle: 'per-session' | 'shared'): Promise<Bridge | { unavailable: string }> {
  const servers = everythingUpstreamConfig() as Record<string, Record<string, unknown>>;
  const config = {
    ...BENCH_CONFIG,
    policy: { ...BENCH_CONFIG.policy, roles: { operator: { tools: [...BENCH_CONFIG.policy.roles.operator.tools, 'everything__*'] } } },
    mcpServers: { everything: { ...servers.everything, lifecycle } },
    upstreams: { maxInstancesPerServer: 64 },
  };
  const gw = await startInProcessGateway(config);
  try {
    const probe = await openSdkSession(gw.url, { token: gw.token });
    const tools = (await probe.client.listTools()).tools.map((t) => t.name);
    await probe.close();
    if (!tools.includes('everything__echo')) {
      await gw.close();
      return { unavailable: `the gateway started with mcpServers.everything but tools/list has no everything__echo (upstreams are not wired into createGateway yet; tools: ${tools.length})` };
    }
  } catch (err) {
    await gw.close();
    return { unavailable: `probe failed: ${(err as Error).message}` };
  }
  return { name: `mcp-gateway (${lifecycle})`, url: gw.url, path: '/mcp', token: gw.token, echoTool: 'everything__echo', close: () => gw.close() };
}

/** Runs issue 4's benchmark; every contender is stopped before this returns. */
export async function runIssue4(log: (l: string) => void, bounds: UpstreamBounds = DEFAULT_UPSTREAM_BOUNDS): Promise<UpstreamResult[]> {
  const results: UpstreamResult[] = [];
  const starters: Array<[string, () => Promise<Bridge | { unavailable: string }>]> = [
    ['mcp-gateway (per-session)', () => startGatewayBridge('per-session')], ['mcp-gateway (shared)', () => startGatewayBridge('shared')],
    ['supergateway', startSupergateway], ['mcp-proxy', startMcpProxy],
  ];
  for (const [name, start] of starters) {
    let bridge: Bridge | { unavailable: string };
    try {
      bridge = await start();
    } catch (err) {
      results.push({ name, available: false, reason: (err as Error).message.slice(0, 500) });
      continue;
    }
    if ('unavailable' in bridge) {
      log(`${name}: not available: ${bridge.unavailable}`);
      results.push({ name, available: false, reason: bridge.unavailable });
      continue;
    }
    try {
      results.push(await measure(bridge, bounds, log));
    } catch (err) {
      results.push({ name, available: false, reason: `failed during the run: ${(err as Error).message.slice(0, 500)}` });
    } finally {
      await bridge.close();
    }
  }
  return results;
}
