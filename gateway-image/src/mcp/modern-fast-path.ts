/**
 * The hot 2026-07-28 request answered without the SDK's per-request machinery: a `tools/call` that is plainly valid
 * (exact headers, a well-formed envelope, no progress token, not a retry of an input-request round). Measured in
 * process, the SDK's per-request path cost ~3x the CPU of a call in a 2025 session (new server, transport, request and
 * result validation, a web Response). Anything else (every other method, a progress token, a retry with
 * `inputResponses`/`requestState`, non-ASCII names, any doubt) returns `undefined` and goes to the SDK, which answers
 * it with the revision's own checks and errors. A result that needs the client's input (an upstream's input request)
 * or is refused as a protocol error comes back as `replay`: the SDK answers the same request with that result, so its
 * capability checks and encoding apply. The answers are the SDK's (test/unit/mcp/modern-fast-path.test.ts compares).
 */
import { randomUUID } from 'node:crypto';
import type { Principal, ToolResult } from '../core/contracts.js';
import { ToolArgumentsError, type ToolPipeline } from '../core/pipeline.js';
import type { ToolSource } from '../core/tool-source.js';
import { RPC, jsonRpcError } from '../errors.js';
import type { ServerIdentity } from './session-server.js';

const VERSION = '2026-07-28';
const VERSION_KEY = 'io.modelcontextprotocol/protocolVersion';
const CAPABILITIES_KEY = 'io.modelcontextprotocol/clientCapabilities';
const CLIENT_INFO_KEY = 'io.modelcontextprotocol/clientInfo';
const SERVER_INFO_KEY = 'io.modelcontextprotocol/serverInfo';

/** What the fast path needs. */
export interface ModernFastPathDeps {
  readonly identity: ServerIdentity;
  readonly tools: ToolSource;
  readonly pipeline: Pick<ToolPipeline, 'call'>;
}

/** A JSON answer: HTTP status and the JSON-RPC message. */
export interface FastAnswer {
  readonly status: number;
  readonly body: unknown;
}

/** A result the SDK must answer (the same request, answered with it instead of calling the pipeline again). */
export interface FastReplay {
  readonly replay: ToolResult;
}

/** The fast path: the answer, a result for the SDK to answer, or `undefined` when the request is the SDK's. */
export type ModernFastPath = (headers: Readonly<Record<string, string | string[] | undefined>>, body: unknown, principal: Principal, signal: AbortSignal) => Promise<FastAnswer | FastReplay | undefined>;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
// Printable ASCII only: other names travel Base64-encoded in Mcp-Name, which the SDK decodes.
const PLAIN_NAME = /^[\x21-\x7e]{1,128}$/;

/** The envelope the fast path accepts: the version, a capabilities object, an optional clientInfo, nothing else. */
function plainEnvelope(meta: unknown): boolean {
  if (!isObject(meta) || meta[VERSION_KEY] !== VERSION || !isObject(meta[CAPABILITIES_KEY])) return false;
  for (const key of Object.keys(meta)) {
    if (key === VERSION_KEY || key === CAPABILITIES_KEY) continue;
    if (key === CLIENT_INFO_KEY) {
      const info = meta[key];
      if (!isObject(info) || typeof info.name !== 'string' || typeof info.version !== 'string') return false;
      continue;
    }
    // A progress token (streams), log level, trace context or any other key: the SDK's path.
    return false;
  }
  return true;
}

/** Creates the fast path. */
export function createModernFastPath(deps: ModernFastPathDeps): ModernFastPath {
  const serverInfo = { name: deps.identity.name, version: deps.identity.version };
  return async (headers, body, principal, signal) => {
    if (!isObject(body) || body.jsonrpc !== '2.0' || body.method !== 'tools/call') return undefined;
    const id = body.id;
    if (typeof id !== 'string' && (typeof id !== 'number' || !Number.isInteger(id))) return undefined;
    const params = body.params;
    if (!isObject(params) || typeof params.name !== 'string' || !PLAIN_NAME.test(params.name)) return undefined;
    for (const key of Object.keys(params)) if (key !== 'name' && key !== 'arguments' && key !== '_meta') return undefined;
    if (params.arguments !== undefined && !isObject(params.arguments)) return undefined;
    if (!plainEnvelope(params._meta)) return undefined;
    if (headers['mcp-protocol-version'] !== VERSION || headers['mcp-method'] !== 'tools/call' || headers['mcp-name'] !== params.name) return undefined;
    const accept = headers.accept;
    // What the revision asks clients to send; any other Accept is the SDK's to judge.
    if (typeof accept !== 'string' || !accept.includes('application/json') || !accept.includes('text/event-stream')) return undefined;
    const tool = await deps.tools.get(params.name);
    if (!tool) return undefined;

    const meta = params._meta as Record<string, unknown>;
    let result: ToolResult;
    try {
      result = await deps.pipeline.call(tool, params.arguments, {
        principal, traceId: randomUUID(), signal,
        acceptsInputRequired: true,
        clientCapabilities: meta[CAPABILITIES_KEY] as Record<string, unknown>,
      });
    } catch (err) {
      if (err instanceof ToolArgumentsError) return { status: 200, body: jsonRpcError(id, RPC.INVALID_PARAMS, err.message) };
      throw err;
    }
    if (result.inputRequired || result.rejectRequest) return { replay: result };
    return { status: 200, body: { result: { ...result, resultType: 'complete', _meta: { [SERVER_INFO_KEY]: serverInfo } }, jsonrpc: '2.0', id } };
  };
}
