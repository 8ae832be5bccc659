/**
 * Negative suite, credential passthrough: the bearer token a client presents is never written to the audit log or
 * the gateway's logs (even at debug level, even when refused), never reaches the environment of an exec in a
 * target, and never shows in what Docker records about the target or its exec instances.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker, runTarget, uniq, type TestContainer } from '../helpers/docker-cli.js';
import { E2E_CONFIG, E2E_TOKEN, VIEWER_TOKEN, rpcCall, startGateway, type GatewayUnderTest } from '../helpers/gateway-container.js';
import { auditText, containerLogs, waitForAudit } from './security-helpers.js';

const WRONG_TOKEN = 'wrong-token-looks-valid-0123456789abcdef';

describe('security: tokens are never passed through (built image, real engine)', () => {
  let gw: GatewayUnderTest;
  let target: TestContainer;

  beforeAll(async () => {
    target = await runTarget(uniq('sec-pass-target'));
    gw = await startGateway({
      // /proc is readable here (not the default) so the test can read the exec's own environment.
      config: { ...E2E_CONFIG, exec: { ...E2E_CONFIG.exec, deniedPaths: ['/sys', '/dev'] } },
    });
    // Traffic of every kind: allowed exec, denied exec, read-only calls, a refused token, an MCP session.
    await rpcCall(gw, 'docker_exec', { id: target.name, cmd: ['echo', 'hello'] });
    await rpcCall(gw, 'docker_exec', { id: target.name, cmd: ['sh', '-c', 'id'] });
    await rpcCall(gw, 'docker_inspect', { kind: 'container', id: target.name }, VIEWER_TOKEN);
    await rpcCall(gw, 'docker_logs', { id: target.name, tail: 1 });
    expect((await gw.fetch('/rpc', { method: 'POST', token: WRONG_TOKEN, body: '{"jsonrpc":"2.0","id":1,"method":"ping"}' })).status).toBe(401);
    await waitForAudit(gw, (r) => r.tool === 'docker_logs' && r.phase === 'outcome');
  });
  afterAll(async () => {
    await gw?.remove();
    await target?.remove();
  });

  it('the exec environment in the target holds no gateway credential or setting', async () => {
    const r = await rpcCall(gw, 'docker_exec', { id: target.name, cmd: ['cat', '/proc/self/environ'] });
    const vars = String(r.result?.structuredContent?.stdout).split('\0').filter(Boolean);
    const names = vars.map((v) => v.slice(0, v.indexOf('=')));
    // The target's own variables, HOME of the exec user, and the gateway's exec marker (used to kill it on cancel).
    const own = (JSON.parse(await docker('inspect', '-f', '{{json .Config.Env}}', target.id)) as string[]).map((v) => v.slice(0, v.indexOf('=')));
    expect(names.sort()).toEqual([...own, 'HOME', 'HOSTNAME', 'MCP_GATEWAY_EXEC_ID'].sort());
    const out = vars.join('\n');
    for (const secret of [E2E_TOKEN, VIEWER_TOKEN, 'AUTHORIZATION', 'Bearer', 'TOKEN']) expect(out, out).not.toContain(secret);
  });

  it('the audit log records principals, never tokens', async () => {
    const audit = await auditText(gw);
    expect(audit).toMatch(/"principal":"e2e"/);
    expect(audit).toMatch(/"principal":"viewer"/);
    for (const secret of [E2E_TOKEN, VIEWER_TOKEN, WRONG_TOKEN]) expect(audit).not.toContain(secret);
  });

  it('the gateway logs (debug level) show no token, not even the refused one', async () => {
    const logs = await containerLogs(gw.id);
    expect(logs).toMatch(/"logging":\{"level":"debug"/);
    expect(logs).toMatch(/request refused by authentication/);
    for (const secret of [E2E_TOKEN, VIEWER_TOKEN, WRONG_TOKEN]) expect(logs).not.toContain(secret);
  });

  it('nothing Docker records about the target or its execs carries a token', async () => {
    const inspect = await docker('inspect', target.id);
    const events = await docker('events', '--since', '10m', '--until', String(Math.ceil(Date.now() / 1000)), '--filter', `container=${target.name}`, '--format', '{{json .}}');
    expect(events).toMatch(/exec_create: echo hello/);
    for (const secret of [E2E_TOKEN, VIEWER_TOKEN]) {
      expect(inspect).not.toContain(secret);
      expect(events).not.toContain(secret);
    }
  });
});
