import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

/** Entries never part of a build context hash, whatever .dockerignore says. */
const ALWAYS_IGNORED = new Set(['node_modules', '.git']);

/** Top-level names excluded by `<dir>/.dockerignore` (plain names and `name/` lines; other patterns are ignored). */
function dockerignoreNames(dir: string): Set<string> {
  const file = path.join(dir, '.dockerignore');
  if (!existsSync(file)) return new Set();
  const names = readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .map((line) => line.trim().replace(/^\.?\//, '').replace(/\/+$/, ''))
    .filter((line) => line !== '' && !line.startsWith('#') && !line.startsWith('!') && !/[*?[\]/]/.test(line));
  return new Set(names);
}

/**
 * SHA-256 over the relative paths and contents of every file in a build context, in a stable order.
 * The Docker provider does not notice a changed context by itself; this hash goes into the image's
 * `triggers` so Terraform rebuilds exactly when a file changes.
 */
export function hashDirectory(dir: string): string {
  const hash = createHash('sha256');
  const ignored = new Set([...ALWAYS_IGNORED, ...dockerignoreNames(dir)]);
  const walk = (current: string, top: boolean): void => {
    const entries = readdirSync(current, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (ALWAYS_IGNORED.has(entry.name) || (top && ignored.has(entry.name))) continue;
      const full = path.join(current, entry.name);
      const relative = path.relative(dir, full).split(path.sep).join('/');
      if (entry.isDirectory()) {
        walk(full, false);
      } else if (entry.isFile()) {
        hash.update(`${relative}\0`);
        hash.update(readFileSync(full));
        hash.update('\0');
      }
    }
  };
  walk(dir, true);
  return hash.digest('hex');
}
