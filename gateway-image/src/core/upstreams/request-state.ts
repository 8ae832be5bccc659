/**
 * Sealing of the `requestState` the gateway hands a 2026-07-28 client when an upstream answers `input_required`.
 *
 * The gateway keeps no per-round state (any replica may receive the retry), so everything the retry needs travels
 * in the state: which server and tool it is for, the upstream's own `requestState`, who asked (the principal) and
 * until when it is valid. The client echoes it back; the spec says to treat it as attacker-controlled. It is sealed
 * with AES-256-GCM (authenticated encryption: a changed byte fails to open, and the upstream's state, which may hold
 * whatever the upstream chose to put there, is not readable by the client either) under a key every replica shares.
 * The key is derived with HKDF from the configured secret, so the secret itself is never used as a cipher key.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { inspect } from 'node:util';

/** What a sealed state carries. */
export interface RequestStateClaims {
  /** Upstream server name. */
  readonly server: string;
  /** Upstream tool (its own name, not the exposed one). */
  readonly tool: string;
  /** The principal the state was issued to; a retry by anyone else is refused. */
  readonly principal: string;
  /** The upstream's own `requestState`, when it sent one. */
  readonly upstreamState?: string;
  /** A call held open on the replica that sealed this (a 2025 upstream's request; see held-calls.ts). */
  readonly held?: string;
}

/** Why a state was refused. */
export type RequestStateRefusal = 'malformed' | 'tampered' | 'expired' | 'other-principal' | 'other-route';

/** Outcome of {@link RequestStateSealer.open}. */
export type OpenedRequestState = { readonly ok: true; readonly claims: RequestStateClaims } | { readonly ok: false; readonly reason: RequestStateRefusal };

/** A secret that never prints: logs, JSON and util.inspect show `<redacted>`. */
export class SecretValue {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  /** The value itself, for the one place that needs it. */
  reveal(): string {
    return this.#value;
  }
  toJSON(): string {
    return '<redacted>';
  }
  toString(): string {
    return '<redacted>';
  }
  [inspect.custom](): string {
    return '<redacted>';
  }
}

/** The shortest secret accepted (characters): 32 random characters carry enough entropy for a 256-bit key. */
export const MIN_STATE_KEY_LENGTH = 32;
const VERSION = 'g1';
const AAD = Buffer.from('mcp-gateway/request-state/v1');
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Options of {@link RequestStateSealer}. */
export interface RequestStateSealerOptions {
  /** The shared secret; undefined = a random key for this process only (retries must come back to it). */
  readonly secret?: SecretValue;
  /** How long a sealed state stays valid. @default 600000 (10 minutes, the SDK's default round timeout) */
  readonly ttlMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/** Seals and opens request states; holds only the derived key. */
export class RequestStateSealer {
  readonly #key: Buffer;
  private readonly ttlMs: number;
  private readonly now: () => number;
  /** True when no secret was configured and the key is this process's own. */
  readonly ephemeral: boolean;

  constructor(opts: RequestStateSealerOptions = {}) {
    const secret = opts.secret?.reveal();
    if (secret !== undefined && secret.length < MIN_STATE_KEY_LENGTH) {
      throw new Error(`the request-state key is ${secret.length} characters long; it needs at least ${MIN_STATE_KEY_LENGTH} (e.g. openssl rand -base64 48)`);
    }
    this.ephemeral = secret === undefined;
    const ikm = secret === undefined ? randomBytes(32) : Buffer.from(secret, 'utf8');
    this.#key = Buffer.from(hkdfSync('sha256', ikm, Buffer.alloc(0), 'mcp-gateway request-state AES-256-GCM', 32));
    this.ttlMs = opts.ttlMs ?? 600_000;
    this.now = opts.now ?? Date.now;
  }

  /** Seals claims into an opaque string valid for the TTL. */
  seal(claims: RequestStateClaims): string {
    const body = JSON.stringify({ s: claims.server, t: claims.tool, p: claims.principal, u: claims.upstreamState, h: claims.held, e: this.now() + this.ttlMs });
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(AAD);
    const ct = Buffer.concat([cipher.update(body, 'utf8'), cipher.final()]);
    return `${VERSION}.${Buffer.concat([iv, ct, cipher.getAuthTag()]).toString('base64url')}`;
  }

  /**
   * Opens a state a client echoed. `expect.server`/`expect.tool` are where the retry is going (the exposed tool's
   * owner): a state issued for another tool is refused, as is one of another principal or past its TTL.
   */
  open(token: string, expect: { readonly principal: string; readonly server: string; readonly tool: string }): OpenedRequestState {
    if (typeof token !== 'string' || !token.startsWith(`${VERSION}.`)) return { ok: false, reason: 'malformed' };
    const raw = Buffer.from(token.slice(VERSION.length + 1), 'base64url');
    if (raw.length < IV_BYTES + TAG_BYTES + 2) return { ok: false, reason: 'malformed' };
    let body: string;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, raw.subarray(0, IV_BYTES));
      decipher.setAAD(AAD);
      decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
      body = Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      return { ok: false, reason: 'tampered' };
    }
    const c = JSON.parse(body) as { s: string; t: string; p: string; u?: string; h?: string; e: number };
    if (this.now() > c.e) return { ok: false, reason: 'expired' };
    if (c.p !== expect.principal) return { ok: false, reason: 'other-principal' };
    if (c.s !== expect.server || c.t !== expect.tool) return { ok: false, reason: 'other-route' };
    return { ok: true, claims: { server: c.s, tool: c.t, principal: c.p, ...(c.u !== undefined ? { upstreamState: c.u } : {}), ...(c.h !== undefined ? { held: c.h } : {}) } };
  }
}

/** Words for each refusal, for the caller's error and the audit record. */
export const REFUSAL_TEXT: Readonly<Record<RequestStateRefusal, string>> = {
  malformed: 'is not a state this gateway issued',
  tampered: 'failed its integrity check (changed, or sealed with another key: every replica needs the same MCP_GATEWAY_STATE_KEY)',
  expired: 'has expired; call the tool again from the start',
  'other-principal': 'was issued to another principal',
  'other-route': 'was issued for another tool',
};

/**
 * The request-state secret from the environment: `MCP_GATEWAY_STATE_KEY` (the value) or `MCP_GATEWAY_STATE_KEY_FILE`
 * (a file holding it, e.g. a Docker or Kubernetes secret). Problems are pushed to `issues` naming the variable, never
 * the value. Undefined when neither is set.
 */
export function readStateKey(env: Readonly<Record<string, string | undefined>>, readFile: (path: string) => string, issues: string[]): SecretValue | undefined {
  const inline = env.MCP_GATEWAY_STATE_KEY;
  const file = env.MCP_GATEWAY_STATE_KEY_FILE;
  if (inline !== undefined && file !== undefined) {
    issues.push('MCP_GATEWAY_STATE_KEY and MCP_GATEWAY_STATE_KEY_FILE are both set; keep one');
    return undefined;
  }
  let value = inline;
  const name = file !== undefined ? `MCP_GATEWAY_STATE_KEY_FILE (${file})` : 'MCP_GATEWAY_STATE_KEY';
  if (file !== undefined) {
    try {
      value = readFile(file).trim();
    } catch (err) {
      issues.push(`${name}: cannot read the file (${(err as NodeJS.ErrnoException).code ?? 'error'}); fix the path or unset the variable`);
      return undefined;
    }
  }
  if (value === undefined) return undefined;
  if (value.length < MIN_STATE_KEY_LENGTH) {
    issues.push(`${name}: the key is ${value.length} characters long; it needs at least ${MIN_STATE_KEY_LENGTH} (e.g. openssl rand -base64 48), the same on every replica`);
    return undefined;
  }
  return new SecretValue(value);
}
