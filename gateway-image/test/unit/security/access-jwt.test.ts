import { createHmac, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportSPKI, SignJWT } from 'jose';
import { createAccessVerifier } from '../../../src/core/security/access-jwt.js';
import { AUD, b64url, makeKey, NOW, sign, startJwksServer, TEAM, type JwksServer, type TestKey } from './jwks-server.js';

let server: JwksServer;
let key: TestKey;
let attacker: TestKey;

beforeAll(async () => {
  key = await makeKey('kid-1');
  attacker = await makeKey('kid-1'); // same kid, different key: a forgery
  server = await startJwksServer([key.publicJwk]);
});
afterAll(() => server.close());

function verifier(clock = { t: NOW }, extra: { jwksCooldownSeconds?: number } = {}) {
  return createAccessVerifier({ teamDomain: TEAM, aud: AUD, certsUrl: server.url, now: () => clock.t, jwksCooldownSeconds: extra.jwksCooldownSeconds ?? 30 });
}

const t = Math.floor(NOW / 1000);

describe('Access JWT: compliant', () => {
  it('accepts a user token and takes the principal from email', async () => {
    const r = await verifier().verify(await sign(key, { email: 'Alice@Example.com', sub: 'u1' }));
    expect(r).toEqual({ ok: true, principal: { id: 'alice@example.com', authMethod: 'cf-access-jwt', email: 'alice@example.com' } });
  });
  it('accepts a service token and takes the principal from common_name', async () => {
    const r = await verifier().verify(await sign(key, { common_name: 'abc123.access', sub: '' }));
    expect(r).toEqual({ ok: true, principal: { id: 'abc123.access', authMethod: 'cf-access-jwt', serviceToken: 'abc123.access' } });
  });
  it('names a service token by its configured name when its client id is mapped', async () => {
    const v = createAccessVerifier({ teamDomain: TEAM, aud: AUD, certsUrl: server.url, now: () => NOW, serviceTokenNames: { 'abc123.access': 'ci' } });
    expect(await v.verify(await sign(key, { common_name: 'abc123.access', sub: '' }))).toEqual({ ok: true, principal: { id: 'ci', authMethod: 'cf-access-jwt', serviceToken: 'ci' } });
    expect(await v.verify(await sign(key, { common_name: 'other.access', sub: '' }))).toMatchObject({ ok: true, principal: { id: 'other.access' } });
  });
  it('accepts exp just past within the clock tolerance, and nbf just ahead', async () => {
    expect((await verifier().verify(await sign(key, { email: 'a@b.co' }, { exp: t - 10 }))).ok).toBe(true);
    expect((await verifier().verify(await sign(key, { email: 'a@b.co' }, { nbf: t + 10 }))).ok).toBe(true);
  });
  it('accepts one of several audiences', async () => {
    const v = createAccessVerifier({ teamDomain: TEAM, aud: ['other', AUD], certsUrl: server.url, now: () => NOW });
    expect((await v.verify(await sign(key, { email: 'a@b.co' }))).ok).toBe(true);
  });
});

describe('Access JWT: forgeries', () => {
  const cases: Array<[string, () => Promise<string>, string]> = [
    ['alg none', async () => `${b64url({ alg: 'none', kid: 'kid-1', typ: 'JWT' })}.${b64url({ email: 'a@b.co', iss: `https://${TEAM}`, aud: [AUD], exp: t + 60 })}.`, 'jwt_alg'],
    [
      'HS256 signed with the RSA public key',
      async () => {
        const pem = await exportSPKI(key.publicKey);
        return new SignJWT({ email: 'a@b.co' }).setProtectedHeader({ alg: 'HS256', kid: 'kid-1' }).setIssuer(`https://${TEAM}`).setAudience(AUD).setExpirationTime(t + 60).sign(new TextEncoder().encode(pem));
      },
      'jwt_alg',
    ],
    [
      'HS256 hand-made with the JWK modulus as secret',
      async () => {
        const h = b64url({ alg: 'HS256', kid: 'kid-1' });
        const p = b64url({ email: 'a@b.co', iss: `https://${TEAM}`, aud: AUD, exp: t + 60 });
        const sig = createHmac('sha256', String(key.publicJwk.n)).update(`${h}.${p}`).digest('base64url');
        return `${h}.${p}.${sig}`;
      },
      'jwt_alg',
    ],
    ['wrong audience', () => sign(key, { email: 'a@b.co' }, { aud: 'someone-else' }), 'jwt_wrong_aud'],
    ['wrong issuer', () => sign(key, { email: 'a@b.co' }, { iss: 'https://evil.cloudflareaccess.com' }), 'jwt_wrong_iss'],
    ['issuer without https', () => sign(key, { email: 'a@b.co' }, { iss: `http://${TEAM}` }), 'jwt_wrong_iss'],
    ['expired beyond tolerance', () => sign(key, { email: 'a@b.co' }, { exp: t - 120 }), 'jwt_expired'],
    ['nbf in the future beyond tolerance', () => sign(key, { email: 'a@b.co' }, { nbf: t + 300 }), 'jwt_not_yet_valid'],
    ['no exp claim', () => sign(key, { email: 'a@b.co' }, { exp: 0 }), 'jwt_claims'],
    ['signed by another key under the real kid', () => sign(attacker, { email: 'a@b.co' }), 'jwt_signature'],
    [
      'payload altered after signing',
      async () => {
        const [h, , s] = (await sign(key, { email: 'a@b.co' })).split('.');
        return `${h}.${b64url({ email: 'admin@b.co', iss: `https://${TEAM}`, aud: [AUD], exp: t + 60 })}.${s}`;
      },
      'jwt_signature',
    ],
    ['garbage', async () => 'not-a-jwt', 'jwt_malformed'],
    ['oversized', async () => `${'a'.repeat(20_000)}.b.c`, 'jwt_malformed'],
  ];
  for (const [name, make, code] of cases) {
    it(`rejects ${name} (${code})`, async () => {
      const r = await verifier().verify(await make());
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.code).toBe(code);
        expect(r.status).toBe(401);
      }
    });
  }
  it('refuses a valid token with no identity (403)', async () => {
    const r = await verifier().verify(await sign(key, { sub: 'x' }));
    expect(r).toMatchObject({ ok: false, status: 403, code: 'jwt_no_identity' });
  });
  it('refuses a token without kid', async () => {
    const jwt = await new SignJWT({ email: 'a@b.co' }).setProtectedHeader({ alg: 'RS256' }).setIssuer(`https://${TEAM}`).setAudience(AUD).setExpirationTime(t + 60).sign(key.privateKey);
    expect(await verifier().verify(jwt)).toMatchObject({ ok: false, code: 'jwt_no_kid' });
  });
});

describe('Access JWT: key cache', () => {
  it('a flood of unknown kids causes at most one fetch per cooldown', async () => {
    const clock = { t: NOW };
    const v = verifier(clock);
    const before = server.hits();
    expect((await v.verify(await sign(key, { email: 'a@b.co' }))).ok).toBe(true);
    expect(server.hits() - before).toBe(1);
    const rogue = await makeKey('unused');
    const flood = await Promise.all(Array.from({ length: 100 }, () => sign({ kid: randomUUID(), privateKey: rogue.privateKey }, { email: 'a@b.co' })));
    const r1 = await Promise.all(flood.map((j) => v.verify(j)));
    expect(r1.every((r) => !r.ok && r.code === 'jwt_unknown_kid')).toBe(true);
    expect(server.hits() - before).toBe(1); // still inside the cooldown of the first fetch
    clock.t += 30_000;
    const r2 = await Promise.all(flood.map((j) => v.verify(j)));
    expect(r2.every((r) => !r.ok)).toBe(true);
    expect(server.hits() - before).toBe(2); // one shared fetch for the whole flood
    expect(v.fetchCount()).toBe(2);
    // Known kids keep working during the cooldown, without fetching.
    expect((await v.verify(await sign(key, { email: 'a@b.co' }))).ok).toBe(true);
    expect(server.hits() - before).toBe(2);
  });
  it('picks up a rotated key after the cooldown', async () => {
    const clock = { t: NOW };
    const v = verifier(clock);
    const k2 = await makeKey('kid-2');
    expect((await v.verify(await sign(key, { email: 'a@b.co' }))).ok).toBe(true);
    server.setKeys([key.publicJwk, k2.publicJwk]);
    try {
      expect(await v.verify(await sign(k2, { email: 'a@b.co' }))).toMatchObject({ ok: false, code: 'jwt_unknown_kid' });
      clock.t += 30_000;
      expect((await v.verify(await sign(k2, { email: 'a@b.co' }))).ok).toBe(true);
    } finally {
      server.setKeys([key.publicJwk]);
    }
  });
  it('refreshes stale keys after jwksMaxAgeSeconds, so a key removed from the set stops working', async () => {
    const clock = { t: NOW };
    const v = createAccessVerifier({ teamDomain: TEAM, aud: AUD, certsUrl: server.url, now: () => clock.t, jwksMaxAgeSeconds: 60 });
    const before = server.hits();
    expect((await v.verify(await sign(key, { email: 'a@b.co' }))).ok).toBe(true);
    const k2 = await makeKey('kid-2');
    server.setKeys([k2.publicJwk]);
    try {
      clock.t += 59_000;
      expect((await v.verify(await sign(key, { email: 'a@b.co' }))).ok).toBe(true); // cached, fresh enough
      expect(server.hits() - before).toBe(1);
      clock.t += 2_000;
      expect(await v.verify(await sign(key, { email: 'a@b.co' }))).toMatchObject({ ok: false, code: 'jwt_unknown_kid' });
      expect(server.hits() - before).toBe(2);
    } finally {
      server.setKeys([key.publicJwk]);
    }
  });
  it('keeps stale keys when a refresh fails (availability), failing closed only for unknown kids', async () => {
    const clock = { t: NOW };
    let fail = false;
    const fakeFetch = (async () => {
      if (fail) throw new Error('network down');
      return new Response(JSON.stringify({ keys: [key.publicJwk] }));
    }) as typeof fetch;
    const errors: unknown[] = [];
    const v = createAccessVerifier({ teamDomain: TEAM, aud: AUD, fetch: fakeFetch, now: () => clock.t, jwksMaxAgeSeconds: 60, onFetchError: (e) => errors.push(e) });
    expect((await v.verify(await sign(key, { email: 'a@b.co' }))).ok).toBe(true);
    fail = true;
    clock.t += 120_000;
    expect((await v.verify(await sign(key, { email: 'a@b.co' }))).ok).toBe(true);
    expect(errors).toHaveLength(1);
  });
  it('ignores non-RS256 and non-RSA keys in the set', async () => {
    const clock = { t: NOW };
    server.setKeys([{ ...key.publicJwk, alg: 'RS512' }, { kty: 'oct', k: 'c2VjcmV0', kid: 'kid-1' }]);
    try {
      expect(await verifier(clock).verify(await sign(key, { email: 'a@b.co' }))).toMatchObject({ ok: false, code: 'jwt_unknown_kid' });
    } finally {
      server.setKeys([key.publicJwk]);
    }
  });
  it('fails closed when the certs endpoint is unreachable, and reports it', async () => {
    const errors: unknown[] = [];
    const v = createAccessVerifier({ teamDomain: TEAM, aud: AUD, certsUrl: server.url.replace('/certs', '/missing'), now: () => NOW, onFetchError: (e) => errors.push(e) });
    expect(await v.verify(await sign(key, { email: 'a@b.co' }))).toMatchObject({ ok: false, code: 'jwt_unknown_kid' });
    expect(errors).toHaveLength(1);
  });
  it('uses the default certs URL on the team domain', async () => {
    const urls: string[] = [];
    const fakeFetch = (async (u: string | URL) => {
      urls.push(String(u));
      return new Response(JSON.stringify({ keys: [key.publicJwk] }));
    }) as typeof fetch;
    const v = createAccessVerifier({ teamDomain: TEAM, aud: AUD, fetch: fakeFetch, now: () => NOW });
    expect((await v.verify(await sign(key, { email: 'a@b.co' }))).ok).toBe(true);
    expect(urls).toEqual([`https://${TEAM}/cdn-cgi/access/certs`]);
  });
});
