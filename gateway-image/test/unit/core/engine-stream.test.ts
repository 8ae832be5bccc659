/** Strict parsing of the engine's multiplexed stream: split headers work, malformed framing stops everything. */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { MAX_FRAME_BYTES, demuxStrict } from '../../../src/core/docker/engine-stream.js';

function frame(type: number, payload: string): Buffer {
  const head = Buffer.alloc(8);
  head[0] = type;
  head.writeUInt32BE(Buffer.byteLength(payload), 4);
  return Buffer.concat([head, Buffer.from(payload)]);
}

/** Feeds `chunks` through demuxStrict; returns what reached stdout and stderr and the violations reported. */
async function run(chunks: Buffer[]): Promise<{ out: string; err: string; violations: string[] }> {
  const source = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const violations: string[] = [];
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (c: Buffer) => out.push(c));
  stderr.on('data', (c: Buffer) => err.push(c));
  demuxStrict(source, stdout, stderr, (d) => violations.push(d));
  const ended = new Promise((r) => source.once('end', r));
  for (const c of chunks) source.write(c);
  source.end();
  source.resume();
  await ended;
  return { out: Buffer.concat(out).toString(), err: Buffer.concat(err).toString(), violations };
}

describe('demuxStrict', () => {
  it('splits stdout and stderr, with headers and payloads split across chunks at every byte', async () => {
    const all = Buffer.concat([frame(1, 'hello '), frame(2, 'oops'), frame(1, 'world'), frame(0, '!')]);
    for (let cut = 1; cut < all.length; cut += 1) {
      const r = await run([all.subarray(0, cut), all.subarray(cut)]);
      expect(r).toEqual({ out: 'hello world!', err: 'oops', violations: [] });
    }
    const bytewise = await run([...all].map((b) => Buffer.from([b])));
    expect(bytewise).toEqual({ out: 'hello world!', err: 'oops', violations: [] });
  });

  it('an unknown stream type stops the stream: nothing after it is passed on as stdout', async () => {
    const bad = frame(1, 'secret-looking bytes');
    bad[0] = 7;
    const r = await run([frame(1, 'before'), bad, frame(1, 'after')]);
    expect(r.out).toBe('before');
    expect(r.violations).toEqual([`frame header 0700000000000014: stream type 7 is not stdin/stdout/stderr/error, or padding is not zero`]);
  });

  it('non-zero padding is a violation too (it is how raw, unframed output looks)', async () => {
    const r = await run([Buffer.from('plain text output, not framed at all\n')]);
    expect(r.out).toBe('');
    expect(r.violations).toHaveLength(1);
  });

  it('an absurd length (a 4 GiB header) is refused at once, not buffered towards', async () => {
    const head = Buffer.from([1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]);
    const r = await run([frame(1, 'ok'), head, Buffer.alloc(1000)]);
    expect(r.out).toBe('ok');
    expect(r.violations).toEqual([`frame of 4294967295 bytes announced, more than the ${MAX_FRAME_BYTES} accepted`]);
  });

  it('the engine\'s error frame (type 3) ends the stream with its message', async () => {
    const r = await run([frame(1, 'a'), frame(3, 'exec failed: container stopped'), frame(1, 'b')]);
    expect(r.out).toBe('a');
    expect(r.violations).toEqual(['engine error in stream: exec failed: container stopped']);
  });

  it('a stream that ends inside a frame says so', async () => {
    const r = await run([frame(1, 'whole'), frame(1, 'cut short').subarray(0, 11)]);
    expect(r.out).toBe('whole');
    expect(r.violations).toEqual(['stream ended inside a frame (11 bytes of an incomplete frame)']);
  });
});
