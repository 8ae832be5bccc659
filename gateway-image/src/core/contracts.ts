/**
 * The types every part of the gateway core agrees on. Nothing here knows about HTTP:
 * transports turn requests into {@link ToolCall}s and results back into protocol messages.
 *
 * The tool pipeline (see pipeline.ts) runs every call through, in order:
 *   metrics -> authorize (role, scope, exec/container policy) -> rate/concurrency limit ->
 *   audit (before, for mutating tools) -> execute -> redact -> audit outcome
 * Each stage is one of the interfaces below so the security pieces can be built and tested alone.
 */
import type { z } from 'zod';

/** Who is calling: the result of authentication at the edge, or the fixed local principal in stdio mode. */
export interface Principal {
  /** Stable name used for policy, rate limits and audit: a token name, an email or a service-token common name. */
  readonly id: string;
  /** How the principal was established. */
  readonly authMethod: 'bearer' | 'cf-access-jwt' | 'none' | 'stdio';
  /** Set for Cloudflare Access users (from the JWT `email` claim). */
  readonly email?: string;
  /** Set for Cloudflare Access service tokens (from the JWT `common_name` claim). */
  readonly serviceToken?: string;
}

/** Progress reported by a running tool (exec chunks, followed log lines). */
export interface ToolProgress {
  readonly progress: number;
  readonly total?: number;
  readonly message?: string;
}

/** Requests an MCP server may send to its client in the middle of a tool call, which the gateway relays. */
export type ClientRequestMethod = 'sampling/createMessage' | 'elicitation/create';

/**
 * Sends a request to the client of the current call (over the call's own session, related to the call) and resolves
 * with the client's result; rejects, saying why, when the client cannot answer (it did not declare the capability).
 */
export type AskClient = (method: ClientRequestMethod, params: Record<string, unknown>, signal?: AbortSignal) => Promise<Record<string, unknown>>;

/** Everything a tool implementation gets besides its validated arguments. */
export interface ToolContext {
  readonly principal: Principal;
  /** MCP session id, when the transport has sessions. */
  readonly sessionId?: string;
  /** Correlates log lines, audit records and the response. */
  readonly traceId: string;
  /** Aborted on client disconnect, `notifications/cancelled`, or gateway shutdown. */
  readonly signal: AbortSignal;
  /**
   * Present only when the client asked for progress (sent a progressToken). May return a promise that settles when
   * the client's connection can take more: producers pause until then (backpressure for streamed output).
   */
  readonly progress?: (p: ToolProgress) => void | Promise<void>;
  /** True when MCP_DOCKER_DRY_RUN is on: policy and audit run, nothing executes. */
  readonly dryRun: boolean;
  /**
   * Only for a tool that declares {@link ToolDefinition.preparesDuringDecisionSync}: settles when the call's
   * decision record is on disk (rejects when it cannot be synced). The tool awaits it before anything takes effect.
   */
  readonly decisionSynced?: Promise<void>;
  /** Present when the call came over an MCP session (not /rpc): lets an upstream server's sampling or elicitation reach the client. */
  readonly askClient?: AskClient;
  /**
   * True when the transport can hand an {@link InputRequired} result back to its client (an MCP 2026-07-28
   * request): a tool that needs input then returns `inputRequired` instead of asking through `askClient`.
   */
  readonly acceptsInputRequired?: boolean;
  /** A retried 2026-07-28 call: the client's answers to the previous round's input requests, by key. */
  readonly inputResponses?: Readonly<Record<string, unknown>>;
  /** A retried 2026-07-28 call: the `requestState` echoed by the client. Attacker-controlled: verify before use. */
  readonly requestState?: string;
  /** The capabilities the client declared (2026-07-28: with each request; 2025: at initialize), when known. */
  readonly clientCapabilities?: Readonly<Record<string, unknown>>;
}

/** One request the client must answer before a call can complete (MCP 2026-07-28 multi-round-trip requests). */
export interface InputRequest {
  readonly method: 'elicitation/create' | 'sampling/createMessage' | 'roots/list';
  readonly params?: Record<string, unknown>;
}

/** A call that cannot complete until the client answers {@link InputRequest}s and retries with the state. */
export interface InputRequired {
  readonly inputRequests: Readonly<Record<string, InputRequest>>;
  /** Opaque to the client, echoed on the retry; sealed by the gateway (never an upstream's raw state). */
  readonly requestState?: string;
}

/** A tool's answer, in MCP CallToolResult shape. */
export interface ToolResult {
  content: Array<{ type: 'text'; text: string }>;
  structuredContent?: Record<string, unknown>;
  isError?: boolean;
  /**
   * Set (with empty content) when the call needs input first; only returned when `ctx.acceptsInputRequired`.
   * The transport answers `resultType: "input_required"`.
   */
  inputRequired?: InputRequired;
  /**
   * Set when the call is refused as a protocol error rather than answered with a tool result: a 2026-07-28 retry
   * whose `requestState` fails verification (tampered, expired, another principal's). The transport answers with a
   * JSON-RPC error of this code (-32602 invalid params), or an upstream's -32021 (a client capability the client did
   * not declare) passed on with its data; content still says why, for transports without one.
   */
  rejectRequest?: { readonly code: number; readonly message: string; readonly data?: unknown };
}

/** MCP tool annotations (hints to clients). */
export interface ToolAnnotations {
  readonly title?: string;
  readonly readOnlyHint?: boolean;
  readonly destructiveHint?: boolean;
  readonly idempotentHint?: boolean;
  readonly openWorldHint?: boolean;
}

/** One tool the gateway offers: built-in Docker tools and aggregated upstream tools share this shape. */
export interface ToolDefinition<Args extends Record<string, unknown> = Record<string, unknown>> {
  readonly name: string;
  readonly description: string;
  /** Strict zod object schema (unknown keys rejected) for built-in tools. */
  readonly inputSchema?: z.ZodType<Args>;
  /** Raw JSON schema, used instead of inputSchema for upstream tools whose schema we only forward. */
  readonly jsonSchema?: Record<string, unknown>;
  readonly annotations: ToolAnnotations;
  /** Mutating tools are audited before they run and refused when the audit log cannot be written. */
  readonly mutating: boolean;
  /**
   * A mutating tool whose first step changes nothing (docker_exec creates the exec instance, which runs nothing,
   * before it starts it) may run while its decision record is being synced, and awaits `ctx.decisionSynced` before
   * its first effect. The sync then costs the call nothing: it overlaps a round trip the call makes anyway.
   */
  readonly preparesDuringDecisionSync?: boolean;
  /** The container (id or name) the call targets, for scope checks and audit; undefined for tools without one. */
  target?(args: Args): string | undefined;
  run(args: Args, ctx: ToolContext): Promise<ToolResult>;
}

/** A policy decision. Deny wins; a thrown error inside a policy stage is treated as deny (fail closed). */
export interface Decision {
  readonly allow: boolean;
  /** Stable identifier of the rule that decided, e.g. `exec.shell-wrapper`, `scope.protected-container`. */
  readonly ruleId: string;
  /** Human-readable reason, safe to show the caller (no secrets). */
  readonly reason: string;
}

/** What the authorizer sees of a call. */
export interface CallRequest {
  readonly tool: ToolDefinition;
  readonly args: Record<string, unknown>;
  readonly ctx: ToolContext;
}

/** Minimal facts about a container, enough for scope decisions. */
export interface ContainerFacts {
  readonly id: string;
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The container's configured user (Config.User); '' means the image default, usually root. Used by the exec root check. */
  readonly user?: string;
}

/** Role, scope, exec and container policy. */
export interface Authorizer {
  authorize(req: CallRequest): Promise<Decision>;
}

/** Rate and concurrency limits per principal and tool. */
export interface CallLimiter {
  /** Returns a release function when admitted, or a denial with a retry hint. */
  acquire(principal: Principal, tool: string):
    | { ok: true; release: () => void }
    | { ok: false; ruleId: string; reason: string; retryAfterMs?: number };
}

/** What ended a tool call, as outcome records say it. */
export type CallOutcome = 'ok' | 'error' | 'cancelled' | 'timeout' | 'killed-by-cap' | 'shutdown' | 'stream-fault';

/** One audit record; `args` is already redacted by the pipeline. */
export interface AuditEvent {
  readonly time: string;
  readonly traceId: string;
  readonly principal: string;
  readonly authMethod: Principal['authMethod'];
  readonly sessionId?: string;
  readonly tool: string;
  readonly target?: string;
  readonly phase: 'decision' | 'outcome';
  readonly decision: 'allow' | 'deny';
  readonly ruleId: string;
  readonly reason?: string;
  readonly args?: Record<string, unknown>;
  readonly exitCode?: number;
  readonly isError?: boolean;
  /**
   * What really ended the call (outcome records): `ok`, `error`, `cancelled` (the client went away or cancelled),
   * `timeout`, `killed-by-cap` (output cap or stream limit), `shutdown` (the gateway was stopping), `stream-fault`
   * (the engine's output stream was malformed). An exec killed for any of these reports exit code 137 too.
   */
  readonly outcome?: CallOutcome;
  readonly bytes?: number;
  /** A refused request body: the size it declared (Content-Length), and SHA-256 of the bytes read (never the content). */
  readonly declaredBytes?: number;
  readonly sha256?: string;
  readonly durationMs?: number;
  readonly dryRun?: boolean;
  readonly redactions?: number;
}

/** How an audit record must be written before append() resolves. */
export interface AuditAppendOptions {
  /**
   * true (the default): on disk (synced) before append() resolves; a mutating call's decision needs this.
   * false: in the file before append() resolves, so it survives a crash of the gateway (not yet of the machine),
   * and synced with the next durable record or within the sink's sync delay, whichever comes first.
   */
  readonly durable?: boolean;
}

/** Tamper-evident append-only audit log. */
export interface AuditSink {
  /** Resolves once the record is written as `options.durable` asks (durable by default); rejects if it could not be. */
  append(event: AuditEvent, options?: AuditAppendOptions): Promise<void>;
  /** False while the sink cannot write (mutating tools are then refused, /ready reports it). */
  healthy(): boolean;
  close(): Promise<void>;
}

/** Removes secrets from arguments (for audit) and from results (for the caller). */
export interface Redactor {
  redactArgs(tool: string, args: Record<string, unknown>): Record<string, unknown>;
  redactResult(tool: string, result: ToolResult, ctx: ToolContext): { result: ToolResult; redactions: number };
}
