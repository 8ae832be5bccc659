/**
 * The HTTP edge in process (real sockets on 127.0.0.1, port 0): an oversize body gets its 413 whether it is declared
 * or chunked, sent at once or slowly, read by a client that only reads after it wrote everything; and every refusal
 * reaches the audit hook with the size and hash of what was refused, never its content.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createMetrics } from '../../../src/core/metrics.js';
import { createHttpServer, type EdgeRefusal } from '../../../src/transports/http-app.js';
import { noteRefusal, readJsonBody, sendJson } from '../../../src/transports/http-io.js';
import { sdkRefusal } from '../../../src/transports/modern-http.js';
import { SessionTransport } from '../../../src/transports/session-transport.js';

const MAX = 64 * 1024;
let server: Server;
let port: number;
let refusals: EdgeRefusal[];
/** What /mcp does in a test (by default: nothing). */
let mcpRoute: (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

beforeEach(async () => {
  refusals = [];
  mcpRoute = () => undefined;
  server = createHttpServer({
    security: {
      checkOriginHost: () => ({ ok: true }) as never,
      corsHeaders: () => ({}),
      authenticate: async () => ({ ok: true, principal: { id: 'alice', authMethod: 'bearer' } }) as never,
    },
    routes: {
      rpc: async (req, res) => sendJson(res, 200, { ok: await readJsonBody(req, { maxBodyBytes: MAX, maxJsonDepth: 8, requireJsonType: false }) }),
      mcp: async (req, res) => mcpRoute(req, res), sseOpen: async () => undefined, ssePost: async () => undefined,
    },
    ready: async () => ({ ready: true, checks: {} }),
    metrics: createMetrics({ defaultMetrics: false }),
    logger: pino({ level: 'silent' }),
    timeouts: { headersTimeoutMs: 10_000, requestTimeoutMs: 60_000, keepAliveTimeoutMs: 5_000 },
    shuttingDown: () => false,
    onRefused: (r) => refusals.push(r),
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterEach(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/**
 * Sends `head` and then each of `body` in turn, each write waiting for the previous one to be taken by the kernel,
 * and reads nothing until all was written (as a client busy uploading does); returns what it read then, or the
 * socket error that cut it off.
 */
function upload(head: string, body: Buffer[]): Promise<{ response: string; error?: string }> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    const got: Buffer[] = [];
    let error: string | undefined;
    s.pause();
    s.on('error', (e: NodeJS.ErrnoException) => { error ??= e.code ?? e.message; });
    s.on('close', () => resolve({ response: Buffer.concat(got).toString('latin1'), error }));
    s.once('connect', async () => {
      try {
        await new Promise<void>((r, j) => s.write(head, (e) => (e ? j(e) : r())));
        for (const piece of body) await new Promise<void>((r, j) => s.write(piece, (e) => (e ? j(e) : r())));
        s.end();
      } catch (e) {
        error ??= (e as NodeJS.ErrnoException).code;
      }
      s.on('data', (c: Buffer) => got.push(c));
      s.resume();
    });
  });
}

const TOO_BIG = 8 * 1024 * 1024;

describe('413 reaches the client', () => {
  it('declared (Content-Length) and written at once: the client that reads only after its upload gets the 413, then the close', async () => {
    const r = await upload(`POST /rpc HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${TOO_BIG}\r\n\r\n`, [Buffer.alloc(TOO_BIG, 0x20)]);
    expect(r.error).toBeUndefined();
    expect(r.response).toMatch(/^HTTP\/1\.1 413 /);
    expect(r.response).toMatch(/connection: close/i);
    expect(r.response).toContain(`request body exceeds the limit: ${TOO_BIG} > ${MAX} bytes (MCP_GATEWAY_MAX_BODY_BYTES)`);
  });

  it('chunked, sent slowly in many pieces: the 413 still arrives after the last piece', async () => {
    const piece = Buffer.alloc(16 * 1024, 0x20);
    const chunks = Array.from({ length: 64 }, () => Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]));
    const r = await upload('POST /rpc HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n', [...chunks, Buffer.from('0\r\n\r\n')]);
    expect(r.error).toBeUndefined();
    expect(r.response).toMatch(/^HTTP\/1\.1 413 /);
    expect(r.response).toContain(`request body exceeds the limit: more than ${MAX} bytes (MCP_GATEWAY_MAX_BODY_BYTES)`);
  });
});

describe('every refusal is on the record', () => {
  async function post(body: string, headers: Record<string, string> = {}) {
    return fetch(`http://127.0.0.1:${port}/rpc`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
  }
  const sha = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

  it('malformed JSON, a batch and too-deep nesting: rule, principal, size and hash of the body, not its content', async () => {
    const bad = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"secret":"hunter2"';
    const batch = '[{"jsonrpc":"2.0","id":1,"method":"ping"}]';
    const deep = `{"a":${'['.repeat(20)}${']'.repeat(20)}}`;
    expect((await post(bad)).status).toBe(400);
    expect((await post(batch)).status).toBe(400);
    expect((await post(deep)).status).toBe(400);
    expect(refusals.map((r) => [r.ruleId, r.principal?.id, r.path, r.body])).toEqual([
      ['edge.parse_error', 'alice', '/rpc', { bytes: bad.length, declaredBytes: bad.length, sha256: sha(bad) }],
      ['edge.batch_rejected', 'alice', '/rpc', { bytes: batch.length, declaredBytes: batch.length, sha256: sha(batch) }],
      ['edge.too_deep', 'alice', '/rpc', { bytes: deep.length, declaredBytes: deep.length, sha256: sha(deep) }],
    ]);
    expect(JSON.stringify(refusals)).not.toContain('hunter2');
  });

  it('an oversize body: declared size, nothing read; a streamed one: the bytes read up to the limit and their hash', async () => {
    const big = 'x'.repeat(MAX + 1);
    expect((await post(big)).status).toBe(413);
    expect(refusals[0]).toMatchObject({ ruleId: 'edge.body_too_large', body: { bytes: 0, declaredBytes: MAX + 1 } });
    expect(refusals[0].body?.sha256).toBeUndefined();
    const r = await upload('POST /rpc HTTP/1.1\r\nhost: 127.0.0.1\r\ntransfer-encoding: chunked\r\n\r\n',
      [Buffer.from(`${(MAX + 1).toString(16)}\r\n${big}\r\n0\r\n\r\n`)]);
    expect(r.response).toMatch(/^HTTP\/1\.1 413 /);
    expect(refusals[1]).toMatchObject({ ruleId: 'edge.body_too_large', body: { bytes: MAX, sha256: sha(big.slice(0, MAX)) } });
  });

  it('an unknown path is audited too (the refusal answered by the edge itself)', async () => {
    expect((await fetch(`http://127.0.0.1:${port}/admin`)).status).toBe(404);
    expect(refusals.map((r) => [r.ruleId, r.path])).toEqual([['edge.not_found', '/admin']]);
  });

  /** Resolves once `n` refusals were recorded (the edge records an answer written by an adapter when it finished). */
  async function recorded(n: number): Promise<EdgeRefusal[]> {
    for (let i = 0; i < 1000 && refusals.length < n; i += 1) await new Promise((r) => setImmediate(r));
    return refusals;
  }

  it('an error answer an adapter writes itself (not through sendError) is recorded: named when noted, else by status', async () => {
    mcpRoute = (req, res) => {
      if (req.headers['x-case'] === 'noted') noteRefusal(res, { rule: 'rpc_32020', reason: 'MCP 2026-07-28: header mismatch' });
      res.writeHead(req.headers['x-case'] === 'ok' ? 200 : 400, { 'content-type': 'application/json' }).end('{"secret":"hunter2"}');
    };
    const send = (c: string) => fetch(`http://127.0.0.1:${port}/mcp`, { method: 'POST', headers: { 'x-case': c }, body: '{"secret":"hunter2"}' });
    expect((await send('noted')).status).toBe(400);
    expect((await send('ok')).status).toBe(200);
    expect((await send('plain')).status).toBe(400);
    expect((await recorded(2)).map((r) => [r.ruleId, r.reason, r.principal?.id, r.path])).toEqual([
      ['edge.rpc_32020', 'MCP 2026-07-28: header mismatch', 'alice', '/mcp'],
      ['edge.http_400', 'POST /mcp answered 400', 'alice', '/mcp'],
    ]);
    expect(JSON.stringify(refusals)).not.toContain('hunter2');
  });

  it('a refusal sent with sendError is recorded once, not again by the fallback', async () => {
    expect((await fetch(`http://127.0.0.1:${port}/rpc`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '[]' })).status).toBe(400);
    expect((await fetch(`http://127.0.0.1:${port}/admin`)).status).toBe(404);
    expect((await recorded(3)).map((r) => r.ruleId)).toEqual(['edge.batch_rejected', 'edge.not_found']);
  });

  it('a request whose session closes before its answer: the 404 is recorded as edge.session_closed', async () => {
    const transport = new SessionTransport({ sessionId: 's1', heartbeatMs: 60_000 });
    let received!: () => void;
    const inFlight = new Promise<void>((r) => { received = r; });
    transport.onmessage = () => received();
    mcpRoute = (req, res) => transport.handlePost(req, res, { jsonrpc: '2.0', id: 7, method: 'tools/list' }, {});
    const answer = fetch(`http://127.0.0.1:${port}/mcp`, { method: 'POST', headers: { accept: 'application/json, text/event-stream' } });
    await inFlight;
    await transport.close();
    expect((await answer).status).toBe(404);
    expect((await recorded(1)).map((r) => [r.ruleId, r.principal?.id])).toEqual([['edge.session_closed', 'alice']]);
  });
});

describe('sdkRefusal', () => {
  it('names the SDK error by its JSON-RPC code and bounds the message; a body that is not JSON is named by status', () => {
    const body = Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32022, message: `Unsupported protocol version ${'x'.repeat(500)}` } }));
    const note = sdkRefusal(400, body);
    expect(note.rule).toBe('rpc_32022');
    expect(note.reason).toMatch(/^MCP 2026-07-28: Unsupported protocol version x+$/);
    expect(note.reason.length).toBeLessThanOrEqual('MCP 2026-07-28: '.length + 200);
    expect(sdkRefusal(405, Buffer.from('Method Not Allowed'))).toEqual({ rule: 'http_405', reason: 'MCP 2026-07-28: answered 405' });
    expect(sdkRefusal(404, undefined)).toEqual({ rule: 'http_404', reason: 'MCP 2026-07-28: answered 404' });
  });
});
