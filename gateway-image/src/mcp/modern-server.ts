/**
 * The MCP 2026-07-28 ("modern era") server: one SDK v2 `Server` per request, wired to the same core as the 2025
 * session server (tools/list from the tool source, tools/call through the pipeline, upstream resources and prompts).
 * `createMcpHandler` (transports/modern-http.ts) builds one per HTTP request, so construction is kept cheap: handlers
 * are plain closures over deps built once, and the JSON Schema validator is shared (the SDK would build an Ajv per
 * instance otherwise). It knows nothing of HTTP: the principal arrives in `authInfo.extra.principal`.
 */
import { randomUUID } from 'node:crypto';
import {
  CLIENT_CAPABILITIES_META_KEY, ProtocolError, ProtocolErrorCode, Server,
  type CacheHint, type CallToolResult, type InputRequiredResult, type ServerContext, type jsonSchemaValidator,
} from '@modelcontextprotocol/server';
import type { Principal, ToolProgress, ToolResult } from '../core/contracts.js';
import { ToolArgumentsError, type ToolPipeline } from '../core/pipeline.js';
import type { ToolSource } from '../core/tool-source.js';
import type { ServerIdentity, UpstreamContent } from './session-server.js';

/** The 2025-era protocol versions the same `/mcp` URL serves through `initialize` (listed by `server/discover`). */
export const LEGACY_PROTOCOL_VERSIONS = ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'] as const;

/**
 * Cache hints of list results (2026-07-28 `ttlMs`/`cacheScope`). `tools/list` is `private`: which tools a caller may
 * use depends on its role, so a shared cache must not hand one caller's list to another. Resource and prompt lists
 * come from upstream servers that may answer per caller, so they are `private` too. `ttlMs: 0` asks clients to
 * revalidate: the lists change when an upstream's do, and 2026 clients learn of that only on a listen stream.
 */
const CACHE_HINTS: Partial<Record<'tools/list' | 'resources/list' | 'resources/templates/list' | 'prompts/list' | 'resources/read' | 'server/discover', CacheHint>> = {
  'tools/list': { ttlMs: 0, cacheScope: 'private' },
  'resources/list': { ttlMs: 0, cacheScope: 'private' },
  'resources/templates/list': { ttlMs: 0, cacheScope: 'private' },
  'prompts/list': { ttlMs: 0, cacheScope: 'private' },
  'resources/read': { ttlMs: 0, cacheScope: 'private' },
  // The same for every caller: what the gateway serves does not depend on who asks.
  'server/discover': { ttlMs: 60_000, cacheScope: 'public' },
};

/** What a modern server is built from (the session server's deps, shared by the per-request factory). */
export interface ModernServerDeps {
  readonly identity: ServerIdentity;
  readonly tools: ToolSource;
  readonly pipeline: Pick<ToolPipeline, 'call'>;
  readonly upstreams?: UpstreamContent;
  /** One validator for every per-request server: the SDK builds an Ajv per instance otherwise. */
  readonly schemaValidator: jsonSchemaValidator;
}

/** A JSON-RPC error the SDK sends as is. */
function rpcError(code: number, message: string, data?: unknown): ProtocolError {
  return new ProtocolError(code, message, data);
}

/**
 * Runs an upstream read and answers its failure as the JSON-RPC error it is: the upstream's own error (code, message,
 * data) when it answered with one, and -32602 naming what was asked for when the gateway refused the request itself
 * (an unknown resource URI: SEP-2164 wants -32602 with the URI in `data`). Anything else stays an internal error.
 */
async function upstreamAnswer<T>(read: () => Promise<T>, asked: Record<string, unknown>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    const e = err as { name?: string; reason?: string; message?: string; protocolError?: { code: number; message: string; data?: unknown } };
    if (e?.protocolError) throw rpcError(e.protocolError.code, e.protocolError.message, e.protocolError.data);
    if (e?.name === 'UpstreamCallError' && e.reason === 'rejected') throw rpcError(ProtocolErrorCode.InvalidParams, e.message ?? 'rejected', asked);
    throw err;
  }
}

/** The principal the transport attached; its absence is a wiring bug and fails closed. */
function principalOf(ctx: ServerContext): Principal {
  const p = (ctx.http?.authInfo?.extra as { principal?: Principal } | undefined)?.principal;
  if (!p) throw rpcError(ProtocolErrorCode.InvalidRequest, 'unauthenticated request');
  return p;
}

/**
 * The SDK's `Server` answers `server/discover` with the modern versions only; this gateway also serves 2025 clients
 * on the same URL (through `initialize`), and the spec's discover lists every version served, so they are added.
 */
function discoverListsLegacyVersions(server: Server): Server {
  // `_ondiscover` is the SDK's own discover answer (not exported as API, hence the cast); the SDK installs its
  // handler after the factory returns, so the instance's method is wrapped rather than the handler replaced.
  const own = server as unknown as { _ondiscover(): { supportedVersions: string[] } };
  const base = own._ondiscover.bind(server);
  own._ondiscover = () => {
    const r = base();
    return { ...r, supportedVersions: [...r.supportedVersions, ...LEGACY_PROTOCOL_VERSIONS.filter((v) => !r.supportedVersions.includes(v))] };
  };
  return server;
}

/**
 * Maps a pipeline result to the protocol's: a result needing input becomes `resultType: "input_required"`; a call
 * refused as a protocol error (a retry's `requestState` failed verification) becomes that JSON-RPC error.
 */
export function toModernResult(result: ToolResult): CallToolResult | InputRequiredResult {
  if (result.rejectRequest) throw rpcError(result.rejectRequest.code, result.rejectRequest.message, result.rejectRequest.data);
  if (result.inputRequired) {
    const { inputRequests, requestState } = result.inputRequired;
    return { resultType: 'input_required', inputRequests, ...(requestState !== undefined ? { requestState } : {}) } as unknown as InputRequiredResult;
  }
  const { inputRequired: _none, rejectRequest: _neither, ...rest } = result;
  return rest as CallToolResult;
}

/**
 * Creates the per-request server factory: everything that can be built once is built here. `precomputed` is a
 * `tools/call` result the fast path already has (modern-fast-path.ts): the server answers with it instead of calling
 * the pipeline again, so the SDK still gives the answer its checks and encoding (input requests).
 */
export function createModernServerFactory(deps: ModernServerDeps): (precomputed?: ToolResult) => Server {
  const up = deps.upstreams;
  const { schemaValidator } = deps;
  const capabilities = { tools: { listChanged: true }, ...(up ? { resources: { listChanged: true }, prompts: { listChanged: true }, completions: {} } : {}) };
  const instructions = 'Docker tools: start with docker_ps, then docker_inspect, docker_logs or docker_exec on a container by name.' +
    (up ? ' Tools named <server>__<tool> belong to other MCP servers this gateway aggregates.' : '');

  const listTools = async (_request: unknown, ctx: ServerContext) => ({ tools: (await deps.tools.list(undefined, principalOf(ctx))) as never });
  const callTool = async (request: { params: { name: string; arguments?: Record<string, unknown>; _meta?: { progressToken?: string | number } } }, ctx: ServerContext) => {
    const tool = await deps.tools.get(request.params.name);
    if (!tool) throw rpcError(ProtocolErrorCode.InvalidParams, deps.tools.unknownToolMessage(request.params.name));
    const principal = principalOf(ctx);
    const token = request.params._meta?.progressToken;
    const drained = (ctx.http?.authInfo?.extra as { drained?: () => Promise<void> | undefined } | undefined)?.drained;
    // Progress goes on this request's own response stream; its fullness is the producer's backpressure.
    const progress = token === undefined ? undefined : (p: ToolProgress) => {
      const sent = ctx.mcpReq.notify({ method: 'notifications/progress', params: { progressToken: token, ...p } }).catch(() => undefined);
      return drained ? drained() : sent;
    };
    const rawState = ctx.mcpReq.requestState();
    try {
      const result = await deps.pipeline.call(tool, request.params.arguments, {
        principal, traceId: randomUUID(), signal: ctx.mcpReq.signal, progress,
        acceptsInputRequired: true,
        inputResponses: ctx.mcpReq.inputResponses,
        requestState: typeof rawState === 'string' ? rawState : undefined,
        clientCapabilities: (ctx.mcpReq.envelope as Record<string, unknown> | undefined)?.[CLIENT_CAPABILITIES_META_KEY] as Record<string, unknown> | undefined,
      });
      return toModernResult(result as ToolResult);
    } catch (err) {
      if (err instanceof ToolArgumentsError) throw rpcError(ProtocolErrorCode.InvalidParams, err.message);
      throw err;
    }
  };

  return (precomputed) => {
    const server = new Server({ name: deps.identity.name, version: deps.identity.version }, {
      capabilities, instructions, jsonSchemaValidator: schemaValidator, cacheHints: CACHE_HINTS,
    });
    server.setRequestHandler('tools/list', listTools);
    server.setRequestHandler('tools/call', (precomputed ? async () => toModernResult(precomputed) : callTool) as never);
    if (up) {
      server.setRequestHandler('resources/list', async () => ({ resources: await up.resources() }) as never);
      server.setRequestHandler('resources/templates/list', async () => ({ resourceTemplates: await up.resourceTemplates() }) as never);
      server.setRequestHandler('resources/read', async (r, ctx) => (await upstreamAnswer(() => up.readResource(r.params.uri, { signal: ctx.mcpReq.signal }), { uri: r.params.uri })) as never);
      server.setRequestHandler('prompts/list', async () => ({ prompts: await up.prompts() }) as never);
      server.setRequestHandler('completion/complete', async (r, ctx) => (await upstreamAnswer(() => up.complete(r.params as never, { signal: ctx.mcpReq.signal }), { ref: r.params.ref })) as never);
      server.setRequestHandler('prompts/get', async (r, ctx) => {
        const rawState = ctx.mcpReq.requestState();
        const got = await upstreamAnswer(() => up.getPrompt(r.params.name, r.params.arguments, {
          signal: ctx.mcpReq.signal,
          input: {
            principal: principalOf(ctx),
            inputResponses: ctx.mcpReq.inputResponses,
            requestState: typeof rawState === 'string' ? rawState : undefined,
            clientCapabilities: (ctx.mcpReq.envelope as Record<string, unknown> | undefined)?.[CLIENT_CAPABILITIES_META_KEY] as Record<string, unknown> | undefined,
          },
        }), { name: r.params.name });
        // Same mapping as a tool call's: input_required, a refused state as its JSON-RPC error, else the prompt.
        if (got.inputRequired || got.rejectRequest) return toModernResult({ content: [], ...got }) as never;
        return got as never;
      });
    }
    return discoverListsLegacyVersions(server);
  };
}

