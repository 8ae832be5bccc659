import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
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
