/**
 * One MCP server (official SDK) per client session: tools/list from the catalog, tools/call through the
 * pipeline, progress notifications when the client sent a progressToken. It knows nothing of HTTP: the
 * transports connect it and put the authenticated principal in `authInfo.extra.principal`.
 */
import { randomUUID } from 'node:crypto';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema, CompleteRequestSchema, CreateMessageResultSchema, ElicitResultSchema, ErrorCode, GetPromptRequestSchema, ListPromptsRequestSchema, ListResourceTemplatesRequestSchema,
  ListResourcesRequestSchema, ListToolsRequestSchema, ReadResourceRequestSchema,
  type CallToolResult, type GetPromptResult, type Prompt, type ReadResourceResult, type Resource, type ResourceTemplate,
  type ServerNotification, type ServerRequest,
} from '@modelcontextprotocol/sdk/types.js';
import type { jsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/types.js';
import type { AskClient, Principal, ToolContext, ToolProgress, ToolResult } from '../core/contracts.js';
import { ToolArgumentsError, type ToolPipeline } from '../core/pipeline.js';
import { SharedSchemaValidator } from '../core/shared-schema-validator.js';
import type { ToolSource } from '../core/tool-source.js';

/** Identity this server reports in `initialize`. */
export interface ServerIdentity {
  readonly name: string;
  readonly version: string;
}

/** Resources and prompts passed through from upstream servers. */
export interface UpstreamContent {
  resources(sessionId?: string): Promise<Resource[]>;
  resourceTemplates(sessionId?: string): Promise<ResourceTemplate[]>;
  readResource(uri: string, ctx: { sessionId?: string; signal?: AbortSignal }): Promise<ReadResourceResult>;
  prompts(sessionId?: string): Promise<Prompt[]>;
  /**
   * `ctx.input` (2026-07-28 requests only) lets an upstream's `input_required` come back as `inputRequired` (with a
   * sealed state), and a retry's state be checked (`rejectRequest` when it fails); without it a prompt is a prompt.
   */
  getPrompt(name: string, args: Record<string, string> | undefined, ctx: {
    sessionId?: string;
    signal?: AbortSignal;
    input?: Pick<ToolContext, 'principal' | 'inputResponses' | 'requestState' | 'clientCapabilities'>;
  }): Promise<GetPromptResult & Pick<ToolResult, 'inputRequired' | 'rejectRequest'>>;
  /** `completion/complete` for an upstream prompt or resource template (names and URIs as listed to the client). */
  complete(params: {
    ref: { type: 'ref/prompt'; name: string } | { type: 'ref/resource'; uri: string };
    argument: { name: string; value: string };
    context?: { arguments?: Record<string, string> };
  }, ctx: { sessionId?: string; signal?: AbortSignal }): Promise<{ completion: { values: string[]; total?: number; hasMore?: boolean } }>;
  /** Subscribes to "an upstream's tool list changed"; returns the unsubscribe function. */
  onToolsChanged(cb: (server: string) => void): () => void;
}

/** What a session server is built from. */
export interface SessionServerDeps {
  readonly identity: ServerIdentity;
  readonly tools: ToolSource;
  readonly pipeline: Pick<ToolPipeline, 'call'>;
  /** Upstream resources/prompts; absent when no upstream servers are configured. */
  readonly upstreams?: UpstreamContent;
  /** Used when the transport did not attach one (stdio). */
  readonly fallbackPrincipal?: Principal;
  /** Share one across sessions (see {@link createSessionServerFactory}). @default - the SDK's, an Ajv instance per server */
  readonly schemaValidator?: jsonSchemaValidator;
}

/**
 * Creates session servers that share what can be shared across sessions: one JSON Schema validator (also shared with
 * the 2026-07-28 side when the caller passes the same one).
 */
export function createSessionServerFactory(deps: Omit<SessionServerDeps, 'fallbackPrincipal' | 'schemaValidator'>,
  schemaValidator: jsonSchemaValidator = new SharedSchemaValidator()): (fallbackPrincipal?: Principal) => Server {
  return (fallbackPrincipal) => createSessionServer({ ...deps, fallbackPrincipal, schemaValidator });
}

/**
 * A JSON-RPC error the SDK sends as is. (McpError prefixes its message with "MCP error <code>:", and clients prefix
 * again, which reads as a stutter.)
 */
function rpcError(code: number, message: string): Error & { code: number } {
  return Object.assign(new Error(message), { code });
}

/** Reads the principal a transport attached to the request. */
export function principalOf(authInfo: { extra?: Record<string, unknown> } | undefined, fallback?: Principal): Principal {
  const p = authInfo?.extra?.principal as Principal | undefined;
  if (p) return p;
  if (fallback) return fallback;
  // Transports always attach one; reaching this is a wiring bug, and we fail closed.
  throw rpcError(ErrorCode.InvalidRequest, 'unauthenticated request');
}

/** Creates an SDK Server wired to the gateway core. */
export function createSessionServer(deps: SessionServerDeps): Server {
  const up = deps.upstreams;
  const server = new Server(
    { name: deps.identity.name, version: deps.identity.version },
    {
      capabilities: { tools: { listChanged: true }, logging: {}, ...(up ? { resources: { listChanged: true }, prompts: { listChanged: true }, completions: {} } : {}) },
      instructions: 'Docker tools: start with docker_ps, then docker_inspect, docker_logs or docker_exec on a container by name.' +
        (up ? ' Tools named <server>__<tool> belong to other MCP servers this gateway aggregates.' : ''),
      ...(deps.schemaValidator ? { jsonSchemaValidator: deps.schemaValidator } : {}),
    },
  );

  // Each caller sees the tools its roles allow.
  server.setRequestHandler(ListToolsRequestSchema, async (_req, extra) => ({ tools: (await deps.tools.list(extra.sessionId, principalOf(extra.authInfo as never, deps.fallbackPrincipal))) as never }));

  if (up) {
    server.setRequestHandler(ListResourcesRequestSchema, async (_r, extra) => ({ resources: await up.resources(extra.sessionId) }));
    server.setRequestHandler(ListResourceTemplatesRequestSchema, async (_r, extra) => ({ resourceTemplates: await up.resourceTemplates(extra.sessionId) }));
    server.setRequestHandler(ReadResourceRequestSchema, async (r, extra) => up.readResource(r.params.uri, { sessionId: extra.sessionId, signal: extra.signal }));
    server.setRequestHandler(ListPromptsRequestSchema, async (_r, extra) => ({ prompts: await up.prompts(extra.sessionId) }));
    server.setRequestHandler(GetPromptRequestSchema, async (r, extra) => up.getPrompt(r.params.name, r.params.arguments, { sessionId: extra.sessionId, signal: extra.signal }));
    server.setRequestHandler(CompleteRequestSchema, async (r, extra) => up.complete(r.params as Parameters<UpstreamContent['complete']>[0], { sessionId: extra.sessionId, signal: extra.signal }));
    // An upstream's list_changed reaches this session's client; unsubscribed when the session closes.
    const off = up.onToolsChanged(() => { void server.sendToolListChanged().catch(() => undefined); });
    const previous = server.onclose;
    server.onclose = () => { off(); previous?.(); };
  }

  server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
    const tool = await deps.tools.get(request.params.name, extra.sessionId);
    if (!tool) throw rpcError(ErrorCode.InvalidParams, deps.tools.unknownToolMessage(request.params.name));
    const principal = principalOf(extra.authInfo as never, deps.fallbackPrincipal);
    const token = request.params._meta?.progressToken;
    const drained = (extra.authInfo?.extra as { drained?: () => Promise<void> | undefined } | undefined)?.drained;
    // The returned promise is the producer's backpressure: the HTTP response's fullness when the transport gave one,
    // otherwise the transport's own send (stdio's resolves once stdout has drained).
    const progress = token === undefined ? undefined : (p: ToolProgress) => {
      const sent = extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, ...p } } as ServerNotification).catch(() => undefined);
      return drained ? drained() : sent;
    };
    // An upstream's sampling or elicitation during this call goes to this client, related to the call (so a Streamable
    // HTTP client gets it on the call's own response stream), if the client said it can answer it.
    const askClient: AskClient = async (method, params, signal) => {
      const caps = server.getClientCapabilities();
      const needed = method === 'sampling/createMessage' ? 'sampling' : 'elicitation';
      if (!caps?.[needed]) {
        const who = server.getClientVersion()?.name ?? 'the client';
        throw rpcError(ErrorCode.InvalidRequest, `${who} (the client of this call) does not support ${needed}, so ${method} cannot be answered`);
      }
      const schema = method === 'sampling/createMessage' ? CreateMessageResultSchema : ElicitResultSchema;
      return (await extra.sendRequest({ method, params } as ServerRequest, schema, { signal })) as Record<string, unknown>;
    };
    try {
      const result = await deps.pipeline.call(tool, request.params.arguments, {
        principal, sessionId: extra.sessionId, traceId: randomUUID(), signal: extra.signal, progress, askClient,
      });
      return result as CallToolResult;
    } catch (err) {
      if (err instanceof ToolArgumentsError) throw rpcError(ErrorCode.InvalidParams, err.message);
      throw err;
    }
  });

  return server;
}
