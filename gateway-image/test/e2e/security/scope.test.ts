/**
 * Negative suite, container scope: the gateway's own container and the cloudflared connector can never be exec'd,
 * stopped or restarted, nor inspected with their secrets; a role scoped to `mcp.expose=true` cannot touch an
 * unlabelled container; the viewer (default read-only role) cannot exec or stop. Each denial names its rule, is
 * audited with it, and leaves the container untouched (no exec_create event, still running).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runContainer, runTarget, uniq, type TestContainer } from '../helpers/docker-cli.js';
import { E2E_CONFIG, E2E_TOKEN, VIEWER_TOKEN, rpcCall, startGateway, type GatewayUnderTest } from '../helpers/gateway-container.js';
import { eventClock, execsSince, expectDenied, isRunning, lastSeq, waitForAudit, waitForDenial } from './security-helpers.js';

const SCOPED_TOKEN = 'scoped-token-0123456789abcdef';
const CONNECTOR_SECRET = 'tunnel-token-e2e-secret-value-0123456789';

describe('security: scope violations (built image, real engine)', () => {
  let gw: GatewayUnderTest;
  let connector: TestContainer;
  let plain: TestContainer;
  let exposed: TestContainer;

  beforeAll(async () => {
    connector = await runContainer({
      name: uniq('sec-connector'), image: process.env.MCP_TEST_BASE_IMAGE ?? 'mcp-gateway-base:local',
      labels: { 'mcp.gateway.role': 'connector' }, args: ['-e', `TUNNEL_TOKEN=${CONNECTOR_SECRET}`], cmd: ['sleep', '3600'],
    });
    plain = await runTarget(uniq('sec-plain'));
    exposed = await runTarget(uniq('sec-exposed'), { 'mcp.expose': 'true' });
    gw = await startGateway({
      env: { MCP_GATEWAY_AUTH_TOKENS: `e2e=${E2E_TOKEN},viewer=${VIEWER_TOKEN},scoped=${SCOPED_TOKEN}`, MCP_DOCKER_ENABLE_LIFECYCLE: 'true' },
      config: {
        ...E2E_CONFIG,
        policy: {
          roles: {
            admin: { tools: ['*'], allowSecrets: true },
            exposed: { tools: ['docker_*'], containers: { labels: ['mcp.expose=true'] } },
          },
          bindings: [{ tokens: ['e2e'], roles: ['admin'] }, { tokens: ['scoped'], roles: ['exposed'] }],
        },
      },
    });
  });
  afterAll(async () => {
    await gw?.remove();
    await Promise.all([connector?.remove(), plain?.remove(), exposed?.remove()]);
  });

  /** Calls `tool` as `token`, expects the denial with `ruleId`, its audit record, no exec and the container still up. */
  async function expectRefused(token: string, principal: string, tool: string, args: Record<string, unknown>, ruleId: string, container: string) {
    const since = eventClock();
    const seq = await lastSeq(gw);
    expectDenied(await rpcCall(gw, tool, args, token), ruleId);
    const rec = await waitForDenial(gw, tool, ruleId, { principal, afterSeq: seq });
    expect(rec.phase).toBe('decision');
    expect(await execsSince(container, since)).toEqual([]);
    expect(await isRunning(container)).toBe(true);
  }

  it('exec into the gateway\'s own container (recognised by its id) is denied even for admin', async () => {
    await expectRefused(E2E_TOKEN, 'e2e', 'docker_exec', { id: gw.name, cmd: ['cat', '/app/package.json'] }, 'scope.protected-container', gw.id);
  });

  it('stop and restart of the gateway itself are denied; it keeps serving', async () => {
    await expectRefused(E2E_TOKEN, 'e2e', 'docker_stop', { id: gw.id.slice(0, 12) }, 'scope.protected-container', gw.id);
    await expectRefused(E2E_TOKEN, 'e2e', 'docker_restart', { id: gw.name }, 'scope.protected-container', gw.id);
    expect((await gw.fetch('/ready')).status).toBe(200);
  });

  it('exec into the cloudflared connector (label mcp.gateway.role=connector) is denied even for admin', async () => {
    await expectRefused(E2E_TOKEN, 'e2e', 'docker_exec', { id: connector.name, cmd: ['cat', '/etc/hostname'] }, 'scope.protected-container', connector.name);
  });

  it('stop of the connector is denied; it keeps running', async () => {
    await expectRefused(E2E_TOKEN, 'e2e', 'docker_stop', { id: connector.name, timeoutSeconds: 0 }, 'scope.protected-container', connector.name);
  });

  it('inspect of the connector never shows its tunnel token, even to a role allowed secrets', async () => {
    const r = await rpcCall(gw, 'docker_inspect', { kind: 'container', id: connector.name });
    expect(r.result?.isError).toBeFalsy();
    const text = JSON.stringify(r);
    expect(text).not.toContain(CONNECTOR_SECRET);
    expect((r.result?.structuredContent as { Config: { Env: string[] } }).Config.Env.some((e) => e.startsWith('TUNNEL_TOKEN='))).toBe(true);
    // The same role does see secrets of an ordinary container: the protection is specific, not a global switch.
    const own = await rpcCall(gw, 'docker_inspect', { kind: 'container', id: plain.name });
    expect((own.result?.structuredContent as { Config: { Env: string[] } }).Config.Env.some((e) => e.startsWith('PATH=/'))).toBe(true);
    const rec = await waitForAudit(gw, (a) => a.tool === 'docker_inspect' && a.target === connector.name && a.phase === 'outcome');
    expect(JSON.stringify(rec)).not.toContain(CONNECTOR_SECRET);
  });

  it('inspect of the gateway itself never shows its tokens, even to a role allowed secrets', async () => {
    const r = await rpcCall(gw, 'docker_inspect', { kind: 'container', id: gw.name });
    expect(r.result?.isError).toBeFalsy();
    const env: string[] = (r.result?.structuredContent as { Config: { Env: string[] } }).Config.Env;
    expect(env.some((e) => e.startsWith('MCP_GATEWAY_AUTH_TOKENS='))).toBe(true);
    const text = JSON.stringify(r);
    for (const secret of [E2E_TOKEN, VIEWER_TOKEN, SCOPED_TOKEN]) expect(text).not.toContain(secret);
  });

  it('a role scoped to mcp.expose=true cannot exec into an unlabelled container', async () => {
    await expectRefused(SCOPED_TOKEN, 'scoped', 'docker_exec', { id: plain.name, cmd: ['echo', 'hi'] }, 'scope.out-of-scope', plain.name);
  });

  it('a role scoped to mcp.expose=true cannot stop, read logs of or inspect an unlabelled container', async () => {
    await expectRefused(SCOPED_TOKEN, 'scoped', 'docker_stop', { id: plain.name, timeoutSeconds: 0 }, 'scope.out-of-scope', plain.name);
    await expectRefused(SCOPED_TOKEN, 'scoped', 'docker_logs', { id: plain.name, tail: 1 }, 'scope.out-of-scope', plain.name);
    await expectRefused(SCOPED_TOKEN, 'scoped', 'docker_inspect', { kind: 'container', id: plain.id }, 'scope.out-of-scope', plain.name);
  });

  it('control: the scoped role can exec into the labelled container', async () => {
    const since = eventClock();
    const r = await rpcCall(gw, 'docker_exec', { id: exposed.name, cmd: ['echo', 'in-scope'] }, SCOPED_TOKEN);
    expect(r.result?.structuredContent).toMatchObject({ exitCode: 0, stdout: 'in-scope\n' });
    expect(await execsSince(exposed.name, since)).toEqual(['exec_create: echo in-scope']);
  });

  it('the viewer (default read-only role) cannot exec, stop or restart; it can still list', async () => {
    await expectRefused(VIEWER_TOKEN, 'viewer', 'docker_exec', { id: exposed.name, cmd: ['echo', 'hi'] }, 'policy.tool-not-allowed', exposed.name);
    await expectRefused(VIEWER_TOKEN, 'viewer', 'docker_stop', { id: exposed.name, timeoutSeconds: 0 }, 'policy.tool-not-allowed', exposed.name);
    await expectRefused(VIEWER_TOKEN, 'viewer', 'docker_restart', { id: exposed.name }, 'policy.tool-not-allowed', exposed.name);
    const ps = await rpcCall(gw, 'docker_ps', { name: exposed.name }, VIEWER_TOKEN);
    expect(ps.result?.structuredContent?.count).toBe(1);
  });

  it('an unknown container is denied before any Docker action (no probing by name)', async () => {
    const seq = await lastSeq(gw);
    expectDenied(await rpcCall(gw, 'docker_exec', { id: 'no-such-container-sec', cmd: ['echo'] }), 'scope.unknown-container');
    await waitForDenial(gw, 'docker_exec', 'scope.unknown-container', { afterSeq: seq });
  });
});
