/**
 * Issue 5's scenarios: raw Engine API vs the same work as gateway tool calls (SDK over Streamable HTTP with a
 * reused session, and keep-alive POST /rpc), the protocol floor, throughput at 1/8/32 clients, and RSS.
 */
import type { RawEngine } from './raw-engine.js';
import { createRpcClient, openSdkSession, readDurationMeans } from './clients.js';
import { closedLoop, sampleInterleaved, type LatencySummary, type LoopBounds, type ThroughputResult } from './stats.js';
import { rssMiB, rssSampler } from './containers.js';
import { cpuMs } from './process-tree.js';

/** What the scenarios run against. */
export interface Issue5Context {
  readonly raw: RawEngine;
  /** Name of the target container. */
  readonly target: string;
  /** Gateway base URL (http://127.0.0.1:port). */
  readonly url: string;
  readonly token: string;
  /** Host pid of the gateway's node process. */
  readonly gatewayPid: number;
  /** User the gateway runs execs as (config exec.defaultUser), so the raw exec does the same. */
  readonly execUser: string;
  /** VmRSS of a bare Node HTTP server from the same image under the same limit, fresh and settled (containers.ts bareNodeRss). */
  readonly bareNode?: { readonly freshMiB: number; readonly settledMiB: number };
  readonly log: (line: string) => void;
}

/** Bounds of every loop; `quick` shrinks them for a smoke run. */
export interface Issue5Bounds {
  readonly latency: LoopBounds;
  readonly throughput: { readonly execCalls: number; readonly psCalls: number; readonly maxMs: number };
  readonly concurrency: readonly number[];
  /** Bytes the streaming run asks `seq` to print (about). */
  readonly streamBytes: number;
  /**
   * How long the fresh gateway stays idle before the settled RSS is read: V8 frees start-up garbage after a few
   * seconds without work (its memory reducer), so "idle" is read both fresh and settled. The reducer runs up to two
   * GCs, the first ~8 s after start-up and the second up to ~16 s after that (sampled every second in session 5:
   * 59.3 MiB until 8 s, then 57.9, then 55.5 at 9 to 25 s depending on the run), so 30 s.
   */
  readonly idleSettleMs: number;
}

/** Default bounds: a few minutes in all. */
export const DEFAULT_BOUNDS: Issue5Bounds = {
  idleSettleMs: 30_000,
  latency: { warmup: 20, count: 300, maxMs: 90_000 },
  throughput: { execCalls: 800, psCalls: 4000, maxMs: 4000 },
  concurrency: [1, 8, 32],
  streamBytes: 100_000_000,
};

/** Everything issue 5's table needs. */
export interface Issue5Results {
  /**
   * The floors twice: in the ps group (a quiet machine) and in the exec group (between execs, while dockerd,
   * containerd and runc are busy with them, as they are around the round trip of an exec call itself). Runs before
   * session 5 have the first only.
   */
  readonly latency: Record<'rawExec' | 'sdkExec' | 'rpcExec' | 'rawPs' | 'sdkPs' | 'rpcPs' | 'sdkFloor' | 'rpcFloor', LatencySummary>
    & Partial<Record<'sdkFloorExec' | 'rpcFloorExec', LatencySummary>>;
  /**
   * Per row, CPU ms per call of the gateway's node process (/proc) and of this bench process, i.e. the clients
   * (process.cpuUsage): a path whose client costs more CPU than the whole raw call cannot keep up with raw on
   * 2 cores however cheap the gateway is.
   */
  readonly throughput: Array<{ op: 'exec' | 'ps'; path: 'raw' | 'sdk' | 'rpc'; result: ThroughputResult & { firstError?: string }; gatewayCpuMsPerCall?: number; clientCpuMsPerCall?: number }>;
  /** The gateway's own view after the latency loops: mean Engine API time per operation and tool time per tool. */
  readonly gatewayDurations?: Record<string, { meanMs: number; count: number }>;
  readonly rss: { idleMiB: number; idleSettledMiB?: number; bareNodeMiB?: number; bareNodeSettledMiB?: number; sessions32PeakMiB: number; sessions32AfterMiB: number; streamPeakMiB: number; streamBytes: number; streamSeconds: number; streamProgressEvents: number; afterMiB: number };
}

/** `seq 1 N` prints about this many bytes (digits plus newline per number). */
export function seqBytes(n: number): number {
  let total = 0;
  for (let digits = 1, lo = 1; lo <= n; digits += 1, lo *= 10) total += (Math.min(n, lo * 10 - 1) - lo + 1) * (digits + 1);
  return total;
}

/** The smallest N with seqBytes(N) >= bytes. */
export function seqCountFor(bytes: number): number {
  let lo = 1;
  let hi = bytes;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (seqBytes(mid) >= bytes) hi = mid; else lo = mid + 1;
  }
  return lo;
}

/** Runs a closed loop and reports, per call, the CPU of the gateway process and of this (client) process. */
async function withCpu(gatewayPid: number, loop: () => Promise<ThroughputResult>): Promise<{ result: ThroughputResult; gatewayCpuMsPerCall: number; clientCpuMsPerCall: number }> {
  const g0 = cpuMs(gatewayPid);
  const c0 = process.cpuUsage();
  const result = await loop();
  const c = process.cpuUsage(c0);
  const calls = Math.max(1, result.calls);
  return { result, gatewayCpuMsPerCall: (cpuMs(gatewayPid) - g0) / calls, clientCpuMsPerCall: (c.user + c.system) / 1000 / calls };
}

/** Runs issue 5's benchmark. */
export async function runIssue5(ctx: Issue5Context, bounds: Issue5Bounds = DEFAULT_BOUNDS): Promise<Issue5Results> {
  const { raw, target, log } = ctx;
  const echo = ['echo', 'hi'];
  const idleMiB = rssMiB(ctx.gatewayPid).rss;
  await new Promise((r) => setTimeout(r, bounds.idleSettleMs));
  const idleSettledMiB = rssMiB(ctx.gatewayPid).rss;
  log(`gateway RSS idle: ${idleMiB.toFixed(1)} MiB fresh, ${idleSettledMiB.toFixed(1)} MiB after ${bounds.idleSettleMs} ms` +
    `${ctx.bareNode ? ` (bare node HTTP server: ${ctx.bareNode.freshMiB.toFixed(1)} / ${ctx.bareNode.settledMiB.toFixed(1)} MiB)` : ''}`);

  const sdk = await openSdkSession(ctx.url, { token: ctx.token });
  const rpc = createRpcClient(ctx.url, ctx.token);
  const checkEcho = (stdout: unknown) => {
    if (stdout !== 'hi\n') throw new Error(`exec printed ${JSON.stringify(stdout)}, expected "hi\\n"`);
  };
  const structured = (r: Record<string, unknown>) => r.structuredContent as Record<string, unknown>;
  const ops = {
    rawExec: async () => checkEcho((await raw.exec(target, echo, ctx.execUser)).stdout),
    sdkExec: async () => checkEcho(structured(await sdk.call('docker_exec', { id: target, cmd: echo })).stdout),
    rpcExec: async () => checkEcho(structured(await rpc.call('docker_exec', { id: target, cmd: echo })).stdout),
    rawPs: () => raw.listContainers(),
    sdkPs: () => sdk.call('docker_ps'),
    rpcPs: () => rpc.call('docker_ps'),
    sdkFloor: () => sdk.client.ping(),
    rpcFloor: () => rpc.request('ping'),
    sdkFloorExec: () => sdk.client.ping(),
    rpcFloorExec: () => rpc.request('ping'),
  };
  // Two interleaved groups: exec leaves the engine busy for a moment (exec clean-up), which would slow whatever
  // ran right after it; ps and the floors are measured apart from exec so that their small figures stay clean. The
  // floors are measured in the exec group too: an exec call's own round trip happens in those busy moments, so the
  // exec handler cost subtracts the floor measured there (like for like).
  log('latency: sequential, interleaved raw/SDK/rpc (exec group, then ps + floor group) ...');
  const groups: Array<Array<keyof typeof ops>> = [['rawExec', 'sdkExec', 'rpcExec', 'sdkFloorExec', 'rpcFloorExec'], ['rawPs', 'sdkPs', 'rpcPs', 'sdkFloor', 'rpcFloor']];
  const latency = {} as Record<keyof typeof ops, LatencySummary>;
  for (const names of groups) {
    const summaries = await sampleInterleaved(names.map((n) => ops[n]), names.includes('rawExec') ? bounds.latency : { ...bounds.latency, count: bounds.latency.count * 3 });
    names.forEach((n, i) => { latency[n] = summaries[i]; });
  }
  await sdk.close();
  const gatewayDurations = await readDurationMeans(ctx.url, ctx.token).catch(() => undefined);

  const throughput: Issue5Results['throughput'] = [];
  let sessions32PeakMiB = 0;
  for (const op of ['exec', 'ps'] as const) {
    const maxCalls = op === 'exec' ? bounds.throughput.execCalls : bounds.throughput.psCalls;
    // An exec takes ~50 ms and 32 of them queue in the engine: give exec twice the time so each client completes several.
    const maxMs = op === 'exec' ? 2 * bounds.throughput.maxMs : bounds.throughput.maxMs;
    for (const c of bounds.concurrency) {
      const rawCall = op === 'exec' ? () => raw.exec(target, echo, ctx.execUser) : () => raw.listContainers();
      const rawResult = await withCpu(ctx.gatewayPid, () => closedLoop(Array.from({ length: c }, () => rawCall), { maxCalls, maxMs }));
      throughput.push({ op, path: 'raw', ...rawResult });

      const rpcPool = createRpcClient(ctx.url, ctx.token, c);
      const rpcCall = op === 'exec' ? () => rpcPool.call('docker_exec', { id: target, cmd: echo }) : () => rpcPool.call('docker_ps');
      throughput.push({ op, path: 'rpc', ...await withCpu(ctx.gatewayPid, () => closedLoop(Array.from({ length: c }, () => rpcCall), { maxCalls, maxMs })) });
      rpcPool.close();

      const sessions = await Promise.all(Array.from({ length: c }, () => openSdkSession(ctx.url, { token: ctx.token })));
      const sampler = c === 32 ? rssSampler(ctx.gatewayPid) : undefined;
      const sdkRow = await withCpu(ctx.gatewayPid, () => closedLoop(sessions.map((s) => (op === 'exec' ? () => s.call('docker_exec', { id: target, cmd: echo }) : () => s.call('docker_ps'))), { maxCalls, maxMs }));
      const sdkResult = sdkRow.result;
      if (sampler) sessions32PeakMiB = Math.max(sessions32PeakMiB, sampler.stop());
      throughput.push({ op, path: 'sdk', ...sdkRow });
      await Promise.all(sessions.map((s) => s.close()));
      log(`throughput ${op} x${c}: raw ${rawResult.result.perSecond.toFixed(0)}/s, rpc ${throughput.at(-2)!.result.perSecond.toFixed(0)}/s, sdk ${sdkResult.perSecond.toFixed(0)}/s`);
    }
  }
  // 32 sessions open and idle, after the load.
  const idleSessions = await Promise.all(Array.from({ length: 32 }, () => openSdkSession(ctx.url, { token: ctx.token })));
  await Promise.all(idleSessions.map((s) => s.client.ping()));
  const sessions32AfterMiB = rssMiB(ctx.gatewayPid).rss;
  await Promise.all(idleSessions.map((s) => s.close()));
  rpc.close();

  const stream = await streamVolume(ctx, bounds.streamBytes);
  const afterMiB = rssMiB(ctx.gatewayPid).rss;

  return {
    latency, throughput, gatewayDurations,
    rss: { idleMiB, idleSettledMiB, bareNodeMiB: ctx.bareNode?.freshMiB, bareNodeSettledMiB: ctx.bareNode?.settledMiB, sessions32PeakMiB, sessions32AfterMiB, ...stream, afterMiB },
  };
}

/** One streaming run's figures: the gateway's RSS peak and the time for `streamBytes` of exec output. */
export interface StreamVolume {
  readonly streamPeakMiB: number;
  readonly streamBytes: number;
  readonly streamSeconds: number;
  readonly streamProgressEvents: number;
}

/**
 * One SDK call that streams ~`bytes` of exec output (`seq`, `stream: true`, 64 KiB chunks) while the gateway's RSS is
 * sampled: its memory must stay bounded however fast the producer is.
 */
export async function streamVolume(ctx: Pick<Issue5Context, 'url' | 'token' | 'target' | 'gatewayPid' | 'log'>, bytes: number): Promise<StreamVolume> {
  ctx.log(`streaming ~${bytes} bytes of exec output ...`);
  const streamer = await openSdkSession(ctx.url, { token: ctx.token });
  const n = seqCountFor(bytes);
  let progressEvents = 0;
  const sampler = rssSampler(ctx.gatewayPid, 20);
  const t0 = performance.now();
  const r = await streamer.client.callTool(
    { name: 'docker_exec', arguments: { id: ctx.target, cmd: ['seq', '1', String(n)], stream: true, chunkBytes: 64 * 1024, timeoutMs: 300_000 } },
    undefined,
    { onprogress: () => { progressEvents += 1; }, timeout: 300_000, resetTimeoutOnProgress: true },
  );
  const streamSeconds = (performance.now() - t0) / 1000;
  const streamPeakMiB = sampler.stop();
  const sc = (r.structuredContent ?? {}) as { bytes?: number; truncated?: boolean; exitCode?: number };
  if (r.isError || sc.exitCode !== 0) throw new Error(`streaming exec failed: ${JSON.stringify(r.content).slice(0, 300)}`);
  await streamer.close();
  ctx.log(`streamed ${sc.bytes} bytes in ${streamSeconds.toFixed(1)} s, ${progressEvents} progress events, RSS peak ${streamPeakMiB.toFixed(1)} MiB`);
  return { streamPeakMiB, streamBytes: sc.bytes ?? 0, streamSeconds, streamProgressEvents: progressEvents };
}
