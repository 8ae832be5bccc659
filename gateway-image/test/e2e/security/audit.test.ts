/**
 * Negative suite, audit log: `verify-audit` (run inside the gateway container, as an operator would) passes on the
 * untouched log and names the first broken line after an edit or a deletion; no argument value can forge a line;
 * a SIGKILL right after an answer loses no record;
 * when the audit directory is full, mutating tools are refused with `audit.unavailable` while read-only ones keep
 * working, /ready says why and /metrics counts the failures; dry run audits exec and runs nothing.
 */
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker, runTarget, uniq, type TestContainer } from '../helpers/docker-cli.js';
import { E2E_CONFIG, VIEWER_TOKEN, rpcCall, startGateway, type GatewayUnderTest } from '../helpers/gateway-container.js';
import { AUDIT_DIR, auditRecords, auditText, eventClock, execsSince, expectDenied, isRunning, waitForAudit } from './security-helpers.js';

/** Runs `docker exec <gw> node dist/main.js verify-audit <path>` and returns its exit code and parsed report. */
function verifyAudit(gw: { id: string }, path: string): Promise<{ code: number; report: { ok: boolean; records: number; firstBroken?: { file: string; line: number; reason: string } } }> {
  return new Promise((resolve, reject) => {
    execFile('docker', ['exec', gw.id, 'node', 'dist/main.js', 'verify-audit', path], { timeout: 60_000 }, (err, stdout) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      try {
        resolve({ code, report: JSON.parse(stdout) });
      } catch {
        reject(new Error(`verify-audit printed no report (exit ${code}): ${stdout} ${err?.message ?? ''}`));
      }
    });
  });
}

/** Rewrites one line (1-based) of the newest audit file inside the container with `edit(line)`. */
async function editAuditLine(gw: { id: string }, dir: string, lineNo: number, edit: string): Promise<string> {
  const script = `const fs=require('fs');const dir=${JSON.stringify(dir)};const f=dir+'/'+fs.readdirSync(dir).filter(n=>/^audit-.*\\.log$/.test(n)).sort().pop();` +
    `const lines=fs.readFileSync(f,'utf8').split('\\n');const i=${lineNo - 1};lines[i]=(${edit})(lines[i]);` +
    `fs.writeFileSync(f,lines.filter(l=>l!==null).join('\\n'));process.stdout.write(f);`;
  return docker('exec', gw.id, 'node', '-e', script);
}

describe('security: audit log (built image, real engine)', () => {
  let target: TestContainer;

  beforeAll(async () => {
    target = await runTarget(uniq('sec-audit-target'));
  });
  afterAll(async () => {
    await target?.remove();
  });

  describe('tamper evidence', () => {
    let gw: GatewayUnderTest;
    beforeAll(async () => {
      gw = await startGateway();
      // A few allowed and denied records to chain.
      await rpcCall(gw, 'docker_exec', { id: target.name, cmd: ['echo', 'one'] });
      await rpcCall(gw, 'docker_exec', { id: target.name, cmd: ['sh', '-c', 'id'] });
      await rpcCall(gw, 'docker_ps', {});
      await waitForAudit(gw, (r) => r.tool === 'docker_ps' && r.phase === 'outcome');
    });
    afterAll(async () => {
      await gw?.remove();
    });

    it('a value carrying newlines and a fake record cannot forge a line', async () => {
      const fake = '\n{"seq":1,"principal":"admin","decision":"allow","ruleId":"forged"}\n';
      expectDenied(await rpcCall(gw, 'docker_exec', { id: target.name, cmd: ['sh', fake] }), 'exec.shell');
      const rec = await waitForAudit(gw, (r) => r.tool === 'docker_exec' && Array.isArray(r.args?.cmd) && (r.args!.cmd as string[])[1] === fake);
      expect(rec.principal).toBe('e2e');
      const text = await auditText(gw);
      expect(text.split('\n').filter(Boolean).length).toBe((await auditRecords(gw)).length);
      expect((await auditRecords(gw)).filter((r) => r.principal === 'admin')).toEqual([]);
    });

    it('verify-audit on the untouched log exits 0 and counts every record', async () => {
      const n = (await auditRecords(gw)).length;
      const { code, report } = await verifyAudit(gw, AUDIT_DIR);
      expect(code).toBe(0);
      expect(report.ok).toBe(true);
      expect(report.records).toBeGreaterThanOrEqual(n);
    });

    it('deleting a record (in a copy) is reported at the line that follows the gap', async () => {
      await docker('exec', gw.id, 'sh', '-c', `rm -rf /tmp/audit-copy && cp -r ${AUDIT_DIR} /tmp/audit-copy`);
      await editAuditLine(gw, '/tmp/audit-copy', 2, '() => null');
      const { code, report } = await verifyAudit(gw, '/tmp/audit-copy');
      expect(code).toBe(1);
      expect(report.firstBroken).toMatchObject({ line: 2, reason: expect.stringMatching(/prevHash does not match/) });
    });

    it('editing one field of a record in the live log makes verify-audit exit 1 naming that line', async () => {
      const file = await editAuditLine(gw, AUDIT_DIR, 2, '(l) => l.replace(/"principal":"e2e"/, \'"principal":"someone-else"\')');
      const { code, report } = await verifyAudit(gw, AUDIT_DIR);
      expect(code).toBe(1);
      expect(report.ok).toBe(false);
      expect(report.records).toBe(1);
      expect(report.firstBroken).toEqual({ file, line: 2, reason: 'hash does not match the record (record altered)' });
    });
  });

  describe('a gateway killed with SIGKILL right after it answers', () => {
    it('loses no record (every record is in the file before the answer) and its chain verifies after a restart', async () => {
      const gw = await startGateway();
      try {
        await rpcCall(gw, 'docker_ps', {});
        await rpcCall(gw, 'docker_exec', { id: target.name, cmd: ['echo', 'before-kill'] });
        await rpcCall(gw, 'docker_exec', { id: target.name, cmd: ['sh', '-c', 'id'] });
        await docker('kill', '-s', 'KILL', gw.id);
        await docker('start', gw.id);
        const records = await auditRecords(gw);
        const calls = records.map((r) => `${r.tool}:${r.phase}:${r.decision}`);
        expect(calls).toEqual(['docker_ps:decision:allow', 'docker_ps:outcome:allow', 'docker_exec:decision:allow', 'docker_exec:outcome:allow', 'docker_exec:decision:deny']);
        const { code, report } = await verifyAudit(gw, AUDIT_DIR);
        expect(code).toBe(0);
        expect(report.records).toBe(records.length);
      } finally {
        await gw.remove();
      }
    });
  });

  describe('audit directory full (tmpfs filled after start)', () => {
    let gw: GatewayUnderTest;
    beforeAll(async () => {
      gw = await startGateway({ args: ['--tmpfs', `${AUDIT_DIR}:rw,size=256k,uid=1000,gid=1000,mode=0700`] });
      expect((await gw.fetch('/ready')).status).toBe(200);
      // Fill the audit filesystem as the gateway's own user; dd stops with ENOSPC (non-zero), which is the point.
      await docker('exec', gw.id, 'sh', '-c', `dd if=/dev/zero of=${AUDIT_DIR}/filler bs=4096 2>/dev/null; true`);
    });
    afterAll(async () => {
      await gw?.remove();
    });

    it('a mutating tool (exec) is refused with audit.unavailable and nothing runs', async () => {
      const since = eventClock();
      const r = await rpcCall(gw, 'docker_exec', { id: target.name, cmd: ['echo', 'unaudited'] });
      expectDenied(r, 'audit.unavailable');
      expect(await execsSince(target.name, since)).toEqual([]);
      // Once unhealthy, the refusal comes before any write attempt.
      expectDenied(await rpcCall(gw, 'docker_exec', { id: target.name, cmd: ['echo', 'again'] }), 'audit.unavailable');
      expect(await execsSince(target.name, since)).toEqual([]);
    });

    it('read-only tools keep working for every principal', async () => {
      const ps = await rpcCall(gw, 'docker_ps', { name: target.name }, VIEWER_TOKEN);
      expect(ps.result?.structuredContent?.count).toBe(1);
      const logs = await rpcCall(gw, 'docker_logs', { id: target.name, tail: 1 });
      expect(logs.result?.isError).toBeFalsy();
    });

    it('/ready is 503 naming the audit log; /metrics counts the failures', async () => {
      const ready = await gw.fetch('/ready');
      expect(ready.status).toBe(503);
      expect((await ready.json()).checks.audit).toEqual({ ok: false, detail: 'audit log cannot be written: mutating tools are refused' });
      const metrics = await (await gw.fetch('/metrics')).text();
      const failures = Number(/^mcp_audit_failures_total (\d+)/m.exec(metrics)?.[1] ?? 0);
      expect(failures).toBeGreaterThan(0);
      expect(metrics).toMatch(/mcp_policy_denials_total\{rule="audit\.unavailable"\} [1-9]/);
      expect(await gw.logs()).toMatch(/audit record could not be written/);
    });

    it('once space is back, /ready recovers and exec is audited again', async () => {
      await docker('exec', gw.id, 'rm', '-f', `${AUDIT_DIR}/filler`);
      const deadline = Date.now() + 10_000;
      while ((await gw.fetch('/ready')).status !== 200) {
        if (Date.now() > deadline) throw new Error('/ready did not recover within 10 s');
        await new Promise((r) => setTimeout(r, 200));
      }
      const r = await rpcCall(gw, 'docker_exec', { id: target.name, cmd: ['echo', 'audited'] });
      expect(r.result?.structuredContent).toMatchObject({ exitCode: 0 });
      await waitForAudit(gw, (a) => a.tool === 'docker_exec' && a.phase === 'decision' && a.decision === 'allow');
      expect((await verifyAudit(gw, AUDIT_DIR)).code).toBe(0);
    });
  });

  describe('dry run (MCP_DOCKER_DRY_RUN=true)', () => {
    let gw: GatewayUnderTest;
    beforeAll(async () => {
      gw = await startGateway({ env: { MCP_DOCKER_DRY_RUN: 'true', MCP_DOCKER_ENABLE_LIFECYCLE: 'true' }, config: E2E_CONFIG });
    });
    afterAll(async () => {
      await gw?.remove();
    });

    it('exec is decided and audited, says so, and nothing runs in the target', async () => {
      const since = eventClock();
      const r = await rpcCall(gw, 'docker_exec', { id: target.name, cmd: ['echo', 'dry'] });
      expect(r.result?.structuredContent).toMatchObject({ dryRun: true, executed: false, id: target.name, cmd: ['echo', 'dry'] });
      expect(await execsSince(target.name, since)).toEqual([]);
      const decision = await waitForAudit(gw, (a) => a.tool === 'docker_exec' && a.phase === 'decision' && a.decision === 'allow');
      expect(decision).toMatchObject({ dryRun: true, ruleId: 'exec.allowlisted', principal: 'e2e' });
      await waitForAudit(gw, (a) => a.tool === 'docker_exec' && a.phase === 'outcome' && a.dryRun === true);
    });

    it('policy still denies in dry run, with the rule id audited', async () => {
      expectDenied(await rpcCall(gw, 'docker_exec', { id: target.name, cmd: ['sh', '-c', 'id'] }), 'exec.shell');
      await waitForAudit(gw, (a) => a.tool === 'docker_exec' && a.decision === 'deny' && a.ruleId === 'exec.shell');
    });

    it('stop in dry run leaves the container running', async () => {
      const r = await rpcCall(gw, 'docker_stop', { id: target.name, timeoutSeconds: 0 });
      expect(r.result?.structuredContent).toMatchObject({ dryRun: true, executed: false, action: 'stop' });
      expect(await isRunning(target.name)).toBe(true);
    });
  });
});
