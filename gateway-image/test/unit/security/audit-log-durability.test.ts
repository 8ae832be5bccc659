/**
 * How the audit log makes records durable: a plain append descriptor (open flags read from /proc, Linux only), an
 * fdatasync before a durable append resolves, and for records appended with `durable: false` a sync within the delay.
 */
import { constants, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuditLog } from '../../../src/core/security/audit-log.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'audit-durability-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Open flags (octal in /proc/self/fdinfo) of this process's descriptors on files under `under`. */
function openFlagsUnder(under: string): number[] {
  const flags: number[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue;
    }
    if (!target.startsWith(under)) continue;
    const m = /^flags:\s+([0-7]+)/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
    if (m) flags.push(Number.parseInt(m[1], 8));
  }
  return flags;
}

describe.runIf(process.platform === 'linux')('audit log durability', () => {
  const event = (n: number) => ({ time: new Date().toISOString(), traceId: `t${n}`, principal: 'p', authMethod: 'bearer' as const, tool: 'docker_ps', phase: 'decision' as const, decision: 'allow' as const, ruleId: 'r' });

  it('writes through a plain append descriptor (no O_DSYNC: syncs are explicit, so records that need none skip them)', async () => {
    const log = createAuditLog({ file: join(dir, 'audit.log') });
    await log.open();
    const flags = openFlagsUnder(dir);
    expect(flags).toHaveLength(1);
    expect(flags[0] & constants.O_DSYNC).toBe(0);
    expect(flags[0] & constants.O_APPEND).toBe(constants.O_APPEND);
    await log.close();
  });

  it('a durable append (the default) resolves synced', async () => {
    const log = createAuditLog({ file: join(dir, 'audit.log'), syncDelayMs: 60_000 });
    await log.append(event(1));
    expect(log.unsynced()).toBe(false);
    await log.close();
  });

  it('durable: false resolves with the record in the file, unsynced, and the sync follows within syncDelayMs', async () => {
    const log = createAuditLog({ file: join(dir, 'audit.log'), syncDelayMs: 50 });
    await log.append(event(1), { durable: false });
    expect(readFileSync(log.currentFile()!, 'utf8')).toContain('"traceId":"t1"');
    expect(log.unsynced()).toBe(true);
    const deadline = Date.now() + 5000;
    while (log.unsynced() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(log.unsynced()).toBe(false);
    await log.close();
  });

  it('a durable append syncs the records written before it; close() syncs what is left', async () => {
    const log = createAuditLog({ file: join(dir, 'audit.log'), syncDelayMs: 60_000 });
    await log.append(event(1), { durable: false });
    await log.append(event(2), { durable: false });
    expect(log.unsynced()).toBe(true);
    await log.append(event(3));
    expect(log.unsynced()).toBe(false);
    await log.append(event(4), { durable: false });
    expect(log.unsynced()).toBe(true);
    await log.close();
    expect(log.unsynced()).toBe(false);
    expect(readFileSync(log.currentFile()!, 'utf8').trim().split('\n')).toHaveLength(4);
  });

  it('a record that need not be durable does not wait for a sync in flight', async () => {
    const log = createAuditLog({ file: join(dir, 'audit.log'), syncDelayMs: 60_000 });
    await log.open();
    let durableDone = false;
    const durable = log.append(event(1)).then(() => { durableDone = true; });
    await log.append(event(2), { durable: false });
    expect(durableDone).toBe(false);
    expect(readFileSync(log.currentFile()!, 'utf8').trim().split('\n')).toHaveLength(2);
    await durable;
    await log.close();
  });

  it('with fsync off, a plain append descriptor and never a sync', async () => {
    const log = createAuditLog({ file: join(dir, 'audit.log'), fsync: false });
    await log.open();
    const flags = openFlagsUnder(dir);
    expect(flags).toHaveLength(1);
    expect(flags[0] & constants.O_DSYNC).toBe(0);
    expect(flags[0] & constants.O_APPEND).toBe(constants.O_APPEND);
    await log.append(event(1), { durable: false });
    await log.append(event(2));
    expect(log.unsynced()).toBe(false);
    await log.close();
  });
});
