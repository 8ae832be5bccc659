/** How the audit log makes a batch durable: the file descriptor's open flags, read from /proc (Linux only). */
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
  it('writes through an O_DSYNC append descriptor by default (each batch write returns once on disk)', async () => {
    const log = createAuditLog({ file: join(dir, 'audit.log') });
    await log.open();
    const flags = openFlagsUnder(dir);
    expect(flags).toHaveLength(1);
    expect(flags[0] & constants.O_DSYNC).toBe(constants.O_DSYNC);
    expect(flags[0] & constants.O_APPEND).toBe(constants.O_APPEND);
    await log.close();
  });

  it('with fsync off, a plain append descriptor', async () => {
    const log = createAuditLog({ file: join(dir, 'audit.log'), fsync: false });
    await log.open();
    const flags = openFlagsUnder(dir);
    expect(flags).toHaveLength(1);
    expect(flags[0] & constants.O_DSYNC).toBe(0);
    expect(flags[0] & constants.O_APPEND).toBe(constants.O_APPEND);
    await log.close();
  });
});
