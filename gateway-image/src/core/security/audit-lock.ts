/**
 * One writer per audit directory. Two gateways appending to the same hash chain would each continue it from their
 * own tail and break it silently, so the audit log takes a lock file (`.audit.lock`) in its directory first and a
 * second gateway refuses to start, naming the holder.
 *
 * What "alive" means: gateways run in containers, each in its own pid namespace (every one is pid 1) and often with
 * the directory on a shared volume, so a pid says nothing about another container. The holder proves it is alive
 * by a heartbeat instead: it touches the lock file every `heartbeatMs`; a lock whose heartbeat is older than
 * `staleMs` belongs to a gateway that was killed (SIGKILL, OOM, a crashed host) and is taken over. A lock naming
 * this very host (hostname, which is the container id in Docker) and a pid that is ours or no longer exists is
 * stale at once: the same container restarted. A killed gateway's directory is thus usable again `staleMs` after
 * its last heartbeat at the latest (a restart policy retries until then), and immediately after a clean stop,
 * which removes the lock.
 */
import { closeSync, openSync, readFileSync, statSync, unlinkSync, utimesSync, writeSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';

/** Name of the lock file in the audit directory. */
export const AUDIT_LOCK_FILE = '.audit.lock';
/** How often the holder touches its lock. */
export const LOCK_HEARTBEAT_MS = 10_000;
/** A lock whose heartbeat is older than this is stale. */
export const LOCK_STALE_MS = 30_000;

/** What the lock file says about its holder. */
export interface LockHolder {
  readonly instance: string;
  readonly hostname: string;
  readonly pid: number;
  readonly startedAt: string;
}

/** Options of {@link acquireAuditLock}; the process facts are injectable for tests. */
export interface AuditLockOptions {
  readonly dir: string;
  readonly instance: string;
  readonly hostname?: string;
  readonly pid?: number;
  readonly now?: () => number;
  readonly heartbeatMs?: number;
  readonly staleMs?: number;
  /** True when `pid` exists on this host. */
  readonly pidAlive?: (pid: number) => boolean;
}

/** A held lock. */
export interface AuditLock {
  readonly path: string;
  /** Stops the heartbeat and removes the lock (when it is still ours). */
  release(): void;
}

/** The directory is locked by another live gateway. */
export class AuditLockedError extends Error {
  constructor(readonly path: string, readonly holder: LockHolder | undefined, heartbeatAgeMs: number, staleMs: number) {
    super(`audit directory is in use by another gateway (${holder
      ? `instance ${holder.instance}, pid ${holder.pid} on host ${holder.hostname}, started ${holder.startedAt}`
      : 'its lock file could not be read'}; heartbeat ${Math.round(heartbeatAgeMs / 1000)} s ago): two gateways writing one audit directory ` +
      `would break its hash chain. Give each gateway its own MCP_DOCKER_AUDIT_FILE directory; if that gateway is gone, its lock ${path} ` +
      `is taken over once its heartbeat is ${staleMs / 1000} s old`);
    this.name = 'AuditLockedError';
  }
}

/**
 * True when `pid` is a live process other than this one. On Linux a thread id answers kill(tid, 0) too, and in a
 * restarted container the old gateway's pid is often one of the new gateway's own threads: /proc tells them apart
 * (a process's Tgid is its pid).
 */
const defaultPidAlive = (pid: number): boolean => {
  try {
    const tgid = Number(/^Tgid:\s*(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
    return tgid === pid && tgid !== process.pid;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

function readHolder(path: string): LockHolder | undefined {
  try {
    const h = JSON.parse(readFileSync(path, 'utf8')) as LockHolder;
    return typeof h.instance === 'string' ? h : undefined;
  } catch {
    return undefined;
  }
}

/** Takes the audit directory's lock or throws AuditLockedError naming its holder. The directory must exist. */
export function acquireAuditLock(o: AuditLockOptions): AuditLock {
  const path = join(o.dir, AUDIT_LOCK_FILE);
  const now = o.now ?? Date.now;
  const me: LockHolder = { instance: o.instance, hostname: o.hostname ?? osHostname(), pid: o.pid ?? process.pid, startedAt: new Date(now()).toISOString() };
  const staleMs = o.staleMs ?? LOCK_STALE_MS;
  const pidAlive = o.pidAlive ?? defaultPidAlive;

  const create = (): boolean => {
    let fd: number;
    try {
      fd = openSync(path, 'wx', 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw err;
    }
    try {
      writeSync(fd, JSON.stringify(me));
    } finally {
      closeSync(fd);
    }
    return true;
  };

  if (!create()) {
    const holder = readHolder(path);
    let age: number;
    try {
      age = now() - statSync(path).mtimeMs;
    } catch {
      age = 0;
    }
    const sameHost = holder?.hostname === me.hostname;
    const stale = age > staleMs || (sameHost && holder !== undefined && (holder.pid === me.pid || !pidAlive(holder.pid)));
    if (!stale) throw new AuditLockedError(path, holder, age, staleMs);
    try {
      unlinkSync(path);
    } catch { /* another gateway took it over first: create() below then fails */ }
    if (!create()) throw new AuditLockedError(path, readHolder(path), 0, staleMs);
  }

  const beat = setInterval(() => {
    try {
      const t = new Date(now());
      utimesSync(path, t, t);
    } catch { /* the next acquire elsewhere sees an old heartbeat: that is the truth */ }
  }, o.heartbeatMs ?? LOCK_HEARTBEAT_MS);
  beat.unref();
  let released = false;
  return {
    path,
    release() {
      if (released) return;
      released = true;
      clearInterval(beat);
      if (readHolder(path)?.instance === me.instance) {
        try {
          unlinkSync(path);
        } catch { /* already gone */ }
      }
    },
  };
}
