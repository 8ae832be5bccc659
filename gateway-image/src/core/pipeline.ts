/**
 * The one ordered interceptor chain every tool call goes through, whatever the transport.
 *
 *   validate -> authorize -> limit -> audit decision -> execute -> redact -> audit outcome -> metrics
 *
 * Why this order:
 * - validate first: policy decides on typed, complete arguments (defaults applied), never on raw input;
 * - authorize before limits: a denied call must not consume the caller's budget, and denials are cheap;
 * - limits before audit: a rate-limited call is still audited (as a denial) but never reaches Docker;
 * - the decision record is written BEFORE a mutating tool runs: if it cannot be written the call is
 *   refused (no unrecorded change to a container); read-only calls continue and are recorded best-effort.
 *   A tool that prepares without effect (preparesDuringDecisionSync) starts while the record is synced and
 *   waits for the sync before its first effect; a failed sync refuses the call all the same;
 * - redact before the outcome record and before returning: neither the audit log nor the model sees secrets.
 * Any error inside authorize or audit is a denial (fail closed).
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { Authorizer, AuditEvent, CallOutcome, AuditSink, CallLimiter, Decision, Principal, Redactor, ToolContext, ToolDefinition, ToolResult } from './contracts.js';
import type { GatewayMetrics } from './metrics.js';
import { abortedByShutdown, GatewayShuttingDownError } from './shutdown.js';
import { errorResult } from './tools/tool-result.js';

/** Arguments that failed the tool's schema; the MCP adapter answers JSON-RPC -32602 naming the field. */
export class ToolArgumentsError extends Error {
  constructor(readonly tool: string, readonly issues: readonly string[]) {
    super(`Invalid arguments for tool ${tool}: ${issues.join('; ')}`);
    this.name = 'ToolArgumentsError';
  }
}

/** The security stages and observers the pipeline is built from. */
export interface PipelineDeps {
  readonly authorizer: Authorizer;
  readonly limiter: CallLimiter;
  readonly audit: AuditSink;
  readonly redactor: Redactor;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
  readonly dryRun: boolean;
  /** True once the gateway is stopping: a call aborted then is recorded as `shutdown`, not `cancelled`. */
  readonly shuttingDown?: () => boolean;
}

/** The outcome record's `outcome`: what ended the call, from the result's `stopped` and the call's signal. */
export function callOutcome(result: ToolResult, signal: AbortSignal, shuttingDown: boolean): CallOutcome {
  const stopped = (result.structuredContent as { stopped?: unknown } | undefined)?.stopped;
  const cancelled = stopped === 'cancelled' || (signal.aborted && result.isError === true);
  if (cancelled) return shuttingDown ? 'shutdown' : 'cancelled';
  if (stopped === 'timeout') return 'timeout';
  if (stopped === 'output-cap' || stopped === 'stream-limit') return 'killed-by-cap';
  if (stopped === 'stream-fault') return 'stream-fault';
  return result.isError ? 'error' : 'ok';
}

/** What a transport supplies for one call. */
export interface CallInput {
  readonly principal: Principal;
  readonly sessionId?: string;
  readonly traceId?: string;
  readonly signal: AbortSignal;
  readonly progress?: ToolContext['progress'];
  readonly askClient?: ToolContext['askClient'];
  /** MCP 2026-07-28 input requests: what the transport can hand back and what the client answered (see ToolContext). */
  readonly acceptsInputRequired?: boolean;
  readonly inputResponses?: ToolContext['inputResponses'];
  readonly requestState?: string;
  readonly clientCapabilities?: ToolContext['clientCapabilities'];
}

/** Runs tool calls through the chain. */
export interface ToolPipeline {
  call(tool: ToolDefinition, rawArgs: unknown, input: CallInput): Promise<ToolResult>;
  /**
   * Resolves once no call is in flight (at once when none is). The gateway's close aborts the calls still running by
   * closing their connections and sessions, then waits here: an exec is killed and every outcome is recorded before
   * the audit log and the engine client close.
   */
  idle(): Promise<void>;
  /**
   * Aborts every call in flight, and every call started afterwards, with a {@link GatewayShuttingDownError} reason:
   * the gateway's close() calls it first, so running calls end with a result that says so (and a streaming call
   * sends the output it already has before that result) while their clients are still connected.
   */
  shutdown(): void;
}

function formatIssues(error: z.ZodError): string[] {
  return error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(arguments)'}: ${i.message}`);
}

/** Creates the pipeline. */
export function createPipeline(deps: PipelineDeps): ToolPipeline {
  const { metrics, logger } = deps;

  // Every record is in the file before the call goes on (a crash of the gateway loses none; that costs a
  // synchronous write of a few microseconds). Only a mutating call's decision also waits for the disk sync
  // (mustPersist) and fails the call if it cannot be made; the others are synced within the audit log's delay.
  const record = (event: AuditEvent, mustPersist: boolean): Promise<void> =>
    deps.audit.append(event, { durable: mustPersist }).catch((err: unknown) => {
      metrics.auditFailures.inc();
      logger.error({ err, traceId: event.traceId, tool: event.tool }, 'audit record could not be written');
      if (mustPersist) throw err;
    });

  let inFlight = 0;
  const idleWaiters: Array<() => void> = [];
  // The per-call controllers shutdown() aborts; each follows its transport's signal too.
  const running = new Set<AbortController>();
  let shuttingDown = false;

  async function run(tool: ToolDefinition, rawArgs: unknown, input: CallInput): Promise<ToolResult> {
    const started = performance.now();
    const traceId = input.traceId ?? randomUUID();
    const base = {
      traceId, principal: input.principal.id, authMethod: input.principal.authMethod,
      ...(input.sessionId ? { sessionId: input.sessionId } : {}), tool: tool.name,
    };
    const finish = (outcome: 'ok' | 'error' | 'denied') => {
      metrics.toolCalls.inc({ tool: tool.name, outcome });
      metrics.toolDuration.observe({ tool: tool.name }, (performance.now() - started) / 1000);
    };

    // 1. validate
    let args: Record<string, unknown>;
    if (tool.inputSchema) {
      const parsed = tool.inputSchema.safeParse(rawArgs ?? {});
      if (!parsed.success) {
        metrics.toolCalls.inc({ tool: tool.name, outcome: 'invalid' });
        throw new ToolArgumentsError(tool.name, formatIssues(parsed.error));
      }
      args = parsed.data;
    } else {
      args = (rawArgs ?? {}) as Record<string, unknown>;
    }
    const ctx: ToolContext = { principal: input.principal, sessionId: input.sessionId, traceId, signal: input.signal, progress: input.progress, askClient: input.askClient, dryRun: deps.dryRun,
      acceptsInputRequired: input.acceptsInputRequired, inputResponses: input.inputResponses, requestState: input.requestState, clientCapabilities: input.clientCapabilities };
    const target = tool.target?.(args);
    const auditArgs = deps.redactor.redactArgs(tool.name, args);
    const deny = async (d: Pick<Decision, 'ruleId' | 'reason'>, hint = ''): Promise<ToolResult> => {
      metrics.policyDenials.inc({ rule: d.ruleId });
      await record({ ...base, time: new Date().toISOString(), target, phase: 'decision', decision: 'deny', ruleId: d.ruleId, reason: d.reason, args: auditArgs }, false);
      finish('denied');
      return errorResult(`Denied (${d.ruleId}): ${d.reason}${hint}`, { denied: true, ruleId: d.ruleId });
    };

    // 2. authorize (fail closed)
    let decision: Decision;
    try {
      decision = await deps.authorizer.authorize({ tool, args, ctx });
    } catch (err) {
      logger.error({ err, traceId, tool: tool.name }, 'policy evaluation failed; denying');
      decision = { allow: false, ruleId: 'policy.error', reason: 'policy evaluation failed' };
    }
    if (!decision.allow) return deny(decision);

    // 3. limits
    const slot = deps.limiter.acquire(input.principal, tool.name);
    if (!slot.ok) return deny(slot, slot.retryAfterMs !== undefined ? ` (retry after ${Math.ceil(slot.retryAfterMs / 1000)} s)` : '');

    try {
      // 4. audit the decision; mutating tools need it durable before they take effect
      if (tool.mutating && !deps.audit.healthy()) {
        return deny({ ruleId: 'audit.unavailable', reason: 'the audit log cannot be written, so mutating tools are refused; read-only tools still work' });
      }
      const unrecorded = () => deny({ ruleId: 'audit.unavailable', reason: 'the audit record could not be written, so this mutating call was refused' });
      const decided = record({ ...base, time: new Date().toISOString(), target, phase: 'decision', decision: 'allow', ruleId: decision.ruleId, args: auditArgs, ...(deps.dryRun ? { dryRun: true } : {}) }, tool.mutating);
      // A write that failed at once (a full disk) turns the log unhealthy before append returns: such a call is
      // refused before the tool starts. Only the sync overlaps the tool's preparation.
      const overlapped = tool.mutating && tool.preparesDuringDecisionSync === true && deps.audit.healthy();
      // Settles true once the decision is on disk; also marks a rejection as handled until the tool awaits it.
      const recorded = decided.then(() => true, () => false);
      if (!overlapped && !(await recorded)) return unrecorded();

      // 5. execute
      let result: ToolResult;
      try {
        result = await tool.run(args, overlapped ? { ...ctx, decisionSynced: decided } : ctx);
      } catch (err) {
        // A tool stopped by a failed decision sync threw its reason: that is the refusal below, not a fault. One
        // stopped by the gateway's shutdown says so.
        if (abortedByShutdown(input.signal)) result = errorResult(`${tool.name} stopped: ${(input.signal.reason as Error).message}`);
        else {
          if (await recorded) logger.error({ err, traceId, tool: tool.name }, 'tool failed unexpectedly');
          result = errorResult(`Internal error while running ${tool.name} (trace ${traceId})`);
        }
      }
      // The tool stopped at decisionSynced when the sync failed: nothing took effect, the call is refused.
      if (!(await recorded)) return unrecorded();

      // 6. redact
      const { result: safe, redactions } = deps.redactor.redactResult(tool.name, result, ctx);

      // 7. audit the outcome
      const sc = safe.structuredContent;
      await record({
        ...base, time: new Date().toISOString(), target, phase: 'outcome', decision: 'allow', ruleId: decision.ruleId,
        isError: safe.isError === true, outcome: callOutcome(safe, input.signal, deps.shuttingDown?.() ?? false),
        durationMs: Math.round(performance.now() - started),
        ...(typeof sc?.exitCode === 'number' ? { exitCode: sc.exitCode } : {}),
        ...(typeof sc?.bytes === 'number' ? { bytes: sc.bytes } : {}),
        ...(redactions ? { redactions } : {}), ...(deps.dryRun ? { dryRun: true } : {}),
      }, false);
      finish(safe.isError ? 'error' : 'ok');
      return safe;
    } finally {
      slot.release();
    }
  }

  return {
    async call(tool, rawArgs, input) {
      inFlight += 1;
      const call = new AbortController();
      const follow = () => call.abort(input.signal.reason);
      if (shuttingDown) call.abort(new GatewayShuttingDownError());
      else if (input.signal.aborted) follow();
      else input.signal.addEventListener('abort', follow, { once: true });
      running.add(call);
      try {
        return await run(tool, rawArgs, { ...input, signal: call.signal });
      } finally {
        running.delete(call);
        input.signal.removeEventListener('abort', follow);
        inFlight -= 1;
        if (inFlight === 0) for (const wake of idleWaiters.splice(0)) wake();
      }
    },
    shutdown() {
      shuttingDown = true;
      for (const call of running) call.abort(new GatewayShuttingDownError());
    },
    idle() {
      return inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => { idleWaiters.push(resolve); });
    },
  };
}
