/**
 * Small HTTP helpers shared by every adapter: bounded JSON body reading (size, nesting, batches) and
 * responses built from the error registry. One place, so every endpoint answers bad input the same way.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
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
  const declared = Number(req.headers['content-length'] ?? NaN);
  // The unread rest of a refused body would keep the connection busy (or desynchronize a reused one): close it.
  if (declared > limits.maxBodyBytes) throw new GatewayError('BODY_TOO_LARGE', `${declared} > ${limits.maxBodyBytes} bytes`, CLOSE);
  const type = String(req.headers['content-type'] ?? 'application/json');
  if (limits.requireJsonType !== false && !/^application\/json\b/i.test(type) && !/\+json\b/i.test(type)) {
    throw new GatewayError('UNSUPPORTED_MEDIA_TYPE', `got ${type}`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limits.maxBodyBytes) {
      // Keep the socket alive until the 413 is written; `connection: close` then ends it instead of draining.
      req.resume();
      throw new GatewayError('BODY_TOO_LARGE', `more than ${limits.maxBodyBytes} bytes`, CLOSE);
    }
    chunks.push(chunk);
  }
  const text = chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8');
  if (jsonDepthExceeds(text, limits.maxJsonDepth)) throw new GatewayError('TOO_DEEP', `limit ${limits.maxJsonDepth}`);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new GatewayError('PARSE_ERROR');
  }
  if (Array.isArray(body)) throw new GatewayError('BATCH_REJECTED');
  if (body === null || typeof body !== 'object') throw new GatewayError('INVALID_REQUEST', 'body must be a JSON-RPC object');
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

/** Answers an edge error as a JSON-RPC error object with the registry's HTTP status. */
export function sendError(res: ServerResponse, err: GatewayError, id: string | number | null = null): void {
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
