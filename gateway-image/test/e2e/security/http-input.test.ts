/**
 * Negative suite, HTTP edge: malformed, oversized, batched and deeply nested JSON-RPC on /rpc and /mcp, wrong
 * content type, foreign Origin and Host (refused before the body is read), and CORS that is never `*`.
 * None of these reaches the tool pipeline: the target gets no exec and the audit log no record.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTarget, uniq, type TestContainer } from '../helpers/docker-cli.js';
import { E2E_CONFIG, startGateway, type GatewayUnderTest } from '../helpers/gateway-container.js';
import { auditRecords, eventClock, execsSince, headOnlyRequest, lastSeq, postRaw, streamUntilClosed, toolRecordsAfter } from './security-helpers.js';

const CORS_ORIGIN = 'https://app.example.test';
const MAX_BODY = 65_536;

describe('security: hostile HTTP input on /rpc and /mcp (built image, real engine)', () => {
  let gw: GatewayUnderTest;
  let target: TestContainer;
  let since: string;
  let seqBefore: number;
  const execBody = () => ({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'docker_exec', arguments: { id: target.name, cmd: ['echo', 'should-not-run'] } } });

  beforeAll(async () => {
    target = await runTarget(uniq('sec-http-target'));
    gw = await startGateway({
      env: { MCP_GATEWAY_MAX_BODY_BYTES: String(MAX_BODY), MCP_GATEWAY_PUBLIC_HOSTNAME: 'mcp.example.test' },
      config: { ...E2E_CONFIG, http: { corsOrigins: [CORS_ORIGIN], corsAllowCredentials: true } },
    });
    since = eventClock();
    seqBefore = await lastSeq(gw);
  });
  afterAll(async () => {
    await gw?.remove();
    await target?.remove();
  });

  it.each(['/rpc', '/mcp'])('%s: malformed JSON is 400 / -32700', async (path) => {
    const res = await postRaw(gw, path, '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"docker_exec",');
    expect(res.status).toBe(400);
    expect((await res.json()).error).toMatchObject({ code: -32700, message: expect.stringMatching(/parse error/) });
  });

  it.each(['/rpc', '/mcp'])('%s: a body over the limit is 413 (declared length)', async (path) => {
    const body = JSON.stringify({ ...execBody(), pad: 'x'.repeat(MAX_BODY + 10) });
    const res = await postRaw(gw, path, body);
    expect(res.status).toBe(413);
    expect((await res.json()).error).toMatchObject({ code: -32600, message: expect.stringMatching(/exceeds the limit/) });
  });

  it.each(['/rpc', '/mcp'])('%s: a streamed body (no Content-Length) is cut off at the limit: 413, then the connection closes', async (path) => {
    const r = await streamUntilClosed(gw.url, path, MAX_BODY);
    expect(r.status).toBe(413);
    expect(r.connection).toBe('close');
    // The gateway stopped reading: the socket closed long before the client ran out of data to send.
    expect(r.closed).toBe(true);
  });

  it.each(['/rpc', '/mcp'])('%s: a JSON-RPC batch is refused (a batched exec does not run)', async (path) => {
    const res = await postRaw(gw, path, JSON.stringify([execBody(), { ...execBody(), id: 2 }]));
    expect(res.status).toBe(400);
    expect((await res.json()).error).toMatchObject({ code: -32600, message: expect.stringMatching(/batches are not accepted/) });
  });

  it.each(['/rpc', '/mcp'])('%s: nesting deeper than the limit is refused before parsing', async (path) => {
    const res = await postRaw(gw, path, `{"jsonrpc":"2.0","id":1,"method":"ping","params":{"a":${'['.repeat(5000)}${']'.repeat(5000)}}}`);
    expect(res.status).toBe(400);
    expect((await res.json()).error).toMatchObject({ code: -32600, message: expect.stringMatching(/nesting exceeds the limit/) });
  });

  it('/rpc: a JSON value that is not a JSON-RPC request object is -32600', async () => {
    for (const body of ['"just a string"', '42', 'null', '{"id":1,"method":"tools/call"}', '{"jsonrpc":"1.0","id":1,"method":"ping"}']) {
      const res = await postRaw(gw, '/rpc', body);
      expect(res.status, body).toBe(400);
      expect((await res.json()).error.code, body).toBe(-32600);
    }
  });

  it('/mcp: a non-JSON content type is 415 even with a valid JSON body', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const res = await postRaw(gw, '/mcp', JSON.stringify(execBody()), { 'content-type': type });
      expect(res.status, type).toBe(415);
      expect((await res.json()).error.message, type).toMatch(/Content-Type must be application\/json/);
    }
  });

  it.each(['/rpc', '/mcp'])('%s: a foreign Origin is 403 before the body is read', async (path) => {
    const r = await headOnlyRequest(gw.url, path, { origin: 'https://evil.example', authorization: 'Bearer e2e-token-0123456789abcdef' });
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body).error.message).toMatch(/origin not allowed/);
    expect(r.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('origins that only look allowed are refused: null, a path, userinfo, another scheme, a suffix', async () => {
    for (const origin of ['null', 'https://mcp.example.test.evil.example', 'https://mcp.example.test/x', 'https://user@mcp.example.test', 'file://mcp.example.test', 'http://localhost.evil.example']) {
      const r = await headOnlyRequest(gw.url, '/rpc', { origin, authorization: 'Bearer e2e-token-0123456789abcdef' });
      expect(r.status, origin).toBe(403);
    }
    // The public hostname itself is allowed (the request then fails later for want of a body, not at the Origin check).
    const ok = await postRaw(gw, '/rpc', '{"jsonrpc":"2.0","id":1,"method":"ping"}', { origin: 'https://mcp.example.test' });
    expect(ok.status).toBe(200);
  });

  it.each(['/rpc', '/mcp'])('%s: a foreign Host (DNS rebinding) is 403 before the body is read, even with a valid token', async (path) => {
    const r = await headOnlyRequest(gw.url, path, { host: 'attacker.example:80', authorization: 'Bearer e2e-token-0123456789abcdef' });
    expect(r.status).toBe(403);
    expect(JSON.parse(r.body).error.message).toMatch(/host not allowed/);
  });

  it('refusals are counted by reason in /metrics', async () => {
    const metrics = await (await gw.fetch('/metrics')).text();
    expect(metrics).toMatch(/mcp_auth_failures_total\{reason="origin_not_allowed"\} [1-9]/);
    expect(metrics).toMatch(/mcp_auth_failures_total\{reason="host_not_allowed"\} [1-9]/);
  });

  it('CORS: only the configured origin gets headers, echoed exactly with credentials, never *', async () => {
    const pre = await fetch(`${gw.url}/mcp`, { method: 'OPTIONS', headers: { origin: CORS_ORIGIN, 'access-control-request-method': 'POST' } });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe(CORS_ORIGIN);
    expect(pre.headers.get('access-control-allow-credentials')).toBe('true');
    expect(pre.headers.get('vary')).toMatch(/Origin/);
    // A localhost origin passes the Origin check but is not a CORS origin: no CORS headers, preflight refused.
    const local = await fetch(`${gw.url}/mcp`, { method: 'OPTIONS', headers: { origin: 'http://localhost:6274', 'access-control-request-method': 'POST' } });
    expect(local.status).toBe(403);
    expect(local.headers.get('access-control-allow-origin')).toBeNull();
    for (const res of [pre, local, await gw.fetch('/ready', { headers: { origin: CORS_ORIGIN } })]) {
      expect(res.headers.get('access-control-allow-origin')).not.toBe('*');
    }
  });

  it('none of the above reached Docker or the tool pipeline: no new exec in the target, no tool audit record', async () => {
    expect(await execsSince(target.name, since)).toEqual([]);
    expect(await toolRecordsAfter(gw, seqBefore)).toEqual([]);
    // Foreign Host/Origin refusals are audited at the edge with their rule ids.
    const edge = (await auditRecords(gw)).filter((r) => r.seq > seqBefore && r.tool.startsWith('http:'));
    expect(edge.length).toBeGreaterThan(0);
    expect(edge.every((r) => r.decision === 'deny' && /^(edge|auth)\./.test(r.ruleId))).toBe(true);
  });
});
