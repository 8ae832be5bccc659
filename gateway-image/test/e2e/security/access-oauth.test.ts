/**
 * The gateway behind Cloudflare Access Managed OAuth, on the built image with a local JWKS (127.0.0.1, port 0).
 *
 * With Managed OAuth, Access checks the client's OAuth token and sends the origin the usual `Cf-Access-Jwt-Assertion`;
 * whether it also forwards the client's `Authorization: Bearer oauth:...` is not documented, so the gateway must accept
 * both. Here the test plays the edge: it signs the JWT Access would send and adds the foreign bearer itself. Checked for
 * each way in (Access JWT + foreign bearer, Access JWT alone, gateway bearer alone) with raw HTTP, the official SDK
 * client and mcp-remote; and that a principal the policy grants no role gets 403 without a challenge (a 401 would send
 * an OAuth client back to the login), while every credential that does not hold stays a 401.
 */
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SignJWT, exportJWK, generateKeyPair, type JWK } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runContainer, uniq, type TestContainer } from '../helpers/docker-cli.js';
import { BASE_IMAGE } from '../helpers/images.js';
import { E2E_TOKEN, VIEWER_TOKEN, type GatewayUnderTest } from '../helpers/gateway-container.js';
import { data } from '../helpers/mcp-client.js';
import { describeRun, INSPECTOR_BIN, killAll, MCP_REMOTE_BIN, node22, requireInstalled, runClient, sandbox, type Sandbox } from '../interop/client-process.js';
import { startHostNetworkGateway, waitForAudit } from './security-helpers.js';

const TEAM = 'oauth-team.cloudflareaccess.com';
const AUD = 'oauth-e2e-aud-0123456789abcdef';
const KID = 'oauth-kid-1';
/** What a Managed OAuth client sends: Access's opaque token, which is not a gateway token (note the ':'). */
const ACCESS_OAUTH_BEARER = 'Bearer oauth:Q2xvdWRmbGFyZUFjY2Vzc09BdXRo.c2Vzc2lvbg';
const CONNECT_TIMEOUT_MS = 20_000;

describe('security: Access Managed OAuth at the origin (JWKS on 127.0.0.1, built image, real engine)', () => {
  let jwks: Server;
  let gw: GatewayUnderTest;
  let target: TestContainer;
  let privateKey: CryptoKey;
  let publicJwk: JWK;
  let home: Sandbox;
  const closers: Array<() => Promise<void>> = [];

  async function sign(claims: Record<string, unknown>): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ type: 'app', ...claims })
      .setProtectedHeader({ alg: 'RS256', kid: KID, typ: 'JWT' })
      .setIssuer(`https://${TEAM}`)
      .setAudience(AUD)
      .setIssuedAt(now - 10)
      .setNotBefore(now - 10)
      .setExpirationTime(now + 900)
      .sign(privateKey);
  }

  beforeAll(async () => {
    requireInstalled(MCP_REMOTE_BIN, 'mcp-remote');
    home = sandbox('access-oauth-home');
    home.env.MCP_REMOTE_CONFIG_DIR = join(home.dir, 'mcp-auth');
    const pair = await generateKeyPair('RS256', { extractable: true });
    privateKey = pair.privateKey;
    publicJwk = await exportJWK(pair.publicKey);
    jwks = createServer((req, res) => {
      if (req.url === '/cdn-cgi/access/certs') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ keys: [{ ...publicJwk, kid: KID, alg: 'RS256', use: 'sig' }] }));
      } else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    const certsUrl = `http://127.0.0.1:${(jwks.address() as { port: number }).port}/cdn-cgi/access/certs`;
    // The target needs no network (and does not depend on the engine's default bridge).
    target = await runContainer({ name: uniq('oauth-target'), image: BASE_IMAGE, args: ['--network', 'none'], cmd: ['sh', '-c', 'while true; do sleep 1; done'] });
    gw = await startHostNetworkGateway({
      config: {
        // serviceTokenNames: the stack's MCP_GATEWAY_ACCESS_CLIENT_NAMES (client id -> the name in service_tokens).
        auth: { access: { teamDomain: TEAM, aud: AUD, certsUrl, serviceTokenNames: { '0123abcd.access': 'ci-agent' } } },
        policy: {
          // No default role: a principal nobody bound is refused at the door (403), not let in with nothing.
          defaultRole: null,
          roles: { operator: { tools: ['docker_*', 'health'] } },
          bindings: [{ emails: ['alice@example.com'], roles: ['operator'] }, { serviceTokens: ['ci-agent'], roles: ['operator'] }, { tokens: ['e2e'], roles: ['operator'] }],
        },
        exec: { commandPatterns: ['echo'], defaultUser: '1000:1000' },
      },
    });
  });
  afterEach(async () => {
    for (const close of closers.splice(0)) await close().catch(() => undefined);
  });
  afterAll(async () => {
    await gw?.remove();
    await target?.remove();
    await new Promise<void>((resolve) => (jwks ? jwks.close(() => resolve()) : resolve()));
    home?.remove();
  });

  function rpc(headers: Record<string, string>): Promise<Response> {
    return fetch(`${gw.url}/rpc`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'docker_ps', arguments: { name: target.name } } }),
      signal: AbortSignal.timeout(15_000),
    });
  }

  async function sdkClient(headers: Record<string, string>): Promise<Client> {
    const client = new Client({ name: 'access-oauth-e2e', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${gw.url}/mcp`), { requestInit: { headers } }));
    closers.push(() => client.close());
    return client;
  }

  /** mcp-remote as Claude Desktop runs it; header values come from env (its ${VAR} expansion), not argv. */
  async function remoteClient(headers: Record<string, string>): Promise<{ client: Client; stderr: () => string }> {
    const env: Record<string, string> = { ...(home.env as Record<string, string>) };
    const args = [MCP_REMOTE_BIN, `${gw.url}/mcp`, '--transport', 'http-only'];
    Object.entries(headers).forEach(([name, value], i) => {
      env[`MCP_TEST_HEADER_${i}`] = value;
      args.push('--header', `${name}:\${MCP_TEST_HEADER_${i}}`);
    });
    const transport = new StdioClientTransport({ command: process.execPath, args, env, stderr: 'pipe' });
    let stderr = '';
    transport.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
    const client = new Client({ name: 'access-oauth-mcp-remote', version: '1.0.0' });
    closers.push(async () => {
      const pid = transport.pid;
      await client.close().catch(() => undefined);
      if (pid) try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
    });
    try {
      await client.connect(transport, { timeout: CONNECT_TIMEOUT_MS });
    } catch (err) {
      throw new Error(`mcp-remote did not connect: ${(err as Error).message}\n--- mcp-remote stderr ---\n${stderr.slice(-4000)}`);
    }
    return { client, stderr: () => stderr };
  }

  const ways = [
    { way: 'Access JWT + Access OAuth bearer', principal: 'alice@example.com', authMethod: 'cf-access-jwt', headers: async () => ({ 'cf-access-jwt-assertion': await sign({ email: 'Alice@Example.com' }), authorization: ACCESS_OAUTH_BEARER }) },
    { way: 'Access JWT alone', principal: 'alice@example.com', authMethod: 'cf-access-jwt', headers: async () => ({ 'cf-access-jwt-assertion': await sign({ email: 'alice@example.com' }) }) },
    { way: 'service-token JWT + a foreign bearer', principal: 'ci-agent', authMethod: 'cf-access-jwt', headers: async () => ({ 'cf-access-jwt-assertion': await sign({ common_name: '0123abcd.access' }), authorization: 'Bearer not-a-gateway-token-0123456789' }) },
    { way: 'gateway bearer alone', principal: 'e2e', authMethod: 'bearer', headers: async () => ({ authorization: `Bearer ${E2E_TOKEN}` }) },
  ] as const;

  for (const { way, principal, authMethod, headers } of ways) {
    it(`${way}: raw HTTP, the SDK client and mcp-remote all act as ${principal}`, async () => {
      const h = await headers();
      const res = await rpc(h);
      expect(res.status).toBe(200);
      expect((await res.json()).result.structuredContent.count).toBe(1);

      const sdk = await sdkClient(h);
      const marker = `sdk-${uniq('m')}`;
      expect(data(await sdk.callTool({ name: 'docker_exec', arguments: { id: target.name, cmd: ['echo', marker] } }))).toMatchObject({ exitCode: 0, stdout: `${marker}\n` });
      const rec = await waitForAudit(gw, (r) => r.tool === 'docker_exec' && r.phase === 'decision' && JSON.stringify(r.args ?? {}).includes(marker));
      expect(rec).toMatchObject({ principal, authMethod, decision: 'allow' });

      const remote = await remoteClient(h);
      const tools = (await remote.client.listTools()).tools.map((t) => t.name);
      expect(tools).toEqual(expect.arrayContaining(['docker_ps', 'docker_exec']));
      expect(data(await remote.client.callTool({ name: 'docker_ps', arguments: { name: target.name } })).count).toBe(1);
      // The bridge used the headers and never started its OAuth flow.
      expect(remote.stderr()).toContain('Connected to remote server using StreamableHTTPClientTransport');
      expect(remote.stderr()).not.toMatch(/Please authorize|Browser opened|authorization URL/i);
    });
  }

  it('a principal the policy grants no role gets 403 without a WWW-Authenticate challenge, for a JWT and for a bearer', async () => {
    const refused: Array<Record<string, string>> = [{ 'cf-access-jwt-assertion': await sign({ email: 'eve@example.com' }), authorization: ACCESS_OAUTH_BEARER }, { authorization: `Bearer ${VIEWER_TOKEN}` }];
    for (const h of refused) {
      const res = await rpc(h);
      expect(res.status).toBe(403);
      expect(res.headers.get('www-authenticate')).toBeNull();
      expect((await res.json()).error.message).toMatch(/has no role; bind it in policy\.bindings or set policy\.defaultRole/);
    }
    // The SDK client sees the refusal (no auth provider involved) and mcp-remote gives up instead of starting OAuth.
    await expect(sdkClient({ 'cf-access-jwt-assertion': await sign({ email: 'eve@example.com' }) })).rejects.toThrow(/has no role/);
    const failure = await remoteClient({ 'cf-access-jwt-assertion': await sign({ email: 'eve@example.com' }) }).then(
      () => 'connected',
      (err: Error) => err.message,
    );
    expect(failure).toMatch(/^mcp-remote did not connect/);
    expect(failure).toMatch(/403|has no role/);
    expect(failure).not.toMatch(/Please authorize|Browser opened|authorization URL/i);
  });

  it('as the stack runs it behind the tunnel with gateway_auth_tokens empty: the Access JWT alone is enough, a bearer alone is refused', async () => {
    const certsUrl = `http://127.0.0.1:${(jwks.address() as { port: number }).port}/cdn-cgi/access/certs`;
    const jwtOnly = await startHostNetworkGateway({
      env: { MCP_GATEWAY_AUTH_TOKENS: '' },
      config: { auth: { access: { teamDomain: TEAM, aud: AUD, certsUrl } }, policy: { roles: { operator: { tools: ['docker_*'] } }, bindings: [{ emails: ['alice@example.com'], roles: ['operator'] }] } },
    });
    try {
      const call = (headers: Record<string, string>) => fetch(`${jwtOnly.url}/rpc`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'docker_ps', arguments: { name: target.name } } }),
      });
      const ways: Array<Record<string, string>> = [{ 'cf-access-jwt-assertion': await sign({ email: 'alice@example.com' }) }, { 'cf-access-jwt-assertion': await sign({ email: 'alice@example.com' }), authorization: ACCESS_OAUTH_BEARER }];
      for (const h of ways) {
        const res = await call(h);
        expect(res.status).toBe(200);
        expect((await res.json()).result.structuredContent.count).toBe(1);
      }
      expect((await call({ authorization: `Bearer ${E2E_TOKEN}` })).status).toBe(401);
    } finally {
      await jwtOnly.remove();
    }
  });

  it('what a user sees when credentials do not hold: mcp-remote answers the 401 by starting its OAuth flow, which the gateway refuses', async () => {
    const failure = await remoteClient({ authorization: 'Bearer wrong-token-0123456789abcdef' }).then(
      () => 'connected',
      (err: Error) => err.message,
    );
    // The tell-tale lines docs/interop.md quotes: discovery, a localhost callback (Access's "local" redirect URIs), DCR refused.
    expect(failure).toContain('Discovering OAuth server configuration');
    expect(failure).toMatch(/OAuth callback server running at http:\/\/127\.0\.0\.1:\d+/);
    expect(failure).toMatch(/redirect_uris: \[ 'http:\/\/localhost:\d+\/oauth\/callback' \]/);
    expect(failure).toContain('Dynamic Client Registration rejected (HTTP 401)');
  });

  it('what a user sees in the Inspector CLI without credentials: auth_required, asking for a TTY (or --stored-auth-only)', async () => {
    requireInstalled(INSPECTOR_BIN, '@modelcontextprotocol/inspector');
    const env = { ...home.env, MCP_INSPECTOR_SECRET_STORE: 'memory' };
    const args = [INSPECTOR_BIN, '--cli', `${gw.url}/mcp`, '--transport', 'http', '--method', 'tools/list', '--connect-timeout', '30000'];
    try {
      const interactive = await runClient(node22(), args, { env, timeoutMs: 60_000 });
      expect(interactive.code, describeRun('inspector', interactive)).toBe(3);
      // The Inspector prints its error as one JSON line (on stderr when it fails).
      expect(`${interactive.stdout}${interactive.stderr}`).toMatch(/"code":"auth_required","message":"Interactive OAuth requires a TTY/);
      const ci = await runClient(node22(), [...args, '--stored-auth-only'], { env, timeoutMs: 60_000 });
      expect(ci.code, describeRun('inspector --stored-auth-only', ci)).toBe(3);
      expect(`${ci.stdout}${ci.stderr}`).toContain('"code":"auth_required"');
    } finally {
      killAll();
    }
  });

  it('without a valid JWT every other combination still fails closed with 401 and a challenge', async () => {
    const forged = (await sign({ email: 'alice@example.com' })).replace(/\.[^.]+$/, '.c2lnbmF0dXJl');
    for (const [h, code] of [
      [{ authorization: ACCESS_OAUTH_BEARER }, 'bad_authorization'],
      [{ authorization: 'Bearer not-a-gateway-token-0123456789' }, 'invalid_token'],
      [{ authorization: ACCESS_OAUTH_BEARER, 'cf-access-jwt-assertion': forged }, 'jwt_signature'],
      [{ authorization: `Bearer ${E2E_TOKEN}`, 'cf-access-jwt-assertion': forged }, 'jwt_signature'],
      [{ authorization: 'Basic YWxpY2U6cHc=', 'cf-access-jwt-assertion': await sign({ email: 'alice@example.com' }) }, 'bad_authorization'],
      [{}, 'no_credentials'],
    ] as const) {
      const res = await rpc(h as Record<string, string>);
      expect(res.status, JSON.stringify(Object.keys(h))).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="mcp-gateway"/);
      const metrics = await (await gw.fetch('/metrics')).text();
      expect(metrics).toMatch(new RegExp(`mcp_auth_failures_total\\{reason="${code}"\\} [1-9]`));
    }
  });
});
