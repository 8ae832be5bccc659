/** The tool pipeline's order and fail-closed behaviour, with fakes for the security stages. */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { AuditEvent, AuditSink, Authorizer, CallLimiter, Redactor, ToolDefinition } from '../../../src/core/contracts.js';
import { createMetrics } from '../../../src/core/metrics.js';
import { ToolArgumentsError, createPipeline } from '../../../src/core/pipeline.js';
import { abortedByShutdown } from '../../../src/core/shutdown.js';

function harness(over: { authorize?: Authorizer['authorize']; acquire?: CallLimiter['acquire']; healthy?: boolean; appendFails?: boolean; dryRun?: boolean; syncGate?: Promise<void> } = {}) {
  const steps: string[] = [];
  const events: AuditEvent[] = [];
  const durability: string[] = [];
  const audit: AuditSink = {
    append: async (e, o) => {
      steps.push(`audit:${e.phase}:${e.decision}`);
      durability.push(`${e.phase}:${e.decision}:${o?.durable === false ? 'written' : 'durable'}`);
      if (o?.durable !== false && over.syncGate) {
        await over.syncGate;
        steps.push(`synced:${e.phase}`);
      }
      if (over.appendFails) throw new Error('disk full');
      events.push(e);
    },
    healthy: () => over.healthy ?? true,
    close: async () => undefined,
  };
  const redactor: Redactor = {
    redactArgs: (_t, a) => ({ ...a, secret: a.secret === undefined ? undefined : '<redacted>' }),
    redactResult: (_t, r) => { steps.push('redact'); return { result: r, redactions: 0 }; },
  };
  const metrics = createMetrics({ defaultMetrics: false });
  const logs: string[] = [];
  const pipeline = createPipeline({
    authorizer: { authorize: over.authorize ?? (async () => { steps.push('authorize'); return { allow: true, ruleId: 'ok', reason: '' }; }) },
    limiter: { acquire: over.acquire ?? (() => { steps.push('limit'); return { ok: true, release: () => steps.push('release') }; }) },
    audit, redactor, metrics, logger: pino({ level: 'error' }, { write: (line: string) => { logs.push(line); } }), dryRun: over.dryRun ?? false,
  });
  const tool = (mutating: boolean): ToolDefinition => ({
    name: mutating ? 'docker_exec' : 'docker_ps', description: '', annotations: {}, mutating,
    inputSchema: z.object({ n: z.number().default(1), secret: z.string().optional() }).strict() as never,
    target: () => 'web-1',
    run: async (args, ctx) => { steps.push(`run:${JSON.stringify(args)}:${ctx.dryRun}`); return { content: [{ type: 'text', text: 'ok' }], structuredContent: { exitCode: 0, bytes: 3 } }; },
  });
  // A mutating tool that prepares (no effect) while its decision is synced, then waits for the sync to act.
  const preparingTool: ToolDefinition = {
    ...tool(true),
    preparesDuringDecisionSync: true,
    run: async (_args, ctx) => {
      steps.push('prepare');
      await ctx.decisionSynced;
      steps.push('effect');
      return { content: [{ type: 'text', text: 'ok' }] };
    },
  };
  const input = { principal: { id: 'alice', authMethod: 'bearer' as const }, signal: new AbortController().signal };
  return { steps, events, durability, pipeline, tool, preparingTool, input, metrics, logs };
}

describe('tool pipeline', () => {
  it('idle() resolves at once with no call in flight, and else once the last call has recorded its outcome', async () => {
    const h = harness();
    await h.pipeline.idle();
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const slow: ToolDefinition = { ...h.tool(false), run: async () => { await gate; h.steps.push('ran'); return { content: [{ type: 'text', text: 'ok' }] }; } };
    const calls = [h.pipeline.call(slow, {}, h.input), h.pipeline.call(slow, {}, h.input)];
    let idle = false;
    const waiting = h.pipeline.idle().then(() => { idle = true; h.steps.push('idle'); });
    await new Promise((r) => setTimeout(r, 20));
    expect(idle).toBe(false);
    release();
    await Promise.all([...calls, waiting]);
    // Both outcomes were recorded before idle() resolved.
    expect(h.steps.filter((x) => x === 'audit:outcome:allow')).toHaveLength(2);
    expect(h.steps.at(-1)).toBe('idle');
    await h.pipeline.idle();
  });

  it('shutdown() aborts the calls in flight and every later one with the shutting-down reason; a client abort still passes through', async () => {
    const h = harness();
    const seen: unknown[] = [];
    let started!: () => void;
    const running = new Promise<void>((r) => { started = r; });
    // Runs until its signal aborts, then answers with the reason it saw (as exec and logs do).
    const waiter: ToolDefinition = {
      ...h.tool(false),
      run: async (_a, ctx) => {
        started();
        await new Promise<void>((resolve) => {
          if (ctx.signal.aborted) return resolve();
          ctx.signal.addEventListener('abort', () => resolve(), { once: true });
        });
        seen.push(ctx.signal.reason);
        return { content: [{ type: 'text', text: abortedByShutdown(ctx.signal) ? 'shutdown' : 'cancelled' }] };
      },
    };
    const client = new AbortController();
    const cancelled = h.pipeline.call(waiter, {}, { ...h.input, signal: client.signal });
    await running;
    client.abort(new Error('client left'));
    expect((await cancelled).content[0]).toMatchObject({ text: 'cancelled' });

    const inFlight = h.pipeline.call(waiter, {}, h.input);
    h.pipeline.shutdown();
    expect((await inFlight).content[0]).toMatchObject({ text: 'shutdown' });
    expect((await h.pipeline.call(waiter, {}, h.input)).content[0]).toMatchObject({ text: 'shutdown' });
    expect(seen.map((r) => (r as Error).message)).toEqual(['client left', 'the gateway is shutting down', 'the gateway is shutting down']);
    // A tool that throws because it was stopped by the shutdown answers with a result that says so, not an internal error.
    const thrower: ToolDefinition = { ...h.tool(false), run: async (_a, ctx) => { throw ctx.signal.reason; } };
    const r = await h.pipeline.call(thrower, {}, h.input);
    expect(r).toMatchObject({ isError: true, content: [{ text: 'docker_ps stopped: the gateway is shutting down' }] });
    await h.pipeline.idle();
  });

  it('runs validate -> authorize -> limit -> audit decision -> execute -> redact -> audit outcome, then releases', async () => {
    const h = harness();
    const r = await h.pipeline.call(h.tool(true), { secret: 'x' }, h.input);
    expect(r.isError).toBeUndefined();
    expect(h.steps).toEqual(['authorize', 'limit', 'audit:decision:allow', 'run:{"n":1,"secret":"x"}:false', 'redact', 'audit:outcome:allow', 'release']);
    expect(h.events[0]).toMatchObject({ principal: 'alice', tool: 'docker_exec', target: 'web-1', args: { n: 1, secret: '<redacted>' } });
    expect(h.events[1]).toMatchObject({ phase: 'outcome', exitCode: 0, bytes: 3, isError: false });
  });

  it('only a mutating call\'s decision must be durable before the call runs; outcomes, read-only calls and denials need not', async () => {
    const h = harness();
    await h.pipeline.call(h.tool(true), {}, h.input);
    await h.pipeline.call(h.tool(false), {}, h.input);
    expect(h.durability).toEqual(['decision:allow:durable', 'outcome:allow:written', 'decision:allow:written', 'outcome:allow:written']);
    const d = harness({ authorize: async () => ({ allow: false, ruleId: 'r', reason: 'no' }) });
    await d.pipeline.call(d.tool(true), {}, d.input);
    expect(d.durability).toEqual(['decision:deny:written']);
  });

  it('a tool that prepares during the decision sync starts before the sync ends and acts only after it', async () => {
    let synced!: () => void;
    const h = harness({ syncGate: new Promise<void>((r) => { synced = r; }) });
    const call = h.pipeline.call(h.preparingTool, {}, h.input);
    await new Promise((r) => setTimeout(r, 5));
    expect(h.steps).toEqual(['authorize', 'limit', 'audit:decision:allow', 'prepare']);
    synced();
    expect((await call).isError).toBeUndefined();
    expect(h.steps).toEqual(['authorize', 'limit', 'audit:decision:allow', 'prepare', 'synced:decision', 'effect', 'redact', 'audit:outcome:allow', 'release']);
    // Without the flag, a mutating tool does not start before the sync.
    const plain = harness({ syncGate: Promise.resolve() });
    await plain.pipeline.call(plain.tool(true), {}, plain.input);
    expect(plain.steps.indexOf('synced:decision')).toBeLessThan(plain.steps.findIndex((x) => x.startsWith('run')));
  });

  it('a failed decision sync refuses a preparing tool\'s call, and its effect never happens', async () => {
    const h = harness({ appendFails: true });
    const r = await h.pipeline.call(h.preparingTool, {}, h.input);
    expect(r.content[0].text).toMatch(/^Denied \(audit.unavailable\): the audit record could not be written/);
    expect(h.steps).toContain('prepare');
    expect(h.steps).not.toContain('effect');
    expect(h.steps.filter((x) => x === 'release')).toHaveLength(1);
    // The tool threw the sync's reason: logged as the audit failure it is, not as a fault of the tool.
    expect(h.logs.join('')).toMatch(/audit record could not be written/);
    expect(h.logs.join('')).not.toMatch(/tool failed unexpectedly/);
  });

  it('throws ToolArgumentsError naming the field, before any policy or audit', async () => {
    const h = harness();
    await expect(h.pipeline.call(h.tool(false), { n: 'x' }, h.input)).rejects.toThrow(ToolArgumentsError);
    await expect(h.pipeline.call(h.tool(false), { n: 'x' }, h.input)).rejects.toThrow(/n: /);
    await expect(h.pipeline.call(h.tool(false), { extra: 1 }, h.input)).rejects.toThrow(/extra/);
    expect(h.steps).toEqual([]);
  });

  it('a denial is audited with its rule id, never runs, and does not consume the limiter', async () => {
    const h = harness({ authorize: async () => ({ allow: false, ruleId: 'exec.shell-wrapper', reason: 'sh -c is not allowed' }) });
    const r = await h.pipeline.call(h.tool(true), {}, h.input);
    expect(r.isError).toBe(true);
    expect(r.content[0].text).toBe('Denied (exec.shell-wrapper): sh -c is not allowed');
    expect(h.steps).toEqual(['audit:decision:deny']);
    expect(h.events[0]).toMatchObject({ decision: 'deny', ruleId: 'exec.shell-wrapper' });
  });

  it('fails closed when the authorizer throws', async () => {
    const h = harness({ authorize: async () => { throw new Error('boom'); } });
    const r = await h.pipeline.call(h.tool(false), {}, h.input);
    expect(r.isError).toBe(true);
    expect(h.events[0]).toMatchObject({ decision: 'deny', ruleId: 'policy.error' });
  });

  it('rate limits answer with the retry hint', async () => {
    const h = harness({ acquire: () => ({ ok: false, ruleId: 'limits.rate', reason: 'rate limit for docker_exec: 60 per minute', retryAfterMs: 12_000 }) });
    const r = await h.pipeline.call(h.tool(true), {}, h.input);
    expect(r.content[0].text).toBe('Denied (limits.rate): rate limit for docker_exec: 60 per minute (retry after 12 s)');
  });

  it('refuses mutating tools when the audit log is unhealthy or the decision cannot be written; read-only tools go on', async () => {
    const unhealthy = harness({ healthy: false });
    expect((await unhealthy.pipeline.call(unhealthy.tool(true), {}, unhealthy.input)).content[0].text).toMatch(/^Denied \(audit.unavailable\)/);
    expect(unhealthy.steps).not.toContain(expect.stringMatching(/^run/));
    expect(unhealthy.steps.filter((s) => s === 'release')).toHaveLength(1);
    const failing = harness({ appendFails: true });
    expect((await failing.pipeline.call(failing.tool(true), {}, failing.input)).content[0].text).toMatch(/^Denied \(audit.unavailable\)/);
    expect(failing.steps.some((s) => s.startsWith('run'))).toBe(false);
    const readOnly = harness({ appendFails: true });
    expect((await readOnly.pipeline.call(readOnly.tool(false), {}, readOnly.input)).isError).toBeUndefined();
    expect(await readOnly.metrics.auditFailures.get()).toMatchObject({ values: [{ value: 2 }] });
  });

  it('passes dry-run to the tool and marks audit records', async () => {
    const h = harness({ dryRun: true });
    await h.pipeline.call(h.tool(true), {}, h.input);
    expect(h.steps).toContain('run:{"n":1}:true');
    expect(h.events.every((e) => e.dryRun === true)).toBe(true);
  });
});
