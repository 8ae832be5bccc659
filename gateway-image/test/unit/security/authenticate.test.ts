import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertAuthConfigured, createAuthenticate, isLoopbackHost } from '../../../src/core/security/authenticate.js';
import { parseSecurityConfig } from '../../../src/core/security/security-config.js';
import { AUD, makeKey, NOW, sign, startJwksServer, TEAM, type JwksServer, type TestKey } from './jwks-server.js';

const TOKEN = 'bearer-token-0123456789abcdef';
let server: JwksServer;
let key: TestKey;

beforeAll(async () => {
  key = await makeKey('k1');
  server = await startJwksServer([key.publicJwk]);
});
afterAll(() => server.close());

function make(auth: Record<string, unknown>) {
  const cfg = parseSecurityConfig({ auth });
  return createAuthenticate(cfg, { now: () => NOW }).authenticate;
}
const withAccess = (extra: Record<string, unknown> = {}) => ({ tokens: [{ name: 'ci', token: TOKEN }], access: { teamDomain: TEAM, aud: AUD, certsUrl: server.url, ...extra } });

describe('authenticate: bearer', () => {
  const auth = make({ tokens: [{ name: 'ci', token: TOKEN }] });
  it('accepts a valid bearer token (scheme case-insensitive)', async () => {
    expect(await auth({ authorization: `Bearer ${TOKEN}` })).toEqual({ ok: true, principal: { id: 'ci', authMethod: 'bearer' } });
    expect((await auth({ authorization: `bearer ${TOKEN}` })).ok).toBe(true);
  });
  it('401 with WWW-Authenticate when no credentials', async () => {
    expect(await auth({})).toMatchObject({ ok: false, status: 401, code: 'no_credentials', wwwAuthenticate: 'Bearer realm="mcp-gateway"' });
  });
  it('401 invalid_token for a wrong token, without echoing it', async () => {
    const r = await auth({ authorization: 'Bearer wrong-token-0123456789' });
    expect(r).toMatchObject({ ok: false, status: 401, code: 'invalid_token' });
    if (!r.ok) {
      expect(r.wwwAuthenticate).toContain('error="invalid_token"');
      expect(JSON.stringify(r)).not.toContain('wrong-token');
    }
  });
  it('401 for other schemes and malformed headers', async () => {
    for (const h of [`Basic ${TOKEN}`, TOKEN, 'Bearer', `Bearer ${TOKEN} extra`, `Bearer\t${TOKEN}`]) {
      expect((await auth({ authorization: h })).ok).toBe(false);
    }
  });
  it('401 for repeated Authorization headers', async () => {
    expect(await auth({ authorization: [`Bearer ${TOKEN}`, 'Bearer x'] })).toMatchObject({ ok: false, code: 'ambiguous_credentials' });
  });
  it('ignores a CF_Authorization cookie and the token in a query-like header', async () => {
    expect(await auth({ cookie: `CF_Authorization=${TOKEN}` })).toMatchObject({ ok: false, code: 'no_credentials' });
  });
});

describe('authenticate: Cloudflare Access', () => {
  it('accepts a valid Cf-Access-Jwt-Assertion (user)', async () => {
    const auth = make(withAccess());
    const r = await auth({ 'cf-access-jwt-assertion': await sign(key, { email: 'bob@example.com' }) });
    expect(r).toEqual({ ok: true, principal: { id: 'bob@example.com', authMethod: 'cf-access-jwt', email: 'bob@example.com' } });
  });
  it('accepts a service token', async () => {
    const auth = make(withAccess());
    const r = await auth({ 'cf-access-jwt-assertion': await sign(key, { common_name: 'svc.access' }) });
    expect(r).toMatchObject({ ok: true, principal: { id: 'svc.access', serviceToken: 'svc.access' } });
  });
  it('never reads the CF_Authorization cookie (cookie-only -> 401)', async () => {
    const auth = make(withAccess());
    const jwt = await sign(key, { email: 'bob@example.com' });
    expect(await auth({ cookie: `CF_Authorization=${jwt}` })).toMatchObject({ ok: false, status: 401, code: 'no_credentials' });
  });
  it('a bad JWT fails even with a valid bearer next to it', async () => {
    const auth = make(withAccess());
    const bad = await sign(key, { email: 'bob@example.com' }, { aud: 'other' });
    expect(await auth({ authorization: `Bearer ${TOKEN}`, 'cf-access-jwt-assertion': bad })).toMatchObject({ ok: false, status: 401, code: 'jwt_wrong_aud' });
  });
  it('next to a valid JWT, a bearer that is not a gateway token (Access OAuth token) is ignored: the JWT is the principal', async () => {
    for (const auth of [make(withAccess()), make({ access: { teamDomain: TEAM, aud: AUD, certsUrl: server.url } }), make(withAccess({ required: true }))]) {
      for (const bearer of ['oauth:Zm9vYmFy.0123456789abcdef', 'nope-nope-nope-nope', 'ey.not.ours']) {
        const good = await sign(key, { email: 'bob@example.com' });
        expect(await auth({ authorization: `Bearer ${bearer}`, 'cf-access-jwt-assertion': good })).toEqual({
          ok: true,
          principal: { id: 'bob@example.com', authMethod: 'cf-access-jwt', email: 'bob@example.com' },
        });
      }
      const svc = await sign(key, { common_name: 'svc.access' });
      expect(await auth({ authorization: 'Bearer oauth:abc', 'cf-access-jwt-assertion': svc })).toMatchObject({ ok: true, principal: { id: 'svc.access', serviceToken: 'svc.access' } });
    }
  });
  it('without a valid JWT every bad bearer still fails closed (Access OAuth token alone, wrong token, bad JWT next to it)', async () => {
    const auth = make(withAccess());
    expect(await auth({ authorization: 'Bearer oauth:Zm9vYmFy' })).toMatchObject({ ok: false, status: 401, code: 'bad_authorization' });
    expect(await auth({ authorization: 'Bearer nope-nope-nope-nope' })).toMatchObject({ ok: false, status: 401, code: 'invalid_token' });
    const bad = await sign(key, { email: 'bob@example.com' }, { aud: 'other' });
    expect(await auth({ authorization: 'Bearer oauth:Zm9vYmFy', 'cf-access-jwt-assertion': bad })).toMatchObject({ ok: false, status: 401, code: 'jwt_wrong_aud' });
    expect(await auth({ authorization: 'Bearer oauth:Zm9vYmFy', 'cf-access-jwt-assertion': '' })).toMatchObject({ ok: false, status: 401, code: 'bad_authorization' });
    // Only the Bearer scheme is read, even next to a valid JWT; and a repeated header stays ambiguous.
    const good = await sign(key, { email: 'bob@example.com' });
    expect(await auth({ authorization: 'Basic Ym9iOnB3', 'cf-access-jwt-assertion': good })).toMatchObject({ ok: false, status: 401, code: 'bad_authorization' });
    expect(await auth({ authorization: ['Bearer oauth:a', 'Bearer oauth:b'], 'cf-access-jwt-assertion': good })).toMatchObject({ ok: false, code: 'ambiguous_credentials' });
    // Bearer tokens unconfigured (Access only): a bearer alone is refused, never a principal.
    expect(await make({ access: { teamDomain: TEAM, aud: AUD, certsUrl: server.url } })({ authorization: `Bearer ${TOKEN}` })).toMatchObject({ ok: false, status: 401, code: 'invalid_token' });
  });
  it('the JWT names the principal when both are valid', async () => {
    const auth = make(withAccess());
    const good = await sign(key, { email: 'bob@example.com' });
    expect(await auth({ authorization: `Bearer ${TOKEN}`, 'cf-access-jwt-assertion': good })).toMatchObject({ ok: true, principal: { id: 'bob@example.com' } });
  });
  it('bearer alone is enough unless access.required', async () => {
    expect((await make(withAccess())({ authorization: `Bearer ${TOKEN}` })).ok).toBe(true);
    expect(await make(withAccess({ required: true }))({ authorization: `Bearer ${TOKEN}` })).toMatchObject({ ok: false, code: 'access_jwt_required' });
  });
  it('a JWT when Access is not configured is refused', async () => {
    const auth = make({ tokens: [{ name: 'ci', token: TOKEN }] });
    expect(await auth({ 'cf-access-jwt-assertion': await sign(key, { email: 'bob@example.com' }) })).toMatchObject({ ok: false, code: 'access_not_configured' });
  });
  it('a JWT with no identity is 403, without a challenge', async () => {
    const auth = make(withAccess());
    const r = await auth({ 'cf-access-jwt-assertion': await sign(key, { sub: 'x' }) });
    expect(r).toMatchObject({ ok: false, status: 403 });
    expect(r).not.toHaveProperty('wwwAuthenticate');
  });
});

describe('authenticate: a principal the policy grants no role', () => {
  const policy = { defaultRole: null, roles: { ops: { tools: ['docker_*'] } }, bindings: [{ emails: ['bob@example.com'], roles: ['ops'] }, { tokens: ['ci'], roles: ['ops'] }] };
  const auth = (h: Record<string, string | string[]>) => createAuthenticate(parseSecurityConfig({ auth: withAccess(), policy }), { now: () => NOW }).authenticate(h);
  it('is refused with 403 and no challenge (a 401 would make an OAuth client log in again)', async () => {
    const r = await auth({ 'cf-access-jwt-assertion': await sign(key, { email: 'eve@example.com' }), authorization: 'Bearer oauth:x' });
    expect(r).toMatchObject({ ok: false, status: 403, code: 'no_role' });
    expect(r).not.toHaveProperty('wwwAuthenticate');
    if (!r.ok) expect(r.reason).toMatch(/eve@example\.com.*policy\.bindings/);
  });
  it('bound principals pass (per-email roles), unauthenticated requests stay 401', async () => {
    expect(await auth({ 'cf-access-jwt-assertion': await sign(key, { email: 'Bob@Example.com' }) })).toMatchObject({ ok: true, principal: { id: 'bob@example.com' } });
    expect(await auth({ authorization: `Bearer ${TOKEN}` })).toMatchObject({ ok: true, principal: { id: 'ci' } });
    expect(await auth({})).toMatchObject({ ok: false, status: 401, code: 'no_credentials' });
  });
});

describe('authenticate: fail closed', () => {
  it('an unexpected error is a 401, not a throw', async () => {
    const auth = make({ tokens: [{ name: 'ci', token: TOKEN }] });
    const hostile = new Proxy({}, { get: () => { throw new Error('boom'); } });
    expect(await auth(hostile)).toMatchObject({ ok: false, status: 401, code: 'auth_error' });
  });
});

describe('authenticate: unauthenticated mode', () => {
  it('anonymous principal only when nothing is configured and allowUnauthenticated', async () => {
    expect(await make({ allowUnauthenticated: true })({})).toEqual({ ok: true, principal: { id: 'anonymous', authMethod: 'none' } });
    expect((await make({ allowUnauthenticated: true, tokens: [{ name: 'ci', token: TOKEN }] })({})).ok).toBe(false);
    expect((await make({})({})).ok).toBe(false);
  });
});

describe('assertAuthConfigured', () => {
  const cfg = (auth: Record<string, unknown>) => parseSecurityConfig({ auth });
  it('passes with tokens or Access on any host', () => {
    expect(() => assertAuthConfigured(cfg({ tokens: [{ name: 'a', token: TOKEN }] }), '0.0.0.0')).not.toThrow();
    expect(() => assertAuthConfigured(cfg({ access: { teamDomain: TEAM, aud: AUD } }), '0.0.0.0')).not.toThrow();
  });
  it('throws with nothing configured', () => {
    expect(() => assertAuthConfigured(cfg({}), '127.0.0.1')).toThrow(/no authentication is configured/);
  });
  it('allowUnauthenticated only on loopback', () => {
    for (const h of ['127.0.0.1', 'localhost', '::1', '[::1]', '127.0.0.2']) expect(() => assertAuthConfigured(cfg({ allowUnauthenticated: true }), h)).not.toThrow();
    for (const h of ['0.0.0.0', '::', '', '192.168.1.5', 'example.com', '127.0.0.1.evil.com']) {
      expect(() => assertAuthConfigured(cfg({ allowUnauthenticated: true }), h)).toThrow(/only honoured on loopback/);
    }
  });
  it('isLoopbackHost', () => {
    expect(isLoopbackHost('::ffff:127.0.0.1')).toBe(true);
    expect(isLoopbackHost('0.0.0.0')).toBe(false);
  });
});
