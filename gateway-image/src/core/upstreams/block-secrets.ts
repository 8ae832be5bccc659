/**
 * block_secrets: secret-looking values in tool arguments (before they reach the upstream) and in results
 * (before they reach the client) are replaced with `[REDACTED:<kind>]`, and the number of replacements is
 * reported so the audit log can record it.
 *
 * The patterns are a minimal local set: the security core's scanner (src/core/security/secret-patterns.ts)
 * did not exist when this was written. Swap {@link DEFAULT_SECRET_PATTERNS} for it once it does; the walker
 * below only needs `{ kind, pattern }` pairs with global regexes.
 */

/** One kind of secret and how to recognize it in text. */
export interface SecretPattern {
  readonly kind: string;
  /** Must have the `g` flag. */
  readonly pattern: RegExp;
}

/** Well-known token shapes; high precision over recall, since false positives break tool results. */
export const DEFAULT_SECRET_PATTERNS: readonly SecretPattern[] = [
  { kind: 'private-key', pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g },
  { kind: 'aws-access-key', pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g },
  { kind: 'github-token', pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{22,255})\b/g },
  { kind: 'slack-token', pattern: /\bxox[abposr]-[A-Za-z0-9-]{10,}\b/g },
  { kind: 'openai-key', pattern: /\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}\b/g },
  { kind: 'google-api-key', pattern: /\bAIza[0-9A-Za-z_-]{35}\b/g },
  { kind: 'stripe-key', pattern: /\b[rs]k_(?:live|test)_[0-9A-Za-z]{16,}\b/g },
  { kind: 'jwt', pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b/g },
  { kind: 'bearer-token', pattern: /\b(Bearer\s+)[A-Za-z0-9._~+/-]{20,}=*/g },
  { kind: 'password-assignment', pattern: /\b((?:password|passwd|secret|api[_-]?key|token)\s*[=:]\s*)["']?[^\s"',;]{8,}/gi },
];

/** Redacted value and how many replacements were made. */
export interface Redacted<T> {
  readonly value: T;
  readonly redactions: number;
}

/** Redacts secrets in a string. Prefix groups (e.g. `Bearer `, `password=`) are kept for readability. */
export function redactText(text: string, patterns: readonly SecretPattern[] = DEFAULT_SECRET_PATTERNS): Redacted<string> {
  let count = 0;
  let out = text;
  for (const { kind, pattern } of patterns) {
    out = out.replace(pattern, (...m: unknown[]) => {
      count++;
      const prefix = typeof m[1] === 'string' ? m[1] : '';
      return `${prefix}[REDACTED:${kind}]`;
    });
  }
  return { value: out, redactions: count };
}

/**
 * Redacts secrets in every string of a JSON-like value (object keys are left alone). Returns a copy; the input
 * is not modified. Depth is capped so hostile nesting cannot blow the stack.
 */
export function redactDeep<T>(value: T, patterns: readonly SecretPattern[] = DEFAULT_SECRET_PATTERNS): Redacted<T> {
  let total = 0;
  const walk = (v: unknown, depth: number): unknown => {
    if (typeof v === 'string') {
      const r = redactText(v, patterns);
      total += r.redactions;
      return r.value;
    }
    if (depth > 64 || v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map((x) => walk(x, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      // Binary payloads (images, blobs) are base64, not text: scanning them only produces false positives.
      out[k] = k === 'data' || k === 'blob' ? x : walk(x, depth + 1);
    }
    return out;
  };
  const result = walk(value, 0) as T;
  return { value: result, redactions: total };
}
