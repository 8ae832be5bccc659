/**
 * Streaming latency: how long a line a command prints takes to reach the client, for a producer that prints one line
 * every 100 ms (issue 12: p50 <= 10 ms, p99 <= 100 ms through /mcp).
 *
 * The producer (node in the target container) prints its wall-clock time in milliseconds, with microseconds, as each
 * line; the receiver subtracts it from its own wall-clock time when the line arrives. Both read the same kernel clock
 * (the container shares the host's), so no synchronization is needed. Measured twice, interleaved call by call:
 * through the gateway (`docker_exec` with `stream: true`, the official SDK client over /mcp, lines from progress
 * notifications) and straight from the Engine API (exec start, attached, demultiplexed as frames arrive): the second
 * is the floor Docker's own relay sets, so the first minus it is what the gateway adds.
 */
import http from 'node:http';
import type { SdkSession } from './clients.js';
import { percentile } from './stats.js';

/** Bounds of the latency run. */
export interface StreamLatencyBounds {
  /** Calls per path (each streams `linesPerCall` lines, one every `intervalMs`). */
  readonly calls: number;
  readonly linesPerCall: number;
  readonly intervalMs: number;
}

/** Default: 3 calls of 100 lines per path, ~1 minute. */
export const DEFAULT_STREAM_LATENCY: StreamLatencyBounds = { calls: 3, linesPerCall: 100, intervalMs: 100 };

/** One path's latencies, ms. */
export interface StreamLatencySummary {
  readonly n: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/** Results of the run. */
export interface StreamLatencyResults {
  readonly intervalMs: number;
  /** Through the gateway: docker_exec stream over /mcp, SDK client. */
  readonly gateway: StreamLatencySummary;
  /** Straight from the Engine API (the floor). */
  readonly raw: StreamLatencySummary;
}

/** The producer: `count` lines, one per `intervalMs`, each its wall-clock time in ms (fractional). */
export function producerCommand(count: number, intervalMs: number): string[] {
  const script = `let i=0;const t=setInterval(()=>{process.stdout.write((performance.timeOrigin+performance.now()).toFixed(3)+'\\n');if(++i>=${count})clearInterval(t)},${intervalMs})`;
  return ['node', '-e', script];
}

const now = () => performance.timeOrigin + performance.now();

/** Splits received text into complete lines (keeping a partial last line for the next piece). */
function lineReader(onLine: (line: string) => void): (text: string) => void {
  let rest = '';
  return (text) => {
    const parts = (rest + text).split('\n');
    rest = parts.pop() ?? '';
    for (const p of parts) if (p) onLine(p);
  };
}

function summarize(samples: number[]): StreamLatencySummary {
  const sorted = [...samples].sort((a, b) => a - b);
  return { n: sorted.length, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), max: sorted.at(-1) ?? Number.NaN, mean: sorted.reduce((a, b) => a + b, 0) / (sorted.length || 1) };
}

/** One streamed exec through the gateway; pushes each line's latency. */
async function throughGateway(session: SdkSession, target: string, cmd: string[], samples: number[]): Promise<void> {
  const read = lineReader((line) => samples.push(now() - Number(line)));
  const r = await session.client.callTool({ name: 'docker_exec', arguments: { id: target, cmd, stream: true, timeoutMs: 120_000 } }, undefined, {
    timeout: 120_000, resetTimeoutOnProgress: true,
    onprogress: (p) => read((JSON.parse(p.message ?? '{}') as { data?: string }).data ?? ''),
  });
  if (r.isError) throw new Error(`streaming exec failed: ${JSON.stringify(r.content).slice(0, 300)}`);
}

/** One exec straight from the Engine API over its unix socket; pushes each line's latency as its frame arrives. */
async function throughEngine(apiVersion: string, target: string, cmd: string[], user: string | undefined, samples: number[]): Promise<void> {
  const call = (method: string, path: string, body: unknown, onData?: (chunk: Buffer) => void) => new Promise<Buffer>((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = http.request({ socketPath: '/var/run/docker.sock', method, path: `/${apiVersion}${path}`, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => (onData ? onData(c) : chunks.push(c)));
      res.on('end', () => ((res.statusCode ?? 0) >= 300 ? reject(new Error(`${path}: HTTP ${res.statusCode} ${Buffer.concat(chunks).toString('utf8').slice(0, 200)}`)) : resolve(Buffer.concat(chunks))));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
  const { Id } = JSON.parse((await call('POST', `/containers/${encodeURIComponent(target)}/exec`, { Cmd: cmd, AttachStdout: true, AttachStderr: true, ...(user ? { User: user } : {}) })).toString('utf8')) as { Id: string };
  const read = lineReader((line) => samples.push(now() - Number(line)));
  let pending: Buffer = Buffer.alloc(0);
  await call('POST', `/exec/${Id}/start`, { Detach: false, Tty: false }, (chunk) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    while (pending.length >= 8 && pending.length >= 8 + pending.readUInt32BE(4)) {
      const len = pending.readUInt32BE(4);
      if (pending[0] === 1) read(pending.subarray(8, 8 + len).toString('utf8'));
      pending = pending.subarray(8 + len);
    }
  });
}

/** Runs the latency measurement: raw and gateway calls alternate, so both see the same machine. */
export async function runStreamLatency(ctx: { session: SdkSession; target: string; apiVersion: string; execUser?: string; log: (l: string) => void }, bounds: StreamLatencyBounds = DEFAULT_STREAM_LATENCY): Promise<StreamLatencyResults> {
  const cmd = producerCommand(bounds.linesPerCall, bounds.intervalMs);
  const gateway: number[] = [];
  const raw: number[] = [];
  for (let i = 0; i < bounds.calls; i++) {
    await throughEngine(ctx.apiVersion, ctx.target, cmd, ctx.execUser, raw);
    await throughGateway(ctx.session, ctx.target, cmd, gateway);
  }
  const expected = bounds.calls * bounds.linesPerCall;
  if (gateway.length !== expected || raw.length !== expected) throw new Error(`stream latency: expected ${expected} lines per path, got ${gateway.length} through the gateway and ${raw.length} raw`);
  const result = { intervalMs: bounds.intervalMs, gateway: summarize(gateway), raw: summarize(raw) };
  ctx.log(`stream latency (line every ${bounds.intervalMs} ms): gateway p50 ${result.gateway.p50.toFixed(2)} ms p99 ${result.gateway.p99.toFixed(2)} ms; raw p50 ${result.raw.p50.toFixed(2)} ms p99 ${result.raw.p99.toFixed(2)} ms`);
  return result;
}
