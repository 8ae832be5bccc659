import { describe, expect, it } from 'vitest';
import { createCallLimiter } from '../../../src/core/security/call-limiter.js';
import { createConcurrencyLimiter } from '../../../src/core/security/concurrency.js';
import { createRateLimiter, effectiveRateLimits } from '../../../src/core/security/rate-limiter.js';
import { parseSecurityConfig } from '../../../src/core/security/security-config.js';

const limits = (l: Record<string, unknown> = {}) => parseSecurityConfig({ limits: l }).limits;

describe('rate limiter', () => {
  it('defaults: exec 60/min, logs 30/min, others unlimited; MCP_DOCKER_RATE_LIMITS overrides', () => {
    expect(effectiveRateLimits(limits())).toEqual({ docker_exec: 60, docker_logs: 30 });
    expect(effectiveRateLimits(limits({ perMinute: { docker_ps: 120, docker_exec: 5 } }))).toEqual({ docker_exec: 5, docker_logs: 30, docker_ps: 120 });
    const r = createRateLimiter(limits(), () => 0);
    for (let i = 0; i < 1000; i++) expect(r.take('p', 'docker_ps').ok).toBe(true);
  });
  it('allows the burst, then denies with a retry hint, then refills with the clock', () => {
    const clock = { t: 0 };
    const r = createRateLimiter(limits(), () => clock.t);
    for (let i = 0; i < 60; i++) expect(r.take('alice', 'docker_exec').ok).toBe(true);
    const d = r.take('alice', 'docker_exec');
    expect(d).toEqual({ ok: false, ruleId: 'limits.rate', retryAfterMs: 1000, reason: 'rate limit for docker_exec: 60 per minute per principal; retry in 1 s' });
    clock.t += 999;
    expect(r.take('alice', 'docker_exec').ok).toBe(false);
    clock.t += 1;
    expect(r.take('alice', 'docker_exec').ok).toBe(true);
    expect(r.take('alice', 'docker_exec').ok).toBe(false);
    clock.t += 60_000;
    for (let i = 0; i < 60; i++) expect(r.take('alice', 'docker_exec').ok).toBe(true);
    expect(r.take('alice', 'docker_exec').ok).toBe(false);
  });
  it('the retry hint reflects the rate (5/min -> 12 s)', () => {
    const r = createRateLimiter(limits({ execPerMinute: 5 }), () => 0);
    for (let i = 0; i < 5; i++) r.take('a', 'docker_exec');
    const d = r.take('a', 'docker_exec');
    expect(d).toMatchObject({ ok: false, retryAfterMs: 12_000, reason: 'rate limit for docker_exec: 5 per minute per principal; retry in 12 s' });
  });
  it('buckets are per principal and per tool', () => {
    const r = createRateLimiter(limits({ execPerMinute: 1, logsPerMinute: 1 }), () => 0);
    expect(r.take('a', 'docker_exec').ok).toBe(true);
    expect(r.take('a', 'docker_exec').ok).toBe(false);
    expect(r.take('b', 'docker_exec').ok).toBe(true);
    expect(r.take('a', 'docker_logs').ok).toBe(true);
  });
  it('a denied call does not consume; a backwards clock does not mint tokens', () => {
    const clock = { t: 10_000 };
    const r = createRateLimiter(limits({ execPerMinute: 1 }), () => clock.t);
    r.take('a', 'docker_exec');
    for (let i = 0; i < 10; i++) r.take('a', 'docker_exec');
    clock.t = 0;
    expect(r.take('a', 'docker_exec').ok).toBe(false);
    clock.t = 10_000 + 60_000;
    expect(r.take('a', 'docker_exec').ok).toBe(true);
  });
  it('memory is bounded: full buckets are swept', () => {
    const clock = { t: 0 };
    const r = createRateLimiter(limits({ maxBuckets: 100 }), () => clock.t);
    for (let i = 0; i < 100; i++) r.take(`p${i}`, 'docker_exec');
    clock.t += 60_000;
    r.take('late', 'docker_exec');
    expect(r.size()).toBeLessThanOrEqual(1);
  });
});

describe('concurrency limiter', () => {
  it('caps per principal and overall; release is idempotent', () => {
    const c = createConcurrencyLimiter({ maxTotal: 3, maxPerPrincipal: 2 });
    const a1 = c.acquire('a');
    const a2 = c.acquire('a');
    expect(a1.ok && a2.ok).toBe(true);
    expect(c.acquire('a')).toMatchObject({ ok: false, ruleId: 'limits.concurrency' });
    const b1 = c.acquire('b');
    expect(b1.ok).toBe(true);
    expect(c.acquire('c')).toMatchObject({ ok: false, ruleId: 'limits.concurrency-total' });
    if (a1.ok) {
      a1.release();
      a1.release();
    }
    expect(c.inFlight()).toBe(2);
    expect(c.inFlight('a')).toBe(1);
    expect(c.acquire('c').ok).toBe(true);
    expect(c.acquire('c')).toMatchObject({ ok: false, ruleId: 'limits.concurrency-total' });
  });
});

describe('call limiter', () => {
  const P = { id: 'alice', authMethod: 'bearer' as const };
  it('defaults MCP_DOCKER_MAX_CONCURRENT=10 per principal and overall', () => {
    const l = createCallLimiter(limits(), () => 0);
    const held = Array.from({ length: 10 }, () => l.acquire(P, 'docker_ps'));
    expect(held.every((h) => h.ok)).toBe(true);
    expect(l.acquire(P, 'docker_ps')).toMatchObject({ ok: false, ruleId: 'limits.concurrency-total' });
    held.forEach((h) => h.ok && h.release());
    expect(l.inFlight()).toBe(0);
  });
  it('per-principal cap below the total', () => {
    const l = createCallLimiter(limits({ maxConcurrent: 5, maxConcurrentPerPrincipal: 1 }), () => 0);
    expect(l.acquire(P, 'docker_ps').ok).toBe(true);
    expect(l.acquire(P, 'docker_ps')).toMatchObject({ ok: false, ruleId: 'limits.concurrency' });
    expect(l.acquire({ id: 'bob', authMethod: 'bearer' }, 'docker_ps').ok).toBe(true);
  });
  it('rate denial carries retryAfterMs; a concurrency denial does not burn a rate token', () => {
    const l = createCallLimiter(limits({ execPerMinute: 1, maxConcurrent: 1 }), () => 0);
    const first = l.acquire(P, 'docker_exec');
    expect(first.ok).toBe(true);
    // Busy: refused for concurrency, rate bucket untouched... but the first call already took the only token.
    expect(l.acquire(P, 'docker_exec')).toMatchObject({ ok: false, ruleId: 'limits.concurrency-total' });
    if (first.ok) first.release();
    expect(l.acquire(P, 'docker_exec')).toMatchObject({ ok: false, ruleId: 'limits.rate', retryAfterMs: 60_000 });
    const l2 = createCallLimiter(limits({ execPerMinute: 2, maxConcurrent: 1 }), () => 0);
    const h = l2.acquire(P, 'docker_ps');
    for (let i = 0; i < 5; i++) expect(l2.acquire(P, 'docker_exec').ok).toBe(false);
    if (h.ok) h.release();
    const e1 = l2.acquire(P, 'docker_exec');
    expect(e1.ok).toBe(true);
    if (e1.ok) e1.release();
    expect(l2.acquire(P, 'docker_exec').ok).toBe(true);
  });
});
