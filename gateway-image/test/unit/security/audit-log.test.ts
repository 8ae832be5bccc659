import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../../src/core/contracts.js';
import { GENESIS_HASH, canonicalJson, createAuditLog, createDisabledAuditLog, datedFileName, recordHash } from '../../../src/core/security/audit-log.js';
import { verifyAuditFiles } from '../../../src/core/security/verify.js';

const DAY = 86_400_000;
const T0 = Date.parse('2026-11-20T12:00:00Z');
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'audit-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const ev = (i: number, extra: Partial<AuditEvent> = {}): AuditEvent => ({
  time: new Date(T0).toISOString(), traceId: `t${i}`, principal: 'alice', authMethod: 'bearer', tool: 'docker_exec', target: 'web-1',
  phase: 'decision', decision: 'allow', ruleId: 'exec.allowlisted', args: { cmd: ['ls', String(i)] }, ...extra,
});
const lines = (f: string) => readFileSync(f, 'utf8').split('\n').filter(Boolean);

function mk(clock = { t: T0 }, extra: { retentionDays?: number; onError?: (e: unknown) => void } = {}) {
  return createAuditLog({ file: join(dir, 'audit.log'), now: () => clock.t, ...extra });
}

describe('audit log: chain', () => {
  it('writes one JSON line per event with seq, prevHash and hash', async () => {
    const log = mk();
    for (let i = 0; i < 3; i++) await log.append(ev(i));
    await log.close();
    const file = join(dir, 'audit-2026-11-20.log');
    const recs = lines(file).map((l) => JSON.parse(l));
    expect(recs.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(recs[0].prevHash).toBe(GENESIS_HASH);
    expect(recs[1].prevHash).toBe(recs[0].hash);
    for (const r of recs) expect(recordHash(r)).toBe(r.hash);
    expect(recs[0]).toMatchObject({ principal: 'alice', tool: 'docker_exec', decision: 'allow', ruleId: 'exec.allowlisted', args: { cmd: ['ls', '0'] } });
    expect(await verifyAuditFiles(dir)).toEqual({ ok: true, records: 3, files: [file] });
  });
  it('canonical JSON sorts keys recursively', () => {
    expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: 3 } })).toBe('{"a":{"c":3,"d":[{"y":2,"z":1}]},"b":1}');
  });
  it('serializes concurrent appends into one contiguous chain', async () => {
    const log = mk();
    await Promise.all(Array.from({ length: 200 }, (_, i) => log.append(ev(i))));
    await log.close();
    const v = await verifyAuditFiles(dir);
    expect(v).toMatchObject({ ok: true, records: 200 });
    expect(log.tail().seq).toBe(200);
  });
  it('continues the chain after a restart', async () => {
    const a = mk();
    await a.append(ev(1));
    await a.close();
    const b = mk();
    await b.append(ev(2));
    await b.close();
    const recs = lines(join(dir, 'audit-2026-11-20.log')).map((l) => JSON.parse(l));
    expect(recs.map((r) => r.seq)).toEqual([1, 2]);
    expect((await verifyAuditFiles(dir)).ok).toBe(true);
  });
  it('a value with newlines and quotes cannot forge a line', async () => {
    const log = mk();
    const forged = `x"}\n{"seq":2,"prevHash":"${GENESIS_HASH}","hash":"00","principal":"admin"}\n`;
    await log.append(ev(1, { reason: forged, args: { cmd: ['echo', forged], [`k\n"`]: forged } }));
    await log.append(ev(2, { reason: '\u2028\u2029\r\0' }));
    await log.close();
    const ls = lines(join(dir, 'audit-2026-11-20.log'));
    expect(ls).toHaveLength(2);
    expect(JSON.parse(ls[0]).reason).toBe(forged);
    expect(await verifyAuditFiles(dir)).toMatchObject({ ok: true, records: 2 });
  });
  it('trims a half-written record left by a crash before appending', async () => {
    const a = mk();
    await a.append(ev(1));
    await a.close();
    appendFileSync(join(dir, 'audit-2026-11-20.log'), '{"seq":2,"partial');
    const b = mk();
    await b.append(ev(2));
    await b.close();
    expect(await verifyAuditFiles(dir)).toMatchObject({ ok: true, records: 2 });
  });
  it('an event JSON cannot hold fails alone; the sink stays healthy', async () => {
    const log = mk();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const results = await Promise.allSettled([log.append(ev(1)), log.append(ev(2, { args: cyclic })), log.append(ev(3, { bytes: 10n as unknown as number }))  , log.append(ev(4))]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    expect(log.healthy()).toBe(true);
    await log.close();
    expect(await verifyAuditFiles(dir)).toMatchObject({ ok: true, records: 2 });
  });
  it('an event cannot set its own seq, prevHash or hash', async () => {
    const log = mk();
    await log.append({ ...ev(1), seq: 99, prevHash: 'x', hash: 'y' } as unknown as AuditEvent);
    await log.close();
    expect(JSON.parse(lines(join(dir, 'audit-2026-11-20.log'))[0])).toMatchObject({ seq: 1, prevHash: GENESIS_HASH });
    expect((await verifyAuditFiles(dir)).ok).toBe(true);
  });
  it('rejects appends after close', async () => {
    const log = mk();
    await log.close();
    await expect(log.append(ev(1))).rejects.toThrow(/closed/);
    expect(log.healthy()).toBe(false);
  });
});

describe('audit log: tampering is reported by verify', () => {
  async function writeFive() {
    const log = mk();
    for (let i = 1; i <= 5; i++) await log.append(ev(i));
    await log.close();
    return join(dir, 'audit-2026-11-20.log');
  }
  it('an altered field names that line', async () => {
    const f = await writeFive();
    const ls = lines(f);
    ls[2] = ls[2].replace('"decision":"allow"', '"decision":"deny"');
    writeFileSync(f, `${ls.join('\n')}\n`);
    expect(await verifyAuditFiles(dir)).toMatchObject({ ok: false, records: 2, firstBroken: { file: f, line: 3, reason: expect.stringMatching(/hash does not match/) } });
  });
  it('an altered record with a recomputed hash breaks the next line', async () => {
    const f = await writeFive();
    const ls = lines(f);
    const r = JSON.parse(ls[1]);
    r.principal = 'mallory';
    r.hash = recordHash(r);
    ls[1] = JSON.stringify(r);
    writeFileSync(f, `${ls.join('\n')}\n`);
    expect((await verifyAuditFiles(f)).firstBroken).toMatchObject({ line: 3, reason: expect.stringMatching(/prevHash/) });
  });
  it('a deleted line names the line after it', async () => {
    const f = await writeFive();
    const ls = lines(f);
    ls.splice(1, 1);
    writeFileSync(f, `${ls.join('\n')}\n`);
    expect((await verifyAuditFiles(dir)).firstBroken).toMatchObject({ file: f, line: 2, reason: expect.stringMatching(/removed, inserted or reordered/) });
  });
  it('reordered lines, a garbage line and a truncated last line', async () => {
    const f = await writeFive();
    const ls = lines(f);
    writeFileSync(f, `${[ls[0], ls[2], ls[1], ls[3], ls[4]].join('\n')}\n`);
    expect((await verifyAuditFiles(dir)).firstBroken?.line).toBe(2);
    writeFileSync(f, `${[ls[0], 'not json', ...ls.slice(1)].join('\n')}\n`);
    expect((await verifyAuditFiles(dir)).firstBroken).toMatchObject({ line: 2, reason: 'not a JSON record' });
    writeFileSync(f, `${ls.join('\n')}\n${ls[4].slice(0, 20)}`);
    expect((await verifyAuditFiles(dir)).firstBroken).toMatchObject({ line: 6, reason: expect.stringMatching(/truncated/) });
  });
  it('a first record replaced by a fresh chain start is caught', async () => {
    const f = await writeFive();
    const ls = lines(f);
    const r = JSON.parse(ls[0]);
    r.prevHash = 'f'.repeat(64);
    r.hash = recordHash(r);
    ls[0] = JSON.stringify(r);
    writeFileSync(f, `${ls.join('\n')}\n`);
    expect((await verifyAuditFiles(dir)).firstBroken).toMatchObject({ line: 1, reason: expect.stringMatching(/genesis/) });
  });
  it('reports a missing directory or no files', async () => {
    expect(await verifyAuditFiles(join(dir, 'nothing-here'))).toMatchObject({ ok: false, firstBroken: { reason: 'no audit files found' } });
  });
  it('accepts the configured base file name', async () => {
    await writeFive();
    expect(await verifyAuditFiles(join(dir, 'audit.log'))).toMatchObject({ ok: true, records: 5 });
  });
});

describe('audit log: rotation and retention', () => {
  it('rotates daily (UTC) and continues the chain across files', async () => {
    const clock = { t: T0 };
    const log = mk(clock);
    await log.append(ev(1));
    await log.append(ev(2));
    clock.t += DAY;
    await log.append(ev(3));
    await log.close();
    const f1 = join(dir, 'audit-2026-11-20.log');
    const f2 = join(dir, 'audit-2026-11-21.log');
    const last1 = JSON.parse(lines(f1)[1]);
    const first2 = JSON.parse(lines(f2)[0]);
    expect(first2.prevHash).toBe(last1.hash);
    expect(first2.seq).toBe(3);
    expect(await verifyAuditFiles(dir)).toEqual({ ok: true, records: 3, files: [f1, f2] });
    expect(datedFileName(join(dir, 'x.jsonl'), '2026-01-02')).toBe(join(dir, 'x-2026-01-02.jsonl'));
  });
  it('rotates with records not yet synced (durable: false, some appended together): nothing lost, chain intact', async () => {
    const clock = { t: T0 };
    const log = createAuditLog({ file: join(dir, 'audit.log'), now: () => clock.t, syncDelayMs: 60_000 });
    await Promise.all([log.append(ev(1), { durable: false }), log.append(ev(2), { durable: false }), log.append(ev(3))]);
    await log.append(ev(4), { durable: false });
    expect(log.unsynced()).toBe(true);
    clock.t += DAY;
    await Promise.all([log.append(ev(5), { durable: false }), log.append(ev(6))]);
    expect(log.unsynced()).toBe(false);
    await log.close();
    expect(lines(join(dir, 'audit-2026-11-20.log'))).toHaveLength(4);
    expect(await verifyAuditFiles(dir)).toMatchObject({ ok: true, records: 6 });
  });
  it('a deleted daily file in the middle is detected', async () => {
    const clock = { t: T0 };
    const log = mk(clock);
    for (let d = 0; d < 3; d++) {
      await log.append(ev(d));
      clock.t += DAY;
    }
    await log.close();
    rmSync(join(dir, 'audit-2026-11-21.log'));
    expect((await verifyAuditFiles(dir)).firstBroken).toMatchObject({ file: join(dir, 'audit-2026-11-22.log'), line: 1 });
  });
  it('deletes files older than the retention period, keeping the chain verifiable', async () => {
    const clock = { t: T0 };
    const log = mk(clock, { retentionDays: 2 });
    writeFileSync(join(dir, 'unrelated.txt'), 'keep me');
    for (let d = 0; d < 5; d++) {
      await log.append(ev(d));
      clock.t += DAY;
    }
    await log.close();
    expect(readdirSync(dir).sort()).toEqual(['audit-2026-11-23.log', 'audit-2026-11-24.log', 'unrelated.txt']);
    expect(await verifyAuditFiles(dir)).toMatchObject({ ok: true, records: 2 });
  });
});

describe('audit log: write failures', () => {
  it('unwritable file: append rejects, healthy false, onError called; recovers when writable', async () => {
    const errors: unknown[] = [];
    const clock = { t: T0 };
    const log = mk(clock, { onError: (e) => errors.push(e) });
    await log.append(ev(1));
    expect(log.healthy()).toBe(true);
    // Tomorrow's file cannot be created: a directory sits at its path (works even as root).
    const blocked = join(dir, 'audit-2026-11-21.log');
    mkdirSync(blocked);
    clock.t += DAY;
    await expect(log.append(ev(2))).rejects.toThrow(/could not be written/);
    expect(log.healthy()).toBe(false);
    expect(errors.length).toBeGreaterThanOrEqual(1);
    await expect(log.append(ev(3))).rejects.toThrow();
    rmSync(blocked, { recursive: true });
    await log.append(ev(4));
    expect(log.healthy()).toBe(true);
    await log.close();
    // The failed records were never written; the chain is intact.
    const v = await verifyAuditFiles(dir);
    expect(v).toMatchObject({ ok: true, records: 2 });
  });
  it('open() creates today\'s file, and reports recovery without a tool call', async () => {
    const clock = { t: T0 };
    const errors: unknown[] = [];
    const log = mk(clock, { onError: (e) => errors.push(e) });
    const p = [log.open(), log.append(ev(1)), log.open()];
    await Promise.all(p);
    expect(log.currentFile()).toBe(join(dir, 'audit-2026-11-20.log'));
    const blocked = join(dir, 'audit-2026-11-21.log');
    mkdirSync(blocked);
    clock.t += DAY;
    await expect(log.open()).rejects.toThrow();
    expect(log.healthy()).toBe(false);
    rmSync(blocked, { recursive: true });
    await log.open();
    expect(log.healthy()).toBe(true);
    await log.close();
    expect(errors).toHaveLength(1);
  });
  it('open() fails fast on an unusable directory', async () => {
    const fileAsDir = join(dir, 'f');
    writeFileSync(fileAsDir, 'x');
    const errors: unknown[] = [];
    const log = createAuditLog({ file: join(fileAsDir, 'audit.log'), onError: (e) => errors.push(e) });
    await expect(log.open()).rejects.toThrow();
    expect(log.healthy()).toBe(false);
    expect(errors).toHaveLength(1);
  });
  it('refuses to continue after a corrupted last record (fail closed until inspected)', async () => {
    writeFileSync(join(dir, 'audit-2026-11-19.log'), 'garbage\n');
    const log = mk();
    await expect(log.append(ev(1))).rejects.toThrow(/not a valid audit record/);
    expect(log.healthy()).toBe(false);
  });
  it('the disabled sink accepts and stays healthy', async () => {
    const s = createDisabledAuditLog();
    await s.append(ev(1));
    expect(s.healthy()).toBe(true);
    await s.close();
  });
});
