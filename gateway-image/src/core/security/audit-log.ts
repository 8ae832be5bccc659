/**
 * Tamper-evident append-only audit log (AuditSink).
 *
 * - One JSON line per event, written with JSON.stringify: newlines and quotes inside values are escaped, so no
 *   field value can end a record or start a forged one.
 * - Every record carries `seq`, `prevHash` and `hash` = sha256 over the canonical JSON (sorted keys) of the
 *   record without `hash`. The chain continues across daily files and restarts (the tail of the newest file is
 *   read on open; only its last bytes, so opening stays cheap).
 * - One writer queue: appends are serialized and batched (group commit), one write per batch, made on the event
 *   loop's thread (writeSync): it copies a few hundred bytes into the page cache, ~3 us, where a write through the
 *   thread pool costs ~55 us of CPU in thread hand-offs (measured here). The trade-off: a disk the kernel throttles
 *   stalls the loop for that write, as synchronous log writes do. Only syncs go through the pool.
 * - A batch holding a durable record (the default; a mutating call's decision) is then synced with fdatasync, which
 *   also makes every earlier record durable, and its appends resolve only after that; concurrent callers share the
 *   sync. Records appended with `durable: false` resolve once written (in the file, so a crash of the gateway loses
 *   nothing) and are synced by the next durable batch or `syncDelayMs` after their write, whichever comes first,
 *   and on close. A sync costs ~0.3 ms of CPU and ~0.4 ms of wall time here: syncing every record was most of the
 *   gateway's CPU per call on the upstream path (bench/RESULTS.md).
 * - On a write failure every append in the batch rejects, healthy() turns false and onError is called; the next
 *   append reopens the file, trims any partial record, and healthy() turns true again once a write succeeds.
 * - Daily files `<stem>-YYYY-MM-DD<ext>` (UTC) with retention; injectable clock.
 */
import { createHash } from 'node:crypto';
import { writeSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import type { AuditEvent, AuditSink } from '../contracts.js';
import { makeDir, openFile, readDir, removeFile, type AuditFile } from './audit-file.js';

/** prevHash of the very first record. */
export const GENESIS_HASH = '0'.repeat(64);

/** A record as written. */
export type AuditRecord = AuditEvent & { readonly seq: number; readonly prevHash: string; readonly hash: string };

/** Options for {@link createAuditLog}. */
export interface AuditLogOptions {
  /** Base file name; records go to `<stem>-YYYY-MM-DD<ext>` in the same directory. */
  readonly file: string;
  /** Days a daily file is kept. @default 30 */
  readonly retentionDays?: number;
  /** Sync durable records before their appends resolve, and the others within `syncDelayMs`. false: never sync. @default true */
  readonly fsync?: boolean;
  /** Longest time a record appended with `durable: false` stays written but not synced. @default 1000 */
  readonly syncDelayMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
  /** Called on every write or retention failure (wire it to the audit-failures counter). */
  readonly onError?: (err: unknown) => void;
  /**
   * Takes the directory's single-writer lock (audit-lock.ts) before the chain is first loaded; the lock is released
   * by close(). Without it, nothing keeps a second writer out (tests of the log itself).
   */
  readonly lock?: (dir: string) => { release(): void };
}

/** The audit sink plus introspection for /ready, metrics and tests. */
export interface AuditLog extends AuditSink {
  /**
   * Opens (or creates) today's file and loads the chain tail; rejects (and turns unhealthy) if that fails.
   * Call at startup to fail fast, and from /ready while unhealthy to notice recovery without a tool call.
   */
  open(): Promise<void>;
  /** Path of the file being written, once open. */
  currentFile(): string | undefined;
  /** Hash and seq of the last record written. */
  tail(): { seq: number; hash: string };
  /** Whether records are written but not yet synced (always false with `fsync: false`, which never syncs). */
  unsynced(): boolean;
}

/** JSON with object keys sorted recursively; what the hash is computed over. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v as object).sort()) out[k] = sortKeys((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

/** sha256 hex of the canonical JSON of a record without its `hash` field. */
export function recordHash(record: Record<string, unknown>): string {
  const { hash: _hash, ...rest } = record;
  return createHash('sha256').update(canonicalJson(rest)).digest('hex');
}

/** `<stem>-YYYY-MM-DD<ext>` next to the base file. */
export function datedFileName(file: string, date: string): string {
  const ext = extname(file) || '.log';
  return join(dirname(file), `${basename(file, extname(file))}-${date}${ext}`);
}

/** Matches dated files of a base file name; group 1 is the date. */
export function datedFilePattern(file: string): RegExp {
  const ext = extname(file) || '.log';
  const stem = basename(file, extname(file));
  const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${esc(stem)}-(\\d{4}-\\d{2}-\\d{2})${esc(ext)}$`);
}

const utcDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/**
 * Reads the end of a file: the byte length up to its last newline (`goodSize`), and the seq/hash of the last
 * complete record (`last`; 'invalid' when that line is not a record, undefined when there is none).
 */
async function readTail(path: string): Promise<{ goodSize: number; last?: { seq: number; hash: string } | 'invalid' }> {
  const fh = await openFile(path, 'r');
  try {
    const size = await fh.size();
    let chunk = 64 * 1024;
    for (;;) {
      const start = Math.max(0, size - chunk);
      const buf = Buffer.alloc(size - start);
      await fh.read(buf, start);
      const lastNl = buf.lastIndexOf(0x0a);
      const prevNl = lastNl > 0 ? buf.lastIndexOf(0x0a, lastNl - 1) : -1;
      if ((lastNl < 0 || prevNl < 0) && start > 0) {
        chunk *= 4;
        continue;
      }
      if (lastNl < 0) return { goodSize: 0 };
      const goodSize = start + lastNl + 1;
      try {
        const rec = JSON.parse(buf.subarray(prevNl + 1, lastNl).toString('utf8')) as { seq?: unknown; hash?: unknown };
        if (typeof rec.seq !== 'number' || typeof rec.hash !== 'string') return { goodSize, last: 'invalid' };
        return { goodSize, last: { seq: rec.seq, hash: rec.hash } };
      } catch {
        return { goodSize, last: 'invalid' };
      }
    }
  } finally {
    await fh.close();
  }
}

/** Size of the recovery probe: about one batch of records, so "writable again" means a record would fit. */
const PROBE_BYTES = Buffer.alloc(4096, 0x20);

/** Builds the audit log. Nothing is opened until the first append or {@link AuditLog.open}. */
export function createAuditLog(opts: AuditLogOptions): AuditLog {
  const now = opts.now ?? Date.now;
  const retentionDays = opts.retentionDays ?? 30;
  const doSync = opts.fsync ?? true;
  const syncDelayMs = opts.syncDelayMs ?? 1000;
  const dir = dirname(opts.file);
  const pattern = datedFilePattern(opts.file);

  let fh: AuditFile | undefined;
  let held: { release(): void } | undefined;
  let fileDate: string | undefined;
  let filePath: string | undefined;
  let goodSize = 0;
  let seq = 0;
  let prevHash = GENESIS_HASH;
  let chainLoaded = false;
  let ok = true;
  let closed = false;
  // Writes so far and how many of them a finished sync covers (a sync covers the writes made before it started);
  // the timer that syncs when no durable record comes first.
  let writes = 0;
  let syncedWrites = 0;
  const unsynced = () => doSync && writes !== syncedWrites;
  let syncTimer: ReturnType<typeof setTimeout> | undefined;
  // Durable appends waiting for a sync that starts after their write; the sync loop in flight.
  const syncWaiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  let syncing: Promise<void> | undefined;
  // Appends that arrived while the file was not open for today (first open, daily rotation, recovery after a
  // failure), written in order once it is; an entry without body only opens the file (open()).
  const queue: Array<{ body?: Record<string, unknown>; durable: boolean; resolve: () => void; reject: (e: unknown) => void }> = [];
  let draining: Promise<void> | undefined;

  async function applyRetention(today: string): Promise<void> {
    const cutoff = utcDate(Date.parse(`${today}T00:00:00Z`) - retentionDays * 86_400_000);
    for (const name of await readDir(dir)) {
      const m = pattern.exec(name);
      if (m && m[1] <= cutoff) await removeFile(join(dir, name));
    }
  }

  async function loadChain(): Promise<void> {
    const dated = (await readDir(dir)).filter((n) => pattern.test(n)).sort();
    for (let i = dated.length - 1; i >= 0; i--) {
      const { last } = await readTail(join(dir, dated[i]));
      if (last === 'invalid') {
        // Continuing would hide the damage behind a fresh chain; verify-audit shows what happened.
        throw new Error(`last record of ${dated[i]} is not a valid audit record; run verify-audit and move the damaged file aside`);
      }
      if (last) {
        seq = last.seq;
        prevHash = last.hash;
        break;
      }
    }
    chainLoaded = true;
  }

  async function ensureOpen(): Promise<void> {
    const today = utcDate(now());
    if (fh && fileDate === today) return;
    if (fh) {
      // Daily rotation: what yesterday's file holds unsynced is synced before it is left (while it is still the
      // open file, so a sync already waiting on it finds it; no record is written meanwhile: the queue is draining).
      const old = fh;
      const upTo = writes;
      if (unsynced()) await old.datasync();
      fh = undefined;
      syncedWrites = upTo;
      await old.close().catch(() => undefined);
    }
    await makeDir(dir);
    // Before the chain's tail is read: another writer would continue the same chain from its own tail.
    if (!held && opts.lock) held = opts.lock(dir);
    if (!chainLoaded) await loadChain();
    const path = datedFileName(opts.file, today);
    const handle = await openFile(path, 'a', 0o600);
    try {
      // Trim a record left half-written by a failed write or a crash: it was never acknowledged.
      const size = await handle.size();
      const keep = size > 0 ? (await readTail(path)).goodSize : 0;
      if (keep < size) await handle.truncate(keep);
      goodSize = keep;
    } catch (err) {
      await handle.close().catch(() => undefined);
      throw err;
    }
    if (fileDate !== today) {
      await applyRetention(today).catch((err) => opts.onError?.(err));
    }
    fh = handle;
    fileDate = today;
    filePath = path;
  }

  /** Writes, syncs and removes a scratch file next to the log: proves the directory takes writes, adds no record. */
  async function probeWritable(): Promise<void> {
    const probe = join(dir, `.${basename(opts.file)}.probe`);
    const h = await openFile(probe, 'w', 0o600);
    try {
      await h.write(PROBE_BYTES, 0);
      if (doSync) await h.datasync();
    } finally {
      await h.close().catch(() => undefined);
      await removeFile(probe).catch(() => undefined);
    }
  }

  /** Writes records to the open file, synchronously, in order; throws on failure (nothing is counted then). */
  function writeRecords(bodies: ReadonlyArray<Record<string, unknown>>): void {
    let s = seq;
    let prev = prevHash;
    const lines: string[] = [];
    for (const body of bodies) {
      const rec: Record<string, unknown> = { ...body, seq: s + 1, prevHash: prev };
      rec.hash = recordHash(rec);
      lines.push(JSON.stringify(rec));
      s += 1;
      prev = rec.hash as string;
    }
    const buf = Buffer.from(`${lines.join('\n')}\n`, 'utf8');
    // A short write (a disk filling up) leaves a partial line; the error that follows reopens the file and trims it.
    for (let off = 0; off < buf.length;) off += writeSync(fh!.fd, buf, off, buf.length - off);
    goodSize += buf.length;
    seq = s;
    prevHash = prev;
    writes += 1;
  }

  /** After a failure: unhealthy, reported, and the handle dropped so the next append reopens (and trims). */
  function failed(err: unknown): Error {
    ok = false;
    opts.onError?.(err);
    const h = fh;
    fh = undefined;
    fileDate = undefined;
    void h?.close().catch(() => undefined);
    return new Error(`audit log ${filePath ?? opts.file} could not be written: ${err instanceof Error ? err.message : String(err)}`);
  }

  /** What an append waits for once its record is written: a sync when durable, else nothing (the timer syncs). */
  function afterWrite(durable: boolean): Promise<void> {
    if (doSync && durable) return requestSync();
    if (unsynced()) scheduleSync();
    return Promise.resolve();
  }

  /** Resolves after a sync that started after this call (group commit: every waiter then shares the next sync). */
  function requestSync(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      syncWaiters.push({ resolve, reject });
      if (!syncing) startSyncs();
    });
  }

  function startSyncs(): void {
    syncing = runSyncs().finally(() => {
      syncing = undefined;
      // A waiter may have come between the loop's last check and here.
      if (syncWaiters.length > 0) startSyncs();
    });
  }

  async function runSyncs(): Promise<void> {
    while (syncWaiters.length > 0) {
      const waiters = syncWaiters.splice(0, syncWaiters.length);
      const before = writes;
      clearTimeout(syncTimer);
      syncTimer = undefined;
      try {
        if (!fh) throw new Error('the file is not open');
        await fh.datasync();
        // Records written while the sync ran are not covered by it.
        syncedWrites = before;
        if (unsynced()) scheduleSync();
        for (const w of waiters) w.resolve();
      } catch (err) {
        const e = failed(err);
        for (const w of waiters) w.reject(e);
      }
    }
  }

  function scheduleSync(): void {
    syncTimer ??= setTimeout(() => {
      syncTimer = undefined;
      if (!closed && unsynced() && fh) requestSync().catch(() => undefined);
    }, syncDelayMs);
    // Never what keeps the process alive: close() syncs what is left.
    syncTimer.unref?.();
  }

  async function drain(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.splice(0, queue.length);
      const bodies = batch.flatMap((b) => (b.body ? [b.body] : []));
      try {
        await ensureOpen();
        // An open-only batch: while unhealthy, opening is not proof (a full disk still opens files); probe a write.
        if (bodies.length > 0) writeRecords(bodies);
        else if (!ok) await probeWritable();
        ok = true;
      } catch (err) {
        const e = failed(err);
        for (const b of batch) b.reject(e);
        continue;
      }
      for (const b of batch) afterWrite(b.body ? b.durable : false).then(b.resolve, b.reject);
    }
  }

  function kick(): Promise<void> {
    if (!draining) {
      draining = drain().finally(() => {
        draining = undefined;
        // An append may have queued between the loop's last check and here.
        if (queue.length > 0) void kick();
      });
    }
    return draining;
  }

  return {
    healthy: () => ok && !closed,
    currentFile: () => filePath,
    tail: () => ({ seq, hash: prevHash }),
    unsynced,
    append(event, options) {
      if (closed) return Promise.reject(new Error('audit log is closed'));
      let body: Record<string, unknown>;
      try {
        // Serialize now, per event: a value JSON cannot hold (a cycle, a BigInt) fails this call alone, not the
        // batch or the sink's health. The round trip makes the hash cover exactly what a reader will parse.
        body = JSON.parse(JSON.stringify(event)) as Record<string, unknown>;
        delete body.seq;
        delete body.prevHash;
        delete body.hash;
      } catch (err) {
        return Promise.reject(new Error(`audit event cannot be serialized: ${err instanceof Error ? err.message : String(err)}`));
      }
      const durable = options?.durable ?? true;
      // The common case: the file is open for today and nothing queued is ahead, so the record is written now.
      if (fh && !draining && queue.length === 0 && fileDate === utcDate(now())) {
        try {
          writeRecords([body]);
        } catch (err) {
          return Promise.reject(failed(err));
        }
        return afterWrite(durable);
      }
      return new Promise<void>((resolve, reject) => {
        queue.push({ body, durable, resolve, reject });
        void kick();
      });
    },
    open() {
      if (closed) return Promise.reject(new Error('audit log is closed'));
      return new Promise<void>((resolve, reject) => {
        queue.push({ durable: false, resolve, reject });
        void kick();
      });
    },
    async close() {
      closed = true;
      clearTimeout(syncTimer);
      syncTimer = undefined;
      while (draining || syncing) await (draining ?? syncing);
      const h = fh;
      fh = undefined;
      try {
        const upTo = writes;
        if (h && unsynced()) await h.datasync();
        syncedWrites = upTo;
      } finally {
        held?.release();
        held = undefined;
        await h?.close();
      }
    },
  };
}

/** A sink for MCP_DOCKER_AUDIT=false: accepts and drops events, always healthy. */
export function createDisabledAuditLog(): AuditSink {
  return { append: async () => undefined, healthy: () => true, close: async () => undefined };
}
