import { PassThrough } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/errors.js';
import { jsonDepthExceeds, readJsonBody } from '../../../src/transports/http-io.js';

function request(body: string, headers: Record<string, string> = {}): IncomingMessage {
  const s = new PassThrough();
  s.end(body);
  return Object.assign(s, { headers: { 'content-type': 'application/json', ...headers } }) as unknown as IncomingMessage;
}
const limits = { maxBodyBytes: 1024, maxJsonDepth: 4 };
async function codeOf(p: Promise<unknown>): Promise<string> {
  try { await p; } catch (err) { return (err as GatewayError).code; }
  return 'ok';
}

describe('jsonDepthExceeds', () => {
  it('counts nesting outside strings only', () => {
    expect(jsonDepthExceeds('{"a":[[1]]}', 3)).toBe(false);
    expect(jsonDepthExceeds('{"a":[[[1]]]}', 3)).toBe(true);
    expect(jsonDepthExceeds('{"a":"[[[[[[[[["}', 2)).toBe(false);
    expect(jsonDepthExceeds('{"a":"\\"[[[[[["}', 2)).toBe(false);
  });
});

describe('readJsonBody', () => {
  it('parses a JSON-RPC object', async () => {
    expect(await readJsonBody(request('{"jsonrpc":"2.0","id":1,"method":"ping"}'), limits)).toEqual({ jsonrpc: '2.0', id: 1, method: 'ping' });
  });
  it('refuses by Content-Length before reading, and by size while reading', async () => {
    expect(await codeOf(readJsonBody(request('{}', { 'content-length': '5000' }), limits))).toBe('BODY_TOO_LARGE');
    expect(await codeOf(readJsonBody(request(`{"p":"${'x'.repeat(2000)}"}`), limits))).toBe('BODY_TOO_LARGE');
  });
  it('maps bad JSON, batches, scalars, nesting and media type to registry codes', async () => {
    expect(await codeOf(readJsonBody(request('{"a":'), limits))).toBe('PARSE_ERROR');
    expect(await codeOf(readJsonBody(request('[{"jsonrpc":"2.0"}]'), limits))).toBe('BATCH_REJECTED');
    expect(await codeOf(readJsonBody(request('42'), limits))).toBe('INVALID_REQUEST');
    expect(await codeOf(readJsonBody(request('{"a":[[[[[1]]]]]}'), limits))).toBe('TOO_DEEP');
    expect(await codeOf(readJsonBody(request('{}', { 'content-type': 'text/plain' }), limits))).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(await codeOf(readJsonBody(request('{}', { 'content-type': 'text/plain' }), { ...limits, requireJsonType: false }))).toBe('ok');
  });
});
