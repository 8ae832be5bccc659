/**
 * Scanner for secret-looking values in free text (tool output, arguments, upstream results).
 * Patterns are anchored on recognisable prefixes to keep false positives low; key=value pairs whose key
 * sounds secret keep the key and lose the value.
 *
 * Every repetition is bounded: the scanner runs over attacker-influenced output (logs, exec stdout), and an
 * unbounded `[...]*` before a keyword is quadratic on inputs like `a.a.a.a...` (measured: 13 s for 100 KB).
 */

/** Replacement marker. */
export const REDACTED = '<redacted>';

/** One pattern: the regex (global) and how to rewrite a match. */
interface SecretPattern {
  readonly kind: string;
  readonly re: RegExp;
  readonly replace: (match: string, ...groups: string[]) => string;
}

const whole = () => REDACTED;

/** Secret kinds recognised, in application order (longest, most specific first). */
const PATTERNS: readonly SecretPattern[] = [
  { kind: 'private-key', re: /-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY( BLOCK)?-----[\s\S]{0,8192}?(-----END [A-Z0-9 ]{0,40}PRIVATE KEY( BLOCK)?-----|$)/g, replace: whole },
  // Cloudflare tunnel token: base64 of {"a":account,"t":tunnel,"s":secret}.
  { kind: 'cloudflare-tunnel-token', re: /\beyJhIjoi[A-Za-z0-9+/_-]{20,4096}={0,2}/g, replace: whole },
  { kind: 'jwt', re: /\beyJ[A-Za-z0-9_-]{5,8192}\.eyJ[A-Za-z0-9_-]{5,16384}\.[A-Za-z0-9_-]{0,8192}/g, replace: whole },
  { kind: 'github-token', re: /\b(gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})\b/g, replace: whole },
  { kind: 'aws-access-key-id', re: /\b(AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b/g, replace: whole },
  { kind: 'slack-token', re: /\bxox[abposr]-[A-Za-z0-9-]{10,}/g, replace: whole },
  { kind: 'stripe-key', re: /\b[rs]k_(live|test)_[A-Za-z0-9]{16,}/g, replace: whole },
  { kind: 'google-api-key', re: /\bAIza[0-9A-Za-z_-]{35}\b/g, replace: whole },
  { kind: 'anthropic-key', re: /\bsk-ant-[A-Za-z0-9_-]{20,}/g, replace: whole },
  { kind: 'openai-key', re: /\bsk-(proj-)?[A-Za-z0-9_-]{20,}/g, replace: whole },
  { kind: 'npm-token', re: /\bnpm_[A-Za-z0-9]{36}\b/g, replace: whole },
  { kind: 'gitlab-token', re: /\bglpat-[A-Za-z0-9_-]{20,}/g, replace: whole },
  { kind: 'bearer', re: /\b(Bearer|Basic)[ \t]{1,10}[A-Za-z0-9\-._~+/]{8,4096}={0,3}/gi, replace: (_m, scheme) => `${scheme} ${REDACTED}` },
  { kind: 'url-credentials', re: /\b([a-z][a-z0-9+.-]{0,30}:\/\/[^\s:/@]{1,256}):[^\s@/]{1,256}@/gi, replace: (_m, pre) => `${pre}:${REDACTED}@` },
  {
    kind: 'secret-assignment',
    re: /\b([A-Za-z0-9_.-]{0,40}?(?:password|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|credential|auth(?!or))[A-Za-z0-9_.-]{0,40})(["']?[ \t]{0,5}[:=][ \t]{0,5}["']?)([^\s"',;&]{4,4096})/gi,
    // A value that is itself a scheme (`Authorization: Bearer <redacted>`) was handled by the bearer pattern.
    replace: (m, key, sep, value) => (value.startsWith('<redacted') || /^(Bearer|Basic)$/i.test(value) ? m : `${key}${sep}${REDACTED}`),
  },
];

/** Result of {@link scanSecrets}. */
export interface ScanResult {
  readonly text: string;
  /** Number of replacements. */
  readonly count: number;
  /** Kinds found (deduplicated). */
  readonly kinds: string[];
}

/** Replaces secret-looking values in text. Pure; the regexes are copied per call so no lastIndex state leaks. */
export function scanSecrets(text: string): ScanResult {
  let out = text;
  let count = 0;
  const kinds = new Set<string>();
  for (const p of PATTERNS) {
    const re = new RegExp(p.re.source, p.re.flags);
    out = out.replace(re, (...args: unknown[]) => {
      const match = args[0] as string;
      const groups = args.slice(1, -2).map((g) => (g === undefined ? '' : String(g)));
      const rep = p.replace(match, ...groups);
      if (rep !== match) {
        count++;
        kinds.add(p.kind);
      }
      return rep;
    });
  }
  return { text: out, count, kinds: [...kinds] };
}

/** True when text holds something secret-looking (for upstream `block_secrets`). */
export function containsSecret(text: string): boolean {
  return scanSecrets(text).count > 0;
}
