/**
 * Small HTTP helpers shared by every adapter: bounded JSON body reading (size, nesting, batches) and
 * responses built from the error registry. One place, so every endpoint answers bad input the same way.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { AuthInfo } from '@modelcontextprotocol/sdk/server/auth/types.js';
import type { Principal } from '../core/contracts.js';
import { GatewayError, jsonRpcError } from '../errors.js';

/** True when `text`'s JSON nesting goes deeper than `max` (strings are skipped). */
export function jsonDepthExceeds(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i += 1;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 /* { */ || c === 91 /* [ */) {
      depth += 1;
      if (depth > max) return true;
    } else if (c === 125 || c === 93) depth -= 1;
  }
  return false;
}

/** Sent with 413: the connection ends after the answer instead of draining (or reusing) a refused body. */
const CLOSE = { connection: 'close' } as const;

/**
 * How long a connection refused with 413 goes on reading (and discarding) what the client still sends after the
 * answer. Closing at once would reset the connection while the client is still writing its body, and a reset makes
 * the client's kernel drop the 413 it has not read yet: the client sees "connection reset" instead of the answer.
 */
export const LINGER_MS = 5_000;

/** What was refused, for the audit record: its size and a hash of the bytes read, never the content. */
export interface RefusedBody {
  /** Bytes read before refusing (for a declared oversize body: none were read). */
  readonly bytes: number;
  /** The size the request declared (Content-Length), when it did. */
  readonly declaredBytes?: number;
  /** SHA-256 of the bytes read, when any were. */
  readonly sha256?: string;
}

/** A body refusal: the registry error plus what was refused. */
function refusal(code: ConstructorParameters<typeof GatewayError>[0], detail: string | undefined, body: RefusedBody, headers?: Record<string, string>): GatewayError {
  return Object.assign(new GatewayError(code, detail, headers), { refused: body });
}

/** The body a GatewayError refused, when it was a body refusal. */
export function refusedBody(err: GatewayError): RefusedBody | undefined {
  return (err as GatewayError & { refused?: RefusedBody }).refused;
}

/** Options of {@link readJsonBody}. */
export interface BodyLimits {
  readonly maxBodyBytes: number;
  readonly maxJsonDepth: number;
  /** Refuse bodies whose Content-Type is not JSON (415). Off for /rpc so plain `curl -d` works. */
  readonly requireJsonType?: boolean;
}

/**
 * Reads and parses a JSON-RPC request body. Refuses over-limit bodies (413, by Content-Length before
 * reading, or as soon as the limit is crossed), invalid JSON (-32700), too-deep nesting and batches.
 */
export async function readJsonBody(req: IncomingMessage, limits: BodyLimits): Promise<unknown> {
  const declaredHeader = req.headers['content-length'];
  const declared = Number(declaredHeader ?? NaN);
  const declaredBytes = declaredHeader === undefined || Number.isNaN(declared) ? undefined : declared;
  const limitText = `${limits.maxBodyBytes} bytes (MCP_GATEWAY_MAX_BODY_BYTES)`;
  // The unread rest of a refused body would keep the connection busy (or desynchronize a reused one): close it.
  if (declared > limits.maxBodyBytes) throw refusal('BODY_TOO_LARGE', `${declared} > ${limitText}`, { bytes: 0, declaredBytes }, CLOSE);
  const type = String(req.headers['content-type'] ?? 'application/json');
  if (limits.requireJsonType !== false && !/^application\/json\b/i.test(type) && !/\+json\b/i.test(type)) {
    throw refusal('UNSUPPORTED_MEDIA_TYPE', `got ${type}`, { bytes: 0, declaredBytes });
  }
  const hash = createHash('sha256');
  // Events, not `for await`: leaving a for-await loop early destroys the request, and with it the socket the 413
  // must still be written to.
  const { chunks, size } = await new Promise<{ chunks: Buffer[]; size: number }>((resolve, reject) => {
    const got: Buffer[] = [];
    let n = 0;
    const onData = (chunk: Buffer) => {
      n += chunk.length;
      if (n > limits.maxBodyBytes) {
        hash.update(chunk.subarray(0, Math.max(0, limits.maxBodyBytes - (n - chunk.length))));
        req.off('data', onData);
        // The rest is read and dropped while the 413 is written; `connection: close` then ends the connection.
        req.resume();
        reject(refusal('BODY_TOO_LARGE', `more than ${limitText}`, { bytes: limits.maxBodyBytes, declaredBytes, sha256: hash.digest('hex') }, CLOSE));
        return;
      }
      hash.update(chunk);
      got.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve({ chunks: got, size: n }));
    req.once('error', reject);
    req.once('aborted', () => reject(new GatewayError('INVALID_REQUEST', 'the client closed the connection before the body ended')));
  });
  const read = (): RefusedBody => ({ bytes: size, declaredBytes, sha256: hash.digest('hex') });
  const text = chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8');
  if (jsonDepthExceeds(text, limits.maxJsonDepth)) throw refusal('TOO_DEEP', `limit ${limits.maxJsonDepth}`, read());
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw refusal('PARSE_ERROR', undefined, read());
  }
  if (Array.isArray(body)) throw refusal('BATCH_REJECTED', undefined, read());
  if (body === null || typeof body !== 'object') throw refusal('INVALID_REQUEST', 'body must be a JSON-RPC object', read());
  return body;
}

/**
 * The request headers for authentication. Node keeps only the first of repeated `Authorization` headers in
 * `req.headers`, which would hide the ambiguity authentication refuses (which copy did a proxy check?); the
 * credential headers are taken from `headersDistinct` so every copy is seen.
 */
export function credentialHeaders(req: IncomingMessage): Record<string, string | string[] | undefined> {
  return {
    ...req.headers,
    authorization: req.headersDistinct.authorization,
    'cf-access-jwt-assertion': req.headersDistinct['cf-access-jwt-assertion'],
  };
}

/** Writes a JSON response. */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Where a response's refusals are reported (set by the edge for each request; see {@link onRefusal}). */
const REFUSAL_LISTENER = Symbol('refusal-listener');
/** Set once a refusal on this response went through {@link sendError} (so the edge does not record it twice). */
const REFUSAL_SENT = Symbol('refusal-sent');
/** What an adapter said about an error answer it wrote itself (see {@link noteRefusal}). */
const REFUSAL_NOTE = Symbol('refusal-note');
type WithListener = ServerResponse & {
  [REFUSAL_LISTENER]?: (err: GatewayError) => void;
  [REFUSAL_SENT]?: true;
  [REFUSAL_NOTE]?: RefusalNote;
};

/** An error answer written without {@link sendError} (by an SDK or a session transport), named for the audit log. */
export interface RefusalNote {
  /** The rule id suffix: the audit record's rule is `edge.<rule>`. */
  readonly rule: string;
  /** Why, in words (never a request body). */
  readonly reason: string;
}

/**
 * Names an error answer that `res` carries but that was not sent with {@link sendError} (e.g. an SDK's own 400), so
 * the edge's record of it says which check refused rather than only the HTTP status.
 */
export function noteRefusal(res: ServerResponse, note: RefusalNote): void {
  (res as WithListener)[REFUSAL_NOTE] = note;
}

/** True once `res` carried an error answer sent with {@link sendError} (its listener was told already). */
export function refusalSent(res: ServerResponse): boolean {
  return (res as WithListener)[REFUSAL_SENT] === true;
}

/** The note an adapter left on `res` with {@link noteRefusal}, if any. */
export function refusalNote(res: ServerResponse): RefusalNote | undefined {
  return (res as WithListener)[REFUSAL_NOTE];
}

/**
 * Registers `listener` to hear every error answer sent on `res` with {@link sendError}, whichever adapter sends it:
 * the edge audits refusals (malformed JSON, batches, oversize bodies, bad headers) in one place.
 */
export function onRefusal(res: ServerResponse, listener: (err: GatewayError) => void): void {
  (res as WithListener)[REFUSAL_LISTENER] = listener;
}

/**
 * Makes the connection of `res` linger when the server closes it after this answer: the answer and then a FIN are
 * sent, what the client still sends is read and discarded (until it closes its side, LINGER_MS at most), and only
 * then is the socket destroyed. Node's server would otherwise destroy it right after the answer was written.
 */
function lingerAfterAnswer(res: ServerResponse): void {
  const socket = res.socket as (Socket & { destroySoon?: () => void }) | null;
  if (!socket) return;
  socket.destroySoon = () => {
    const timer = setTimeout(() => socket.destroy(), LINGER_MS);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
    socket.once('end', () => socket.destroy());
    socket.end();
    socket.resume();
  };
}

/** Answers an edge error as a JSON-RPC error object with the registry's HTTP status. */
export function sendError(res: ServerResponse, err: GatewayError, id: string | number | null = null): void {
  (res as WithListener)[REFUSAL_SENT] = true;
  (res as WithListener)[REFUSAL_LISTENER]?.(err);
  if (err.status === 413) lingerAfterAnswer(res);
  sendJson(res, err.status, jsonRpcError(id, err.rpcCode, err.message), { ...err.headers });
}

/** The id of a JSON-RPC message, when it has a usable one. */
export function rpcId(body: unknown): string | number | null {
  const id = (body as { id?: unknown } | null)?.id;
  return typeof id === 'string' || typeof id === 'number' ? id : null;
}

/**
 * The SDK's AuthInfo for a principal. The credential itself is never attached (token is empty), so it
 * cannot reach tools, upstreams or logs.
 */
export function authInfoFor(principal: Principal, stream?: ServerResponse): AuthInfo {
  return { token: '', clientId: principal.id, scopes: [], extra: { principal, ...(stream ? { drained: drainedFn(stream) } : {}) } };
}

/**
 * A function that resolves once `res` can take more data (at once when it can; on 'drain' or 'close' otherwise).
 * Streamed tool output waits on it, so a slow client slows the producer instead of filling the gateway's memory.
 */
function drainedFn(res: ServerResponse): () => Promise<void> | undefined {
  return () => {
    if (!res.writableNeedDrain || res.destroyed) return undefined;
    return new Promise<void>((resolve) => {
      const done = () => { res.off('drain', done); res.off('close', done); resolve(); };
      res.once('drain', done);
      res.once('close', done);
    });
  };
}
