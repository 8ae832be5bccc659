import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { DockerStreamDemuxer } from '../../../src/core/upstreams/docker-stream-demuxer.js';
import { SharedSchemaValidator } from '../../../src/core/shared-schema-validator.js';
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

describe('StreamTransport line reading', () => {
  const setup = async () => {
    const input = new PassThrough();
    const t = new StreamTransport({ input, output: new PassThrough(), stop: async () => undefined });
    const got: unknown[] = [];
    const errors: string[] = [];
    t.onmessage = (m) => got.push(m);
    t.onerror = (e) => errors.push(e.message);
    await t.start();
    const flush = () => new Promise((r) => setImmediate(r));
    return { input, t, got, errors, flush };
  };

  it('joins a line split inside a multi-byte character, accepts CRLF, and reports JSON that is not JSON-RPC', async () => {
    const { input, got, errors, flush } = await setup();
    const line = Buffer.from('{"jsonrpc":"2.0","id":7,"result":{"text":"h\u00e9 \u2603 ☃"}}\r\n');
    const cut = line.indexOf(Buffer.from('☃')) + 1;
    input.write(line.subarray(0, 5));
    input.write(line.subarray(5, cut));
    input.write(Buffer.concat([line.subarray(cut), Buffer.from('[1,2]\n42\n{"id":1}\n{"jsonrpc":"2.0","method":"notifications/x"}\n')]));
    await flush();
    expect(got).toEqual([
      { jsonrpc: '2.0', id: 7, result: { text: 'hé ☃ ☃' } },
      { jsonrpc: '2.0', method: 'notifications/x' },
    ]);
    expect(errors).toHaveLength(3);
    expect(errors[0]).toMatch(/not a JSON-RPC 2.0 message: \[1,2\]/);
  });

  it('drops a line longer than the SDK limit without buffering it further, then reads on', async () => {
    const { input, got, errors, flush } = await setup();
    const mib = Buffer.alloc(1024 * 1024, 0x61);
    for (let i = 0; i < 11; i++) input.write(mib);
    input.write('tail of the long line\n{"jsonrpc":"2.0","id":1,"result":{}}\n');
    await flush();
    expect(errors[0]).toMatch(/exceeded \d+ bytes without a newline/);
    expect(got).toEqual([{ jsonrpc: '2.0', id: 1, result: {} }]);
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
