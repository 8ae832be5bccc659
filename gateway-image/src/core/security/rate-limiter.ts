/**
 * Token-bucket rate limits per principal and tool. A bucket holds `perMinute` tokens (the burst) and refills
 * continuously at perMinute/60 s. Tools without a configured limit are not rate limited.
 */
import type { SecurityConfig } from './security-config.js';

/** Outcome of {@link RateLimiter.take}. */
export type RateResult = { ok: true } | { ok: false; ruleId: 'limits.rate'; reason: string; retryAfterMs: number };

/** Rate limiter with an injectable clock. */
export interface RateLimiter {
  /** Per-minute limit for a tool, or undefined when unlimited. */
  limitFor(tool: string): number | undefined;
  /** True if a call would be admitted now (no side effect). */
  peek(principal: string, tool: string): boolean;
  /** Takes one token, or says when to retry. */
  take(principal: string, tool: string): RateResult;
  /** Buckets currently held (for tests and metrics). */
  size(): number;
}

/** Effective per-minute limits: exec/logs defaults, then `limits.perMinute` (MCP_DOCKER_RATE_LIMITS) overrides. */
export function effectiveRateLimits(limits: SecurityConfig['limits']): Record<string, number> {
  return { docker_exec: limits.execPerMinute, docker_logs: limits.logsPerMinute, ...limits.perMinute };
}

/** Builds a rate limiter. */
export function createRateLimiter(limits: SecurityConfig['limits'], now: () => number = Date.now): RateLimiter {
  const perTool = new Map(Object.entries(effectiveRateLimits(limits)));
  const buckets = new Map<string, { tokens: number; at: number }>();

  function refill(key: string, cap: number): { tokens: number; at: number } {
    const t = now();
    const b = buckets.get(key);
    if (!b) return { tokens: cap, at: t };
    const elapsed = Math.max(0, t - b.at);
    return { tokens: Math.min(cap, b.tokens + (elapsed * cap) / 60_000), at: t };
  }

  function sweep(): void {
    // Full buckets are the same as absent ones: dropping them bounds memory under many principals.
    for (const [key, b] of buckets) {
      const cap = perTool.get(key.slice(key.lastIndexOf('\u0000') + 1)) ?? 0;
      if (b.tokens + ((now() - b.at) * cap) / 60_000 >= cap) buckets.delete(key);
    }
  }

  return {
    limitFor: (tool) => perTool.get(tool),
    size: () => buckets.size,
    peek(principal, tool) {
      const cap = perTool.get(tool);
      return cap === undefined || refill(`${principal}\u0000${tool}`, cap).tokens >= 1;
    },
    take(principal, tool) {
      const cap = perTool.get(tool);
      if (cap === undefined) return { ok: true };
      const key = `${principal}\u0000${tool}`;
      const b = refill(key, cap);
      if (b.tokens >= 1) {
        b.tokens -= 1;
        buckets.set(key, b);
        if (buckets.size > limits.maxBuckets) sweep();
        return { ok: true };
      }
      buckets.set(key, b);
      const retryAfterMs = Math.ceil(((1 - b.tokens) * 60_000) / cap);
      return {
        ok: false,
        ruleId: 'limits.rate',
        reason: `rate limit for ${tool}: ${cap} per minute per principal; retry in ${Math.ceil(retryAfterMs / 1000)} s`,
        retryAfterMs,
      };
    },
  };
}
