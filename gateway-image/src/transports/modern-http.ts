/**
 * MCP 2026-07-28 on POST /mcp: stateless, one SDK v2 server per request (`createMcpHandler` with `legacy: 'reject'`:
 * 2025-era traffic never reaches it, mcp-endpoint.ts routes that to the session transport). The SDK checks what the
 * revision defines: the per-request `_meta` envelope, `MCP-Protocol-Version`/`Mcp-Method`/`Mcp-Name` against the body
 * (400 -32020), the version (400 -32022 naming the supported ones), declared client capabilities (-32021), unknown
 * methods (404 -32601); it answers `server/discover` and `subscriptions/listen`. This adapter only bridges node:http
 * to the SDK's fetch face: the edge has already checked Host/Origin, authenticated, and read the body within limits.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createMcpHandler, type McpHttpHandler } from '@modelcontextprotocol/server';
import type { Server } from '@modelcontextprotocol/server';
import type { Logger } from 'pino';
import type { Principal, ToolResult } from '../core/contracts.js';
import type { ModernFastPath } from '../mcp/modern-fast-path.js';
import { authInfoFor, noteRefusal, sendJson, type RefusalNote } from './http-io.js';

/** Dependencies of the adapter. */
export interface ModernHttpDeps {
  /** A server for one request; given `precomputed`, its tools/call answers with that result (see the fast path). */
  readonly newServer: (precomputed?: ToolResult) => Server;
  /** Answers the plainly valid built-in `tools/call` without the SDK's per-request machinery (mcp/modern-fast-path.ts). */
  readonly fastPath?: ModernFastPath;
  readonly logger: Logger;
  /** SSE keep-alive comment interval on streamed answers and listen streams. */
  readonly heartbeatMs: number;
}

/** The Web Request the SDK reads: method, URL and headers (the body is handed over already parsed). */
function webRequest(req: IncomingMessage, signal: AbortSignal): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else headers.set(name, value);
  }
  return new Request(`http://${req.headers.host ?? 'gateway.invalid'}${req.url ?? '/mcp'}`, { method: req.method, headers, signal });
}

/** Longest SDK error message kept in an audit record (it may quote a header value; never the body). */
const MAX_REASON = 200;

/**
 * Names an error answer the SDK wrote itself (400 -32020 header mismatch, 400 -32022 unsupported version, 404 -32601,
 * 405, ...) for the edge's audit record: its JSON-RPC code and message, bounded.
 */
export function sdkRefusal(status: number, body: Buffer | undefined): RefusalNote {
  let error: { code?: unknown; message?: unknown } | undefined;
  try {
    error = body ? (JSON.parse(body.toString('utf8')) as { error?: typeof error }).error : undefined;
  } catch {
    // Not JSON: the HTTP status names it.
  }
  const code = typeof error?.code === 'number' && Number.isInteger(error.code) && Math.abs(error.code) < 1e6 ? error.code : undefined;
  const message = typeof error?.message === 'string' ? error.message.slice(0, MAX_REASON) : `answered ${status}`;
  return { rule: code === undefined ? `http_${status}` : `rpc_${Math.abs(code)}`, reason: `MCP 2026-07-28: ${message}` };
}

/**
 * Writes a Web Response to the node response, chunk by chunk: a full socket pauses the reader (so a streamed answer
 * waits for a slow client instead of piling up in memory), and a client that goes away cancels the body.
 */
async function writeResponse(response: Response, res: ServerResponse): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    if (name === 'set-cookie') return;
    headers[name] = value;
  });
  const streamed = (response.headers.get('content-type') ?? '').startsWith('text/event-stream');
  if (!streamed || !response.body) {
    // A plain JSON answer (the common case): one write, no stream reader.
    const body = response.body ? Buffer.from(await response.arrayBuffer()) : undefined;
    if (body) headers['content-length'] = String(body.length);
    if (response.status >= 400) noteRefusal(res, sdkRefusal(response.status, body));
    res.writeHead(response.status, headers);
    res.end(body);
    return;
  }
  headers['x-accel-buffering'] = 'no';
  res.writeHead(response.status, headers);
  res.flushHeaders();
  const reader = response.body.getReader();
  const onClose = () => { void reader.cancel().catch(() => undefined); };
  res.once('close', onClose);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!res.write(value)) {
        await new Promise<void>((resolve) => {
          const go = () => { res.off('drain', go); res.off('close', go); resolve(); };
          res.once('drain', go);
          res.once('close', go);
        });
      }
      if (res.destroyed) break;
    }
  } catch {
    // The body was cancelled because the client went away: nothing left to answer.
  } finally {
    res.off('close', onClose);
    if (!res.destroyed) res.end();
  }
}

/** Creates the adapter: one SDK handler, a fresh server per request. */
export function createModernHttpAdapter(deps: ModernHttpDeps) {
  // Results the fast path computed but leaves to the SDK to answer (input requests), by the request they answer.
  const replays = new WeakMap<Request, ToolResult>();
  const handler: McpHttpHandler = createMcpHandler((ctx) => deps.newServer(replays.get(ctx.requestInfo as Request)), {
    legacy: 'reject',
    keepAliveMs: deps.heartbeatMs,
    onerror: (err) => deps.logger.debug({ err: err.message }, 'MCP 2026-07-28 request refused or failed'),
  });

  return {
    /** Answers one modern POST (or GET/DELETE without a session: 405) whose body the edge has read. */
    async handle(req: IncomingMessage, res: ServerResponse, principal: Principal, body: unknown): Promise<void> {
      // A client that drops its POST cancels the call: the request's signal reaches the handler's ctx.mcpReq.signal.
      const abort = new AbortController();
      const onClose = () => { if (!res.writableFinished) abort.abort(); };
      res.once('close', onClose);
      try {
        const fast = req.method === 'POST' && deps.fastPath ? await deps.fastPath(req.headers, body, principal, abort.signal) : undefined;
        if (fast && 'status' in fast) {
          sendJson(res, fast.status, fast.body);
          return;
        }
        const request = webRequest(req, abort.signal);
        if (fast) replays.set(request, fast.replay);
        const response = await handler.fetch(request, {
          authInfo: authInfoFor(principal, res) as never,
          ...(body !== undefined ? { parsedBody: body } : {}),
        });
        await writeResponse(response, res);
      } finally {
        res.off('close', onClose);
      }
    },
    /** Tells open listen streams that the tool list changed (an upstream's list_changed). */
    toolsChanged(): void {
      handler.notify.toolsChanged();
    },
    /** Ends listen streams and in-flight exchanges. */
    async close(): Promise<void> {
      await handler.close();
    },
  };
}
