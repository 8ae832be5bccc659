/** Concurrent-call caps per principal and overall. Slots are released exactly once. */

/** Outcome of {@link ConcurrencyLimiter.acquire}. */
export type ConcurrencyResult =
  | { ok: true; release: () => void }
  | { ok: false; ruleId: 'limits.concurrency' | 'limits.concurrency-total'; reason: string };

/** Concurrency limiter. */
export interface ConcurrencyLimiter {
  /** True if a slot is free now (no side effect). */
  available(principal: string): ConcurrencyResult | { ok: true };
  acquire(principal: string): ConcurrencyResult;
  /** Calls in flight, overall and for one principal. */
  inFlight(principal?: string): number;
}

/** Builds a limiter. */
export function createConcurrencyLimiter(opts: { maxTotal: number; maxPerPrincipal: number }): ConcurrencyLimiter {
  const per = new Map<string, number>();
  let total = 0;

  function available(principal: string): ConcurrencyResult | { ok: true } {
    if (total >= opts.maxTotal) {
      return { ok: false, ruleId: 'limits.concurrency-total', reason: `the gateway is at its limit of ${opts.maxTotal} concurrent calls; retry shortly` };
    }
    if ((per.get(principal) ?? 0) >= opts.maxPerPrincipal) {
      return { ok: false, ruleId: 'limits.concurrency', reason: `at most ${opts.maxPerPrincipal} concurrent calls per principal; wait for one to finish` };
    }
    return { ok: true };
  }

  return {
    available,
    inFlight: (p) => (p === undefined ? total : per.get(p) ?? 0),
    acquire(principal) {
      const a = available(principal);
      if (!a.ok) return a;
      total++;
      per.set(principal, (per.get(principal) ?? 0) + 1);
      let released = false;
      return {
        ok: true,
        release: () => {
          if (released) return;
          released = true;
          total--;
          const n = (per.get(principal) ?? 1) - 1;
          if (n <= 0) per.delete(principal);
          else per.set(principal, n);
        },
      };
    },
  };
}
