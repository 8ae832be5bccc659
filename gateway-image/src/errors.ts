/**
 * One registry of coded errors for the edge of the gateway.
 *
 * Errors reach three audiences, each in its own form:
 * - HTTP callers get a status and a JSON body from {@link GatewayError} (5xx are logged as errors,
 *   4xx as info, anything unknown becomes a generic 500 body so internals never leak);
 * - JSON-RPC peers get `{ jsonrpc, id, error: { code, message } }` from {@link jsonRpcError};
 * - the model gets tool failures as `isError` results (see core/tools/tool-result.ts), never exceptions.
 */

/** JSON-RPC 2.0 error codes used by the gateway (the spec's reserved ones plus server-defined ones). */
export const RPC = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  /** Server-defined: the request was refused by authentication, policy or limits. */
  REFUSED: -32001,
  /**
   * MCP 2026-07-28's own codes. The 2026 side (transports/modern-http.ts) answers them through the official SDK's
   * handler, which builds those answers itself (HTTP status, `data`); they are listed here so that every code the
   * gateway can answer with is in one place (test/unit/mcp/modern-server.test.ts checks them against the SDK and the wire).
   * HTTP 400: the MCP-Protocol-Version, Mcp-Method or Mcp-Name header disagrees with the body (or is missing).
   */
  HEADER_MISMATCH: -32020,
  /** The request (or a tool's input request) needs a client capability the request did not declare. */
  MISSING_CLIENT_CAPABILITY: -32021,
  /** HTTP 400: a protocol version this gateway does not serve; `data.supported` lists the ones it does. */
  UNSUPPORTED_PROTOCOL_VERSION: -32022,
} as const;

/** Every coded error the HTTP edge can answer with. */
export const ERRORS = {
  BODY_TOO_LARGE: { status: 413, rpc: RPC.INVALID_REQUEST, message: 'request body exceeds the limit' },
  PARSE_ERROR: { status: 400, rpc: RPC.PARSE_ERROR, message: 'parse error: body is not valid JSON' },
  TOO_DEEP: { status: 400, rpc: RPC.INVALID_REQUEST, message: 'JSON nesting exceeds the limit' },
  BATCH_REJECTED: { status: 400, rpc: RPC.INVALID_REQUEST, message: 'JSON-RPC batches are not accepted; send one request per HTTP call' },
  INVALID_REQUEST: { status: 400, rpc: RPC.INVALID_REQUEST, message: 'invalid JSON-RPC request' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, rpc: RPC.INVALID_REQUEST, message: 'Content-Type must be application/json' },
  UNAUTHORIZED: { status: 401, rpc: RPC.REFUSED, message: 'authentication required' },
  FORBIDDEN: { status: 403, rpc: RPC.REFUSED, message: 'forbidden' },
  FORBIDDEN_ORIGIN: { status: 403, rpc: RPC.REFUSED, message: 'origin not allowed' },
  FORBIDDEN_HOST: { status: 403, rpc: RPC.REFUSED, message: 'host not allowed' },
  NOT_FOUND: { status: 404, rpc: RPC.INVALID_REQUEST, message: 'not found' },
  SESSION_NOT_FOUND: { status: 404, rpc: RPC.INVALID_REQUEST, message: 'session not found' },
  METHOD_NOT_ALLOWED: { status: 405, rpc: RPC.INVALID_REQUEST, message: 'method not allowed' },
  NOT_ACCEPTABLE: { status: 406, rpc: RPC.INVALID_REQUEST, message: 'not acceptable' },
  CONFLICT: { status: 409, rpc: RPC.INVALID_REQUEST, message: 'conflict' },
  TOO_MANY_SESSIONS: { status: 503, rpc: RPC.REFUSED, message: 'session limit reached' },
  SHUTTING_DOWN: { status: 503, rpc: RPC.INTERNAL_ERROR, message: 'gateway is shutting down' },
  INTERNAL: { status: 500, rpc: RPC.INTERNAL_ERROR, message: 'internal error' },
} as const;

/** The name of an entry in {@link ERRORS}. */
export type ErrorCode = keyof typeof ERRORS;

/** An error the HTTP edge knows how to answer: a code from the registry plus optional detail safe to show. */
export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly rpcCode: number;
  /** Extra headers for the response (e.g. WWW-Authenticate, Retry-After). */
  readonly headers: Readonly<Record<string, string>>;

  constructor(code: ErrorCode, detail?: string, headers: Record<string, string> = {}) {
    const entry = ERRORS[code];
    super(!detail ? entry.message : detail.toLowerCase().startsWith(entry.message) ? detail : `${entry.message}: ${detail}`);
    this.name = 'GatewayError';
    this.code = code;
    this.status = entry.status;
    this.rpcCode = entry.rpc;
    this.headers = headers;
  }
}

/** Builds a JSON-RPC error response; the single place such literals are written. */
export function jsonRpcError(id: string | number | null, code: number, message: string, data?: unknown) {
  return { jsonrpc: '2.0' as const, id, error: data === undefined ? { code, message } : { code, message, data } };
}

/** Converts anything thrown at the edge into a GatewayError; unknown errors become a generic INTERNAL. */
export function toGatewayError(err: unknown): GatewayError {
  return err instanceof GatewayError ? err : new GatewayError('INTERNAL');
}

/** A configuration problem: every issue found, reported at once. */
export class ConfigError extends Error {
  readonly issues: readonly string[];
  constructor(issues: readonly string[]) {
    super(`invalid gateway configuration (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n` +
      issues.map((i) => `  - ${i}`).join('\n'));
    this.name = 'ConfigError';
    this.issues = issues;
  }
}
