/**
 * Negative suite, Cloudflare Access JWT at the origin: every forgery class is refused with 401 and counted by
 * reason; a valid user JWT and a service token are accepted and their principal is what the audit log records.
 *
 * The JWKS endpoint is a node:http server on the test host's 127.0.0.1 (port 0) with keys this test generates; the
 * gateway runs in the host's network namespace listening on 127.0.0.1 only, so it reaches the JWKS server and
 * nothing leaves loopback.
 */
import { createServer, type Server } from 'node:http';
import { createHmac, createPublicKey, randomUUID, type JsonWebKey as NodeJsonWebKey } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker, runTarget, uniq, type TestContainer } from '../helpers/docker-cli.js';
import { E2E_TOKEN, type GatewayUnderTest } from '../helpers/gateway-container.js';
import { auditText, containerLogs, eventClock, execsSince, startHostNetworkGateway, waitForAudit } from './security-helpers.js';

const TEAM = 'e2e-team.cloudflareaccess.com';
const ISSUER = `https://${TEAM}`;
const AUD = 'e2e-aud-tag-0123456789abcdef';
const KID = 'e2e-kid-1';
const COOLDOWN_SECONDS = 30;

describe('security: Cloudflare Access JWT forgeries (JWKS on 127.0.0.1, built image, real engine)', () => {
  let jwks: Server;
  let jwksFetches = 0;
  let gw: GatewayUnderTest;
  let target: TestContainer;
  let privateKey: CryptoKey;
  let publicJwk: JWK;
  let attackerKey: CryptoKey;
  const issued: string[] = [];

  /** Signs a JWT with the real key (or `key`), valid unless `claims`/`header` say otherwise. */
  async function sign(claims: Record<string, unknown> = {}, opts: { key?: CryptoKey; kid?: string; iss?: string; aud?: string; exp?: number; nbf?: number } = {}): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const jwt = await new SignJWT({ email: 'alice@example.com', type: 'app', ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: opts.kid ?? KID, typ: 'JWT' })
      .setIssuer(opts.iss ?? ISSUER)
      .setAudience(opts.aud ?? AUD)
      .setIssuedAt(now - 60)
      .setNotBefore(opts.nbf ?? now - 60)
      .setExpirationTime(opts.exp ?? now + 600)
      .setSubject(randomUUID())
      .sign(opts.key ?? privateKey);
    issued.push(jwt);
    return jwt;
  }

  const b64url = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
  const claimsNow = () => {
    const now = Math.floor(Date.now() / 1000);
    return { iss: ISSUER, aud: [AUD], email: 'mallory@example.com', iat: now, nbf: now - 60, exp: now + 600 };
  };

  /**
   * Calls docker_exec `echo via-jwt-<marker>` over /rpc with only the Access header (and optional extra headers). The
   * marker tells this call's exec apart from an earlier test's, which may fall inside the event window's 50 ms margin.
   */
  function withJwt(jwt: string | undefined, headers: Record<string, string> = {}, marker = 'control'): Promise<Response> {
    return fetch(`${gw.url}/rpc`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(jwt ? { 'cf-access-jwt-assertion': jwt } : {}), ...headers },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'docker_exec', arguments: { id: target.name, cmd: ['echo', `via-jwt-${marker}`] } } }),
      signal: AbortSignal.timeout(15_000),
    });
  }

  async function authFailures(reason: string): Promise<number> {
    const text = await (await gw.fetch('/metrics')).text();
    const m = new RegExp(`mcp_auth_failures_total\\{reason="${reason}"\\} (\\d+)`).exec(text);
    return m ? Number(m[1]) : 0;
  }

  /** Expects 401 with a Bearer challenge naming invalid_token, the failure counted under `reason`, and no exec. */
  async function expectRejected(jwt: string | undefined, reason: string, headers: Record<string, string> = {}): Promise<void> {
    const before = await authFailures(reason);
    const since = eventClock();
    const marker = randomUUID();
    const res = await withJwt(jwt, headers, marker);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="mcp-gateway"/);
    const body = await res.json();
    expect(body.error.code).toBe(-32001);
    expect(body.error.message).toMatch(/^authentication required/);
    expect(await authFailures(reason)).toBe(before + 1);
    expect((await execsSince(target.name, since)).filter((e) => e.includes(marker))).toEqual([]);
  }

  beforeAll(async () => {
    ({ privateKey, publicKey: publicJwk } = await generateKeyPair('RS256', { extractable: true }).then(async (k) => ({ privateKey: k.privateKey, publicKey: await exportJWK(k.publicKey) })));
    attackerKey = (await generateKeyPair('RS256')).privateKey;
    jwks = createServer((req, res) => {
      if (req.url === '/cdn-cgi/access/certs') {
        jwksFetches++;
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ keys: [{ ...publicJwk, kid: KID, alg: 'RS256', use: 'sig' }] }));
      } else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    const certsUrl = `http://127.0.0.1:${(jwks.address() as { port: number }).port}/cdn-cgi/access/certs`;
    target = await runTarget(uniq('sec-jwt-target'));
    gw = await startHostNetworkGateway({
      config: {
        auth: { access: { teamDomain: TEAM, aud: AUD, certsUrl, jwksCooldownSeconds: COOLDOWN_SECONDS, clockToleranceSeconds: 5 } },
        policy: {
          roles: { operator: { tools: ['docker_*', 'health'] } },
          bindings: [{ emailDomains: ['example.com'], roles: ['operator'] }, { serviceTokens: ['svc-e2e.access'], roles: ['operator'] }, { tokens: ['e2e'], roles: ['operator'] }],
        },
        exec: { commandPatterns: ['echo'], defaultUser: '1000:1000' },
      },
    });
  });
  afterAll(async () => {
    await gw?.remove();
    await target?.remove();
    await new Promise<void>((resolve) => (jwks ? jwks.close(() => resolve()) : resolve()));
  });

  it('a flood of unknown kids on a cold key cache is refused and causes exactly one key fetch', async () => {
    expect(jwksFetches).toBe(0);
    const forged = await Promise.all(Array.from({ length: 40 }, () => sign({}, { key: attackerKey, kid: `kid-${randomUUID()}` })));
    const failuresBefore = await authFailures('jwt_unknown_kid');
    const statuses = await Promise.all(forged.map(async (jwt) => (await withJwt(jwt)).status));
    expect(statuses.every((s) => s === 401)).toBe(true);
    expect(await authFailures('jwt_unknown_kid')).toBe(failuresBefore + forged.length);
    // Concurrent misses share one fetch and later ones wait out the cooldown.
    expect(jwksFetches).toBe(1);
    // The keys that one fetch brought are cached: a valid token needs no further fetch.
    expect((await withJwt(await sign())).status).toBe(200);
    expect(jwksFetches).toBe(1);
  });

  it('no credentials at all: 401 with a Bearer challenge', async () => {
    await expectRejected(undefined, 'no_credentials');
  });

  it('alg none (unsigned token with a known kid) is refused', async () => {
    const jwt = `${b64url({ alg: 'none', kid: KID, typ: 'JWT' })}.${b64url(claimsNow())}.`;
    await expectRejected(jwt, 'jwt_alg');
  });

  it('HS256 signed with the RSA public key as the HMAC secret (key confusion) is refused', async () => {
    const pem = createPublicKey({ key: publicJwk as NodeJsonWebKey, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
    const head = `${b64url({ alg: 'HS256', kid: KID, typ: 'JWT' })}.${b64url(claimsNow())}`;
    const sig = createHmac('sha256', pem).update(head).digest('base64url');
    await expectRejected(`${head}.${sig}`, 'jwt_alg');
  });

  it('a token signed by another key under the real kid is refused', async () => {
    await expectRejected(await sign({}, { key: attackerKey }), 'jwt_signature');
  });

  it('wrong audience is refused', async () => {
    await expectRejected(await sign({}, { aud: 'another-application-aud' }), 'jwt_wrong_aud');
  });

  it('wrong issuer (another team) is refused', async () => {
    await expectRejected(await sign({}, { iss: 'https://evil-team.cloudflareaccess.com' }), 'jwt_wrong_iss');
  });

  it('an expired token is refused (beyond the clock tolerance)', async () => {
    const now = Math.floor(Date.now() / 1000);
    await expectRejected(await sign({}, { exp: now - 60, nbf: now - 3600 }), 'jwt_expired');
  });

  it('a token not valid yet (nbf in the future) is refused', async () => {
    await expectRejected(await sign({}, { nbf: Math.floor(Date.now() / 1000) + 3600 }), 'jwt_not_yet_valid');
  });

  it('the CF_Authorization cookie alone (no Cf-Access-Jwt-Assertion header) is not a credential', async () => {
    await expectRejected(undefined, 'no_credentials', { cookie: `CF_Authorization=${await sign()}` });
  });

  it('a forged JWT next to a valid bearer token is refused (a presented JWT must hold)', async () => {
    await expectRejected(await sign({}, { key: attackerKey }), 'jwt_signature', { authorization: `Bearer ${E2E_TOKEN}` });
  });

  it('a valid JWT next to a bearer that is not a gateway token (Access Managed OAuth) is the JWT principal (access-oauth.test.ts has the rest)', async () => {
    const res = await withJwt(await sign({ email: 'carol@example.com' }), { authorization: 'Bearer not-a-valid-token-0123456789' });
    expect(res.status).toBe(200);
    await waitForAudit(gw, (r) => r.principal === 'carol@example.com' && r.phase === 'decision');
  });

  it('a valid JWT without email or common_name is refused with 403', async () => {
    const res = await withJwt(await sign({ email: undefined, type: 'app' }));
    expect(res.status).toBe(403);
    expect((await res.json()).error.message).toMatch(/neither email nor common_name/);
  });

  it('a valid user JWT is accepted; the audit log records the email as principal', async () => {
    const since = eventClock();
    const marker = randomUUID();
    const res = await withJwt(await sign({ email: 'Alice@Example.com' }), {}, marker);
    expect(res.status).toBe(200);
    expect((await res.json()).result.structuredContent).toMatchObject({ exitCode: 0, stdout: `via-jwt-${marker}\n` });
    expect((await execsSince(target.name, since)).filter((e) => e.includes('via-jwt'))).toEqual([`exec_create: echo via-jwt-${marker}`]);
    const rec = await waitForAudit(gw, (r) => r.tool === 'docker_exec' && r.principal === 'alice@example.com' && r.phase === 'outcome');
    expect(rec).toMatchObject({ authMethod: 'cf-access-jwt', decision: 'allow', exitCode: 0 });
  });

  it('a service token JWT is accepted; the audit log records its common_name as principal', async () => {
    const res = await withJwt(await sign({ email: undefined, common_name: 'svc-e2e.access' }));
    expect(res.status).toBe(200);
    expect((await res.json()).result.structuredContent).toMatchObject({ exitCode: 0 });
    const rec = await waitForAudit(gw, (r) => r.tool === 'docker_exec' && r.principal === 'svc-e2e.access' && r.phase === 'decision');
    expect(rec).toMatchObject({ authMethod: 'cf-access-jwt', decision: 'allow' });
  });

  it('no JWT or bearer token appears in the audit log, the gateway logs, or the target', async () => {
    expect(issued.length).toBeGreaterThan(10);
    const audit = await auditText(gw);
    const logs = await containerLogs(gw.id);
    const targetInspect = await docker('inspect', target.id);
    expect(audit.length).toBeGreaterThan(0);
    expect(logs).toMatch(/request refused by authentication/);
    for (const secret of [...issued, ...issued.map((j) => j.split('.')[2]), E2E_TOKEN]) {
      expect(audit.includes(secret)).toBe(false);
      expect(logs.includes(secret)).toBe(false);
      expect(targetInspect.includes(secret)).toBe(false);
    }
  });
});
