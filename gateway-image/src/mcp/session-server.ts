/**
 * One MCP server (official SDK) per client session: tools/list from the catalog, tools/call through the
 * pipeline, progress notifications when the client sent a progressToken. It knows nothing of HTTP: the
 * transports connect it and put the authenticated principal in `authInfo.extra.principal`.
 */
import { randomUUID } from 'node:crypto';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema, ErrorCode, ListToolsRequestSchema, McpError,
  type CallToolResult, type ServerNotification,
} from '@modelcontextprotocol/sdk/types.js';
import type { Principal, ToolProgress } from '../core/contracts.js';
import { ToolArgumentsError, type ToolPipeline } from '../core/pipeline.js';
import type { ToolCatalog } from '../core/tool-catalog.js';

/** Identity this server reports in `initialize`. */
export interface ServerIdentity {
  readonly name: string;
  readonly version: string;
}

/** What a session server is built from. */
export interface SessionServerDeps {
  readonly identity: ServerIdentity;
  readonly catalog: () => ToolCatalog;
  readonly pipeline: ToolPipeline;
  /** Used when the transport did not attach one (stdio). */
  readonly fallbackPrincipal?: Principal;
}

/** Reads the principal a transport attached to the request. */
export function principalOf(authInfo: { extra?: Record<string, unknown> } | undefined, fallback?: Principal): Principal {
  const p = authInfo?.extra?.principal as Principal | undefined;
  if (p) return p;
  if (fallback) return fallback;
  // Transports always attach one; reaching this is a wiring bug, and we fail closed.
  throw new McpError(ErrorCode.InvalidRequest, 'unauthenticated request');
}

/** Creates an SDK Server wired to the gateway core. */
export function createSessionServer(deps: SessionServerDeps): Server {
  const server = new Server(
    { name: deps.identity.name, version: deps.identity.version },
    { capabilities: { tools: { listChanged: true }, logging: {} }, instructions: 'Docker tools: start with docker_ps, then docker_inspect, docker_logs or docker_exec on a container by name.' },
  );

  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: deps.catalog().list() as never }));

  server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
    const tool = deps.catalog().get(request.params.name);
    if (!tool) throw new McpError(ErrorCode.InvalidParams, `Unknown tool: ${request.params.name}. Call tools/list for the available tools.`);
    const principal = principalOf(extra.authInfo as never, deps.fallbackPrincipal);
    const token = request.params._meta?.progressToken;
    const progress = token === undefined ? undefined : (p: ToolProgress) => {
      void extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, ...p } } as ServerNotification).catch(() => undefined);
    };
    try {
      const result = await deps.pipeline.call(tool, request.params.arguments, {
        principal, sessionId: extra.sessionId, traceId: randomUUID(), signal: extra.signal, progress,
      });
      return result as CallToolResult;
    } catch (err) {
      if (err instanceof ToolArgumentsError) throw new McpError(ErrorCode.InvalidParams, err.message);
      throw err;
    }
  });

  return server;
}
