/**
 * A circuit breaker in front of the Engine API. A hung or dead engine would otherwise make every call wait out its
 * own deadline (and pile up sockets): after `failures` consecutive engine failures (unreachable, deadline expired)
 * the circuit opens and calls fail at once with the last failure's reason. After `openMs` the circuit is half-open:
 * one call goes through as a probe (every other call still fails fast); its success closes the circuit, its
 * failure opens it again. Answers of any kind from the engine (a 404, a 409) count as success: the engine is there.
 */

/** Circuit states, as /metrics reports them. */
export type CircuitState = 'closed' | 'open' | 'half-open';

/** Options of {@link createEngineCircuit}. */
export interface EngineCircuitOptions {
  /** Consecutive failures that open the circuit. */
  readonly failures: number;
  /** How long the circuit stays open before a probe is let through. */
  readonly openMs: number;
  readonly clock?: () => number;
  /** Told about every state change. */
  readonly onState?: (state: CircuitState) => void;
}

/** A refusal: why the call may not go to the engine now. */
export interface CircuitRefusal {
  readonly failures: number;
  readonly lastFailure: string;
  readonly retryInMs: number;
}

/** The breaker: ask `admit()` before a request, report its end with `succeeded()` or `failed()`. */
export interface EngineCircuit {
  /** Undefined when the request may go (as the probe, when half-open); otherwise why not. */
  admit(): CircuitRefusal | undefined;
  succeeded(): void;
  failed(reason: string): void;
  /** A request admitted as the probe ended without telling whether the engine works (e.g. the caller aborted). */
  released(): void;
  state(): CircuitState;
}

/** Creates a closed circuit. */
export function createEngineCircuit(o: EngineCircuitOptions): EngineCircuit {
  const clock = o.clock ?? Date.now;
  let state: CircuitState = 'closed';
  let consecutive = 0;
  let lastFailure = '';
  let openedAt = 0;
  let probing = false;
  const set = (s: CircuitState) => {
    if (s === state) return;
    state = s;
    o.onState?.(s);
  };
  return {
    admit() {
      if (state === 'closed') return undefined;
      const waited = clock() - openedAt;
      if (state === 'open' && waited >= o.openMs) set('half-open');
      if (state === 'half-open' && !probing) {
        probing = true;
        return undefined;
      }
      return { failures: consecutive, lastFailure, retryInMs: state === 'open' ? o.openMs - waited : 0 };
    },
    succeeded() {
      consecutive = 0;
      probing = false;
      set('closed');
    },
    failed(reason) {
      consecutive += 1;
      lastFailure = reason;
      probing = false;
      if (state === 'half-open' || consecutive >= o.failures) {
        openedAt = clock();
        set('open');
      }
    },
    released() {
      probing = false;
    },
    state: () => state,
  };
}
