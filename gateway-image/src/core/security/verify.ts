/**
 * Verifies audit files: every line parses, its hash matches its content, its prevHash is the previous record's
 * hash (across daily files), and seq increases by one. Reports the first broken record by file and line.
 *
 * The first record found is trusted as the anchor (retention deletes older files), unless its seq is 1, in which
 * case its prevHash must be the genesis hash. Removing the newest records is only detectable against an outside
 * copy of the last hash (AuditLog.tail()), which operators can record elsewhere.
 */
import { promises as fsp } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { GENESIS_HASH, datedFilePattern, recordHash } from './audit-log.js';

/** Outcome of {@link verifyAuditFiles}. */
export interface VerifyResult {
  readonly ok: boolean;
  /** Records checked before the first break (all of them when ok). */
  readonly records: number;
  /** Files checked, oldest first. */
  readonly files: string[];
  readonly firstBroken?: { readonly file: string; readonly line: number; readonly reason: string };
}

const DATED = /-\d{4}-\d{2}-\d{2}(\.[^./]*)?$/;

async function listFiles(pathOrDir: string): Promise<string[]> {
  const st = await fsp.stat(pathOrDir).catch(() => undefined);
  if (st?.isDirectory()) {
    return (await fsp.readdir(pathOrDir)).filter((n) => DATED.test(n)).sort().map((n) => join(pathOrDir, n));
  }
  if (st?.isFile() && DATED.test(basename(pathOrDir))) return [pathOrDir];
  // A base name such as /var/log/mcp-gateway/audit.log: its dated siblings, plus itself if it holds records.
  const dir = dirname(pathOrDir);
  const re = datedFilePattern(pathOrDir);
  const names = (await fsp.readdir(dir).catch(() => [] as string[])).filter((n) => re.test(n)).sort();
  const files = names.map((n) => join(dir, n));
  return st?.isFile() ? [pathOrDir, ...files] : files;
}

/** Verifies a directory of daily files, a base file name (its dated siblings) or one file. */
export async function verifyAuditFiles(pathOrDir: string): Promise<VerifyResult> {
  const files = await listFiles(pathOrDir);
  if (files.length === 0) {
    return { ok: false, records: 0, files, firstBroken: { file: pathOrDir, line: 0, reason: 'no audit files found' } };
  }
  let records = 0;
  let prev: { hash: string; seq: number } | undefined;
  for (const file of files) {
    const text = await fsp.readFile(file, 'utf8');
    if (text === '') continue;
    const lines = text.split('\n');
    const complete = text.endsWith('\n');
    if (complete) lines.pop();
    for (let i = 0; i < lines.length; i++) {
      const broken = (reason: string): VerifyResult => ({ ok: false, records, files, firstBroken: { file, line: i + 1, reason } });
      if (!complete && i === lines.length - 1) return broken('truncated record (no final newline)');
      let rec: Record<string, unknown>;
      try {
        rec = JSON.parse(lines[i]) as Record<string, unknown>;
      } catch {
        return broken('not a JSON record');
      }
      if (rec === null || typeof rec !== 'object' || Array.isArray(rec)) return broken('not a JSON object');
      if (typeof rec.hash !== 'string' || typeof rec.prevHash !== 'string' || typeof rec.seq !== 'number') {
        return broken('missing seq, prevHash or hash');
      }
      if (recordHash(rec) !== rec.hash) return broken('hash does not match the record (record altered)');
      if (prev) {
        if (rec.prevHash !== prev.hash) return broken('prevHash does not match the previous record (a record was removed, inserted or reordered)');
        if (rec.seq !== prev.seq + 1) return broken(`seq ${rec.seq} follows ${prev.seq}`);
      } else if (rec.seq === 1 && rec.prevHash !== GENESIS_HASH) {
        return broken('first record does not start from the genesis hash');
      }
      prev = { hash: rec.hash, seq: rec.seq };
      records++;
    }
  }
  return { ok: true, records, files };
}
