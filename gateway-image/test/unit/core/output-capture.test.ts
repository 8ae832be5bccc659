import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ToolProgress } from '../../../src/core/contracts.js';
import { captureOutput } from '../../../src/core/tools/output-capture.js';

function streams() {
  return { out: new PassThrough(), err: new PassThrough() };
}

describe('captureOutput', () => {
  it('buffered: keeps stdout and stderr apart up to the cap and calls onCap once', async () => {
    const { out, err } = streams();
    let caps = 0;
    const c = captureOutput(out, err, { maxBytes: 10, chunkBytes: 4, onCap: () => { caps += 1; } });
    out.write('hello ');
    err.write('oops');
    out.write('world!!');
    out.end();
    err.end();
    await c.finished;
    expect(c.result()).toEqual({ stdout: 'hello ', stderr: 'oops', truncated: true, bytes: 17 });
    expect(caps).toBe(1);
  });

  it('streaming: forwards every byte in order as chunks of at most chunkBytes, while the result stays capped', async () => {
    const { out, err } = streams();
    const progress: ToolProgress[] = [];
    const c = captureOutput(out, err, { maxBytes: 8, chunkBytes: 5, progress: (p) => { progress.push(p); } });
    const text = 'abcdefghijklmnopqrstuvwxyz';
    for (const ch of text.match(/.{1,3}/g)!) out.write(ch);
    err.write('E');
    out.end();
    err.end();
    await c.finished;
    const parts = progress.map((p) => JSON.parse(p.message!) as { stream: string; data: string });
    expect(parts.filter((p) => p.stream === 'stdout').map((p) => p.data).join('')).toBe(text);
    expect(parts.filter((p) => p.stream === 'stderr').map((p) => p.data).join('')).toBe('E');
    expect(parts.every((p) => Buffer.byteLength(p.data) <= 5)).toBe(true);
    expect(progress.map((p) => p.progress)).toEqual([...progress.map((p) => p.progress)].sort((a, b) => a - b));
    expect(progress.at(-1)!.progress).toBe(27);
    expect(c.result()).toMatchObject({ stdout: 'abcdefgh', truncated: true, bytes: 27 });
  });
});

describe('captureOutput backpressure', () => {
  it('pauses reading while the progress sink is full and resumes when it drains', async () => {
    const { out, err } = streams();
    let release!: () => void;
    let calls = 0;
    const c = captureOutput(out, err, {
      maxBytes: 1024, chunkBytes: 4,
      progress: () => { calls += 1; return calls === 1 ? new Promise<void>((r) => { release = r; }) : undefined; },
    });
    out.write('abcd');
    await new Promise((r) => setImmediate(r));
    expect(out.isPaused()).toBe(true);
    out.write('efgh');
    await new Promise((r) => setImmediate(r));
    expect(calls).toBe(1);
    release();
    await new Promise((r) => setImmediate(r));
    expect(out.isPaused()).toBe(false);
    out.end();
    err.end();
    await c.finished;
    expect(calls).toBe(2);
    expect(c.result().stdout).toBe('abcdefgh');
  });
});

describe('captureOutput stream limit', () => {
  it('stops forwarding and calls onStreamLimit once past maxStreamBytes', async () => {
    const { out, err } = streams();
    const sent: string[] = [];
    let limits = 0;
    const c = captureOutput(out, err, { maxBytes: 100, chunkBytes: 4, maxStreamBytes: 10, onStreamLimit: () => { limits += 1; }, progress: (p) => { sent.push(JSON.parse(p.message!).data); } });
    for (const piece of ['abcd', 'efgh', 'ijkl', 'mnop']) out.write(piece);
    out.end();
    err.end();
    await c.finished;
    expect(limits).toBe(1);
    expect(sent.join('')).toBe('abcdefgh');
  });
});

describe('captureOutput flushing on time (streaming)', () => {
  const tick = () => new Promise<void>((r) => process.nextTick(r));
  const data = (p: ToolProgress) => (JSON.parse(p.message!) as { data: string }).data;

  it('forwards a small piece while the stream stays open: the consumer gets "ready" before the producer writes "done"', async () => {
    const { out, err } = streams();
    const got: string[] = [];
    let next!: () => void;
    const arrived = () => new Promise<void>((r) => { next = r; });
    let waiting = arrived();
    const c = captureOutput(out, err, { maxBytes: 1024, chunkBytes: 16 * 1024, progress: (p) => { got.push(data(p)); next(); } });
    out.write('ready\n');
    // A capture that held small pieces until chunkBytes (or the end) never resolves this: the test times out.
    await waiting;
    waiting = arrived();
    out.write('done\n');
    await waiting;
    expect(got).toEqual(['ready\n', 'done\n']);
    out.end();
    err.end();
    await c.finished;
    expect(got).toEqual(['ready\n', 'done\n']);
  });

  describe('with fake time', () => {
    beforeEach(() => { vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'performance'] }); });
    afterEach(() => { vi.useRealTimers(); });

    it('sends after a quiet spell at once, coalesces a steady flow to one notification per flushMs, and a full chunk at once', async () => {
      const { out, err } = streams();
      const got: string[] = [];
      const c = captureOutput(out, err, { maxBytes: 1024, chunkBytes: 8, flushMs: 20, progress: (p) => { got.push(data(p)); } });
      out.write('a');
      await tick();
      vi.advanceTimersByTime(0); // the I/O turn's end
      expect(got).toEqual(['a']);
      out.write('b');
      await tick();
      out.write('c');
      await tick();
      vi.advanceTimersByTime(19);
      expect(got).toEqual(['a']);
      vi.advanceTimersByTime(1);
      expect(got).toEqual(['a', 'bc']);
      out.write('12345678');
      await tick();
      expect(got).toEqual(['a', 'bc', '12345678']);
      vi.advanceTimersByTime(100); // quiet again
      out.write('z');
      await tick();
      vi.advanceTimersByTime(0);
      expect(got).toEqual(['a', 'bc', '12345678', 'z']);
      out.end();
      err.end();
      await c.finished;
      expect(vi.getTimerCount()).toBe(0);
    });

    it('the end sends what is pending at once and leaves no timer; stop() clears a pending flush and nothing is sent after it', async () => {
      const first = streams();
      const got: string[] = [];
      const c = captureOutput(first.out, first.err, { maxBytes: 1024, chunkBytes: 64, flushMs: 500, progress: (p) => { got.push(data(p)); } });
      first.out.write('x');
      await tick();
      vi.advanceTimersByTime(0);
      first.out.write('y');
      await tick();
      expect(vi.getTimerCount()).toBe(1);
      first.out.end();
      first.err.end();
      await c.finished;
      expect(got).toEqual(['x', 'y']);
      expect(vi.getTimerCount()).toBe(0);

      const second = streams();
      const later: string[] = [];
      const d = captureOutput(second.out, second.err, { maxBytes: 1024, chunkBytes: 64, flushMs: 500, progress: (p) => { later.push(data(p)); } });
      second.out.write('p');
      await tick();
      expect(vi.getTimerCount()).toBe(1);
      d.stop();
      expect(vi.getTimerCount()).toBe(0);
      second.out.write('q');
      await tick();
      vi.advanceTimersByTime(1000);
      second.out.end();
      second.err.end();
      await d.finished;
      expect(later).toEqual([]);
      expect(d.result().stdout).toBe('pq');
    });

    it('schedules nothing while the client is full; the drain sends what arrived meanwhile', async () => {
      const { out, err } = streams();
      const got: string[] = [];
      let release!: () => void;
      const c = captureOutput(out, err, {
        maxBytes: 1024, chunkBytes: 64, flushMs: 20,
        progress: (p) => { got.push(data(p)); return got.length === 1 ? new Promise<void>((r) => { release = r; }) : undefined; },
      });
      out.write('a');
      await tick();
      vi.advanceTimersByTime(0);
      expect(got).toEqual(['a']);
      expect(out.isPaused()).toBe(true);
      out.write('b'); // buffered in the paused stream
      await tick();
      vi.advanceTimersByTime(1000);
      expect(got).toEqual(['a']);
      expect(vi.getTimerCount()).toBe(0);
      release();
      await vi.advanceTimersByTimeAsync(20);
      expect(got).toEqual(['a', 'b']);
      out.end();
      err.end();
      await c.finished;
      expect(vi.getTimerCount()).toBe(0);
    });
  });
});
