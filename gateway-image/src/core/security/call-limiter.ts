/**
 * The pipeline's CallLimiter: concurrency is checked first without side effects, then a rate token is taken,
 * then the slot; so a call refused for concurrency does not burn a rate token.
 */
import type { CallLimiter } from '../contracts.js';
import { createConcurrencyLimiter } from './concurrency.js';
import { createRateLimiter } from './rate-limiter.js';
import type { SecurityConfig } from './security-config.js';

/** Builds the call limiter from the limits section. */
export function createCallLimiter(limits: SecurityConfig['limits'], now: () => number = Date.now): CallLimiter & {
  inFlight(principal?: string): number;
} {
  const rate = createRateLimiter(limits, now);
  const conc = createConcurrencyLimiter({
    maxTotal: limits.maxConcurrent,
    maxPerPrincipal: limits.maxConcurrentPerPrincipal ?? limits.maxConcurrent,
  });
  return {
    inFlight: conc.inFlight,
    acquire(principal, tool) {
      const free = conc.available(principal.id);
      if (!free.ok) return free;
      const r = rate.take(principal.id, tool);
      if (!r.ok) return r;
      return conc.acquire(principal.id);
    },
  };
}
