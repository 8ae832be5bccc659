/**
 * Instances of one upstream server, by lifecycle:
 * - `shared`: one instance for every caller;
 * - `per-session`: one per client session (calls without a session get a per-call instance: a stateless
 *   caller cannot hold upstream state anyway, and nothing is left running for a session that never ends);
 * - `per-call`: a fresh instance per call, stopped when the call ends.
 * Instances start lazily, stop after idleTimeoutSeconds without calls, and restart with exponential backoff
 * after a crash. The number of live instances is capped; per-call starts wait for a free slot.
 */
import { setMaxListeners } from 'node:events';
import type { Logger } from 'pino';
import type { PriorDiscovery } from '@modelcontextprotocol/client';
import type { Launcher } from './launcher.js';
import { type ListKind, UpstreamCallError, UpstreamInstance, type UpstreamInstanceOptions } from './upstream-instance.js';
import type { Lifecycle, UpstreamServerConfig, UpstreamSettings } from './upstreams-config.js';

/** Per-server state for /ready and /metrics. */
export interface UpstreamServerStatus {
  readonly server: string;
  readonly kind: UpstreamServerConfig['kind'];
  readonly lifecycle: Lifecycle;
  /**
   * `idle`: nothing running (starts on use); `running`: at least one instance up; `starting`;
   * `backoff`: crashed, next start delayed; `failed`: the last start failed.
   */
  readonly state: 'idle' | 'starting' | 'running' | 'backoff' | 'failed';
  readonly instances: number;
  readonly inFlight: number;
  readonly calls: number;
  readonly errors: number;
  readonly starts: number;
  readonly crashes: number;
  readonly lastError?: string;
  /**
   * The last start attempt failed (launch or initialize) and none has succeeded since. Stays true while a
   * retry is `starting` or in `backoff`, so readiness does not flap to "ok" on every background retry.
   */
  readonly lastStartFailed: boolean;
  /** Launch-to-initialized time of the last start. */
  readonly lastStartMs?: number;
  /** The MCP era the server spoke at its last start (`modern`: 2026-07-28, `legacy`: 2025), once known. */
  readonly era?: 'modern' | 'legacy';
}

/** Options of {@link UpstreamPool}. */
export interface UpstreamPoolOptions {
  readonly name: string;
  readonly config: UpstreamServerConfig;
  readonly settings: UpstreamSettings;
  readonly launcher: Launcher;
  readonly logger: Logger;
  readonly onListChanged: (kind: ListKind, instance: UpstreamInstance) => void;
  /** Keep a `shared` instance warm: restart it after a crash (after the backoff) without waiting for a call. @default false */
  readonly keepWarm?: boolean;
  /** Output-schema validators shared by every instance. @default - one per instance (the SDK's) */
  readonly schemaValidator?: UpstreamInstanceOptions['schemaValidator'];
}

/** A leased instance; call release() when the request is done. */
export interface Lease {
  readonly instance: UpstreamInstance;
  release(): Promise<void>;
}

/** How to acquire. */
export interface AcquireOptions {
  /** Fail at once instead of waiting out a restart backoff (listing must not stall on a broken server). */
  readonly failFastInBackoff?: boolean;
}

interface Slot {
  instance?: UpstreamInstance;
  starting?: Promise<UpstreamInstance>;
}

/** Instances of one server. */
export class UpstreamPool {
  private readonly slots = new Map<string, Slot>();
  private readonly ephemeral = new Set<UpstreamInstance>();
  private startingCount = 0;
  private readonly waiters: Array<() => void> = [];
  private readonly shutdown = new AbortController();
  private consecutiveCrashes = 0;
  private nextStartAt = 0;
  private stats = { calls: 0, errors: 0, starts: 0, crashes: 0 };
  private lastError?: string;
  private lastFailedStart = false;
  private lastStartMs?: number;
  private closed = false;
  /**
   * The era verdict of the last successful start, handed to later starts so they skip the server/discover probe.
   * Dropped when a start with it fails (a server that changed era is probed again on the next start).
   */
  private verdict?: PriorDiscovery;

  private warmTimer?: NodeJS.Timeout;

  constructor(private readonly opts: UpstreamPoolOptions) {
    // Every start listens on the shutdown signal; many concurrent per-call starts are normal, not a leak.
    setMaxListeners(0, this.shutdown.signal);
  }

  /** The lifecycle from config. */
  get lifecycle(): Lifecycle {
    return this.opts.config.lifecycle;
  }

  /**
   * Leases an instance for one request. `shared` and `per-session` (with a session) reuse their slot;
   * everything else gets a fresh instance stopped on release.
   */
  async acquire(sessionId: string | undefined, timeoutMs: number, opts: AcquireOptions = {}): Promise<Lease> {
    if (this.closed) throw new UpstreamCallError(this.opts.name, 'unavailable', `upstream "${this.opts.name}" is shut down`);
    const key = this.slotKey(sessionId);
    if (key === undefined) {
      const instance = await this.startInstance(timeoutMs, true, opts);
      this.ephemeral.add(instance);
      return {
        instance,
        release: async () => {
          this.ephemeral.delete(instance);
          await instance.close();
          this.wakeWaiter();
        },
      };
    }
    const instance = await this.slotInstance(key, timeoutMs, opts);
    return { instance, release: async () => undefined };
  }

  /** Runs fn on a leased instance, counting it for metrics. */
  async use<T>(sessionId: string | undefined, timeoutMs: number, fn: (instance: UpstreamInstance) => Promise<T>, opts: AcquireOptions = {}): Promise<T> {
    this.stats.calls++;
    // The common case, a running shared or per-session instance: no lease to take or release.
    const key = this.closed ? undefined : this.slotKey(sessionId);
    const ready = key === undefined ? undefined : this.slots.get(key)?.instance;
    if (ready?.state === 'ready') {
      try {
        const out = await fn(ready);
        this.consecutiveCrashes = 0;
        return out;
      } catch (err) {
        this.failed(err);
        throw err;
      }
    }
    let lease: Lease | undefined;
    try {
      lease = await this.acquire(sessionId, timeoutMs, opts);
      const out = await fn(lease.instance);
      this.consecutiveCrashes = 0;
      return out;
    } catch (err) {
      this.failed(err);
      throw err;
    } finally {
      await lease?.release();
    }
  }

  private failed(err: unknown): void {
    this.stats.errors++;
    // Refusals (backoff, cap) repeat the real error; keep lastError pointing at the cause.
    if (!(err instanceof UpstreamCallError && err.reason === 'unavailable')) this.lastError = (err as Error).message;
  }

  /** A running instance if there is one (for listing without starting another). */
  anyRunning(): UpstreamInstance | undefined {
    for (const slot of this.slots.values()) if (slot.instance?.state === 'ready') return slot.instance;
    return undefined;
  }

  /** Stops the instance of a session (per-session servers). */
  async closeSession(sessionId: string): Promise<void> {
    const key = `session:${sessionId}`;
    const slot = this.slots.get(key);
    if (!slot) return;
    this.slots.delete(key);
    const instance = slot.instance ?? (await slot.starting?.catch(() => undefined));
    await instance?.close();
    this.wakeWaiter();
  }

  /** Stops instances idle longer than idleTimeoutSeconds with nothing in flight. */
  async sweepIdle(now = Date.now()): Promise<number> {
    const idleMs = this.opts.settings.idleTimeoutSeconds * 1000;
    if (idleMs <= 0) return 0;
    const stale: UpstreamInstance[] = [];
    for (const [key, slot] of this.slots) {
      const i = slot.instance;
      if (i && i.inFlight === 0 && now - i.lastActive >= idleMs) {
        this.slots.delete(key);
        stale.push(i);
      }
    }
    await Promise.all(stale.map((i) => i.close()));
    if (stale.length > 0) {
      this.opts.logger.info({ upstream: this.opts.name, stopped: stale.length }, 'stopped idle upstream instances');
      for (let k = 0; k < stale.length; k++) this.wakeWaiter();
    }
    return stale.length;
  }

  /** Per-server state. */
  status(): UpstreamServerStatus {
    const running = [...this.slots.values()].filter((s) => s.instance?.state === 'ready').length + this.ephemeral.size;
    let inFlight = 0;
    for (const s of this.slots.values()) inFlight += s.instance?.inFlight ?? 0;
    for (const i of this.ephemeral) inFlight += i.inFlight;
    const state: UpstreamServerStatus['state'] =
      running > 0 ? 'running' : this.startingCount > 0 ? 'starting' : Date.now() < this.nextStartAt ? 'backoff' : this.lastFailedStart ? 'failed' : 'idle';
    return {
      server: this.opts.name,
      kind: this.opts.config.kind,
      lifecycle: this.lifecycle,
      state,
      instances: running,
      inFlight,
      ...this.stats,
      lastStartFailed: this.lastFailedStart,
      ...(this.lastError !== undefined ? { lastError: this.lastError } : {}),
      ...(this.lastStartMs !== undefined ? { lastStartMs: this.lastStartMs } : {}),
      ...(this.verdict ? { era: this.verdict.kind } : {}),
    };
  }

  /** Stops every instance; further acquires fail. */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.warmTimer);
    this.shutdown.abort();
    const all: Array<Promise<unknown>> = [];
    for (const slot of this.slots.values()) {
      if (slot.instance) all.push(slot.instance.close());
      else if (slot.starting) all.push(slot.starting.then((i) => i.close(), () => undefined));
    }
    for (const i of this.ephemeral) all.push(i.close());
    this.slots.clear();
    this.ephemeral.clear();
    for (const w of this.waiters.splice(0)) w();
    await Promise.all(all);
  }

  private slotKey(sessionId: string | undefined): string | undefined {
    if (this.lifecycle === 'shared') return 'shared';
    if (this.lifecycle === 'per-session' && sessionId !== undefined) return `session:${sessionId}`;
    return undefined;
  }

  private async slotInstance(key: string, timeoutMs: number, opts: AcquireOptions): Promise<UpstreamInstance> {
    const existing = this.slots.get(key);
    if (existing?.instance?.state === 'ready') return existing.instance;
    if (existing?.starting) return existing.starting;
    const slot: Slot = {};
    slot.starting = this.startInstance(timeoutMs, false, opts).then(
      (instance) => {
        if (this.slots.get(key) !== slot || this.closed) {
          // The session closed (or the pool shut down) while we were starting.
          void instance.close();
          throw new UpstreamCallError(this.opts.name, 'unavailable', `upstream "${this.opts.name}" was stopped while starting`);
        }
        slot.instance = instance;
        slot.starting = undefined;
        return instance;
      },
      (err: unknown) => {
        if (this.slots.get(key) === slot) this.slots.delete(key);
        throw err;
      },
    );
    this.slots.set(key, slot);
    return slot.starting;
  }

  private liveCount(): number {
    let n = this.ephemeral.size + this.startingCount;
    for (const s of this.slots.values()) if (s.instance) n++;
    return n;
  }

  private async startInstance(timeoutMs: number, waitForSlot: boolean, opts: AcquireOptions): Promise<UpstreamInstance> {
    const { name, settings } = this.opts;
    const max = settings.maxInstancesPerServer;
    const deadline = Date.now() + timeoutMs;
    while (this.liveCount() >= max) {
      const left = deadline - Date.now();
      if (!waitForSlot || left <= 0 || this.closed) {
        throw new UpstreamCallError(name, 'unavailable', `upstream "${name}" already runs ${max} instances (upstreams.maxInstancesPerServer); try again later or raise the limit`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    const wait = this.nextStartAt - Date.now();
    if (wait > 0) {
      if (wait > timeoutMs || opts.failFastInBackoff) {
        throw new UpstreamCallError(name, 'unavailable', `upstream "${name}" failed ${this.consecutiveCrashes} time(s) in a row; next start attempt in ${Math.ceil(wait / 1000)} s (last error: ${this.lastError ?? 'unknown'})`);
      }
      await new Promise((r) => setTimeout(r, wait));
    }
    this.startingCount++;
    const instance = new UpstreamInstance({
      name,
      config: this.opts.config,
      launcher: this.opts.launcher,
      logger: this.opts.logger,
      initTimeoutMs: settings.initTimeoutMs,
      onListChanged: this.opts.onListChanged,
      onUnexpectedExit: (i) => this.onCrash(i),
      schemaValidator: this.opts.schemaValidator,
      prior: this.verdict,
    });
    try {
      this.stats.starts++;
      await instance.start(this.shutdown.signal);
      this.lastFailedStart = false;
      this.lastStartMs = instance.startMs;
      this.verdict = instance.verdict;
      return instance;
    } catch (err) {
      this.verdict = undefined;
      this.lastFailedStart = true;
      this.lastError = (err as Error).message;
      this.bumpBackoff();
      throw err;
    } finally {
      this.startingCount--;
      this.wakeWaiter();
    }
  }

  private onCrash(instance: UpstreamInstance): void {
    this.stats.crashes++;
    for (const [key, slot] of this.slots) if (slot.instance === instance) this.slots.delete(key);
    const wasEphemeral = this.ephemeral.delete(instance);
    if (!wasEphemeral) this.bumpBackoff();
    this.wakeWaiter();
    if (this.opts.keepWarm && this.lifecycle === 'shared' && !this.closed) {
      clearTimeout(this.warmTimer);
      this.warmTimer = setTimeout(() => {
        if (this.closed) return;
        this.slotInstance('shared', this.opts.settings.initTimeoutMs, {}).catch((err: Error) =>
          this.opts.logger.warn({ upstream: this.opts.name, err: err.message }, 'restart of warm upstream failed; next call retries'),
        );
      }, Math.max(0, this.nextStartAt - Date.now()));
      this.warmTimer.unref();
    }
  }

  private bumpBackoff(): void {
    const { restartBackoffMs, restartBackoffMaxMs } = this.opts.settings;
    this.consecutiveCrashes++;
    const delay = Math.min(restartBackoffMaxMs, restartBackoffMs * 2 ** (this.consecutiveCrashes - 1));
    this.nextStartAt = Date.now() + delay;
  }

  private wakeWaiter(): void {
    this.waiters.shift()?.();
  }
}
