/**
 * Bearer token verification. Tokens are kept only as sha256 digests and compared with
 * crypto.timingSafeEqual over the fixed-length digests, against every configured token, so
 * neither the length nor the content of a presented token changes the time taken.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

/** A configured token: a principal name and either the token or its sha256 hex digest. */
export interface TokenEntry {
  readonly name: string;
  readonly token?: string;
  readonly sha256?: string;
}

/** Verifies presented bearer tokens. */
export interface TokenAuthenticator {
  /** Number of configured tokens. */
  readonly size: number;
  /** The principal name for a valid token, or undefined. */
  verify(presented: string): string | undefined;
}

/** sha256 of a UTF-8 string, as bytes. */
export function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** Builds a verifier; clear tokens are hashed here and not retained. */
export function createTokenAuthenticator(entries: readonly TokenEntry[]): TokenAuthenticator {
  const digests = entries.map((e) => ({
    name: e.name,
    digest: e.sha256 !== undefined ? Buffer.from(e.sha256, 'hex') : sha256(e.token ?? ''),
  }));
  for (const d of digests) if (d.digest.length !== 32) throw new Error(`token "${d.name}": sha256 must be 64 hex characters`);
  return {
    size: digests.length,
    verify(presented) {
      const p = sha256(presented);
      let found: string | undefined;
      // No early exit: every digest is compared so timing does not reveal which entry matched.
      for (const d of digests) {
        if (timingSafeEqual(p, d.digest) && found === undefined) found = d.name;
      }
      return found;
    },
  };
}
