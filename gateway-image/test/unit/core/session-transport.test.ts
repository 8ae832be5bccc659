/**
 * The /mcp adapter and its SessionTransport on a real node:http server on 127.0.0.1, driven by the official SDK
 * client and by plain fetch for the protocol's edges. The MCP server is an SDK Server with test tools, so what is
 * under test is the transport: JSON or SSE per request, keep-alive upgrade, cancellation on disconnect, backpressure.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal } from '../../../src/core/contracts.js';
import { createMetrics } from '../../../src/core/metrics.js';
import { GatewayError } from '../../../src/errors.js';
import { sendError } from '../../../src/transports/http-io.js';
import { createSessionRegistry } from '../../../src/transports/session-registry.js';
import { messageKind } from '../../../src/transports/session-transport.js';
import { createStreamableHttpAdapter } from '../../../src/transports/streamable-http.js';

const HEARTBEAT_MS = 300;
const principal: Principal = { id: 'tester', authMethod: 'bearer' };

/** What the test tools saw, for assertions. */
const seen = { aborted: [] as string[], maxWritable: 0, paused: 0 };

function testServer(): Server {
  const server = new Server({ name: 't', version: '1' }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: [] }));
  server.setRequestHandler(CallToolRequestSchema, async (req, extra): Promise<CallToolResult> => {
    const args = (req.params.arguments ?? {}) as { ms?: number; chunks?: number; bytes?: number; tag?: string };
    const token = req.params._meta?.progressToken;
    const drained = (extra.authInfo?.extra as { drained?: () => Promise<void> | undefined } | undefined)?.drained;
    if (req.params.name === 'progress') {
      for (let i = 1; i <= (args.chunks ?? 3); i += 1) {
        if (token !== undefined) {
          void extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: i, message: 'x'.repeat(args.bytes ?? 10) } });
          const wait = drained?.();
          if (wait) { seen.paused += 1; await wait; }
        }
      }
      return { content: [{ type: 'text', text: 'done' }] };
    }
    if (req.params.name === 'sleep') {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, args.ms ?? 0);
        extra.signal.addEventListener('abort', () => { clearTimeout(t); seen.aborted.push(args.tag ?? ''); resolve(); }, { once: true });
      });
      return { content: [{ type: 'text', text: `slept ${args.ms}` }] };
    }
    return { content: [{ type: 'text', text: 'echo' }] };
  });
  return server;
}

let httpServer: http.Server;
let base: string;

beforeAll(async () => {
  const metrics = createMetrics({ defaultMetrics: false });
  const sessions = createSessionRegistry({ maxSessions: 10, idleMs: 60_000, metrics });
  const adapter = createStreamableHttpAdapter({
    newServer: testServer, sessions, limits: { maxBodyBytes: 1 << 20, maxJsonDepth: 32 }, logger: pino({ level: 'silent' }), heartbeatMs: HEARTBEAT_MS,
  });
  httpServer = http.createServer((req, res) => {
    adapter.handle(req, res, principal).catch((err) => sendError(res, err instanceof GatewayError ? err : new GatewayError('INTERNAL')));
  });
  await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}/mcp`;
});
afterAll(async () => {
  httpServer.closeAllConnections();
  await new Promise((r) => httpServer.close(r));
});

async function connect(): Promise<{ client: Client; transport: StreamableHTTPClientTransport; contentTypes: string[] }> {
  const contentTypes: string[] = [];
  const transport = new StreamableHTTPClientTransport(new URL(base), {
    fetch: async (url, init) => {
      const r = await fetch(url, init);
      if (init?.method === 'POST') contentTypes.push(r.headers.get('content-type') ?? String(r.status));
      return r;
    },
  });
  const client = new Client({ name: 'test', version: '1' });
  await client.connect(transport);
  return { client, transport, contentTypes };
}

const HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
const INIT = { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };

async function rawSession(): Promise<string> {
  const r = await fetch(base, { method: 'POST', headers: HEADERS, body: JSON.stringify(INIT) });
  expect(r.status).toBe(200);
  await r.text();
  return r.headers.get('mcp-session-id')!;
}

describe('messageKind', () => {
  it('classifies JSON-RPC 2.0 messages and rejects everything else', () => {
    expect(messageKind({ jsonrpc: '2.0', id: 1, method: 'ping' })).toBe('request');
    expect(messageKind({ jsonrpc: '2.0', id: 'a', method: 'x', params: {} })).toBe('request');
    expect(messageKind({ jsonrpc: '2.0', method: 'notifications/initialized' })).toBe('notification');
    expect(messageKind({ jsonrpc: '2.0', id: 1, result: {} })).toBe('response');
    expect(messageKind({ jsonrpc: '2.0', id: 1, error: { code: 1, message: 'm' } })).toBe('response');
    for (const bad of [null, [], 'x', { id: 1, method: 'ping' }, { jsonrpc: '1.0', id: 1, method: 'ping' }, { jsonrpc: '2.0', id: 1.5, method: 'ping' },
      { jsonrpc: '2.0', id: null, method: 'ping' }, { jsonrpc: '2.0', id: 1, method: 'ping', params: 3 }, { jsonrpc: '2.0', id: 1 }]) {
      expect(messageKind(bad), JSON.stringify(bad)).toBeUndefined();
    }
  });
});

describe('Streamable HTTP session transport', () => {
  it('answers a request that sends nothing else with plain JSON, and one with progress as an SSE stream', async () => {
    const { client, contentTypes } = await connect();
    const progress: number[] = [];
    await client.callTool({ name: 'echo', arguments: {} });
    const r = await client.callTool({ name: 'progress', arguments: { chunks: 3 } }, undefined, { onprogress: (p) => progress.push(p.progress) });
    expect((r.content as Array<{ text: string }>)[0].text).toBe('done');
    expect(progress).toEqual([1, 2, 3]);
    // initialize, notifications/initialized (202), echo, progress
    expect(contentTypes).toEqual(['application/json', '202', 'application/json', 'text/event-stream']);
    await client.close();
  });

  it('upgrades a long call to SSE and sends keep-alive comments, then the result', async () => {
    const session = await rawSession();
    const r = await fetch(base, {
      method: 'POST', headers: { ...HEADERS, 'mcp-session-id': session },
      body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'sleep', arguments: { ms: HEARTBEAT_MS * 2.5 } } }),
    });
    expect(r.headers.get('content-type')).toBe('text/event-stream');
    const text = await r.text();
    expect(text.match(/: keepalive\n\n/g)?.length).toBeGreaterThanOrEqual(2);
    expect(text).toContain(`"id":7`);
    expect(text).toContain(`slept ${HEARTBEAT_MS * 2.5}`);
  });

  it('cancels the request when its client disconnects before the answer', async () => {
    const session = await rawSession();
    const abort = new AbortController();
    const pending = fetch(base, {
      method: 'POST', headers: { ...HEADERS, 'mcp-session-id': session }, signal: abort.signal,
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'sleep', arguments: { ms: 30_000, tag: 'left' } } }),
    });
    await new Promise((r) => setTimeout(r, 100));
    abort.abort();
    await expect(pending).rejects.toThrow();
    const until = Date.now() + 5000;
    while (!seen.aborted.includes('left') && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    expect(seen.aborted).toContain('left');
    // The session still serves.
    const ok = await fetch(base, { method: 'POST', headers: { ...HEADERS, 'mcp-session-id': session }, body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping' }) });
    expect(await ok.json()).toEqual({ jsonrpc: '2.0', id: 2, result: {} });
  });

  it('pauses a streaming producer while the client does not read, and lets it go on when it does', async () => {
    const session = await rawSession();
    seen.paused = 0;
    const r = await fetch(base, {
      method: 'POST', headers: { ...HEADERS, 'mcp-session-id': session },
      body: JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'progress', arguments: { chunks: 200, bytes: 64 * 1024 }, _meta: { progressToken: 'p' } } }),
    });
    // Not reading: the socket and the response buffers fill and the tool waits on drained().
    await new Promise((res) => setTimeout(res, 300));
    expect(seen.paused).toBeGreaterThan(0);
    const text = await r.text();
    expect(text.match(/notifications\/progress/g)?.length).toBe(200);
    expect(text).toContain('"text":"done"');
  });

  it('refuses what the protocol refuses, with the status it names', async () => {
    const session = await rawSession();
    const post = (body: unknown, headers: Record<string, string> = {}) => fetch(base, { method: 'POST', headers: { ...HEADERS, 'mcp-session-id': session, ...headers }, body: JSON.stringify(body) });
    expect((await post({ jsonrpc: '2.0', id: 1, method: 'ping' }, { accept: 'application/json' })).status).toBe(406);
    expect((await post({ jsonrpc: '2.0', id: 1, method: 'ping' }, { 'mcp-protocol-version': '1999-01-01' })).status).toBe(400);
    expect((await post({ jsonrpc: '2.0', method: 'notifications/initialized' })).status).toBe(202);
    expect((await post({ hello: 'world' })).status).toBe(400);
    expect((await post(INIT)).status).toBe(400);

    // One request id at a time.
    const first = post({ jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'sleep', arguments: { ms: 200 } } });
    await new Promise((r) => setTimeout(r, 50));
    const dup = await post({ jsonrpc: '2.0', id: 9, method: 'ping' });
    expect(dup.status).toBe(400);
    expect(((await dup.json()) as { error: { message: string } }).error.message).toContain('already in use');
    expect((await first).status).toBe(200);

    // One GET stream per session.
    const get = await fetch(base, { headers: { accept: 'text/event-stream', 'mcp-session-id': session } });
    expect(get.status).toBe(200);
    expect(get.headers.get('content-type')).toBe('text/event-stream');
    expect((await fetch(base, { headers: { accept: 'text/event-stream', 'mcp-session-id': session } })).status).toBe(409);
    expect((await fetch(base, { headers: { accept: 'application/json', 'mcp-session-id': session } })).status).toBe(406);

    expect((await fetch(base, { method: 'PUT', headers: { 'mcp-session-id': session } })).status).toBe(405);
    expect((await fetch(base, { method: 'DELETE', headers: { 'mcp-session-id': session } })).status).toBe(200);
    // DELETE ended the GET stream and the session.
    await get.text();
    expect((await post({ jsonrpc: '2.0', id: 1, method: 'ping' })).status).toBe(404);
  });
});
