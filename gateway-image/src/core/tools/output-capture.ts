/**
 * Collects a process's stdout/stderr up to a byte cap, optionally forwarding the output as progress notifications
 * while it arrives (streaming mode). Used by docker_exec and docker_logs so both cap and stream the same way.
 *
 * Streaming sends output when it arrives rather than when a chunk is full: a command that prints a line a second
 * must show each line as it comes, not 16 KiB later. Output that arrives after a quiet spell (longer than
 * `flushMs`) goes out at once (after the current I/O turn, so the pieces of one read travel together); under a
 * steady flow pieces are coalesced and sent at least every `flushMs`, or as soon as `chunkBytes` are pending. So a
 * piece waits at most `flushMs`, except while the client's connection is full (backpressure), when nothing is sent
 * and the producer is paused until it drains.
 */
import type { Readable } from 'node:stream';
import type { ToolProgress } from '../contracts.js';

/** What a capture returns once the streams end or the cap is hit. */
export interface CapturedOutput {
  stdout: string;
  stderr: string;
  /** True when output beyond `maxBytes` was discarded. */
  truncated: boolean;
  /** Bytes received in total (kept or discarded). */
  bytes: number;
}

/** Options of {@link captureOutput}. */
export interface CaptureOptions {
  readonly maxBytes: number;
  readonly chunkBytes: number;
  /**
   * Streaming only: the longest a received piece of output waits before it is sent (coalescing a steady flow into
   * fewer notifications). 0 sends every piece after the I/O turn it arrived in. @default 20
   */
  readonly flushMs?: number;
  /** Forward chunks as progress notifications while running; a returned promise pauses reading until it settles. */
  readonly progress?: (p: ToolProgress) => void | Promise<void>;
  /** Called once when the cap is first exceeded (buffered callers stop the producer; streaming ones let it run). */
  readonly onCap?: () => void;
  /** Streaming only: once this many bytes have been received, `onStreamLimit` is called (once). */
  readonly maxStreamBytes?: number;
  readonly onStreamLimit?: () => void;
  /** Counts streamed bytes for /metrics. */
  readonly onBytes?: (n: number) => void;
}

/** A running capture. */
export interface OutputCapture {
  /** Settles once both streams ended and everything received was forwarded (streaming). */
  readonly finished: Promise<void>;
  result(): CapturedOutput;
  /**
   * Stops forwarding: clears the flush timer, and nothing is sent as progress afterwards (the call's result follows).
   * `finished` does this itself; callers also call it on their way out so no path leaves a timer behind.
   */
  stop(): void;
}

/** The default of {@link CaptureOptions.flushMs}. */
export const DEFAULT_FLUSH_MS = 20;

/** Starts capturing; returns the result accessor and a promise of the moment both streams ended. */
export function captureOutput(stdout: Readable, stderr: Readable, opts: CaptureOptions): OutputCapture {
  const kept = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
  const flushMs = opts.flushMs ?? DEFAULT_FLUSH_MS;
  let keptBytes = 0;
  let total = 0;
  let truncated = false;
  let pending: Array<{ stream: 'stdout' | 'stderr'; data: Buffer }> = [];
  let pendingBytes = 0;
  let sent = 0;

  let waiting = false;
  let streamLimited = false;
  let stopped = false;
  // When the last notification went out, and the one flush scheduled (an immediate or a timer), if any.
  let lastFlush = -Infinity;
  let scheduled: { timer?: NodeJS.Timeout; immediate?: NodeJS.Immediate } | undefined;
  const unschedule = () => {
    if (!scheduled) return;
    clearTimeout(scheduled.timer);
    if (scheduled.immediate) clearImmediate(scheduled.immediate);
    scheduled = undefined;
  };

  // Sends what is pending as progress notifications of at most chunkBytes each, one stream at a time in order.
  const flush = () => {
    unschedule();
    if (!opts.progress || pendingBytes === 0 || stopped) return;
    lastFlush = performance.now();
    const waits: Array<Promise<void>> = [];
    let i = 0;
    while (i < pending.length) {
      const stream = pending[i].stream;
      const run: Buffer[] = [];
      while (i < pending.length && pending[i].stream === stream) run.push(pending[i++].data);
      const data = run.length === 1 ? run[0] : Buffer.concat(run);
      for (let off = 0; off < data.length; off += opts.chunkBytes) {
        const piece = data.subarray(off, off + opts.chunkBytes);
        sent += piece.length;
        const w = opts.progress({ progress: sent, message: JSON.stringify({ stream, data: piece.toString('utf8') }) });
        if (w) waits.push(w);
      }
    }
    pending = [];
    pendingBytes = 0;
    // The client's connection is full: stop reading (the engine then stops the process's writes) until it drains.
    if (waits.length > 0 && !waiting && !stopped) {
      waiting = true;
      stdout.pause();
      stderr.pause();
      void Promise.allSettled(waits).then(() => {
        waiting = false;
        if (stopped) return;
        stdout.resume();
        stderr.resume();
        schedule();
      });
    }
  };

  // Arranges the next flush of pending output: at once after a quiet spell, else flushMs after the previous one.
  // Nothing is scheduled while the client's connection is full: the drain schedules it.
  const schedule = () => {
    if (scheduled || waiting || stopped || pendingBytes === 0) return;
    const due = lastFlush + flushMs - performance.now();
    scheduled = due <= 0 ? { immediate: setImmediate(flush) } : { timer: setTimeout(flush, due) };
  };

  const onData = (stream: 'stdout' | 'stderr') => (chunk: Buffer) => {
    total += chunk.length;
    opts.onBytes?.(chunk.length);
    // Streaming forwards everything up to maxStreamBytes; only what the final result carries is capped.
    if (opts.progress && opts.maxStreamBytes !== undefined && total > opts.maxStreamBytes) {
      if (!streamLimited) { streamLimited = true; flush(); opts.onStreamLimit?.(); }
      return;
    }
    if (opts.progress && !stopped) {
      pending.push({ stream, data: chunk });
      pendingBytes += chunk.length;
      if (pendingBytes >= opts.chunkBytes) flush();
      else schedule();
    }
    if (truncated) return;
    const room = opts.maxBytes - keptBytes;
    const piece = chunk.length <= room ? chunk : chunk.subarray(0, room);
    if (piece.length > 0) {
      kept[stream].push(piece);
      keptBytes += piece.length;
    }
    if (chunk.length > room) {
      truncated = true;
      opts.onCap?.();
    }
  };

  stdout.on('data', onData('stdout'));
  stderr.on('data', onData('stderr'));
  const ended = (s: Readable) => new Promise<void>((resolve) => {
    if (s.readableEnded || s.destroyed) return resolve();
    s.once('end', resolve);
    s.once('close', resolve);
    s.once('error', () => resolve());
  });
  const stop = () => {
    stopped = true;
    unschedule();
  };
  // The last flush sends whatever is still pending (also while the client is slow: it is the end of the output).
  const finished = Promise.all([ended(stdout), ended(stderr)]).then(() => {
    flush();
    stop();
  });

  return {
    finished,
    stop,
    result: () => ({
      stdout: Buffer.concat(kept.stdout).toString('utf8'),
      stderr: Buffer.concat(kept.stderr).toString('utf8'),
      truncated,
      bytes: total,
    }),
  };
}

/**
 * Waits until the output has ended, stopping the producer through `onDeadline` after `deadlineMs` (when given) and
 * through `onAbort` when the call is cancelled; timer and listener are always removed.
 */
export async function awaitOutput(finished: Promise<void>, opts: { signal: AbortSignal; deadlineMs?: number; onDeadline: () => void; onAbort: () => void }): Promise<void> {
  const timer = opts.deadlineMs === undefined ? undefined : setTimeout(opts.onDeadline, opts.deadlineMs);
  opts.signal.addEventListener('abort', opts.onAbort, { once: true });
  try {
    await finished;
  } finally {
    clearTimeout(timer);
    opts.signal.removeEventListener('abort', opts.onAbort);
  }
}
