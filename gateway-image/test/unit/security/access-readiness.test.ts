/** /ready's Access check: the JWKS endpoint being unreachable with no usable cached key set shows, with the reason. */
import { describe, expect, it } from 'vitest';
import { createAccessVerifier } from '../../../src/core/security/access-jwt.js';
import { AUD, makeKey, NOW, TEAM } from './jwks-server.js';

describe('AccessVerifier.keyStatus', () => {
  it('not ready with the fetch error while no key set was ever fetched; ready once one is; stale keys stay usable when refreshing fails', async () => {
    const key = await makeKey('kid-1');
    const clock = { t: NOW };
    let down = true;
    let fetches = 0;
    const fakeFetch = (async () => {
      fetches += 1;
      if (down) throw new Error('getaddrinfo ENOTFOUND team.cloudflareaccess.com');
      return new Response(JSON.stringify({ keys: [key.publicJwk] }));
    }) as typeof fetch;
    const v = createAccessVerifier({ teamDomain: TEAM, aud: AUD, fetch: fakeFetch, now: () => clock.t, jwksMaxAgeSeconds: 60, jwksCooldownSeconds: 30 });

    expect(await v.keyStatus()).toEqual({ ok: false, detail: 'no Access signing keys: every request with an Access JWT is refused (getaddrinfo ENOTFOUND team.cloudflareaccess.com)' });
    // Polled hard, it asks the endpoint at most once per cooldown.
    expect(await v.keyStatus()).toMatchObject({ ok: false });
    expect(fetches).toBe(1);

    down = false;
    clock.t += 30_000;
    expect(await v.keyStatus()).toEqual({ ok: true, detail: '1 Access keys, fetched 0 s ago' });
    expect(fetches).toBe(2);

    down = true;
    clock.t += 120_000;
    expect(await v.keyStatus()).toEqual({ ok: true, detail: '1 cached Access keys from 120 s ago; refreshing failed: getaddrinfo ENOTFOUND team.cloudflareaccess.com' });
  });

  it('an endpoint answering with no RS256 key is not ready either', async () => {
    const fakeFetch = (async () => new Response(JSON.stringify({ keys: [{ kty: 'oct', k: 'c2VjcmV0', kid: 'x' }] }))) as typeof fetch;
    const v = createAccessVerifier({ teamDomain: TEAM, aud: AUD, fetch: fakeFetch, now: () => NOW });
    expect(await v.keyStatus()).toEqual({ ok: false, detail: `no Access signing keys: every request with an Access JWT is refused (no usable RS256 key at https://${TEAM}/cdn-cgi/access/certs)` });
  });
});
