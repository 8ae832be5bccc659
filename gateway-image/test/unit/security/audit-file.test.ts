import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeDir } from '../../../src/core/security/audit-file.js';

describe('makeDir', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'mcp-makedir-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates missing parents, and is a no-op for a directory that exists', async () => {
    const deep = join(dir, 'a', 'b', 'c');
    await makeDir(deep);
    expect(statSync(deep).isDirectory()).toBe(true);
    await makeDir(deep);
    await makeDir(dir);
  });

  it('refuses a path whose parent is a file (ENOTDIR) or that is a file (EEXIST)', async () => {
    writeFileSync(join(dir, 'f'), 'x');
    await expect(makeDir(join(dir, 'f', 'sub'))).rejects.toMatchObject({ code: 'ENOTDIR' });
    await expect(makeDir(join(dir, 'f'))).rejects.toMatchObject({ code: 'EEXIST' });
  });

  it('fails under /proc, where mkdir answers ENOENT with the parent present (Node\'s recursive mkdir spins there)', async () => {
    // With Node's recursive mkdir this never settles (the test's timeout would fail it).
    await expect(makeDir(`/proc/mcp-gateway-audit-${process.pid}/x`)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});
