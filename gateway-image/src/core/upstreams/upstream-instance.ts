/**
 * One running upstream: a launched process/container/connection plus the SDK client talking to it.
 * Turns every way a call can fail (upstream crash, timeout, protocol error) into an {@link UpstreamCallError}
 * whose message names the server and what happened.
 */
import {
  Client,
  isInputRequiredResult,
  ProtocolError,
  ProtocolErrorCode,
  SdkError,
  SdkErrorCode,
  type CallToolResult,
  type InputRequiredResult,
  type PriorDiscovery,
  type Progress,
  type Transport,
} from '@modelcontextprotocol/client';
import type { jsonSchemaValidator } from '@modelcontextprotocol/client';
import type { Logger } from 'pino';
import type { AskClient, ClientRequestMethod } from '../contracts.js';
import type { LaunchedUpstream, Launcher } from './launcher.js';
import type { UpstreamServerConfig } from './upstreams-config.js';

/** Which list an upstream said has changed. */
export type ListKind = 'tools' | 'resources' | 'prompts';

/** Why an upstream call failed, in words fit for the model and the operator. */
export class UpstreamCallError extends Error {
  constructor(
    readonly server: string,
    readonly reason: 'crashed' | 'timeout' | 'start-failed' | 'init-timeout' | 'rejected' | 'cancelled' | 'unavailable',
    message: string,
    /** The upstream's JSON-RPC error, when it answered with one (`rejected`). */
    readonly protocolError?: { readonly code: number; readonly message: string; readonly data?: unknown },
  ) {
    super(message);
    this.name = 'UpstreamCallError';
  }
}

/** Options of {@link UpstreamInstance}. */
export interface UpstreamInstanceOptions {
  readonly name: string;
  readonly config: UpstreamServerConfig;
  readonly launcher: Launcher;
  readonly logger: Logger;
  readonly initTimeoutMs: number;
  /** Called when the upstream sends a list_changed notification, with the instance that sent it. */
  readonly onListChanged: (kind: ListKind, instance: UpstreamInstance) => void;
  /** Called once when the instance ends without {@link UpstreamInstance.close} (crash, exit, dropped connection). */
  readonly onUnexpectedExit: (instance: UpstreamInstance) => void;
  /** Validates tools' structured output; share one across instances (see SharedSchemaValidator). @default - the SDK's, one per instance */
  readonly schemaValidator?: jsonSchemaValidator;
  /** The era verdict of an earlier start of this server (skips the probe); see {@link UpstreamInstance.verdict}. */
  readonly prior?: PriorDiscovery;
}

/** How long the `server/discover` probe may take before a stdio upstream counts as a 2025 server. */
const PROBE_TIMEOUT_MS = 5_000;

/** The 2026-07-28 revision, the one `protocol: modern` pins. */
export const MODERN_PROTOCOL_VERSION = '2026-07-28';

/** What a 2026-07-28 call carries besides name and arguments (multi-round-trip retries, the client's capabilities). */
export interface ModernCallParams {
  readonly inputResponses?: Readonly<Record<string, unknown>>;
  /** The upstream's own `requestState`, already unsealed by the gateway. */
  readonly requestState?: string;
  /** Sent as `_meta['io.modelcontextprotocol/clientCapabilities']`: an upstream asks only for what the client can answer. */
  readonly clientCapabilities?: Readonly<Record<string, unknown>>;
}

/** Per-request options forwarded to the upstream. */
export interface UpstreamRequestOptions {
  readonly signal?: AbortSignal;
  readonly timeoutMs: number;
  readonly onprogress?: (p: Progress) => void;
  /** Who made this call: the upstream's sampling and elicitation requests while it runs are relayed to them. */
  readonly caller?: UpstreamCaller;
}

/** The client a call came from, as far as relaying the upstream's requests goes. */
export interface UpstreamCaller {
  /** MCP session of the call; undefined for /rpc. */
  readonly sessionId?: string;
  /** Absent when the call has no way back to its client (/rpc). */
  readonly ask?: AskClient;
}

/**
 * Whom an upstream's request goes to: the client of the calls in flight on this instance. Outside any call, or with
 * calls of several sessions in flight (a `shared` instance under concurrent sessions), nobody can be told apart,
 * and the upstream gets an error that says so rather than a guess. Returns the ask function or the error message.
 */
export function pickCaller(callers: ReadonlyArray<UpstreamCaller>, method: ClientRequestMethod, server: string): AskClient | string {
  if (callers.length === 0) return `upstream "${server}" sent ${method} outside a tool call; the gateway relays it only to the client of a call in flight`;
  const sessions = new Set(callers.map((c) => c.sessionId));
  if (sessions.size > 1) {
    return `upstream "${server}" sent ${method} while calls of ${sessions.size} clients were in flight on it, so it cannot be told whose it is; give the server lifecycle per-session to relay it`;
  }
  const ask = [...callers].reverse().find((c) => c.ask)?.ask;
  return ask ?? `upstream "${server}" sent ${method} during a call made through /rpc, which has no channel back to its client; call the tool over an MCP session (/mcp or /sse)`;
}

/** Version we announce to upstreams. */
const CLIENT_INFO = { name: 'docker-mcp-gateway', version: '0.1.0' };

/** One live upstream instance. */
export class UpstreamInstance {
  /** `starting` until initialize completes; `closed` after close or crash. */
  state: 'starting' | 'ready' | 'closed' = 'starting';
  inFlight = 0;
  lastActive = Date.now();
  readonly startedAt = Date.now();
  /** Milliseconds from launch to initialized, once ready. */
  startMs?: number;
  private launched?: LaunchedUpstream;
  private client: Client;
  private closing = false;
  private exitNote?: string;
  /** The callers of the calls in flight, for relaying the upstream's requests (see pickCaller). */
  private readonly callers: UpstreamCaller[] = [];

  constructor(private readonly opts: UpstreamInstanceOptions) {
    this.client = this.newClient();
  }

  /**
   * A client for this instance's server in its configured era. Sampling and elicitation are declared so servers offer
   * the tools that use them; a 2025 server's request is relayed to the client of the call that caused it (refused with
   * a reason when that client cannot answer), a 2026 server's `input_required` is handed to the caller (manual mode:
   * the gateway relays it, it never answers on the client's behalf).
   */
  private newClient(): Client {
    const { protocol } = this.opts.config;
    const client = new Client(CLIENT_INFO, {
      capabilities: { sampling: {}, elicitation: { form: {}, url: {} } },
      ...(this.opts.schemaValidator ? { jsonSchemaValidator: this.opts.schemaValidator } : {}),
      versionNegotiation: protocol === 'legacy' ? { mode: 'legacy' } : {
        mode: protocol === 'modern' ? { pin: MODERN_PROTOCOL_VERSION } : 'auto',
        probe: { timeoutMs: Math.min(PROBE_TIMEOUT_MS, this.opts.initTimeoutMs) },
      },
      inputRequired: { autoFulfill: false },
    });
    client.setRequestHandler('sampling/createMessage', (req, ctx) => this.relay('sampling/createMessage', req.params, ctx.mcpReq.signal) as never);
    client.setRequestHandler('elicitation/create', (req, ctx) => this.relay('elicitation/create', req.params, ctx.mcpReq.signal) as never);
    client.setNotificationHandler('notifications/tools/list_changed', async () => this.opts.onListChanged('tools', this));
    client.setNotificationHandler('notifications/resources/list_changed', async () => this.opts.onListChanged('resources', this));
    client.setNotificationHandler('notifications/prompts/list_changed', async () => this.opts.onListChanged('prompts', this));
    return client;
  }

  /** The era this instance negotiated (`modern`: 2026-07-28, `legacy`: 2025), once ready. */
  get era(): 'modern' | 'legacy' | undefined {
    return this.client.getProtocolEra();
  }

  /** The verdict to hand later starts of the same server (skips the probe), once ready. */
  get verdict(): PriorDiscovery | undefined {
    const era = this.client.getProtocolEra();
    if (era === 'legacy') return { kind: 'legacy' };
    const discover = this.client.getDiscoverResult();
    return era === 'modern' && discover ? { kind: 'modern', discover } : undefined;
  }

  /** Human description of what runs, for errors and logs. */
  get describe(): string {
    return this.launched?.describe ?? this.opts.name;
  }

  /** Launches and initializes within initTimeoutMs; on failure everything started is stopped again. */
  async start(shutdown: AbortSignal): Promise<void> {
    const { name, initTimeoutMs } = this.opts;
    const deadline = AbortSignal.any([shutdown, AbortSignal.timeout(initTimeoutMs)]);
    const began = Date.now();
    try {
      this.launched = await this.opts.launcher(this.opts.config, { server: name, signal: deadline });
      const launched = this.launched;
      this.client.onclose = () => this.handleClose();
      void launched.exited.then((exit) => {
        this.exitNote = exit.signal ? `killed by ${exit.signal}` : exit.code !== null ? `exit code ${exit.code}` : 'ended';
      });
      const remaining = Math.max(1, initTimeoutMs - (Date.now() - began));
      try {
        await this.client.connect(launched.transport, { timeout: remaining, signal: deadline, ...(this.opts.prior ? { prior: this.opts.prior } : {}) });
      } catch (err) {
        // A 2025 server built on an SDK that ends on any request before initialize closes the stream at the
        // server/discover probe (`auto` probes a custom stdio transport in place): start it again without probing.
        if (!this.legacyRetryable(err, deadline)) throw err;
        this.opts.logger.info({ upstream: name, err: (err as Error).message }, 'upstream ended at the server/discover probe; starting it again as a 2025 server');
        await this.stopQuietly();
        this.client = this.newClient();
        this.launched = await this.opts.launcher(this.opts.config, { server: name, signal: deadline });
        this.client.onclose = () => this.handleClose();
        const again = this.launched;
        void again.exited.then((exit) => {
          this.exitNote = exit.signal ? `killed by ${exit.signal}` : exit.code !== null ? `exit code ${exit.code}` : 'ended';
        });
        await this.client.connect(again.transport, { timeout: Math.max(1, initTimeoutMs - (Date.now() - began)), signal: deadline, prior: { kind: 'legacy' } });
      }
      keepProgressBeforeResult(this.launched.transport);
      this.state = 'ready';
      this.startMs = Date.now() - began;
      this.opts.logger.info({ upstream: name, what: this.launched.describe, startMs: this.startMs, era: this.era }, 'upstream started');
    } catch (err) {
      this.closing = true;
      this.state = 'closed';
      await this.stopQuietly();
      const timedOut = isTimeout(err) || (deadline.aborted && !shutdown.aborted);
      throw new UpstreamCallError(name, timedOut ? 'init-timeout' : 'start-failed', await this.startFailure(err, timedOut));
    }
  }

  /**
   * Why a start failed, in words: how the process ended when it exited before initialize completed (the SDK only says
   * "Connection closed"), and the first lines of its stderr, where the reason is (`npm error ...`), not only the
   * stack frames at its end.
   */
  private async startFailure(err: unknown, timedOut: boolean): Promise<string> {
    const { name, initTimeoutMs } = this.opts;
    const launched = this.launched;
    // A process that closed its stdout has exited or is about to: let its status arrive (bounded).
    const exit = launched ? await Promise.race([launched.exited, new Promise<undefined>((r) => { setTimeout(r, 500); })]) : undefined;
    const summary = launched?.stderrSummary?.() ?? launched?.stderrTail().slice(-300) ?? '';
    const stderr = launched ? (summary ? `; its stderr:\n${summary}` : '; it wrote nothing to stderr') : '';
    if (timedOut) return `upstream "${name}" did not finish starting (launch + MCP initialize) within ${initTimeoutMs} ms${stderr}`;
    // Only a process or container has an exit status and a stderr worth quoting; a remote server's error says why.
    if (exit && launched?.stderrSummary) {
      const how = exit.signal ? `was killed by ${exit.signal}` : exit.code !== null ? `exited with code ${exit.code}` : 'ended';
      return `upstream "${name}" failed to start: ${launched.describe} ${how} before MCP initialize completed${stderr}`;
    }
    return `upstream "${name}" failed to start: ${(err as Error).message}${stderr}`;
  }

  /**
   * Calls a tool upstream; rejects with an {@link UpstreamCallError} on every failure. A 2026-07-28 upstream may
   * answer `input_required` (returned as is, for the gateway to relay); `modern` carries a retry's answers and state.
   */
  async callTool(tool: string, args: Record<string, unknown>, opts: UpstreamRequestOptions, modern: ModernCallParams = {}): Promise<CallToolResult | InputRequiredResult> {
    const isModern = this.era === 'modern';
    const params = {
      name: tool,
      arguments: args,
      ...(isModern && modern.inputResponses ? { inputResponses: modern.inputResponses } : {}),
      ...(isModern && modern.requestState !== undefined ? { requestState: modern.requestState } : {}),
      ...(isModern && modern.clientCapabilities ? { _meta: { 'io.modelcontextprotocol/clientCapabilities': modern.clientCapabilities } } : {}),
    };
    return this.request(`calling ${tool}`, opts, async (ro) => {
      const r = (await this.client.callTool(params as Parameters<Client['callTool']>[0], { ...ro, allowInputRequired: true })) as CallToolResult | InputRequiredResult;
      return r;
    });
  }

  /** Whether a failed negotiated connect should be retried as a plain 2025 start (see start()). */
  private legacyRetryable(err: unknown, deadline: AbortSignal): boolean {
    if (this.opts.config.protocol !== 'auto' || this.opts.prior || deadline.aborted || this.opts.config.kind === 'remote') return false;
    return err instanceof SdkError && (err.code === SdkErrorCode.ConnectionClosed || err.code === SdkErrorCode.SendFailed);
  }

  /** Runs any other client request (list, read, get) with the same error handling. */
  async request<T>(what: string, opts: UpstreamRequestOptions, fn: (ro: Record<string, unknown> & { timeout: number }) => Promise<T>): Promise<T> {
    const { name } = this.opts;
    if (this.state !== 'ready') {
      throw new UpstreamCallError(name, 'unavailable', `upstream "${name}" is not running (${this.exitNote ?? 'stopped'})`);
    }
    this.inFlight++;
    this.lastActive = Date.now();
    if (opts.caller) this.callers.push(opts.caller);
    try {
      return await fn({
        timeout: opts.timeoutMs,
        signal: opts.signal,
        ...(opts.onprogress ? { onprogress: opts.onprogress, resetTimeoutOnProgress: true } : {}),
      });
    } catch (err) {
      throw await this.explain(what, err, opts);
    } finally {
      if (opts.caller) this.callers.splice(this.callers.indexOf(opts.caller), 1);
      this.inFlight--;
      this.lastActive = Date.now();
    }
  }

  /** Relays an upstream's request to the client of the call in flight, or answers it with an error saying why not. */
  private async relay(method: ClientRequestMethod, params: Record<string, unknown>, signal: AbortSignal): Promise<Record<string, unknown>> {
    const ask = pickCaller(this.callers, method, this.opts.name);
    if (typeof ask === 'string') throw new ProtocolError(ProtocolErrorCode.InvalidRequest, ask);
    this.opts.logger.debug({ upstream: this.opts.name, method }, 'relaying an upstream request to the client');
    return ask(method, params, signal);
  }

  /** The lists the upstream serves, via its client. */
  get sdk(): Client {
    return this.client;
  }

  /** Stops the upstream; idempotent. */
  async close(): Promise<void> {
    if (this.closing) {
      await this.stopQuietly();
      return;
    }
    this.closing = true;
    this.state = 'closed';
    await this.stopQuietly();
  }

  private async stopQuietly(): Promise<void> {
    try {
      await this.client.close();
    } catch {
      // the transport may already be gone
    }
    try {
      await this.launched?.transport.close();
    } catch {
      // already closed
    }
  }

  private handleClose(): void {
    // While starting, start() reports the failure (with the exit status and stderr); nothing was running yet.
    if (this.closing || this.state === 'starting') return;
    this.closing = true;
    this.state = 'closed';
    this.opts.logger.warn({ upstream: this.opts.name, what: this.describe, stderr: this.launched?.stderrTail().slice(-300) }, 'upstream ended unexpectedly');
    // Make sure the process/container is really gone (a dropped stream does not mean a dead process).
    void this.stopQuietly();
    this.opts.onUnexpectedExit(this);
  }

  private async explain(what: string, err: unknown, opts: UpstreamRequestOptions): Promise<UpstreamCallError> {
    const { name } = this.opts;
    if (err instanceof UpstreamCallError) return err;
    if (opts.signal?.aborted) {
      return new UpstreamCallError(name, 'cancelled', `${what} on upstream "${name}" was cancelled; the upstream was told (notifications/cancelled)`);
    }
    if (isTimeout(err)) {
      return new UpstreamCallError(name, 'timeout', `${what} on upstream "${name}" timed out after ${opts.timeoutMs} ms without a result or progress; the call was cancelled upstream`);
    }
    if ((err instanceof SdkError && (err.code === SdkErrorCode.ConnectionClosed || err.code === SdkErrorCode.NotConnected)) || this.state === 'closed') {
      // Let the exit status arrive so the message can say how the upstream ended.
      await Promise.race([this.launched?.exited, new Promise((r) => setTimeout(r, 500))]);
      const tail = this.launched?.stderrTail();
      return new UpstreamCallError(
        name,
        'crashed',
        `upstream "${name}" (${this.describe}) ended while ${what} (${this.exitNote ?? 'connection closed'}); the call did not complete and may or may not have taken effect` +
          (tail ? `; last stderr: ${tail.slice(-300)}` : ''),
      );
    }
    const message = err instanceof Error ? err.message : String(err);
    // An SdkError other than a failed send is the client's verdict on an answer (an unsupported result type, an
    // invalid result): the connection is fine. Anything else that is not the server's own error is the transport's.
    const answerProblem = err instanceof SdkError && ANSWER_PROBLEMS.has(err.code);
    if (this.opts.config.kind === 'remote' && !(err instanceof ProtocolError) && !answerProblem) {
      // A transport failure (connection refused, session unknown after the remote restarted): drop this
      // connection so the next call reconnects with a new session instead of failing the same way forever.
      this.handleClose();
      return new UpstreamCallError(name, 'crashed', `connection to remote upstream "${name}" (${this.describe}) failed while ${what}: ${message}; the next call reconnects`);
    }
    const rpc = err instanceof ProtocolError ? { code: err.code, message: err.message, ...(err.data !== undefined ? { data: err.data } : {}) } : undefined;
    return new UpstreamCallError(name, 'rejected', `upstream "${name}" returned an error while ${what}: ${message}`, rpc);
  }
}

/**
 * The SDK handles notifications a microtask late but responses at once, and drops a request's progress handler
 * when its response arrives: the last progress notification, sent just before the result, would be lost. For
 * requests that have seen progress, the response is delivered one macrotask later so their progress comes first.
 */
function keepProgressBeforeResult(transport: Transport): void {
  const deliver = transport.onmessage;
  if (!deliver) return;
  const progressed = new Set<string | number>();
  transport.onmessage = (message, extra) => {
    const m = message as { id?: string | number; method?: string; params?: { progressToken?: string | number } };
    if (m.method === 'notifications/progress' && m.params?.progressToken !== undefined) {
      progressed.add(m.params.progressToken);
    } else if (m.method === undefined && m.id !== undefined && progressed.delete(m.id)) {
      setImmediate(() => deliver(message, extra));
      return;
    }
    deliver(message, extra);
  };
}

function isTimeout(err: unknown): boolean {
  return (err instanceof SdkError && err.code === SdkErrorCode.RequestTimeout) || (err instanceof Error && err.name === 'TimeoutError');
}

/** SdkError codes about an answer the client could not take (the connection itself is fine). */
const ANSWER_PROBLEMS: ReadonlySet<SdkErrorCode> = new Set([
  SdkErrorCode.UnsupportedResultType, SdkErrorCode.InvalidResult, SdkErrorCode.InputRequiredRoundsExceeded, SdkErrorCode.ListPaginationExceeded,
]);

/** Whether an upstream answer asks the client for input first (MCP 2026-07-28 multi-round-trip requests). */
export function needsInput(r: CallToolResult | InputRequiredResult): r is InputRequiredResult {
  return isInputRequiredResult(r);
}
