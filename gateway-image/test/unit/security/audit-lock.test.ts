/** The audit directory's single-writer lock: a live holder keeps others out (named), a stale one is taken over. */
import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AUDIT_LOCK_FILE, AuditLockedError, acquireAuditLock } from '../../../src/core/security/audit-lock.js';
import { createAuditLog } from '../../../src/core/security/audit-log.js';

let dir: string;
beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'mcp-audit-lock-')); });
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('acquireAuditLock', () => {
  it('a second gateway is refused while the first holds the lock, and the error names the first', () => {
    const first = acquireAuditLock({ dir, instance: 'gw-a', hostname: 'container-a', pid: 1 });
    const err = (() => { try { acquireAuditLock({ dir, instance: 'gw-b', hostname: 'container-b', pid: 1 }); } catch (e) { return e as Error; } return undefined; })();
    expect(err).toBeInstanceOf(AuditLockedError);
    expect(err!.message).toMatch(/^audit directory is in use by another gateway \(instance gw-a, pid 1 on host container-a, started \S+; heartbeat \d+ s ago\)/);
    expect(err!.message).toMatch(/Give each gateway its own MCP_DOCKER_AUDIT_FILE directory/);
    first.release();
    expect(existsSync(join(dir, AUDIT_LOCK_FILE))).toBe(false);
    acquireAuditLock({ dir, instance: 'gw-b', hostname: 'container-b', pid: 1 }).release();
  });

  it('a lock whose heartbeat is older than staleMs (a killed gateway elsewhere) is taken over', () => {
    acquireAuditLock({ dir, instance: 'killed', hostname: 'container-a', pid: 1 }); // never released: SIGKILL
    const old = new Date(Date.now() - 31_000);
    utimesSync(join(dir, AUDIT_LOCK_FILE), old, old);
    const lock = acquireAuditLock({ dir, instance: 'new', hostname: 'container-b', pid: 1 });
    expect(JSON.parse(readFileSync(join(dir, AUDIT_LOCK_FILE), 'utf8'))).toMatchObject({ instance: 'new', hostname: 'container-b' });
    lock.release();
  });

  it('on the same host, a lock of a pid that is gone, or of our own pid (the container restarted), is stale at once', () => {
    acquireAuditLock({ dir, instance: 'old', hostname: 'h', pid: 4242 });
    acquireAuditLock({ dir, instance: 'new', hostname: 'h', pid: 7, pidAlive: (pid) => pid !== 4242 }).release();
    acquireAuditLock({ dir, instance: 'old', hostname: 'h', pid: 1 });
    acquireAuditLock({ dir, instance: 'restarted', hostname: 'h', pid: 1, pidAlive: () => true }).release();
    // A live pid on the same host still holds it.
    acquireAuditLock({ dir, instance: 'live', hostname: 'h', pid: 50 });
    expect(() => acquireAuditLock({ dir, instance: 'other', hostname: 'h', pid: 51, pidAlive: () => true })).toThrow(AuditLockedError);
  });

  it('the audit log takes the lock before its first record, and close() releases it', async () => {
    const file = join(dir, 'audit.log');
    const a = createAuditLog({ file, fsync: false, lock: (d) => acquireAuditLock({ dir: d, instance: 'a', hostname: 'x', pid: 1 }) });
    const b = createAuditLog({ file, fsync: false, lock: (d) => acquireAuditLock({ dir: d, instance: 'b', hostname: 'y', pid: 1 }) });
    await a.open();
    await expect(b.open()).rejects.toThrow(/in use by another gateway \(instance a, pid 1 on host x/);
    expect(b.healthy()).toBe(false);
    await a.close();
    await b.open();
    expect(b.healthy()).toBe(true);
    await b.close();
  });
});

describe('liveness on this host', () => {
  it('a pid that is one of our own threads (a restarted container) is not a live holder; another live process is', async () => {
    const { Worker } = await import('node:worker_threads');
    // A worker is a thread of this process: its tid answers kill(tid, 0) but is not a process.
    const worker = new Worker('setInterval(() => {}, 1000)', { eval: true });
    await new Promise((r) => worker.once('online', r));
    try {
      const threads = (await import('node:fs')).readdirSync(`/proc/${process.pid}/task`).map(Number).filter((t) => t !== process.pid);
      expect(threads.length).toBeGreaterThan(0);
      const lockDir = mkdtempSync(join(tmpdir(), 'mcp-audit-lock-'));
      try {
        acquireAuditLock({ dir: lockDir, instance: 'old', hostname: 'same', pid: threads[0] });
        acquireAuditLock({ dir: lockDir, instance: 'new', hostname: 'same', pid: 999_999 }).release();
        // The parent of this process is alive and not us: a holder with that pid on this host keeps the lock.
        acquireAuditLock({ dir: lockDir, instance: 'parent', hostname: 'same', pid: process.ppid });
        expect(() => acquireAuditLock({ dir: lockDir, instance: 'other', hostname: 'same', pid: 999_998 })).toThrow(AuditLockedError);
      } finally {
        rmSync(lockDir, { recursive: true, force: true });
      }
    } finally {
      await worker.terminate();
    }
  });
});
