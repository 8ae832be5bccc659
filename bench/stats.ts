/**
 * Latency and throughput statistics for the benchmark: nearest-rank percentiles, bounded sequential
 * sampling and bounded closed-loop load (every loop stops at a call count or a deadline, whichever is first).
 */

/** Summary of one latency series, in milliseconds. */
export interface LatencySummary {
  readonly n: number;
  readonly p50: number;
  readonly p95: number;
  readonly mean: number;
  readonly min: number;
  /** Calls that failed (not counted in the percentiles). */
  readonly errors?: number;
  readonly firstError?: string;
}

/** Nearest-rank percentile of sorted values (`q` in 0..1). */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}

/** p50, p95, mean and min of a series of milliseconds. */
export function summarize(samples: readonly number[]): LatencySummary {
  const sorted = [...samples].sort((a, b) => a - b);
  const sum = sorted.reduce((a, b) => a + b, 0);
  return { n: sorted.length, p50: percentile(sorted, 0.5), p95: percentile(sorted, 0.95), mean: sum / (sorted.length || 1), min: sorted[0] ?? Number.NaN };
}

/** Bounds of a sampling loop. */
export interface LoopBounds {
  /** Unmeasured calls first (JIT, connection pools, caches). */
  readonly warmup: number;
  /** Measured calls at most. */
  readonly count: number;
  /** Wall-clock budget for the measured calls, in milliseconds. */
  readonly maxMs: number;
}

/** Runs `fn` sequentially within the bounds and returns its latency summary. */
export async function sampleLatency(fn: () => Promise<unknown>, bounds: LoopBounds): Promise<LatencySummary> {
  for (let i = 0; i < bounds.warmup; i += 1) await fn();
  const samples: number[] = [];
  const deadline = performance.now() + bounds.maxMs;
  while (samples.length < bounds.count && performance.now() < deadline) {
    const t0 = performance.now();
    await fn();
    samples.push(performance.now() - t0);
  }
  return summarize(samples);
}

/**
 * Per-series samples and failures of a sampling loop: `time(k)` runs series k's callable once and records its
 * duration; a failed call is reported next to the figures, and more than `maxErrors` in all end the run.
 */
function seriesRecorder(fns: ReadonlyArray<() => Promise<unknown>>, maxErrors = 3) {
  const samples: number[][] = fns.map(() => []);
  const errors = fns.map(() => 0);
  const firstErrors: Array<string | undefined> = fns.map(() => undefined);
  return {
    samples,
    async time(k: number): Promise<void> {
      const t0 = performance.now();
      try {
        await fns[k]();
        samples[k].push(performance.now() - t0);
      } catch (err) {
        errors[k] += 1;
        firstErrors[k] ??= `${(err as Error).message} (after ${(performance.now() - t0).toFixed(0)} ms)`;
        if (errors.reduce((x, y) => x + y, 0) > maxErrors) throw new Error(`too many failed calls: ${firstErrors.filter(Boolean).join('; ')}`);
      }
    },
    summaries: (): LatencySummary[] => samples.map((sm, k) => ({ ...summarize(sm), ...(errors[k] ? { errors: errors[k], firstError: firstErrors[k] } : {}) })),
  };
}

/**
 * Runs the given callables interleaved (a, b, c, b, c, a, c, a, b, ...) so that drift on a shared machine hits
 * every series alike; returns one summary per callable.
 */
export async function sampleInterleaved(fns: ReadonlyArray<() => Promise<unknown>>, bounds: LoopBounds & { maxErrors?: number }): Promise<LatencySummary[]> {
  for (let i = 0; i < bounds.warmup; i += 1) for (const fn of fns) await fn();
  const rec = seriesRecorder(fns, bounds.maxErrors);
  const deadline = performance.now() + bounds.maxMs;
  for (let i = 0; i < bounds.count && performance.now() < deadline; i += 1) {
    // The order rotates every round: whichever series runs right after another process's call pays its wake-up,
    // and a fixed order put that cost on the same series every time (~0.3 ms on ping in the A/B runs).
    for (let j = 0; j < fns.length; j += 1) await rec.time((j + i) % fns.length);
  }
  return rec.summaries();
}

/**
 * Like {@link sampleInterleaved}, but in blocks: `block` calls of one callable back to back, then the next
 * callable's block, the order rotating every round. Drift still hits every series alike, while each call finds
 * its target warm (call-by-call alternation between processes measures cold caches and wake-ups as much as
 * the call). `count` and `warmup` are per callable; `maxMs` bounds the whole loop.
 */
export async function sampleBlocks(fns: ReadonlyArray<() => Promise<unknown>>, bounds: LoopBounds & { block: number; maxErrors?: number }): Promise<LatencySummary[]> {
  for (const fn of fns) for (let i = 0; i < bounds.warmup; i += 1) await fn();
  const rec = seriesRecorder(fns, bounds.maxErrors);
  const deadline = performance.now() + bounds.maxMs;
  for (let round = 0; rec.samples.some((sm) => sm.length < bounds.count) && performance.now() < deadline; round += 1) {
    for (let j = 0; j < fns.length; j += 1) {
      const k = (j + round) % fns.length;
      for (let i = 0; i < bounds.block && rec.samples[k].length < bounds.count; i += 1) await rec.time(k);
    }
  }
  return rec.summaries();
}

/** Result of a closed-loop load run. */
export interface ThroughputResult {
  readonly concurrency: number;
  readonly calls: number;
  readonly errors: number;
  readonly seconds: number;
  /** Completed calls per second. */
  readonly perSecond: number;
  readonly latency: LatencySummary;
}

/**
 * `concurrency` workers, each calling its own `call` back to back, until `maxCalls` calls in total have been
 * started or `maxMs` has passed. Errors are counted, not thrown (the first is reported). The latencies are also
 * appended to `samples` when given (to summarize several slices together).
 */
export async function closedLoop(workers: ReadonlyArray<() => Promise<unknown>>, opts: { maxCalls: number; maxMs: number; samples?: number[] }): Promise<ThroughputResult & { firstError?: string }> {
  let started = 0;
  let errors = 0;
  let firstError: string | undefined;
  const samples: number[] = [];
  const t0 = performance.now();
  const deadline = t0 + opts.maxMs;
  await Promise.all(workers.map(async (call) => {
    while (started < opts.maxCalls && performance.now() < deadline) {
      started += 1;
      const s = performance.now();
      try {
        await call();
        samples.push(performance.now() - s);
      } catch (err) {
        errors += 1;
        firstError ??= (err as Error).message;
      }
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  opts.samples?.push(...samples);
  return { concurrency: workers.length, calls: samples.length, errors, seconds, perSecond: samples.length / seconds, latency: summarize(samples), ...(firstError ? { firstError } : {}) };
}
