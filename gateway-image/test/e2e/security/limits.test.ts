/**
 * Negative suite, limits: the per-principal exec rate (MCP_DOCKER_EXEC_PER_MINUTE) answers with `limits.rate` and a
 * retry hint; the concurrency caps (per principal, and MCP_DOCKER_MAX_CONCURRENT overall) refuse calls while a slow
 * exec is in flight. Refused calls never reach Docker and are audited with their rule id.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTarget, uniq, waitForProcess, type TestContainer } from '../helpers/docker-cli.js';
import { E2E_CONFIG, E2E_TOKEN, VIEWER_TOKEN, rpcCall, startGateway, type GatewayUnderTest } from '../helpers/gateway-container.js';
import { eventClock, execsSince, expectDenied, lastSeq, waitForDenial } from './security-helpers.js';

const THIRD_TOKEN = 'third-token-0123456789abcdef';

describe('security: rate and concurrency limits (built image, real engine)', () => {
  let target: TestContainer;

  beforeAll(async () => {
    target = await runTarget(uniq('sec-limits-target'));
  });
  afterAll(async () => {
    await target?.remove();
  });

  describe('MCP_DOCKER_EXEC_PER_MINUTE=2', () => {
    let gw: GatewayUnderTest;
    beforeAll(async () => {
      gw = await startGateway({ env: { MCP_DOCKER_EXEC_PER_MINUTE: '2' } });
    });
    afterAll(async () => {
      await gw?.remove();
    });

    it('the third exec in a minute is refused with limits.rate and a retry hint; only two execs reached Docker', async () => {
      const since = eventClock();
      for (const n of [1, 2]) {
        const ok = await rpcCall(gw, 'docker_exec', { id: target.name, cmd: ['echo', `call-${n}`] });
        expect(ok.result?.structuredContent).toMatchObject({ exitCode: 0 });
      }
      const seq = await lastSeq(gw);
      const r = await rpcCall(gw, 'docker_exec', { id: target.name, cmd: ['echo', 'call-3'] });
      expectDenied(r, 'limits.rate');
      expect(r.result?.content[0].text).toMatch(/\(retry after \d+ s\)$/);
      const retry = Number(/retry after (\d+) s/.exec(r.result!.content[0].text)![1]);
      expect(retry).toBeGreaterThan(0);
      expect(retry).toBeLessThanOrEqual(60);
      expect(await execsSince(target.name, since)).toEqual(['exec_create: echo call-1', 'exec_create: echo call-2']);
      await waitForDenial(gw, 'docker_exec', 'limits.rate', { principal: 'e2e', afterSeq: seq });
    });

    it('the exec budget is per tool: read-only tools still answer for the same principal', async () => {
      const ps = await rpcCall(gw, 'docker_ps', { name: target.name });
      expect(ps.result?.structuredContent?.count).toBe(1);
    });
  });

  describe('concurrency: 1 per principal, 2 overall, with a slow exec in flight', () => {
    let gw: GatewayUnderTest;
    beforeAll(async () => {
      gw = await startGateway({
        env: { MCP_GATEWAY_AUTH_TOKENS: `e2e=${E2E_TOKEN},viewer=${VIEWER_TOKEN},third=${THIRD_TOKEN}`, MCP_DOCKER_MAX_CONCURRENT: '2' },
        config: { ...E2E_CONFIG, limits: { ...E2E_CONFIG.limits, maxConcurrentPerPrincipal: 1 } },
      });
    });
    afterAll(async () => {
      await gw?.remove();
    });

    it('a second call of the same principal is refused with limits.concurrency; a third principal at the overall cap with limits.concurrency-total', async () => {
      // Long enough to still hold its slot while the steps below run on a loaded machine (3 s was not, once).
      const slow = rpcCall(gw, 'docker_exec', { id: target.name, cmd: ['sleep', '8'] });
      await waitForProcess(target.name, 'sleep 8');
      const since = eventClock();
      const seq = await lastSeq(gw);

      const same = await rpcCall(gw, 'docker_exec', { id: target.name, cmd: ['echo', 'second'] });
      expectDenied(same, 'limits.concurrency');
      await waitForDenial(gw, 'docker_exec', 'limits.concurrency', { principal: 'e2e', afterSeq: seq });

      // The viewer takes the second overall slot with a slow read-only call (logs followed for a few seconds).
      const startFollow = () => {
        const call = { settled: false, result: rpcCall(gw, 'docker_logs', { id: target.name, tail: 0, follow: true, followSeconds: 2 }, VIEWER_TOKEN) };
        void call.result.finally(() => { call.settled = true; });
        return call;
      };
      let follow = startFollow();
      const deadline = Date.now() + 10_000;
      let third = await rpcCall(gw, 'docker_ps', {}, THIRD_TOKEN);
      // Until the follow call has taken its slot, the third principal may still get through: retry, bounded. On a
      // loaded machine a probe can even take the slot first and the follow call is the one refused: start it again.
      while (!third.result?.isError && Date.now() < deadline) {
        if (follow.settled && (await follow.result).result?.isError) follow = startFollow();
        third = await rpcCall(gw, 'docker_ps', {}, THIRD_TOKEN);
      }
      expectDenied(third, 'limits.concurrency-total');
      await waitForDenial(gw, 'docker_ps', 'limits.concurrency-total', { principal: 'third', afterSeq: seq });

      expect(await execsSince(target.name, since)).toEqual([]);
      expect((await slow).result?.structuredContent).toMatchObject({ exitCode: 0 });
      expect((await follow.result).result?.isError).toBeFalsy();
      // Slots are released: the same principal may exec again.
      const again = await rpcCall(gw, 'docker_exec', { id: target.name, cmd: ['echo', 'again'] });
      expect(again.result?.structuredContent).toMatchObject({ exitCode: 0, stdout: 'again\n' });
    });
  });
});
