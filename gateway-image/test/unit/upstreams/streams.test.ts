import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { DockerStreamDemuxer } from '../../../src/core/upstreams/docker-stream-demuxer.js';
import { SharedSchemaValidator } from '../../../src/core/upstreams/shared-schema-validator.js';
import { StreamTransport } from '../../../src/core/upstreams/stream-transport.js';

const frame = (type: number, text: string) => {
  const payload = Buffer.from(text);
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
};

describe('DockerStreamDemuxer', () => {
  it('splits stdout and stderr frames fed in arbitrary pieces', () => {
    const out: string[] = [];
    const err: string[] = [];
    const d = new DockerStreamDemuxer({ stdout: (b) => out.push(b.toString()), stderr: (b) => err.push(b.toString()) });
    const all = Buffer.concat([frame(1, '{"a":1}\n'), frame(2, 'warn'), frame(1, 'tail')]);
    for (let i = 0; i < all.length; i += 3) d.push(all.subarray(i, i + 3));
    expect(out.join('')).toBe('{"a":1}\ntail');
    expect(err).toEqual(['warn']);
  });
});

describe('StreamTransport', () => {
  it('parses newline-delimited JSON-RPC across chunks, skips junk lines, writes framed messages, and closes once', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    let stopped = 0;
    const t = new StreamTransport({ input, output, stop: async () => void stopped++ });
    const got: unknown[] = [];
    const errors: string[] = [];
    let closes = 0;
    t.onmessage = (m) => got.push(m);
    t.onerror = (e) => errors.push(e.message);
    t.onclose = () => closes++;
    await t.start();
    input.write('{"jsonrpc":"2.0","me');
    input.write('thod":"ping","id":1}\nnot json\n{"jsonrpc":"2.0","id":1,"result":{}}\n');
    await new Promise((r) => setImmediate(r));
    expect(got).toEqual([
      { jsonrpc: '2.0', method: 'ping', id: 1 },
      { jsonrpc: '2.0', id: 1, result: {} },
    ]);
    expect(errors).toHaveLength(1);
    await t.send({ jsonrpc: '2.0', id: 2, method: 'ping' });
    expect(output.read().toString()).toBe('{"jsonrpc":"2.0","id":2,"method":"ping"}\n');
    await t.close();
    await t.close();
    input.end();
    expect([stopped, closes]).toEqual([1, 1]);
    await expect(t.send({ jsonrpc: '2.0', id: 3, method: 'ping' })).rejects.toThrow(/closed/);
  });
});

describe('SharedSchemaValidator', () => {
  it('compiles a schema once for equal schemas and validates like the SDK', () => {
    const v = new SharedSchemaValidator();
    const schema = () => ({ type: 'object', properties: { n: { type: 'number' } }, required: ['n'] });
    const a = v.getValidator(schema());
    expect(v.getValidator(schema())).toBe(a);
    expect(a({ n: 1 })).toMatchObject({ valid: true });
    expect(a({ n: 'x' })).toMatchObject({ valid: false, errorMessage: expect.stringMatching(/number/) });
    expect(v.getValidator({ type: 'string' })).not.toBe(a);
  });
});
