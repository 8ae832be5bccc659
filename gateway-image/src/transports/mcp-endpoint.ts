/**
 * /mcp serves both protocol eras on one URL, split by one predicate ({@link isLegacyMcpRequest}) after the edge has
 * checked Host/Origin and authenticated, and after the body was read within the limits (so both eras get the same
 * chain): 2025-era traffic (`initialize`, or anything naming an `Mcp-Session-Id`) goes to the session transport with
 * everything it has (streams, elicitation and sampling relayed during a call, list_changed); everything else is a
 * 2026-07-28 request, served statelessly by modern-http.ts, which answers what is not valid 2026 traffic with the
 * revision's own errors. Each side is loaded on its first request, so a gateway serving one era never loads the other.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal } from '../core/contracts.js';
import { GatewayError } from '../errors.js';
import { readJsonBody, rpcId, sendError, type BodyLimits } from './http-io.js';

/** One era's handler of /mcp requests (`body`: the POST body, already read and bounded). */
export type McpEraHandler = (req: IncomingMessage, res: ServerResponse, principal: Principal, body: unknown) => Promise<void>;

/** Dependencies of the endpoint: each era's handler is loaded on first use. */
export interface McpEndpointDeps {
  readonly limits: BodyLimits;
  readonly legacy: () => Promise<McpEraHandler>;
  readonly modern: () => Promise<McpEraHandler>;
}

/**
 * True for 2025-era traffic: a POST of `initialize` (without a 2026 `_meta` envelope, which would make it a modern
 * request the modern side refuses with -32601), or any request naming an `Mcp-Session-Id`. A GET or DELETE without a
 * session id is modern (answered 405: the 2026 revision has neither).
 */
export function isLegacyMcpRequest(headers: IncomingMessage['headers'], body: unknown): boolean {
  if (headers['mcp-session-id'] !== undefined) return true;
  const msg = body as { method?: unknown; params?: { _meta?: Record<string, unknown> } } | undefined;
  if (msg?.method !== 'initialize') return false;
  return msg.params?._meta?.['io.modelcontextprotocol/protocolVersion'] === undefined;
}

/** Creates the /mcp handler. */
export function createMcpEndpoint(deps: McpEndpointDeps) {
  return async function handleMcp(req: IncomingMessage, res: ServerResponse, principal: Principal): Promise<void> {
    let body: unknown;
    if (req.method === 'POST') {
      try {
        body = await readJsonBody(req, deps.limits);
      } catch (err) {
        if (err instanceof GatewayError) return sendError(res, err, null);
        throw err;
      }
    } else if (req.method !== 'GET' && req.method !== 'DELETE') {
      return sendError(res, new GatewayError('METHOD_NOT_ALLOWED', `${req.method} /mcp`, { allow: 'GET, POST, DELETE' }), rpcId(body));
    }
    const era = isLegacyMcpRequest(req.headers, body) ? deps.legacy : deps.modern;
    return (await era())(req, res, principal, body);
  };
}
