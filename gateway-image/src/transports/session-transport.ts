/**
 * The server side of one Streamable HTTP session, as an SDK `Transport` (the SDK's `Server` runs on it unchanged).
 *
 * Why not the SDK's StreamableHTTPServerTransport: it converts every request to a web `Request`/`Response` pair
 * and always answers a request with an SSE stream fed through a web `ReadableStream` whose queue has no bound. The
 * conversion costs CPU on every call, and the queue held streamed tool output (progress notifications) in memory
 * faster than a slow client read it: a 100 MB streamed exec took the gateway past 1 GiB. Here:
 * - a request is answered with plain JSON when nothing but its response is sent, and upgraded to an SSE stream as
 *   soon as a related message (progress, a server request) must go first, or when it has run for a heartbeat
 *   interval (the stream's keep-alive comments then stop proxies from cutting a long call);
 * - SSE events are written straight to the socket, so the response's own buffer is the backpressure signal;
 * - a client that disconnects before its response cancels the request (`notifications/cancelled`), so the tool
 *   call is aborted instead of running for nobody.
 * No event store: streams are not resumable (`Last-Event-ID` is ignored), as with the SDK transport without one.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js';
import { SUPPORTED_PROTOCOL_VERSIONS, type JSONRPCMessage, type MessageExtraInfo, type RequestId } from '@modelcontextprotocol/sdk/types.js';
import { GatewayError } from '../errors.js';
import { noteRefusal } from './http-io.js';

/** Options of a {@link SessionTransport}. */
export interface SessionTransportOptions {
  readonly sessionId: string;
  /** Interval of SSE keep-alive comments; also how long a request may stay unanswered before it is upgraded to SSE. */
  readonly heartbeatMs: number;
}

/** The kind of one JSON-RPC message, or undefined when it is not a valid one. */
export function messageKind(m: unknown): 'request' | 'notification' | 'response' | undefined {
  if (m === null || typeof m !== 'object' || Array.isArray(m)) return undefined;
  const o = m as Record<string, unknown>;
  if (o.jsonrpc !== '2.0') return undefined;
  const idOk = typeof o.id === 'string' || (typeof o.id === 'number' && Number.isInteger(o.id));
  if (typeof o.method === 'string') {
    if (o.params !== undefined && (o.params === null || typeof o.params !== 'object')) return undefined;
    if (o.id === undefined) return 'notification';
    return idOk ? 'request' : undefined;
  }
  if (idOk && ('result' in o || (typeof o.error === 'object' && o.error !== null))) return 'response';
  return undefined;
}

/** The answer to one POSTed request: JSON until something else must be sent first, then an SSE stream. */
interface Exchange {
  readonly res: ServerResponse;
  readonly id: RequestId;
  sse: boolean;
  done: boolean;
  heartbeat?: NodeJS.Timeout;
}

const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache, no-transform', 'x-accel-buffering': 'no' } as const;

function sseEvent(message: JSONRPCMessage): string {
  return `event: message\ndata: ${JSON.stringify(message)}\n\n`;
}

function isResponse(m: JSONRPCMessage): m is JSONRPCMessage & { id: RequestId } {
  return 'id' in m && !('method' in m);
}

/** One session's transport; the adapter routes that session's POST/GET/DELETE requests to it. */
export class SessionTransport implements Transport {
  readonly sessionId: string;
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage, extra?: MessageExtraInfo) => void;

  private readonly heartbeatMs: number;
  private readonly pending = new Map<RequestId, Exchange>();
  private standalone?: ServerResponse;
  private standaloneHeartbeat?: NodeJS.Timeout;
  private closed = false;
  private initialized = false;

  constructor(opts: SessionTransportOptions) {
    this.sessionId = opts.sessionId;
    this.heartbeatMs = opts.heartbeatMs;
  }

  /** Required by Transport; nothing to start (connections arrive per request). */
  async start(): Promise<void> {}

  /**
   * Handles one POST whose body was read and parsed by the edge. The first POST of a session carries initialize;
   * the adapter checked the session id and principal before calling this.
   */
  handlePost(req: IncomingMessage, res: ServerResponse, body: unknown, extra: MessageExtraInfo): void {
    if (this.closed) throw new GatewayError('SESSION_NOT_FOUND');
    const accept = String(req.headers.accept ?? '');
    if (!accept.includes('application/json') || !accept.includes('text/event-stream')) {
      throw new GatewayError('NOT_ACCEPTABLE', 'a POST must accept both application/json and text/event-stream');
    }
    checkProtocolVersion(req);
    const kind = messageKind(body);
    if (!kind) throw new GatewayError('INVALID_REQUEST', 'the body is not a JSON-RPC 2.0 request, notification or response');
    const message = body as JSONRPCMessage;
    if (kind !== 'request') {
      // Notifications and responses to our requests: accepted, nothing to answer.
      res.writeHead(202, { 'mcp-session-id': this.sessionId }).end();
      this.onmessage?.(message, extra);
      return;
    }
    const id = (message as { id: RequestId }).id;
    if ((message as { method: string }).method === 'initialize') {
      if (this.initialized) throw new GatewayError('INVALID_REQUEST', 'this session is already initialized; open a new session with a POST without Mcp-Session-Id');
      this.initialized = true;
    }
    if (this.pending.has(id)) throw new GatewayError('INVALID_REQUEST', `request id ${JSON.stringify(id)} is already in use by a request in progress`);
    const ex: Exchange = { res, id, sse: false, done: false };
    this.pending.set(id, ex);
    ex.heartbeat = setTimeout(() => this.keepAlive(ex), this.heartbeatMs);
    // A client that leaves before its answer cancels the request: the handler's signal aborts, tools stop.
    res.once('close', () => {
      if (ex.done) return;
      this.finish(ex);
      this.onmessage?.({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason: 'client disconnected' } }, extra);
    });
    this.onmessage?.(message, extra);
  }

  /** Handles GET: the session's standalone SSE stream for messages not related to a request (e.g. list_changed). */
  handleGet(req: IncomingMessage, res: ServerResponse): void {
    if (this.closed) throw new GatewayError('SESSION_NOT_FOUND');
    if (!String(req.headers.accept ?? '').includes('text/event-stream')) {
      throw new GatewayError('NOT_ACCEPTABLE', 'GET /mcp must accept text/event-stream');
    }
    checkProtocolVersion(req);
    if (this.standalone) throw new GatewayError('CONFLICT', 'this session already has an open GET stream');
    res.writeHead(200, { ...SSE_HEADERS, 'mcp-session-id': this.sessionId });
    res.flushHeaders();
    this.standalone = res;
    this.standaloneHeartbeat = setInterval(() => res.write(': keepalive\n\n'), this.heartbeatMs);
    res.once('close', () => {
      clearInterval(this.standaloneHeartbeat);
      if (this.standalone === res) this.standalone = undefined;
    });
  }

  /** Handles DELETE: ends the session. */
  async handleDelete(req: IncomingMessage, res: ServerResponse): Promise<void> {
    checkProtocolVersion(req);
    res.writeHead(200, { 'mcp-session-id': this.sessionId }).end();
    await this.close();
  }

  /** Routes a message from the server: to its request's exchange, else to the standalone stream (dropped if none). */
  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    const response = isResponse(message);
    const related = response ? message.id : options?.relatedRequestId;
    const ex = related === undefined ? undefined : this.pending.get(related);
    if (!ex) {
      // Unrelated messages go to the GET stream when one is open. A message for a request that is no longer in
      // progress (cancelled, or its client left) has nobody to go to.
      if (related === undefined && this.standalone && !this.standalone.writableEnded) this.standalone.write(sseEvent(message));
      return;
    }
    if (!response) {
      this.upgrade(ex);
      ex.res.write(sseEvent(message));
      return;
    }
    this.finish(ex);
    if (ex.sse) {
      ex.res.end(sseEvent(message));
    } else if (!ex.res.destroyed) {
      const text = JSON.stringify(message);
      ex.res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'mcp-session-id': this.sessionId });
      ex.res.end(text);
    }
  }

  /** Ends every open response; the session's requests in flight get no answer (their clients see the stream end). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const ex of [...this.pending.values()]) {
      this.finish(ex);
      if (ex.sse) ex.res.end();
      else if (!ex.res.headersSent) {
        noteRefusal(ex.res, { rule: 'session_closed', reason: 'the session closed while the request was in progress' });
        ex.res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: ex.id, error: { code: -32600, message: 'session closed' } }));
      }
    }
    clearInterval(this.standaloneHeartbeat);
    this.standalone?.end();
    this.standalone = undefined;
    this.onclose?.();
  }

  private upgrade(ex: Exchange): void {
    if (ex.sse) return;
    ex.sse = true;
    ex.res.writeHead(200, { ...SSE_HEADERS, 'mcp-session-id': this.sessionId });
  }

  private keepAlive(ex: Exchange): void {
    if (ex.done) return;
    this.upgrade(ex);
    ex.res.write(': keepalive\n\n');
    ex.heartbeat = setTimeout(() => this.keepAlive(ex), this.heartbeatMs);
  }

  private finish(ex: Exchange): void {
    ex.done = true;
    clearTimeout(ex.heartbeat);
    if (this.pending.get(ex.id) === ex) this.pending.delete(ex.id);
  }
}

/** A request after initialize may name its protocol version; an unknown one is refused (400), a missing one accepted. */
function checkProtocolVersion(req: IncomingMessage): void {
  const v = req.headers['mcp-protocol-version'];
  if (typeof v === 'string' && !SUPPORTED_PROTOCOL_VERSIONS.includes(v)) {
    throw new GatewayError('INVALID_REQUEST', `unsupported MCP-Protocol-Version ${v} (supported: ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')})`);
  }
}
