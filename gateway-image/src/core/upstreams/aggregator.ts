/**
 * Presents every upstream as one server: tools and prompts named `<server><sep><name>`, resources under
 * `mcp-upstream://<server>/<original uri>`, each routed back to the upstream that owns it. Lists are cached
 * per server and dropped when the upstream sends list_changed. Per-server failures never hide other servers:
 * a server that cannot start contributes nothing to a list and reports why in status().
 */
import { randomUUID } from 'node:crypto';
import type { CallToolResult, InputRequiredResult } from '@modelcontextprotocol/client';
import type {
  GetPromptResult,
  Prompt,
  ReadResourceResult,
  Resource,
  ResourceTemplate,
  Tool,
} from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from 'pino';
import type { AskClient, InputRequest, ToolContext, ToolDefinition, ToolResult } from '../contracts.js';
import { redactDeep } from './block-secrets.js';
import { HeldCall, HeldCalls } from './held-calls.js';
import { REFUSAL_TEXT, type RequestStateRefusal, type RequestStateSealer } from './request-state.js';
import type { ListKind, UpstreamInstance } from './upstream-instance.js';
import { needsInput, UpstreamCallError } from './upstream-instance.js';
import type { UpstreamPool } from './upstream-pool.js';
import { TOOL_NAME_PATTERN, type UpstreamsConfig } from './upstreams-config.js';

/** Scheme of exposed resource URIs: `mcp-upstream://<server>/<original uri>`. */
export const RESOURCE_SCHEME = 'mcp-upstream';

/** Emitted whenever block_secrets replaced something, for the audit log (join on traceId). */
export interface SecretsRedactedEvent {
  readonly server: string;
  readonly tool: string;
  readonly traceId: string;
  readonly sessionId?: string;
  /** arguments/result of the call; client-request/client-response of a sampling or elicitation relayed during it. */
  readonly direction: 'arguments' | 'result' | 'client-request' | 'client-response';
  readonly count: number;
}

/** A retry's `requestState` that the gateway refused (nothing was sent upstream), for the audit log. */
export interface RequestStateRefusedEvent {
  readonly server: string;
  readonly tool: string;
  readonly traceId: string;
  readonly principal: string;
  readonly authMethod: ToolContext['principal']['authMethod'];
  readonly sessionId?: string;
  readonly reason: RequestStateRefusal;
}

/** Rounds of input a 2025 client is asked for, on behalf of one call to a 2026 upstream, before the call fails. */
const MAX_INPUT_ROUNDS = 8;
/** How long a call of a 2025 upstream is held for a 2026 client's retry (the sealed state's TTL too). */
const HELD_TTL_MS = 600_000;
/** MCP 2026-07-28 MissingRequiredClientCapability. */
const MISSING_CLIENT_CAPABILITY = -32021;
/** JSON-RPC invalid params: how a refused `requestState` is answered. */
const INVALID_PARAMS = -32602;

/** Options of {@link Aggregator}. */
export interface AggregatorOptions {
  readonly config: UpstreamsConfig;
  readonly pools: ReadonlyMap<string, UpstreamPool>;
  readonly logger: Logger;
  /** Names the gateway exposes itself; upstream tools with these names are dropped. @default [] */
  readonly reservedToolNames?: readonly string[];
  readonly onSecretsRedacted?: (e: SecretsRedactedEvent) => void;
  /** A server whose last start failed came up in the background: its lists are new (sent as list_changed). */
  readonly onRecovered?: (server: string) => void;
  /** Seals the state of a 2026 upstream's `input_required` for the client, and opens it on the retry. */
  readonly sealer: RequestStateSealer;
  readonly onRequestStateRefused?: (e: RequestStateRefusedEvent) => void;
}

/** Options for requests that are not tool calls. */
export interface RequestContext {
  readonly sessionId?: string;
  readonly signal?: AbortSignal;
  /**
   * A 2026-07-28 `prompts/get`: who asks and what it carries, so an upstream's `input_required` can be relayed (sealed
   * like a tool call's) and a retry's state checked. Absent: an upstream's `input_required` fails the request.
   */
  readonly input?: Pick<ToolContext, 'principal' | 'inputResponses' | 'requestState' | 'clientCapabilities'>;
}

/** What `completion/complete` names: a prompt or resource template (by its exposed name/URI) and the argument. */
export interface CompleteParams {
  readonly ref: { readonly type: 'ref/prompt'; readonly name: string } | { readonly type: 'ref/resource'; readonly uri: string };
  readonly argument: { readonly name: string; readonly value: string };
  readonly context?: { readonly arguments?: Record<string, string> };
}

/** A prompt, or what the client must answer first (2026-07-28), or a refused retry. */
export type PromptOutcome = GetPromptResult & Pick<ToolResult, 'inputRequired' | 'rejectRequest'>;

interface Catalog {
  tools?: Promise<Tool[]>;
  resources?: Promise<Resource[]>;
  resourceTemplates?: Promise<ResourceTemplate[]>;
  prompts?: Promise<Prompt[]>;
}

const MAX_PAGES = 100;

/** Aggregates the configured upstream servers. */
export class Aggregator {
  private readonly catalogs = new Map<string, Catalog>();
  private readonly warned = new Set<string>();
  private readonly retrying = new Set<string>();
  private readonly definitions = new Map<string, { source: Promise<Tool[]>; defs: ToolDefinition[] }>();
  private readonly servers: readonly string[];
  private readonly reserved: ReadonlySet<string>;
  /** The last combined tool list and the per-server lists it was built from (every call looks tools up). */
  private combined?: { sources: Array<Promise<Tool[]>>; defs: ToolDefinition[] };

  constructor(private readonly opts: AggregatorOptions) {
    this.servers = [...opts.pools.keys()];
    this.reserved = new Set(opts.reservedToolNames ?? []);
  }

  private get sep(): string {
    return this.opts.config.upstreams.separator;
  }

  /** The name a server's tool or prompt is exposed under (`prefix: false` keeps the upstream's own). */
  private exposedName(server: string, name: string): string {
    return this.opts.config.mcpServers[server].prefix ? `${server}${this.sep}${name}` : name;
  }

  /** Exposed prompt name -> owner, rebuilt with each prompt list (un-prefixed names cannot be split). */
  private promptOwners = new Map<string, { server: string; name: string }>();
  /** Resource URI of an un-prefixed server -> that server, rebuilt with each resource list. */
  private resourceOwners = new Map<string, string>();
  /** Collisions found at the last tool list, as messages naming both sides (see start-up check in create-upstreams). */
  collisions: string[] = [];
  /** Calls of 2025 upstreams held open while a 2026 client answers their requests (see held-calls.ts). */
  readonly held = new HeldCalls<CallToolResult | InputRequiredResult>(HELD_TTL_MS);

  /** Drops cached lists of a server (on list_changed). */
  invalidate(server: string, kind: ListKind): void {
    const c = this.catalogs.get(server);
    if (!c) return;
    if (kind === 'tools') c.tools = undefined;
    if (kind === 'prompts') c.prompts = undefined;
    if (kind === 'resources') {
      c.resources = undefined;
      c.resourceTemplates = undefined;
    }
  }

  /**
   * An instance said one of its lists changed: list again from that very instance (it is running, so this
   * starts nothing) and keep the cache when nothing changed. Servers built on the SDK's McpServer announce the
   * tools they register after initialize (server-everything does), so every fresh per-call or per-session
   * instance sends tools/list_changed at start; invalidating on each made the next lookup start a throwaway
   * instance just to list, which announced again: one extra container per call. Resolves to whether clients
   * should be told; when the list cannot be fetched it falls back to invalidating (and telling).
   */
  async refresh(server: string, kind: ListKind, instance: UpstreamInstance): Promise<boolean> {
    const c = this.catalogs.get(server);
    const cached = c?.[kind];
    if (instance.state === 'closed') return false;
    if (!c || !cached || instance.state !== 'ready') {
      this.invalidate(server, kind);
      return true;
    }
    try {
      const [before, fresh] = await Promise.all([cached, this.listFrom(instance, kind)]);
      if (JSON.stringify(before) === JSON.stringify(fresh)) return false;
      if (c[kind] === cached) (c as Record<string, unknown>)[kind] = Promise.resolve(fresh);
      if (kind === 'resources') c.resourceTemplates = undefined;
      return true;
    } catch (err) {
      // The announcing instance is gone (a per-call instance ends with its call): what it announced ended
      // with it, so the cache stands. Any other failure: drop the cache and let the next list fetch it.
      const gone = instance.state !== 'ready';
      this.opts.logger.debug({ upstream: server, kind, err: (err as Error).message, gone }, 'could not re-list after list_changed');
      if (gone) return false;
      this.invalidate(server, kind);
      return true;
    }
  }

  /**
   * Tool definitions of every upstream, filtered by enabled_tools. The gateway looks a tool up on every call, so
   * while no server's list changed this returns the same array without building anything.
   */
  tools(sessionId?: string): Promise<ToolDefinition[]> {
    const sources = this.servers.map((server) => this.list(server, 'tools', sessionId));
    const last = this.combined;
    if (last && sources.every((src, k) => src === last.sources[k])) return Promise.resolve(last.defs);
    return this.buildTools(sources);
  }

  private async buildTools(sources: Array<Promise<Tool[]>>): Promise<ToolDefinition[]> {
    const reserved = this.reserved;
    const perServer = await Promise.all(
      this.servers.map(async (server, k) => {
        const source = sources[k];
        // Same list, same definition objects: callers can cache by identity (and calls skip rebuilding).
        const memo = this.definitions.get(server);
        if (memo?.source === source) return memo.defs;
        const tools = await source;
        const cfg = this.opts.config.mcpServers[server];
        const enabled = cfg.enabled_tools ? new Set(cfg.enabled_tools) : undefined;
        if (enabled) {
          for (const want of enabled) {
            if (!tools.some((t) => t.name === want)) this.warnOnce(`${server}:${want}`, { upstream: server, tool: want }, 'enabled_tools names a tool the upstream does not offer');
          }
        }
        const defs: ToolDefinition[] = [];
        for (const tool of tools) {
          if (enabled && !enabled.has(tool.name)) continue;
          const exposed = this.exposedName(server, tool.name);
          if (!TOOL_NAME_PATTERN.test(exposed)) {
            this.warnOnce(`bad:${exposed}`, { upstream: server, tool: tool.name }, 'upstream tool name is not a valid MCP tool name once prefixed; skipped');
            continue;
          }
          defs.push(this.toolDefinition(server, tool, exposed));
        }
        this.definitions.set(server, { source, defs });
        return defs;
      }),
    );
    // Two sources for one exposed name: the first in config order keeps it, the other is refused, both named.
    const owner = new Map<string, string>([...reserved].map((name) => [name, 'the built-in tools']));
    const collisions: string[] = [];
    const defs: ToolDefinition[] = [];
    perServer.forEach((list, k) => {
      for (const def of list) {
        const first = owner.get(def.name);
        if (first !== undefined) {
          const other = first === 'the built-in tools' ? 'a built-in tool of the gateway' : `the tool of the same name of upstream "${first}"`;
          const msg = `tool "${def.name}" of upstream "${this.servers[k]}" collides with ${other}; it is left out (set prefix: true, or leave it out with enabled_tools)`;
          collisions.push(msg);
          this.warnOnce(`collide:${def.name}:${this.servers[k]}`, { upstream: this.servers[k], tool: def.name, other: first }, msg);
          continue;
        }
        owner.set(def.name, this.servers[k]);
        defs.push(def);
      }
    });
    this.collisions = collisions;
    // Only a list that is still current is kept (another lookup may have replaced a source meanwhile).
    if (sources.every((src, k) => this.catalogs.get(this.servers[k])?.tools === src)) this.combined = { sources, defs };
    return defs;
  }

  /** Resources of every upstream, URIs rewritten to route back (kept as they are for `prefix: false`). */
  async resources(sessionId?: string): Promise<Resource[]> {
    const all = await Promise.all(
      this.servers.map(async (server) => {
        const prefixed = this.opts.config.mcpServers[server].prefix;
        return (await this.list(server, 'resources', sessionId)).map((r) => {
          if (!prefixed) this.resourceOwners.set(r.uri, server);
          return prefixed ? { ...r, uri: this.exposeUri(server, r.uri), name: `${server}${this.sep}${r.name}` } : r;
        });
      }),
    );
    return all.flat();
  }

  /** Resource templates of every upstream, rewritten like {@link resources}. */
  async resourceTemplates(sessionId?: string): Promise<ResourceTemplate[]> {
    const all = await Promise.all(
      this.servers.map(async (server) =>
        (await this.list(server, 'resourceTemplates', sessionId)).map((t) => (this.opts.config.mcpServers[server].prefix ? {
          ...t,
          uriTemplate: this.exposeUri(server, t.uriTemplate),
          name: `${server}${this.sep}${t.name}`,
        } : t)),
      ),
    );
    return all.flat();
  }

  /** Reads a resource by its exposed URI. Throws {@link UpstreamCallError} for unknown URIs and failures. */
  async readResource(uri: string, ctx: RequestContext = {}): Promise<ReadResourceResult> {
    const { server, original } = this.routeUri(uri);
    const pool = this.opts.pools.get(server)!;
    const timeoutMs = this.opts.config.upstreams.callTimeoutMs;
    const result = (await pool.use(ctx.sessionId, timeoutMs, (i) =>
      i.request(`reading ${original}`, { timeoutMs, signal: ctx.signal }, (ro) => i.sdk.readResource({ uri: original }, { ...ro, cacheMode: 'bypass' })),
    )) as ReadResourceResult;
    if (!this.opts.config.mcpServers[server].prefix) return result;
    return { ...result, contents: result.contents.map((c) => ({ ...c, uri: this.exposeUri(server, c.uri) })) };
  }

  /** Prompts of every upstream, named `<server><sep><prompt>` (their own names for `prefix: false`). */
  async prompts(sessionId?: string): Promise<Prompt[]> {
    const all = await Promise.all(
      this.servers.map(async (server) =>
        (await this.list(server, 'prompts', sessionId)).map((p) => {
          const name = this.exposedName(server, p.name);
          if (!this.promptOwners.has(name)) this.promptOwners.set(name, { server, name: p.name });
          return { ...p, name };
        }),
      ),
    );
    return all.flat();
  }

  /** Gets a prompt by its exposed name; relays a 2026 upstream's input_required when `ctx.input` allows it. */
  async getPrompt(name: string, args: Record<string, string> | undefined, ctx: RequestContext = {}): Promise<PromptOutcome> {
    if (!this.promptOwners.has(name) && this.servers.some((s) => !this.opts.config.mcpServers[s].prefix)) await this.prompts(ctx.sessionId);
    const owned = this.promptOwners.get(name);
    const { server, rest } = owned ? { server: owned.server, rest: owned.name } : this.routeName(name);
    const pool = this.opts.pools.get(server)!;
    const timeoutMs = this.opts.config.upstreams.callTimeoutMs;
    const input = ctx.input;
    let upstreamState: string | undefined;
    // Sealed states of prompts are bound to `prompt:<name>`, so one can never continue a tool call or vice versa.
    const route = `prompt:${rest}`;
    if (input?.requestState !== undefined) {
      const opened = this.opts.sealer.open(input.requestState, { principal: input.principal.id, server, tool: route });
      if (!opened.ok) {
        const refused = this.refuseState(server, route, { ...input, traceId: randomUUID(), signal: ctx.signal ?? new AbortController().signal, dryRun: false, sessionId: ctx.sessionId }, opened.reason);
        return { messages: [], ...refused };
      }
      upstreamState = opened.claims.upstreamState;
    }
    const result = await pool.use(ctx.sessionId, timeoutMs, (i) =>
      i.request(`getting prompt ${rest}`, { timeoutMs, signal: ctx.signal }, (ro) => {
        const modern = i.era === 'modern' && input;
        const params = {
          name: rest,
          arguments: args,
          ...(modern && input.inputResponses ? { inputResponses: input.inputResponses } : {}),
          ...(modern && upstreamState !== undefined ? { requestState: upstreamState } : {}),
          ...(modern ? { _meta: { 'io.modelcontextprotocol/clientCapabilities': input.clientCapabilities ?? {} } } : {}),
        };
        return i.sdk.getPrompt(params as Parameters<typeof i.sdk.getPrompt>[0], { ...ro, ...(modern ? { allowInputRequired: true } : {}) });
      }),
    );
    if (input && needsInput(result as never)) {
      const r = result as unknown as InputRequiredResult;
      const requestState = this.opts.sealer.seal({ server, tool: route, principal: input.principal.id, ...(r.requestState !== undefined ? { upstreamState: r.requestState } : {}) });
      return { messages: [], inputRequired: { inputRequests: (r.inputRequests ?? {}) as Record<string, InputRequest>, requestState } };
    }
    return result as GetPromptResult;
  }

  /**
   * Completes an argument of an upstream prompt or resource template (`completion/complete`), routed like getPrompt and
   * readResource; an upstream without the completions capability completes nothing.
   */
  async complete(params: CompleteParams, ctx: RequestContext = {}): Promise<{ completion: { values: string[]; total?: number; hasMore?: boolean } }> {
    let server: string;
    let ref: CompleteParams['ref'];
    if (params.ref.type === 'ref/prompt') {
      const name = params.ref.name;
      if (!this.promptOwners.has(name) && this.servers.some((x) => !this.opts.config.mcpServers[x].prefix)) await this.prompts(ctx.sessionId);
      const owned = this.promptOwners.get(name);
      const routed = owned ? { server: owned.server, rest: owned.name } : this.routeName(name);
      server = routed.server;
      ref = { type: 'ref/prompt', name: routed.rest };
    } else {
      const routed = this.routeUri(params.ref.uri);
      server = routed.server;
      ref = { type: 'ref/resource', uri: routed.original };
    }
    const pool = this.opts.pools.get(server)!;
    const timeoutMs = this.opts.config.upstreams.callTimeoutMs;
    return pool.use(ctx.sessionId, timeoutMs, async (i) => {
      if (!i.sdk.getServerCapabilities()?.completions) return { completion: { values: [] } };
      return i.request(`completing ${params.argument.name}`, { timeoutMs, signal: ctx.signal }, (ro) =>
        i.sdk.complete({ ref, argument: params.argument, ...(params.context ? { context: params.context } : {}) } as Parameters<typeof i.sdk.complete>[0], ro),
      ) as Promise<{ completion: { values: string[]; total?: number; hasMore?: boolean } }>;
    });
  }

  /** `mcp-upstream://<server>/<original>`. */
  exposeUri(server: string, original: string): string {
    return `${RESOURCE_SCHEME}://${server}/${original}`;
  }

  /**
   * Inverse of {@link exposeUri}. A URI of an un-prefixed server is its own: routed by the resource lists seen so
   * far, else to the only un-prefixed server (whose templates it may match).
   */
  routeUri(uri: string): { server: string; original: string } {
    const prefix = `${RESOURCE_SCHEME}://`;
    if (uri.startsWith(prefix)) {
      const rest = uri.slice(prefix.length);
      const slash = rest.indexOf('/');
      const server = slash > 0 ? rest.slice(0, slash) : '';
      if (this.opts.pools.has(server) && this.opts.config.mcpServers[server].prefix) return { server, original: rest.slice(slash + 1) };
    }
    const owner = this.resourceOwners.get(uri);
    if (owner !== undefined) return { server: owner, original: uri };
    const unprefixed = this.servers.filter((s) => !this.opts.config.mcpServers[s].prefix);
    if (unprefixed.length === 1) return { server: unprefixed[0], original: uri };
    throw new UpstreamCallError('', 'rejected', `unknown resource URI ${JSON.stringify(uri)}: upstream resources look like ${prefix}<server>/<uri>`);
  }

  /**
   * A stand-in for a tool of a configured server that is not listed because the server cannot start (its last
   * start failed and nothing runs): calling it returns an isError result naming the server and why, instead of
   * an "unknown tool" protocol error that hides the cause. Undefined for any other name.
   */
  unavailableTool(name: string): ToolDefinition | undefined {
    const at = name.indexOf(this.sep);
    const server = at > 0 ? name.slice(0, at) : '';
    const status = this.opts.pools.get(server)?.status();
    if (!status || status.instances > 0 || !status.lastStartFailed) return undefined;
    const reason = `upstream "${server}" is not available: its last start failed (${status.lastError ?? 'unknown error'}); ` +
      'it is retried in the background and its tools are listed again (tools/list_changed) once it is up';
    return {
      name,
      description: `[${server}] unavailable`,
      jsonSchema: { type: 'object' },
      annotations: {},
      // Unknown tool, unknown effects: treated as mutating so policy and audit apply in full (fail closed).
      mutating: true,
      run: async () => textResult(reason, true),
    };
  }

  /** Splits `<server><sep><name>` at the first separator (server names cannot contain it). */
  routeName(name: string): { server: string; rest: string } {
    const at = name.indexOf(this.sep);
    const server = at > 0 ? name.slice(0, at) : '';
    if (!this.opts.pools.has(server)) {
      throw new UpstreamCallError(server, 'rejected', `unknown upstream name ${JSON.stringify(name)}: expected <server>${this.sep}<name> with a configured server`);
    }
    return { server, rest: name.slice(at + this.sep.length) };
  }

  private toolDefinition(server: string, tool: Tool, exposed: string): ToolDefinition {
    const cfg = this.opts.config.mcpServers[server];
    const pool = this.opts.pools.get(server)!;
    const settings = this.opts.config.upstreams;
    const annotations = { ...tool.annotations, ...(tool.annotations?.title ?? tool.title ? { title: tool.annotations?.title ?? tool.title } : {}) };
    const description = [cfg.description ? `[${server}: ${cfg.description}]` : `[${server}]`, tool.description ?? ''].join(' ').trim();
    return {
      name: exposed,
      description,
      jsonSchema: tool.inputSchema as Record<string, unknown>,
      annotations,
      mutating: tool.annotations?.readOnlyHint !== true,
      run: async (args, ctx) => {
        if (ctx.dryRun) return textResult(`dry run: ${tool.name} on upstream "${server}" was not called`);
        let sendArgs = args;
        if (cfg.block_secrets) {
          const r = redactDeep(args);
          sendArgs = r.value;
          this.reportRedactions(server, tool.name, ctx, 'arguments', r.redactions);
        }
        let upstreamState: string | undefined;
        const finish = (result: CallToolResult): ToolResult => {
          let out = toToolResult(result);
          if (cfg.block_secrets) {
            const r = redactDeep(out);
            out = r.value;
            this.reportRedactions(server, tool.name, ctx, 'result', r.redactions);
          }
          return out;
        };
        if (ctx.requestState !== undefined) {
          // A retry: the state must be one this gateway sealed, for this tool, for this principal, still valid.
          const opened = this.opts.sealer.open(ctx.requestState, { principal: ctx.principal.id, server, tool: tool.name });
          if (!opened.ok) return this.refuseState(server, tool.name, ctx, opened.reason);
          upstreamState = opened.claims.upstreamState;
          if (opened.claims.held !== undefined) {
            const parked = this.held.take(opened.claims.held, ctx.principal.id);
            if (!parked) {
              return textResult(`the call this requestState continues is not held on this gateway replica (its upstream "${server}" speaks MCP 2025, so the call waits on the replica that started it, for ${HELD_TTL_MS / 60_000} minutes, once): call the tool again, with session affinity if replicas are load-balanced`, true);
            }
            const answer = (ctx.inputResponses?.input ?? { action: 'cancel' }) as Record<string, unknown>;
            parked.respond(cfg.block_secrets ? this.redactCounted(server, tool.name, ctx, 'client-response', answer) : answer);
            return this.advanceHeld(server, tool.name, ctx, parked.call, finish);
          }
        }
        let inputResponses = ctx.inputResponses;
        if (ctx.acceptsInputRequired && !ctx.askClient && upstreamState === undefined) {
          // A 2026 client and maybe a 2025 upstream: run the call so that a server-to-client request of the upstream
          // parks the call and reaches the client as input_required (a 2026 upstream answers input_required itself).
          const call = new HeldCall<CallToolResult | InputRequiredResult>(new AbortController());
          const onFirstLeg = () => call.abort.abort(ctx.signal.reason);
          ctx.signal.addEventListener('abort', onFirstLeg, { once: true });
          const park: AskClient = (method, params) => new Promise((resolve) => {
            ctx.signal.removeEventListener('abort', onFirstLeg);
            call.push({ kind: 'ask', method, params: cfg.block_secrets ? this.redactCounted(server, tool.name, ctx, 'client-request', params) : params, respond: resolve });
          });
          const modern = { inputResponses, clientCapabilities: ctx.clientCapabilities ?? {} };
          void pool.use(ctx.sessionId, settings.callTimeoutMs, (i) =>
            i.callTool(tool.name, sendArgs, {
              signal: call.abort.signal,
              timeoutMs: settings.callTimeoutMs,
              onprogress: ctx.progress ? (p) => forwardProgress(ctx, p) : undefined,
              // Each held call is its own caller: two 2026 clients on one shared instance are never mistaken for one.
              caller: { sessionId: ctx.sessionId ?? `call:${ctx.traceId}`, ask: park },
            }, modern),
          ).then((value) => call.push({ kind: 'done', value }), (error: unknown) => call.push({ kind: 'done', error }))
            .finally(() => ctx.signal.removeEventListener('abort', onFirstLeg));
          return this.advanceHeld(server, tool.name, ctx, call, finish);
        }
        const ask = this.askFor(server, tool.name, ctx, cfg.block_secrets === true);
        try {
          for (let round = 0; ; round++) {
            const modern = { inputResponses, requestState: upstreamState, // Never the gateway's own capabilities: an upstream must ask only for what this client can answer.
            clientCapabilities: ctx.clientCapabilities ?? (ctx.askClient ? ASKABLE : {}) };
            const result = await pool.use(ctx.sessionId, settings.callTimeoutMs, (i) =>
              i.callTool(tool.name, sendArgs, {
                signal: ctx.signal,
                timeoutMs: settings.callTimeoutMs,
                onprogress: ctx.progress ? (p) => forwardProgress(ctx, p) : undefined,
                caller: { sessionId: ctx.sessionId, ask },
              }, modern),
            );
            if (!needsInput(result)) return finish(result as CallToolResult);
            const requests = (result.inputRequests ?? {}) as Record<string, InputRequest>;
            if (ctx.acceptsInputRequired) return this.relayInputRequired(server, tool.name, ctx, result);
            if (!ask) {
              return textResult(`upstream "${server}" needs input from the client (${describeRequests(requests)}), but this call came through /rpc, which has no channel back to its client; call the tool over an MCP session (/mcp or /sse)`, true);
            }
            if (round >= MAX_INPUT_ROUNDS) {
              return textResult(`upstream "${server}" still needed input after ${MAX_INPUT_ROUNDS} rounds; the call was given up`, true);
            }
            // A 2025 client: ask it for real over its session, then retry upstream with its answers.
            inputResponses = await this.askAll(requests, ask, ctx.signal);
            upstreamState = result.requestState;
          }
        } catch (err) {
          return failure(server, err);
        }
      },
    };
  }

  /** A 2026 upstream's input_required for a 2026 client: everything the retry needs travels in the sealed state. */
  private relayInputRequired(server: string, tool: string, ctx: ToolContext, result: InputRequiredResult): ToolResult {
    const requestState = this.opts.sealer.seal({ server, tool, principal: ctx.principal.id, ...(result.requestState !== undefined ? { upstreamState: result.requestState } : {}) });
    return { content: [], inputRequired: { inputRequests: (result.inputRequests ?? {}) as Record<string, InputRequest>, requestState } };
  }

  /** Waits for a held call's next event: its end, or a request of the upstream to park and hand to the client. */
  private async advanceHeld(server: string, tool: string, ctx: ToolContext, call: HeldCall<CallToolResult | InputRequiredResult>, finish: (r: CallToolResult) => ToolResult): Promise<ToolResult> {
    const step = await call.next();
    if (step.kind === 'done') {
      if (step.error !== undefined) return failure(server, step.error);
      const value = step.value!;
      return needsInput(value) ? this.relayInputRequired(server, tool, ctx, value) : finish(value as CallToolResult);
    }
    const id = this.held.park(call, step.respond, ctx.principal.id);
    if (id === undefined) {
      call.abort.abort(new Error('too many held calls'));
      return textResult(`upstream "${server}" asked the client for input, but this gateway already holds ${this.held.size} calls waiting for answers; try again later`, true);
    }
    const requestState = this.opts.sealer.seal({ server, tool, principal: ctx.principal.id, held: id });
    return { content: [], inputRequired: { inputRequests: { input: { method: step.method, params: step.params } }, requestState } };
  }

  /** Redacts secrets of a relayed request or answer (block_secrets), reporting the count. */
  private redactCounted(server: string, tool: string, ctx: ToolContext, direction: SecretsRedactedEvent['direction'], value: Record<string, unknown>): Record<string, unknown> {
    const r = redactDeep(value);
    this.reportRedactions(server, tool, ctx, direction, r.redactions);
    return r.value;
  }

  /** Asks a 2025 client each of a 2026 upstream's input requests (elicitation, sampling; roots are not relayed). */
  private async askAll(requests: Record<string, InputRequest>, ask: AskClient, signal: AbortSignal): Promise<Record<string, unknown>> {
    const answers: Record<string, unknown> = {};
    for (const [key, req] of Object.entries(requests)) {
      if (req.method === 'roots/list') {
        // Roots name directories on the client's machine, which mean nothing to a server next to the gateway.
        answers[key] = { roots: [] };
        continue;
      }
      answers[key] = await ask(req.method, req.params ?? {}, signal);
    }
    return answers;
  }

  /** Refuses a retry whose state failed verification: nothing reaches the upstream; audited through the hook. */
  private refuseState(server: string, tool: string, ctx: ToolContext, reason: RequestStateRefusal): ToolResult {
    const message = `requestState ${REFUSAL_TEXT[reason]}; upstream "${server}" was not called`;
    this.opts.logger.warn({ upstream: server, tool, traceId: ctx.traceId, principal: ctx.principal.id, reason }, 'refused a requestState');
    this.opts.onRequestStateRefused?.({ server, tool, traceId: ctx.traceId, principal: ctx.principal.id, authMethod: ctx.principal.authMethod, sessionId: ctx.sessionId, reason });
    return { ...textResult(message, true), rejectRequest: { code: INVALID_PARAMS, message } };
  }

  /** The call's way to its client, redacting both ways for a block_secrets server (the request carries upstream content to the model). */
  private askFor(server: string, tool: string, ctx: ToolContext, blockSecrets: boolean): AskClient | undefined {
    const ask = ctx.askClient;
    if (!ask || !blockSecrets) return ask;
    return async (method, params, signal) => {
      const sent = redactDeep(params);
      this.reportRedactions(server, tool, ctx, 'client-request', sent.redactions);
      const answer = redactDeep(await ask(method, sent.value, signal));
      this.reportRedactions(server, tool, ctx, 'client-response', answer.redactions);
      return answer.value;
    };
  }

  private reportRedactions(server: string, tool: string, ctx: ToolContext, direction: SecretsRedactedEvent['direction'], count: number): void {
    if (count === 0) return;
    this.opts.logger.info({ upstream: server, tool, traceId: ctx.traceId, direction, redactions: count }, 'block_secrets redacted values');
    this.opts.onSecretsRedacted?.({ server, tool, traceId: ctx.traceId, sessionId: ctx.sessionId, direction, count });
  }

  private list(server: string, kind: 'tools', sessionId?: string): Promise<Tool[]>;
  private list(server: string, kind: 'resources', sessionId?: string): Promise<Resource[]>;
  private list(server: string, kind: 'resourceTemplates', sessionId?: string): Promise<ResourceTemplate[]>;
  private list(server: string, kind: 'prompts', sessionId?: string): Promise<Prompt[]>;
  private list(server: string, kind: keyof Catalog, sessionId?: string): Promise<unknown[]> {
    let catalog = this.catalogs.get(server);
    if (!catalog) this.catalogs.set(server, (catalog = {}));
    const cached = catalog[kind];
    if (cached) return cached;
    const c = catalog;
    const pool = this.opts.pools.get(server)!;
    const status = pool.status();
    // A start retry in progress (state `starting`) after a failed start counts as failing too: otherwise every
    // list, and so every call (tool lookup lists), would wait up to initTimeoutMs for the broken server.
    if (status.state === 'failed' || status.state === 'backoff' || (status.lastStartFailed && status.instances === 0)) {
      // Do not make every list wait for a server that keeps failing to start: try again in the background
      // and announce its tools with list_changed when it comes up.
      if (!this.retrying.has(server)) {
        this.retrying.add(server);
        void this.fetchList(server, 'tools', sessionId, false)
          .then(
            () => this.opts.onRecovered?.(server),
            () => undefined,
          )
          .finally(() => this.retrying.delete(server));
      }
      return Promise.resolve([]);
    }
    const pending = this.fetchList(server, kind, sessionId).catch((err: Error) => {
      // Do not cache failures: the next list tries again (the pool applies backoff).
      if (c[kind] === pending) c[kind] = undefined;
      this.opts.logger.warn({ upstream: server, kind, err: err.message }, 'could not list upstream; leaving it out');
      return [];
    });
    (c as Record<string, unknown>)[kind] = pending;
    return pending;
  }

  private async fetchList(server: string, kind: keyof Catalog, sessionId?: string, failFastInBackoff = true): Promise<unknown[]> {
    const pool = this.opts.pools.get(server)!;
    const run = (i: UpstreamInstance): Promise<unknown[]> => this.listFrom(i, kind);
    const running = pool.anyRunning();
    if (running) return run(running);
    // Listing starts a shared instance for keeps; for per-session and per-call servers it uses a throwaway
    // instance, so merely listing tools never leaves a session's container running.
    return pool.use(pool.lifecycle === 'shared' ? sessionId : undefined, this.opts.config.upstreams.callTimeoutMs, run, { failFastInBackoff });
  }

  /** One list (all pages) from one running instance. */
  private async listFrom(i: UpstreamInstance, kind: keyof Catalog): Promise<unknown[]> {
    const timeoutMs = this.opts.config.upstreams.callTimeoutMs;
    const caps = i.sdk.getServerCapabilities() ?? {};
    const cap = kind === 'resourceTemplates' ? caps.resources : caps[kind];
    if (!cap) return [];
    const out: unknown[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const r = await i.request(`listing ${kind}`, { timeoutMs }, async (ro) => {
        const params = cursor ? { cursor } : undefined;
        if (kind === 'tools') {
          const x = await i.sdk.listTools(params, ro);
          return { items: x.tools as unknown[], next: x.nextCursor };
        }
        if (kind === 'resources') {
          const x = await i.sdk.listResources(params, ro);
          return { items: x.resources as unknown[], next: x.nextCursor };
        }
        if (kind === 'resourceTemplates') {
          const x = await i.sdk.listResourceTemplates(params, ro);
          return { items: x.resourceTemplates as unknown[], next: x.nextCursor };
        }
        const x = await i.sdk.listPrompts(params, ro);
        return { items: x.prompts as unknown[], next: x.nextCursor };
      });
      out.push(...r.items);
      cursor = r.next;
      if (!cursor) break;
    }
    return out;
  }

  private warnOnce(key: string, fields: Record<string, unknown>, msg: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.opts.logger.warn(fields, msg);
  }
}

/** A failed upstream call as a tool result; an upstream's -32021 (a capability the client lacks) as that error. */
function failure(server: string, err: unknown): ToolResult {
  const out = textResult(err instanceof UpstreamCallError ? err.message : `upstream "${server}" failed: ${(err as Error).message}`, true);
  // The gateway forwards the client's own capabilities, so the upstream's verdict is the client's to act on.
  if (err instanceof UpstreamCallError && err.protocolError?.code === MISSING_CLIENT_CAPABILITY) return { ...out, rejectRequest: err.protocolError };
  return out;
}

/**
 * Hands an upstream's progress to the call's client. A held call's later progress may find the first request's stream
 * gone: the client's promise is never left to reject unhandled.
 */
function forwardProgress(ctx: ToolContext, p: { progress: number; total?: number; message?: string }): void {
  void Promise.resolve(ctx.progress?.({ progress: p.progress, total: p.total, message: p.message })).catch(() => undefined);
}

/** What a 2025 client behind askClient can answer, declared to a 2026 upstream on its behalf. */
const ASKABLE: Readonly<Record<string, unknown>> = { elicitation: { form: {} }, sampling: {} };

/** `elicitation/create, sampling/createMessage` for a message. */
function describeRequests(requests: Record<string, InputRequest>): string {
  return [...new Set(Object.values(requests).map((r) => r.method))].join(', ') || 'no request named';
}

/** A text tool result. */
export function textResult(text: string, isError = false): ToolResult {
  return { content: [{ type: 'text', text }], ...(isError ? { isError: true } : {}) };
}

/**
 * The upstream result as the gateway's ToolResult. Non-text content (images, audio, embedded resources) is
 * passed through unchanged: contracts.ts types content as text only, which upstream tools outgrow.
 */
export function toToolResult(result: CallToolResult): ToolResult {
  return {
    content: result.content as ToolResult['content'],
    ...(result.structuredContent !== undefined ? { structuredContent: result.structuredContent as Record<string, unknown> } : {}),
    ...(result.isError ? { isError: true } : {}),
  };
}
