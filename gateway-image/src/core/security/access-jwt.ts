/**
 * Cloudflare Access JWT verification at the origin. Anything that reaches the origin port directly skips
 * the Access edge, so the gateway checks the `Cf-Access-Jwt-Assertion` JWT itself:
 * RS256 only, issuer `https://<team domain>`, audience = the application AUD tag, exp/nbf with a small tolerance,
 * keys from `<team domain>/cdn-cgi/access/certs` cached by `kid`.
 *
 * Unknown kids trigger a refetch at most once per cooldown however many arrive (a flood of random kids
 * cannot turn the gateway into a request amplifier against the certs endpoint), and concurrent misses share
 * one in-flight fetch.
 *
 * `jose` is imported when a verifier is created (only when Access is configured), not with this module: a gateway
 * with bearer tokens only never loads it. The first verification waits for that import if it is still running.
 */
import type { JWK, JWTPayload, JWSHeaderParameters } from 'jose';
import type { Principal } from '../contracts.js';

/** Options for {@link createAccessVerifier}. */
export interface AccessVerifierOptions {
  /** Team domain, e.g. `myteam.cloudflareaccess.com`. */
  readonly teamDomain: string;
  /** Accepted AUD tag(s). */
  readonly aud: string | readonly string[];
  /** @default - `https://<teamDomain>/cdn-cgi/access/certs` */
  readonly certsUrl?: string;
  /** @default 30 */
  readonly clockToleranceSeconds?: number;
  /** @default 30 */
  readonly jwksCooldownSeconds?: number;
  /** @default 600 */
  readonly jwksMaxAgeSeconds?: number;
  /** @default 5000 */
  readonly jwksFetchTimeoutMs?: number;
  /** Clock in ms since the epoch. @default Date.now */
  readonly now?: () => number;
  /** HTTP client. @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** Operator-chosen names by service-token client id; the principal of a mapped token is its name. @default {} */
  readonly serviceTokenNames?: Readonly<Record<string, string>>;
  /** Called when a key fetch fails (for logs/metrics); the verification then fails closed or uses cached keys. */
  readonly onFetchError?: (err: unknown) => void;
}

/** Result of verifying one assertion. */
export type AccessVerifyResult =
  | { ok: true; principal: Principal }
  | { ok: false; status: 401 | 403; code: string; reason: string };

/** Verifies Access JWTs. */
export interface AccessVerifier {
  verify(token: string): Promise<AccessVerifyResult>;
  /** Number of key fetches attempted so far (for tests and metrics). */
  fetchCount(): number;
  /**
   * Whether assertions can be verified now, for /ready: ok while a key set is held (fetched again first when it is
   * older than the max age, at most once per cooldown); not ok, with the last fetch error, when none is.
   */
  keyStatus(): Promise<{ ok: boolean; detail: string }>;
}

/** Longest assertion accepted; real Access JWTs are about 1 KB. */
const MAX_JWT_LENGTH = 16 * 1024;
/** Largest certs response read. */
const MAX_CERTS_BYTES = 256 * 1024;

/** Builds a verifier with its own key cache (no module state). */
export function createAccessVerifier(opts: AccessVerifierOptions): AccessVerifier {
  const now = opts.now ?? Date.now;
  const doFetch = opts.fetch ?? globalThis.fetch;
  const issuer = `https://${opts.teamDomain}`;
  const certsUrl = opts.certsUrl ?? `${issuer}/cdn-cgi/access/certs`;
  const audience = typeof opts.aud === 'string' ? [opts.aud] : [...opts.aud];
  const cooldownMs = (opts.jwksCooldownSeconds ?? 30) * 1000;
  const maxAgeMs = (opts.jwksMaxAgeSeconds ?? 600) * 1000;
  const timeoutMs = opts.jwksFetchTimeoutMs ?? 5000;

  let keys = new Map<string, CryptoKey>();
  let fetchedAt = Number.NEGATIVE_INFINITY;
  let lastAttempt = Number.NEGATIVE_INFINITY;
  let inflight: Promise<void> | undefined;
  let fetches = 0;
  let lastError: string | undefined;
  const jose = import('jose');
  // A failed import surfaces in verify() (fail closed); never as an unhandled rejection here.
  jose.catch(() => undefined);

  async function load(): Promise<void> {
    fetches++;
    const res = await doFetch(certsUrl, { signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
    if (!res.ok) throw new Error(`fetching Access keys from ${certsUrl}: HTTP ${res.status}`);
    const text = await res.text();
    if (text.length > MAX_CERTS_BYTES) throw new Error(`fetching Access keys from ${certsUrl}: response over ${MAX_CERTS_BYTES} bytes`);
    const body = JSON.parse(text) as { keys?: unknown };
    if (!Array.isArray(body.keys)) throw new Error(`fetching Access keys from ${certsUrl}: no keys array`);
    const next = new Map<string, CryptoKey>();
    for (const k of body.keys as JWK[]) {
      // Only RSA signing keys for RS256; anything else in the set is ignored, never used with another algorithm.
      if (k?.kty !== 'RSA' || typeof k.kid !== 'string' || (k.alg !== undefined && k.alg !== 'RS256') || k.use === 'enc') continue;
      const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...pub } = k;
      const key = await (await jose).importJWK({ ...pub, alg: 'RS256' }, 'RS256');
      if (!(key instanceof Uint8Array)) next.set(k.kid, key);
    }
    keys = next;
    fetchedAt = now();
    lastError = undefined;
  }

  function refresh(): Promise<void> {
    if (!inflight) {
      lastAttempt = now();
      inflight = load()
        .catch((err: unknown) => {
          lastError = err instanceof Error ? err.message : String(err);
          opts.onFetchError?.(err);
        })
        .finally(() => {
          inflight = undefined;
        });
    }
    return inflight;
  }

  async function getKey(header: JWSHeaderParameters): Promise<CryptoKey> {
    const kid = header.kid;
    if (typeof kid !== 'string' || kid === '' || kid.length > 256) throw new KeyError('ERR_NO_KID', 'token has no usable kid');
    const stale = now() - fetchedAt > maxAgeMs;
    if (keys.has(kid) && !stale) return keys.get(kid)!;
    if (inflight || now() - lastAttempt >= cooldownMs) await refresh();
    const key = keys.get(kid);
    if (!key) throw new KeyError('ERR_UNKNOWN_KID', 'token signed with an unknown key');
    return key;
  }

  return {
    fetchCount: () => fetches,
    async keyStatus() {
      const stale = now() - fetchedAt > maxAgeMs;
      if ((stale || keys.size === 0) && (inflight || now() - lastAttempt >= cooldownMs)) await refresh();
      const age = Math.round((now() - fetchedAt) / 1000);
      if (keys.size > 0) {
        return { ok: true, detail: lastError ? `${keys.size} cached Access keys from ${age} s ago; refreshing failed: ${lastError}` : `${keys.size} Access keys, fetched ${age} s ago` };
      }
      return { ok: false, detail: `no Access signing keys: every request with an Access JWT is refused (${lastError ?? `no usable RS256 key at ${certsUrl}`})` };
    },
    async verify(token) {
      if (token.length > MAX_JWT_LENGTH || token.split('.').length !== 3) {
        return { ok: false, status: 401, code: 'jwt_malformed', reason: 'Access JWT is malformed' };
      }
      let payload: JWTPayload;
      let lib: typeof import('jose') | undefined;
      try {
        lib = await jose;
        ({ payload } = await lib.jwtVerify(token, getKey, {
          algorithms: ['RS256'],
          issuer,
          audience,
          clockTolerance: opts.clockToleranceSeconds ?? 30,
          requiredClaims: ['exp'],
          currentDate: new Date(now()),
        }));
      } catch (err) {
        return { ok: false, status: 401, ...classify(err, lib?.errors) };
      }
      const email = typeof payload.email === 'string' && payload.email !== '' ? payload.email : undefined;
      const commonName = typeof payload.common_name === 'string' && payload.common_name !== '' ? payload.common_name : undefined;
      if (email) return { ok: true, principal: { id: email.toLowerCase(), authMethod: 'cf-access-jwt', email: email.toLowerCase() } };
      if (commonName) {
        const name = opts.serviceTokenNames?.[commonName] ?? commonName;
        return { ok: true, principal: { id: name, authMethod: 'cf-access-jwt', serviceToken: name } };
      }
      return { ok: false, status: 403, code: 'jwt_no_identity', reason: 'Access JWT carries neither email nor common_name' };
    },
  };
}

class KeyError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Maps jose errors to stable codes and caller-safe reasons (never the token). */
function classify(err: unknown, joseErrors: typeof import('jose').errors | undefined): { code: string; reason: string } {
  if (err instanceof KeyError) return { code: err.code === 'ERR_NO_KID' ? 'jwt_no_kid' : 'jwt_unknown_kid', reason: err.message };
  if (!joseErrors) return { code: 'jwt_invalid', reason: 'Access JWT is invalid' };
  if (err instanceof joseErrors.JWTExpired) return { code: 'jwt_expired', reason: 'Access JWT has expired' };
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    const claim = err.claim;
    if (claim === 'aud') return { code: 'jwt_wrong_aud', reason: 'Access JWT audience does not match this application' };
    if (claim === 'iss') return { code: 'jwt_wrong_iss', reason: 'Access JWT issuer does not match the team domain' };
    if (claim === 'nbf') return { code: 'jwt_not_yet_valid', reason: 'Access JWT is not valid yet (nbf)' };
    return { code: 'jwt_claims', reason: `Access JWT claim "${claim}" is invalid` };
  }
  if (err instanceof joseErrors.JOSEAlgNotAllowed) return { code: 'jwt_alg', reason: 'Access JWT algorithm not allowed (RS256 only)' };
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return { code: 'jwt_signature', reason: 'Access JWT signature is invalid' };
  return { code: 'jwt_invalid', reason: 'Access JWT is invalid' };
}
