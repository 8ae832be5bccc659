/**
 * Streamable HTTP (POST/GET/DELETE /mcp) with sessions: one SessionTransport and one MCP server per session,
 * bound to the principal that created it (another principal presenting the id gets 404, as for an unknown id).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { Logger } from 'pino';
import type { Principal } from '../core/contracts.js';
import { GatewayError } from '../errors.js';
import { authInfoFor, readJsonBody, sendError, type BodyLimits } from './http-io.js';
import { newSessionId } from './session-id.js';
import type { SessionRegistry } from './session-registry.js';
import { messageKind, SessionTransport } from './session-transport.js';

/** Dependencies of the adapter. */
export interface StreamableHttpDeps {
  readonly newServer: () => Server;
  readonly sessions: SessionRegistry;
  readonly limits: BodyLimits;
  readonly logger: Logger;
  /** SSE keep-alive comment interval on the GET stream and on requests answered as a stream. */
  readonly heartbeatMs: number;
}

interface McpSession {
  readonly transport: SessionTransport;
  readonly server: Server;
}

function isInitialize(body: unknown): boolean {
  return messageKind(body) === 'request' && (body as { method: string }).method === 'initialize';
}

/** Creates the /mcp handler. */
export function createStreamableHttpAdapter(deps: StreamableHttpDeps) {
  const live = new Map<string, McpSession>();

  /** The session a request names, checked against the principal (another principal's session is a 404 too). */
  function sessionFor(req: IncomingMessage, principal: Principal): McpSession {
    const sessionId = req.headers['mcp-session-id'];
    if (typeof sessionId !== 'string') throw new GatewayError('INVALID_REQUEST', 'Mcp-Session-Id header required');
    const s = live.get(sessionId);
    if (!s || !deps.sessions.touch(sessionId, principal)) throw new GatewayError('SESSION_NOT_FOUND');
    return s;
  }

  async function handle(req: IncomingMessage, res: ServerResponse, principal: Principal, parsed?: unknown): Promise<void> {
    if (req.method === 'POST') {
      const body = parsed ?? await readJsonBody(req, deps.limits);
      // The POST's own response carries this request's progress notifications: its fullness is the backpressure signal.
      const extra = { authInfo: authInfoFor(principal, res), requestInfo: { headers: req.headers } };
      if (req.headers['mcp-session-id'] !== undefined) {
        sessionFor(req, principal).transport.handlePost(req, res, body, extra);
        return;
      }
      if (!isInitialize(body)) {
        throw new GatewayError('INVALID_REQUEST', 'no Mcp-Session-Id header: send initialize first to open a session');
      }
      if (!deps.sessions.hasRoom()) throw new GatewayError('TOO_MANY_SESSIONS');
      const id = newSessionId();
      const transport = new SessionTransport({ sessionId: id, heartbeatMs: deps.heartbeatMs });
      const server = deps.newServer();
      transport.onclose = () => {
        if (live.delete(id)) deps.sessions.closed(id);
      };
      await server.connect(transport);
      live.set(id, { transport, server });
      deps.sessions.open(id, 'streamable-http', principal, () => transport.close());
      transport.handlePost(req, res, body, extra);
      return;
    }
    if (req.method === 'GET') return sessionFor(req, principal).transport.handleGet(req, res);
    if (req.method === 'DELETE') return sessionFor(req, principal).transport.handleDelete(req, res);
    throw new GatewayError('METHOD_NOT_ALLOWED', `${req.method} /mcp`, { allow: 'GET, POST, DELETE' });
  }

  return {
    /**
     * Handles one 2025-era /mcp request (`body`: a POST's body when the caller has read it already); edge errors are
     * answered here so the SDK never sees bad input.
     */
    async handle(req: IncomingMessage, res: ServerResponse, principal: Principal, body?: unknown): Promise<void> {
      try {
        await handle(req, res, principal, body);
      } catch (err) {
        if (err instanceof GatewayError) return sendError(res, err, null);
        throw err;
      }
    },
    /** Closes every session. */
    async close(): Promise<void> {
      await Promise.allSettled([...live.values()].map((s) => s.transport.close()));
      live.clear();
    },

  };
}
