/**
 * block_secrets: secret-looking values in tool arguments (before they reach the upstream) and in results
 * (before they reach the client) are replaced by the security core's scanner
 * (../security/secret-patterns.ts), and the number of replacements is reported so the audit log can record it.
 */
import { scanSecrets } from '../security/secret-patterns.js';

/** Redacted value and how many replacements were made. */
export interface Redacted<T> {
  readonly value: T;
  readonly redactions: number;
}

/** Redacts secrets in a string. */
export function redactText(text: string): Redacted<string> {
  const r = scanSecrets(text);
  return { value: r.text, redactions: r.count };
}

/**
 * Redacts secrets in every string of a JSON-like value (object keys are left alone). Returns a copy; the input
 * is not modified. Depth is capped so hostile nesting cannot blow the stack.
 */
export function redactDeep<T>(value: T): Redacted<T> {
  let total = 0;
  const walk = (v: unknown, depth: number): unknown => {
    if (typeof v === 'string') {
      const r = redactText(v);
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
