/**
 * Glob matching for tool names, container names and exec argv elements: `*` is any run of characters,
 * `?` one character, everything else literal. Anchored at both ends.
 */

/** Compiles a glob to an anchored RegExp. */
export function globToRegExp(glob: string): RegExp {
  let src = '';
  for (const ch of glob) {
    if (ch === '*') src += '[\\s\\S]*';
    else if (ch === '?') src += '[\\s\\S]';
    else src += ch.replace(/[.+^${}()|[\]\\/-]/g, '\\$&');
  }
  return new RegExp(`^${src}$`);
}

/** True when `glob` contains a wildcard. */
export function hasWildcard(glob: string): boolean {
  return glob.includes('*') || glob.includes('?');
}

/** Builds a matcher for several globs (any may match). */
export function globMatcher(globs: readonly string[]): (value: string) => boolean {
  const res = globs.map(globToRegExp);
  return (value) => res.some((re) => re.test(value));
}
