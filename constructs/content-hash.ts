import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';

/** Directories never part of a build context hash, at any depth, whatever .dockerignore says. */
const ALWAYS_IGNORED = new Set(['node_modules', '.git']);

interface IgnoreRule {
  readonly regex: RegExp;
  readonly negate: boolean;
}

/** Translates one .dockerignore pattern (anchored at the context root; `*`, `?`, `**`) into a regex. */
function patternToRegex(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*' && pattern[i + 1] === '*') {
      source += '.*';
      i++;
      if (pattern[i + 1] === '/') i++;
    } else if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else source += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/** The rules of `<dir>/.dockerignore`, in file order (the last matching rule wins, as in Docker). */
export function readDockerignore(dir: string): IgnoreRule[] {
  const file = path.join(dir, '.dockerignore');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const negate = line.startsWith('!');
      const pattern = path.posix.normalize((negate ? line.slice(1) : line).trim()).replace(/^\/+|\/+$/g, '');
      return { regex: patternToRegex(pattern), negate };
    });
}

/** True when `.dockerignore` rules exclude a relative path (a path is excluded with its parent directory). */
export function isIgnored(relative: string, rules: readonly IgnoreRule[]): boolean {
  const parts = relative.split('/');
  let ignored = false;
  for (let depth = 1; depth <= parts.length; depth++) {
    const prefix = parts.slice(0, depth).join('/');
    for (const rule of rules) if (rule.regex.test(prefix)) ignored = !rule.negate;
    if (ignored && depth < parts.length) return true;
  }
  return ignored;
}

/**
 * SHA-256 over the relative paths and contents of every file Docker would send as the build context (honouring
 * `.dockerignore`), in a stable order. The Docker provider does not notice a changed context by itself; this hash
 * goes into the image's `triggers` so Terraform rebuilds exactly when a file that matters changes.
 */
export function hashDirectory(dir: string): string {
  const hash = createHash('sha256');
  const rules = readDockerignore(dir);
  const walk = (current: string): void => {
    const entries = readdirSync(current, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (ALWAYS_IGNORED.has(entry.name)) continue;
      const full = path.join(current, entry.name);
      const relative = path.relative(dir, full).split(path.sep).join('/');
      if (isIgnored(relative, rules)) continue;
      if (entry.isDirectory()) {
        walk(full);
      } else if (entry.isFile()) {
        hash.update(`${relative}\0`);
        hash.update(readFileSync(full));
        hash.update('\0');
      }
    }
  };
  walk(dir);
  return hash.digest('hex');
}
