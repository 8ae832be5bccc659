/**
 * Exec command patterns as users of mcp-docker-exec write them: that tool takes regular expressions (`^ls`,
 * `^git status`), this gateway takes argv-prefix globs (`ls`, `git status`, `cat /app/*`). A pattern is never
 * silently taken in a sense its author did not mean (a regex read as a literal glob matches nothing, and an
 * allowlist of them denies everything): a leading `^` is understood where dropping it keeps the meaning or narrows
 * it safely (allowlist mode), and any other regex syntax is refused with the glob to write instead.
 */

/** Regex syntax with no meaning in a glob pattern (`*` and `?` are glob wildcards and stay). */
const REGEX_SYNTAX = /[\\|()[\]{}+$^]|\.\*|\.\+|\.\?/;

/** What became of one configured pattern: the glob to use, or why it is refused and what to write. */
export type CommandPatternReading = { readonly pattern: string } | { readonly problem: string };

/**
 * Reads one pattern for the given mode. In allowlist mode `^ls` becomes `ls` (a regex `^ls` also allows `lsblk`; the
 * glob allows `ls` only, which is narrower and so safe). In denylist mode the same narrowing would let `rmdir` through
 * a `^rm` denial, so anchors are refused there with both readings offered.
 */
export function readCommandPattern(raw: string, mode: 'allowlist' | 'denylist' | 'none'): CommandPatternReading {
  const anchored = raw.trimStart().startsWith('^');
  const rest = anchored ? raw.trimStart().slice(1) : raw;
  const stillRegex = REGEX_SYNTAX.test(rest);
  if (!anchored && !stillRegex) return { pattern: raw };
  const suggestion = globFor(rest);
  if (stillRegex) {
    return {
      problem: `"${raw}" is regular-expression syntax; command patterns are argv-prefix globs (whitespace-separated words, * and ? as wildcards)` +
        `${suggestion ? `: write e.g. "${suggestion}"` : ''}`,
    };
  }
  if (mode === 'denylist') {
    return { problem: `"${raw}": a regex anchor (^) in denylist mode is ambiguous; write "${rest.trim()}" to deny exactly that command, or "${rest.trim().split(/\s+/)[0]}*" to deny every command starting with it` };
  }
  return { pattern: rest.trim() };
}

/** A best-effort glob for a simple regex (`^ls$`, `^git (status|log)` gives `git status`), for the refusal's hint. */
function globFor(regex: string): string | undefined {
  const words = regex.replace(/\$$/, '').replace(/\\s\+|\\s\*|\s+/g, ' ').replace(/\.\*/g, '*').replace(/\.\+/g, '?*').trim();
  const first = words.replace(/\((\w[^|)]*)\|[^)]*\)/g, '$1');
  return /^[\w./*? -]+$/.test(first) ? first : undefined;
}
