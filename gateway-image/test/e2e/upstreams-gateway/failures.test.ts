/**
 * Faulty upstreams behind the gateway container: a server that crashes mid-call, one that hangs, one that never
 * answers initialize. Each gives the SDK client a clear error within its timeout, and the gateway keeps serving
 * docker_ps and a healthy upstream (server-everything) throughout. The faulty servers are the upstream
 * fixtures (faulty-server.mjs) run as command servers inside the gateway container.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type GatewayUnderTest } from '../helpers/gateway-container.js';
import { connectClient } from '../helpers/mcp-client.js';
import { EVERYTHING_IN_GATEWAY, FAULTY_IN_GATEWAY, firstText, gatewayConfig, ownerIdFor, removeOwned, upstreamMounts, waitFor } from './harness.js';

const OWNER = ownerIdFor('faulty');
const CALL_TIMEOUT_MS = 4_000;
/** Long enough for four node servers starting at once in the gateway container on a loaded 2-core machine. */
const INIT_TIMEOUT_MS = 10_000;
/** Slack for a loaded 2-core machine on top of the gateway's own timeouts. */
const SLACK_MS = 4_000;

describe('faulty upstreams through the gateway: clear errors in time, everything else keeps working', () => {
  let gw: GatewayUnderTest;
  let client: Client;
  let firstNames: string[] = [];
  let firstListMs = 0;

  async function stillServing(tag: string): Promise<void> {
    expect((await client.callTool({ name: 'docker_ps', arguments: { name: gw.name } })).isError).toBeFalsy();
    expect(firstText(await client.callTool({ name: 'everything__echo', arguments: { message: tag } }))).toBe(`Echo: ${tag}`);
  }

  beforeAll(async () => {
    const faulty = (mode: string, tools?: string[]) => ({ command: 'node', args: [FAULTY_IN_GATEWAY, mode], lifecycle: 'shared', ...(tools ? { enabled_tools: tools } : {}) });
    gw = await startGateway({
      args: upstreamMounts(),
      config: gatewayConfig(OWNER, {
        everything: { command: 'node', args: [EVERYTHING_IN_GATEWAY], lifecycle: 'shared' },
        crashy: faulty('ok', ['echo', 'boom']),
        hangs: faulty('ok', ['echo', 'hang']),
        noinit: faulty('no-init'),
      }, { callTimeoutMs: CALL_TIMEOUT_MS, initTimeoutMs: INIT_TIMEOUT_MS, restartBackoffMs: 200, restartBackoffMaxMs: 1_000 }),
    });
    client = await connectClient(gw.url);
    // The first list starts every server; the one that never initializes holds it up to its init timeout.
    const began = Date.now();
    firstNames = (await client.listTools({}, { timeout: INIT_TIMEOUT_MS + SLACK_MS })).tools.map((t) => t.name);
    firstListMs = Date.now() - began;
  });
  afterAll(async () => {
    await client?.close().catch(() => undefined);
    await gw?.remove();
    await removeOwned(OWNER);
  });

  it('a server that never finishes initialize is left out of the list within its init timeout; later lists do not wait for it', async () => {
    expect(firstListMs).toBeLessThan(INIT_TIMEOUT_MS + SLACK_MS);
    expect(firstNames).toEqual(expect.arrayContaining(['docker_ps', 'everything__echo', 'crashy__boom', 'crashy__echo', 'hangs__hang', 'hangs__echo']));
    expect(firstNames.some((n) => n.startsWith('noinit__'))).toBe(false);
    // While it is retried in the background, lists (and the tool lookups of calls) answer at once.
    for (let i = 0; i < 3; i++) {
      const began = Date.now();
      const names = (await client.listTools()).tools.map((t) => t.name);
      expect(Date.now() - began).toBeLessThan(1_500);
      expect(names.some((n) => n.startsWith('noinit__'))).toBe(false);
    }
    const res = await gw.fetch('/ready');
    expect(res.status).toBe(503);
    const ready = await res.json() as { status: string; checks: Record<string, { ok: boolean; detail?: string }> };
    expect(ready.checks['upstream:noinit'].ok).toBe(false);
    expect(ready.checks['upstream:noinit'].detail).toMatch(/initiali[sz]e|timed out|timeout/i);
    expect(ready.checks['upstream:everything']).toMatchObject({ ok: true });
    expect(ready.status).toBe('not-ready');
    await stillServing('after no-init');
  });

  it('calling a tool of the server that never initializes gives a clear error naming it, quickly', async () => {
    const began = Date.now();
    const r = await client.callTool({ name: 'noinit__echo', arguments: { message: 'x' } }, undefined, { timeout: INIT_TIMEOUT_MS + SLACK_MS });
    expect(Date.now() - began).toBeLessThan(INIT_TIMEOUT_MS + SLACK_MS);
    expect(r.isError).toBe(true);
    expect(firstText(r)).toMatch(/noinit/);
    expect(firstText(r)).toMatch(/initiali[sz]e|timed out|timeout|not available|failed to start/i);
    await stillServing('after no-init call');
  });

  it('a server that crashes mid-call gives an isError result that says so, and is restarted for the next call', async () => {
    const began = Date.now();
    const r = await client.callTool({ name: 'crashy__boom', arguments: {} }, undefined, { timeout: CALL_TIMEOUT_MS + SLACK_MS });
    expect(Date.now() - began).toBeLessThan(CALL_TIMEOUT_MS + SLACK_MS);
    expect(r.isError).toBe(true);
    expect(firstText(r)).toMatch(/crashy/);
    expect(firstText(r)).toMatch(/exit|crash|closed/i);
    await stillServing('after crash');
    // After the restart backoff the crashed server answers again (a new instance).
    expect(await waitFor(async () => firstText(await client.callTool({ name: 'crashy__echo', arguments: { message: 'back' } })) === 'echo: back', 10_000, 250)).toBe(true);
    const metrics = await (await gw.fetch('/metrics')).text();
    expect(metrics).toMatch(/mcp_upstream_calls\{server="crashy",kind="crashes"\} [1-9]/);
  });

  it('a server that hangs gives an isError timeout at the call timeout, and the gateway keeps serving meanwhile', async () => {
    const began = Date.now();
    const hung = client.callTool({ name: 'hangs__hang', arguments: {} }, undefined, { timeout: CALL_TIMEOUT_MS + SLACK_MS });
    // While the hung call is pending, the gateway serves the others, well before the hung call ends.
    await stillServing('during hang');
    expect(Date.now() - began).toBeLessThan(CALL_TIMEOUT_MS);
    const r = await hung;
    const took = Date.now() - began;
    console.info(`[timings] hung call answered after ${took} ms (call timeout ${CALL_TIMEOUT_MS} ms)`);
    expect(took).toBeGreaterThanOrEqual(CALL_TIMEOUT_MS - 100);
    expect(took).toBeLessThan(CALL_TIMEOUT_MS + SLACK_MS);
    expect(r.isError).toBe(true);
    expect(firstText(r)).toMatch(/hangs/);
    expect(firstText(r)).toMatch(/timed out|timeout/i);
    // The hung server still answers other calls.
    const after = Date.now();
    expect(firstText(await client.callTool({ name: 'hangs__echo', arguments: { message: 'alive' } }))).toBe('echo: alive');
    console.info(`[timings] next call to the server that hung: ${Date.now() - after} ms`);
    await stillServing('after hang');
  });
});
