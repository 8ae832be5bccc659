/**
 * Calls held open across a 2026-07-28 client's rounds: the one leg of input relaying that needs state.
 *
 * A 2025 upstream asks for sampling or elicitation with a server-to-client request in the middle of a tool call, and
 * waits for the answer on the same connection. A 2026 client cannot receive such a request; it gets `input_required`,
 * answers, and retries with a new request. So the gateway keeps the upstream call running, parks the upstream's
 * request here under a random id (sealed into the client's `requestState`), and hands the answer to it when the retry
 * arrives. The retry must therefore reach the same replica (the sealed state says so when it does not), and the held
 * call is cancelled upstream when no retry comes within the TTL. Calls to 2026 upstreams never come here.
 */
import { randomBytes } from 'node:crypto';

/** What a held call does next: finish (with the upstream's answer or error), or ask the client something. */
export type HeldStep<T> =
  | { readonly kind: 'done'; readonly value?: T; readonly error?: unknown }
  | { readonly kind: 'ask'; readonly method: 'sampling/createMessage' | 'elicitation/create'; readonly params: Record<string, unknown>; respond(answer: Record<string, unknown>): void };

/** The events of one running upstream call, in order. */
export class HeldCall<T> {
  private readonly queue: Array<HeldStep<T>> = [];
  private waiter?: (step: HeldStep<T>) => void;

  constructor(
    /** Cancels the upstream call. */
    readonly abort: AbortController,
  ) {}

  /** Records the next event (the upstream's request, or the call's end). */
  push(step: HeldStep<T>): void {
    const w = this.waiter;
    if (w) {
      this.waiter = undefined;
      w(step);
    } else this.queue.push(step);
  }

  /** The next event, once there is one. */
  next(): Promise<HeldStep<T>> {
    const step = this.queue.shift();
    if (step) return Promise.resolve(step);
    return new Promise((resolve) => (this.waiter = resolve));
  }
}

interface Parked<T> {
  readonly call: HeldCall<T>;
  readonly respond: (answer: Record<string, unknown>) => void;
  readonly principal: string;
  readonly timer: NodeJS.Timeout;
}

/** The parked calls of one gateway process. */
export class HeldCalls<T> {
  private readonly parked = new Map<string, Parked<T>>();

  constructor(private readonly ttlMs: number, private readonly max = 256) {}

  /**
   * Parks a call whose upstream asked something; returns the id to seal into the client's state, or undefined when
   * too many calls are held already (the call is then cancelled by the caller).
   */
  park(call: HeldCall<T>, respond: (answer: Record<string, unknown>) => void, principal: string): string | undefined {
    if (this.parked.size >= this.max) return undefined;
    const id = randomBytes(16).toString('base64url');
    const timer = setTimeout(() => {
      this.parked.delete(id);
      call.abort.abort(new Error('no retry came for the input request within its time'));
    }, this.ttlMs);
    timer.unref();
    this.parked.set(id, { call, respond, principal, timer });
    return id;
  }

  /** Takes a parked call back for its retry (once); undefined when it is not here (another replica, expired, used). */
  take(id: string, principal: string): Pick<Parked<T>, 'call' | 'respond'> | undefined {
    const p = this.parked.get(id);
    if (!p || p.principal !== principal) return undefined;
    this.parked.delete(id);
    clearTimeout(p.timer);
    return p;
  }

  /** How many calls are held. */
  get size(): number {
    return this.parked.size;
  }

  /** Cancels every held call (shutdown). */
  close(): void {
    for (const p of this.parked.values()) {
      clearTimeout(p.timer);
      p.call.abort.abort(new Error('gateway shutting down'));
    }
    this.parked.clear();
  }
}
