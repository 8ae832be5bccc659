/**
 * The older HTTP+SSE transport: GET /sse opens the event stream, POST /messages?sessionId=... carries
 * requests. Heartbeat comments keep proxies (Cloudflare cuts idle streams at ~100 s) from closing it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import type { Principal } from '../core/contracts.js';
import { GatewayError } from '../errors.js';
import { authInfoFor, readJsonBody, rpcId, sendError, type BodyLimits } from './http-io.js';
import { newSessionId } from './session-id.js';
import type { SessionRegistry } from './session-registry.js';

/** Dependencies of the adapter. */
export interface SseDeps {
  readonly newServer: () => Server;
  readonly sessions: SessionRegistry;
  readonly limits: BodyLimits;
  readonly heartbeatMs: number;
  /** Path clients POST messages to. */
  readonly messagesPath: string;
}

/** Creates the /sse and /messages handlers. */
export function createSseAdapter(deps: SseDeps) {
  const live = new Map<string, SSEServerTransport>();
  // The GET /sse response of each session: everything the server sends goes there.
  const streams = new Map<string, ServerResponse>();

  return {
    /** GET /sse: opens a session and keeps the stream until the client leaves. */
    async open(req: IncomingMessage, res: ServerResponse, principal: Principal): Promise<void> {
      if (!deps.sessions.hasRoom()) return sendError(res, new GatewayError('TOO_MANY_SESSIONS'));
      res.setHeader('x-accel-buffering', 'no');
      const transport = new SSEServerTransport(deps.messagesPath, res);
      // The SDK names the session with a UUIDv4 (122 random bits) and offers no option; the id is only announced by
      // start() (called by connect below), so replacing it here is the id the client receives.
      (transport as unknown as { _sessionId: string })._sessionId = newSessionId();
      const server = deps.newServer();
      const id = transport.sessionId;
      live.set(id, transport);
      streams.set(id, res);
      deps.sessions.open(id, 'sse', principal, () => transport.close());
      const heartbeat = setInterval(() => {
        if (!res.writableEnded) res.write(': heartbeat\n\n');
      }, deps.heartbeatMs);
      heartbeat.unref();
      const cleanup = () => {
        clearInterval(heartbeat);
        streams.delete(id);
        if (live.delete(id)) deps.sessions.closed(id);
      };
      transport.onclose = cleanup;
      res.on('close', () => {
        cleanup();
        void server.close().catch(() => undefined);
      });
      await server.connect(transport);
    },

    /** POST /messages?sessionId=...: one JSON-RPC message for an open session. */
    async post(req: IncomingMessage, res: ServerResponse, principal: Principal, url: URL): Promise<void> {
      let body: unknown;
      try {
        const id = url.searchParams.get('sessionId') ?? '';
        const transport = live.get(id);
        if (!transport || !deps.sessions.touch(id, principal)) throw new GatewayError('SESSION_NOT_FOUND');
        body = await readJsonBody(req, deps.limits);
        (req as IncomingMessage & { auth?: unknown }).auth = authInfoFor(principal, streams.get(id));
        await transport.handlePostMessage(req as never, res, body);
      } catch (err) {
        if (err instanceof GatewayError) return sendError(res, err, rpcId(body));
        throw err;
      }
    },

    async close(): Promise<void> {
      await Promise.allSettled([...live.values()].map((t) => t.close()));
      live.clear();
    },
  };
}
