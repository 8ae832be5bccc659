/**
 * `npm ci && npm run synth` works on macOS and Linux arm64, not only Linux x64: no dependency installs a foreign
 * platform's binary, and nothing in node_modules/.bin shadows the user's own `node` in `npm run` / `npx`.
 * Node 22 for the base image and the interop clients comes from scripts/node22.sh, outside node_modules.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from './helpers';

const run = promisify(execFile);
interface LockEntry { os?: string[]; cpu?: string[]; bin?: Record<string, string>; optional?: boolean; dev?: boolean }
const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;

/** Whether an npm `os`/`cpu` list admits a value (entries may be negated with `!`). */
function admits(list: string[] | undefined, value: string): boolean {
  if (!list || list.length === 0) return true;
  if (list.some((v) => v === `!${value}`)) return false;
  const positive = list.filter((v) => !v.startsWith('!'));
  return positive.length === 0 || positive.includes(value);
}

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** The packages `npm ci` would install for a platform (a dry run on a copy of package.json and the lockfile). */
async function wouldInstall(os: string, cpu: string): Promise<Array<{ name: string; version: string }>> {
  const dir = mkdtempSync(path.join(tmpdir(), 'mcp-platform-'));
  dirs.push(dir);
  copyFileSync(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
  copyFileSync(path.join(ROOT, 'package-lock.json'), path.join(dir, 'package-lock.json'));
  const { stdout } = await run('npm', ['ci', '--dry-run', `--os=${os}`, `--cpu=${cpu}`, '--ignore-scripts', '--no-audit', '--no-fund', '--offline'], { cwd: dir, timeout: 120_000, maxBuffer: 16 << 20 });
  return [...stdout.matchAll(/^add (\S+) (\S+)$/gm)].map((m) => ({ name: m[1], version: m[2] }));
}

describe('no foreign node on any platform', () => {
  it('package.json does not depend on a Node binary package', () => {
    for (const field of ['dependencies', 'devDependencies', 'optionalDependencies']) {
      expect(Object.keys(pkg[field] ?? {}).filter((n) => /^node-(linux|darwin|win)/.test(n) || n === 'node'), field).toEqual([]);
    }
  });

  it('no locked package provides a `node`, `npm` or `npx` bin', () => {
    const shadowing = Object.entries(lock.packages).filter(([, e]) => Object.keys(e.bin ?? {}).some((b) => ['node', 'npm', 'npx'].includes(b)));
    expect(shadowing.map(([p]) => p)).toEqual([]);
  });

  it('every platform-specific locked package is optional (npm skips it elsewhere instead of failing with EBADPLATFORM)', () => {
    const strict = Object.entries(lock.packages).filter(([p, e]) => p !== '' && (e.os || e.cpu) && !e.optional);
    expect(strict.map(([p]) => p)).toEqual([]);
  });

  it.each([['darwin', 'arm64'], ['darwin', 'x64'], ['linux', 'arm64']])('npm ci on %s/%s installs only packages built for it', async (os, cpu) => {
    const added = await wouldInstall(os, cpu);
    expect(added.length).toBeGreaterThan(100);
    const foreign = added.filter(({ name }) => {
      const entry = lock.packages[`node_modules/${name}`];
      return entry && !(admits(entry.os, os) && admits(entry.cpu, cpu));
    });
    expect(foreign).toEqual([]);
    // The platform's own optional binaries are picked, so the dry run really resolves for the target.
    if (os === 'darwin') expect(added.map((a) => a.name)).toContain('fsevents');
  }, 150_000);

  it('node_modules/.bin has no node, and `npm exec` (the PATH of npm scripts) runs the user\'s node', async () => {
    expect(existsSync(path.join(ROOT, 'node_modules', '.bin', 'node'))).toBe(false);
    const { stdout } = await run('npm', ['exec', '--offline', '--', 'node', '-p', 'process.execPath'], { cwd: ROOT, timeout: 60_000 });
    expect(realpathSync(stdout.trim())).toBe(realpathSync(process.execPath));
  });
});

describe('Node 22 comes from scripts/node22.sh, outside node_modules', () => {
  it('no script or test reaches into node_modules for a Node binary', () => {
    for (const file of ['scripts/build-base-image.sh', 'gateway-image/test/e2e/interop/client-process.ts']) {
      const text = readFileSync(path.join(ROOT, file), 'utf8');
      expect(text, file).not.toContain('node_modules/node-linux');
      expect(text, file).toContain('scripts/node22.sh');
    }
  });
  it('the cache is git-ignored', () => {
    expect(readFileSync(path.join(ROOT, '.gitignore'), 'utf8')).toMatch(/^\.cache\/$/m);
  });
});
