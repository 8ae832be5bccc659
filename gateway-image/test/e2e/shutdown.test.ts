/**
 * Stopping the gateway (`docker stop`: SIGTERM through tini) while an exec runs: close() cuts the call's connection,
 * which aborts it, and waits for it to end, so the command is killed in its container and the call's outcome is in
 * the audit log before the log closes. Before, the engine client and the audit log closed under the running call:
 * the command kept running and the outcome record was lost.
 */
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyAuditFiles } from '../../src/core/security/verify.js';
import { docker, runTarget, uniq, waitForProcess, type TestContainer } from './helpers/docker-cli.js';
import { rpcCall, startGateway, type GatewayUnderTest } from './helpers/gateway-container.js';
import { connectClient } from './helpers/mcp-client.js';

/** Every record of the audit files in `dir`, oldest first. */
function readAuditRecords(dir: string): Array<Record<string, unknown>> {
  return readdirSync(dir).filter((n) => /^audit-\d{4}-\d{2}-\d{2}\.log$/.test(n)).sort()
    .flatMap((n) => readFileSync(join(dir, n), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>));
}

describe('shutdown with an exec running (built image, real engine)', () => {
  let dir: string;
  let target: TestContainer;
  let gw: GatewayUnderTest;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mcp-shutdown-audit-'));
    chmodSync(dir, 0o777); // written by the image's user (node)
    target = await runTarget(uniq('shutdown-target'));
    gw = await startGateway({ env: { MCP_DOCKER_AUDIT_FILE: '/audit/audit.log' }, args: ['-v', `${dir}:/audit`] });
  }, 120_000);

  afterAll(async () => {
    await gw?.remove();
    await target?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('kills the commands in their container and records the calls\' outcomes before the audit log closes (/rpc and an MCP session)', async () => {
    const call = rpcCall(gw, 'docker_exec', { id: target.name, cmd: ['sleep', '321'], timeoutMs: 600_000 }).catch((err: Error) => err);
    // An MCP session's call is aborted by the session's close (the SDK aborts its running handlers).
    const client = await connectClient(gw.url);
    const sessionCall = client.callTool({ name: 'docker_exec', arguments: { id: target.name, cmd: ['sleep', '322'], timeoutMs: 600_000 } }, undefined, { timeout: 120_000 })
      .catch((err: Error) => err);
    await waitForProcess(target.name, 'sleep 321');
    await waitForProcess(target.name, 'sleep 322');

    await docker('stop', '-t', '20', gw.id);
    // The gateway ended on SIGTERM, not on docker's SIGKILL after the 20 s.
    expect(await docker('inspect', '-f', '{{.State.ExitCode}}', gw.id)).toBe('0');
    await call; // cut off by the close: an error or an answer, either way settled
    await sessionCall;
    await client.close().catch(() => undefined);
    await waitForProcess(target.name, 'sleep 321', false);
    await waitForProcess(target.name, 'sleep 322', false);

    const records = readAuditRecords(dir).filter((r) => r.tool === 'docker_exec');
    for (const seconds of ['321', '322']) {
      const decision = records.find((r) => r.phase === 'decision' && (r.args as { cmd: string[] }).cmd[1] === seconds);
      expect(decision, `decision record of sleep ${seconds}`).toBeDefined();
      // The outcome says what ended the call: the gateway's shutdown, not just an error with exit code 137.
      expect(records.filter((r) => r.traceId === decision!.traceId).map((r) => [r.phase, r.isError, r.outcome])).toEqual([['decision', undefined, undefined], ['outcome', true, 'shutdown']]);
    }
    const verified = await verifyAuditFiles(dir);
    expect(verified.ok).toBe(true);
  }, 60_000);
});
