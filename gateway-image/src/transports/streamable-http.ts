/**
 * Streamable HTTP (POST/GET/DELETE /mcp) with sessions: one SDK transport and one MCP server per session,
 * bound to the principal that created it (another principal presenting the id gets 404, as for an unknown id).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import type { Principal } from '../core/contracts.js';
import { GatewayError } from '../errors.js';
import { authInfoFor, readJsonBody, sendError, type BodyLimits } from './http-io.js';
import type { SessionRegistry } from './session-registry.js';

/** Dependencies of the adapter. */
export interface StreamableHttpDeps {
  readonly newServer: () => Server;
  readonly sessions: SessionRegistry;
  readonly limits: BodyLimits;
  readonly logger: Logger;
  /** SSE keep-alive comment interval on the GET stream and streamed POST responses. */
  readonly heartbeatMs: number;
}

interface McpSession {
  readonly transport: StreamableHTTPServerTransport;
  readonly server: Server;
}

/** Creates the /mcp handler. */
export function createStreamableHttpAdapter(deps: StreamableHttpDeps) {
  const live = new Map<string, McpSession>();

  async function handle(req: IncomingMessage, res: ServerResponse, principal: Principal): Promise<void> {
    const sessionId = req.headers['mcp-session-id'];
    // The POST's own response carries this request's progress notifications: its fullness is the backpressure signal.
    const auth = authInfoFor(principal, res);
    (req as IncomingMessage & { auth?: unknown }).auth = auth;
    if (req.method === 'POST') {
      const body = await readJsonBody(req, deps.limits);
      if (typeof sessionId === 'string') {
        const s = live.get(sessionId);
        if (!s || !deps.sessions.touch(sessionId, principal)) throw new GatewayError('SESSION_NOT_FOUND');
        await s.transport.handleRequest(req, res, body);
        return;
      }
      if (!isInitializeRequest(body)) {
        throw new GatewayError('INVALID_REQUEST', 'no Mcp-Session-Id header: send initialize first to open a session');
      }
      if (!deps.sessions.hasRoom()) throw new GatewayError('TOO_MANY_SESSIONS');
      const server = deps.newServer();
      const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        keepAliveMs: deps.heartbeatMs,
        onsessioninitialized: (id) => {
          live.set(id, { transport, server });
          deps.sessions.open(id, 'streamable-http', principal, () => transport.close());
        },
      });
      transport.onclose = () => {
        const id = transport.sessionId;
        if (id && live.delete(id)) deps.sessions.closed(id);
      };
      await server.connect(transport);
      await transport.handleRequest(req, res, body);
      return;
    }
    if (req.method === 'GET' || req.method === 'DELETE') {
      const s = typeof sessionId === 'string' ? live.get(sessionId) : undefined;
      if (!s || !deps.sessions.touch(sessionId as string, principal)) {
        throw new GatewayError(typeof sessionId === 'string' ? 'SESSION_NOT_FOUND' : 'INVALID_REQUEST', typeof sessionId === 'string' ? undefined : 'Mcp-Session-Id header required');
      }
      if (req.method === 'GET') {
        res.setHeader('x-accel-buffering', 'no');
        res.setHeader('cache-control', 'no-cache, no-transform');
      }
      await s.transport.handleRequest(req, res);
      return;
    }
    throw new GatewayError('METHOD_NOT_ALLOWED', `${req.method} /mcp`);
  }

  return {
    /** Handles one /mcp request; edge errors are answered here so the SDK never sees bad input. */
    async handle(req: IncomingMessage, res: ServerResponse, principal: Principal): Promise<void> {
      try {
        await handle(req, res, principal);
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
