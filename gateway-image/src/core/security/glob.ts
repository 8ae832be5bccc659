/**
 * Glob matching for tool names, container names and exec argv elements: `*` is any run of characters,
 * `?` one character, everything else literal. Anchored at both ends.
 *
 * Matched with the classic two-pointer algorithm (backtrack only to the last `*`), O(pattern x value) in the
 * worst case: values are caller-controlled argv elements, and a regex with several `.*` is polynomial on them.
 */

/** A compiled glob. */
export type GlobMatch = (value: string) => boolean;

/** Compiles one glob. */
export function compileGlob(glob: string): GlobMatch {
  const p = [...glob];
  if (!hasWildcard(glob)) return (v) => v === glob;
  return (value) => {
    const v = [...value];
    let pi = 0;
    let vi = 0;
    let star = -1;
    let mark = 0;
    while (vi < v.length) {
      if (pi < p.length && (p[pi] === '?' || (p[pi] !== '*' && p[pi] === v[vi]))) {
        pi++;
        vi++;
      } else if (pi < p.length && p[pi] === '*') {
        star = pi++;
        mark = vi;
      } else if (star >= 0) {
        pi = star + 1;
        vi = ++mark;
      } else return false;
    }
    while (pi < p.length && p[pi] === '*') pi++;
    return pi === p.length;
  };
}

/** True when `glob` contains a wildcard. */
export function hasWildcard(glob: string): boolean {
  return glob.includes('*') || glob.includes('?');
}

/** Builds a matcher for several globs (any may match). */
export function globMatcher(globs: readonly string[]): GlobMatch {
  const ms = globs.map(compileGlob);
  return (value) => ms.some((m) => m(value));
}
