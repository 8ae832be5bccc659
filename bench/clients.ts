/**
 * The load generators' clients: the official SDK client over Streamable HTTP (one session, reused) and a
 * plain keep-alive node:http client for POST /rpc. Both fail loudly on a tool error so a broken call can
 * never pass for a fast one.
 */
import http from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

/** A single call that takes longer than this fails (the run records it and goes on). */
export const CALL_TIMEOUT_MS = 20_000;

/** A connected SDK client and how to close it. */
export interface SdkSession {
  readonly client: Client;
  /** Calls a tool; throws when the result is an error. */
  call(name: string, args?: Record<string, unknown>): Promise<Record<string, unknown>>;
  close(): Promise<void>;
}

/**
 * fetch for the SDK client transport. The transport passes one long-lived AbortSignal to every request, and
 * undici adds an abort listener to it per request that goes only when the request is garbage collected: a
 * session's signal collected thousands (MaxListenersExceededWarning at 1,500), and EventTarget's duplicate check
 * walks them all on each add, so the client got slower with every call, the same for every contender. A
 * per-request signal that follows the transport's (AbortSignal.any holds its sources weakly) keeps them apart.
 */
const detachedSignalFetch: typeof fetch = (url, init) => fetch(url, init?.signal ? { ...init, signal: AbortSignal.any([init.signal]) } : init);

/** Opens one Streamable HTTP session to `${baseUrl}${path}`. */
export async function openSdkSession(baseUrl: string, opts: { token?: string; path?: string } = {}): Promise<SdkSession> {
  const client = new Client({ name: 'bench', version: '1.0.0' });
  const headers: Record<string, string> = opts.token ? { Authorization: `Bearer ${opts.token}` } : {};
  const transport = new StreamableHTTPClientTransport(new URL(`${baseUrl}${opts.path ?? '/mcp'}`), { requestInit: { headers }, fetch: detachedSignalFetch });
  await client.connect(transport);
  return {
    client,
    async call(name, args = {}) {
      const r = await client.callTool({ name, arguments: args }, undefined, { timeout: CALL_TIMEOUT_MS });
      if (r.isError) throw new Error(`${name} failed: ${JSON.stringify(r.content).slice(0, 300)}`);
      return r as Record<string, unknown>;
    },
    async close() {
      await transport.terminateSession().catch(() => undefined);
      await client.close();
    },
  };
}

/** A keep-alive JSON-RPC client for POST /rpc. */
export interface RpcClient {
  /** Sends one request and returns its `result`; throws on a JSON-RPC error or an isError result. */
  request(method: string, params?: unknown): Promise<Record<string, unknown>>;
  call(name: string, args?: Record<string, unknown>): Promise<Record<string, unknown>>;
  close(): void;
}

/** Creates a /rpc client with its own keep-alive agent. */
export function createRpcClient(baseUrl: string, token: string, maxSockets = 64): RpcClient {
  const url = new URL(`${baseUrl}/rpc`);
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  let nextId = 1;
  const request = (method: string, params?: unknown) => new Promise<Record<string, unknown>>((resolve, reject) => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: nextId++, method, ...(params === undefined ? {} : { params }) });
    const req = http.request({
      host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        try {
          const msg = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { result?: Record<string, unknown>; error?: { message: string } };
          if (msg.error) return reject(new Error(`${method}: ${msg.error.message}`));
          if (msg.result?.isError) return reject(new Error(`${method}: ${JSON.stringify(msg.result.content).slice(0, 300)}`));
          resolve(msg.result ?? {});
        } catch (err) {
          reject(new Error(`${method}: HTTP ${res.statusCode}, unparsable body (${(err as Error).message})`));
        }
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(CALL_TIMEOUT_MS, () => req.destroy(new Error(`${method}: no answer within ${CALL_TIMEOUT_MS} ms`)));
    req.end(body);
  });
  return {
    request,
    call: (name, args = {}) => request('tools/call', { name, arguments: args }),
    close: () => agent.destroy(),
  };
}

/** Mean (ms) and count of the gateway's duration histograms, per label, read from GET /metrics. */
export async function readDurationMeans(baseUrl: string, token: string): Promise<Record<string, { meanMs: number; count: number }>> {
  const text = await (await fetch(`${baseUrl}/metrics`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(10_000) })).text();
  const acc = new Map<string, { sum: number; count: number }>();
  for (const line of text.split('\n')) {
    const m = /^(docker_api_duration_seconds|mcp_tool_duration_seconds)_(sum|count)\{(?:operation|tool)="([^"]+)"\} (\S+)/.exec(line);
    if (!m) continue;
    const key = `${m[1] === 'docker_api_duration_seconds' ? 'engine' : 'tool'} ${m[3]}`;
    const e = acc.get(key) ?? { sum: 0, count: 0 };
    if (m[2] === 'sum') e.sum = Number(m[4]); else e.count = Number(m[4]);
    acc.set(key, e);
  }
  return Object.fromEntries([...acc].map(([k, v]) => [k, { meanMs: (1000 * v.sum) / (v.count || 1), count: v.count }]));
}

/** The same keep-alive client for both MCP eras on /mcp, so a comparison of the eras measures the server, not two SDK clients. */
export interface RawMcpClient {
  /** Calls a tool; throws on a JSON-RPC error or an isError result. */
  call(name: string, args?: Record<string, unknown>): Promise<Record<string, unknown>>;
  close(): void;
}

/**
 * Opens a raw MCP client on `${baseUrl}${path}`: `modern` sends every request as MCP 2026-07-28 (headers and `_meta`
 * envelope, no session); `legacy` opens a 2025-11-25 session with initialize and sends its id on every request.
 * Answers may be JSON or SSE (the response's `data:` line with the request's id is taken).
 */
export async function openRawMcpClient(baseUrl: string, era: 'modern' | 'legacy', opts: { token?: string; path?: string; maxSockets?: number } = {}): Promise<RawMcpClient> {
  const url = new URL(`${baseUrl}${opts.path ?? '/mcp'}`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.maxSockets ?? 64 });
  const envelope = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {}, 'io.modelcontextprotocol/clientInfo': { name: 'bench-raw', version: '1.0.0' } };
  let sessionId: string | undefined;
  let nextId = 1;
  const post = (method: string, params: Record<string, unknown> | undefined, notification = false) => new Promise<{ result?: Record<string, unknown>; headers: http.IncomingHttpHeaders }>((resolve, reject) => {
    const id = nextId++;
    const body = JSON.stringify({ jsonrpc: '2.0', ...(notification ? {} : { id }), method, ...(params ? { params } : {}) });
    const headers: Record<string, string | number> = {
      'content-type': 'application/json', accept: 'application/json, text/event-stream', 'content-length': Buffer.byteLength(body),
      ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
      ...(era === 'modern' ? { 'mcp-protocol-version': '2026-07-28', 'mcp-method': method, ...(typeof params?.name === 'string' ? { 'mcp-name': params.name } : {}) } : {}),
      ...(era === 'legacy' && sessionId ? { 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' } : {}),
    };
    const req = http.request({ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        if (notification) return resolve({ headers: res.headers });
        const text = Buffer.concat(chunks).toString('utf8');
        try {
          const json = String(res.headers['content-type'] ?? '').startsWith('text/event-stream')
            ? text.split('\n').filter((l) => l.startsWith('data:')).map((l) => JSON.parse(l.slice(5)) as { id?: number }).find((m) => m.id === id)
            : JSON.parse(text);
          const msg = json as { result?: Record<string, unknown>; error?: { message: string } } | undefined;
          if (!msg) return reject(new Error(`${method}: HTTP ${res.statusCode}, no answer in the stream`));
          if (msg.error) return reject(new Error(`${method}: ${msg.error.message}`));
          if (msg.result?.isError) return reject(new Error(`${method}: ${JSON.stringify(msg.result.content).slice(0, 300)}`));
          resolve({ result: msg.result ?? {}, headers: res.headers });
        } catch (err) {
          reject(new Error(`${method}: HTTP ${res.statusCode}, unparsable body (${(err as Error).message})`));
        }
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(CALL_TIMEOUT_MS, () => req.destroy(new Error(`${method}: no answer within ${CALL_TIMEOUT_MS} ms`)));
    req.end(body);
  });
  if (era === 'legacy') {
    const init = await post('initialize', { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'bench-raw', version: '1.0.0' } });
    sessionId = String(init.headers['mcp-session-id'] ?? '');
    if (!sessionId) throw new Error('initialize answered without an Mcp-Session-Id');
    await post('notifications/initialized', undefined, true);
  }
  return {
    async call(name, args = {}) {
      return (await post('tools/call', { name, arguments: args, ...(era === 'modern' ? { _meta: envelope } : {}) })).result ?? {};
    },
    close: () => agent.destroy(),
  };
}
