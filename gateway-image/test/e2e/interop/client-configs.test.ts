/**
 * The stack's `client_configs`, consumed by real clients: the journey a user takes. The stack is synthesized with
 * `node --import tsx main.ts` (as `npm run synth` runs it), the configurations are read back with
 * `client-config.ts --json` (as `npm run client-config` prints them, from cdktf.out, without Terraform), only the
 * placeholders are filled in, and then:
 * - local-only stack: the Claude Desktop entry (mcp-remote) run by the MCP Inspector CLI from a `--config` file, the
 *   Inspector entry, and the VS Code and Cursor entries read by the official SDK client, against the built image;
 * - tunnel stack: the service-token entries through a stand-in for the Cloudflare edge on 127.0.0.1, which checks
 *   `CF-Access-Client-Id`/`CF-Access-Client-Secret` as Access would and forwards with a signed `Cf-Access-Jwt-Assertion`
 *   (there is no Cloudflare account here; the URL is pointed at the stand-in).
 * `npx -y mcp-remote@<version>` is run as the locally installed mcp-remote of that version (nothing is fetched).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runContainer, uniq, type TestContainer } from '../helpers/docker-cli.js';
import { BASE_IMAGE } from '../helpers/images.js';
import { E2E_CONFIG, E2E_TOKEN, type GatewayUnderTest } from '../helpers/gateway-container.js';
import { data } from '../helpers/mcp-client.js';
import { startHostNetworkGateway } from '../security/security-helpers.js';
import { describeRun, INSPECTOR_BIN, killAll, MCP_REMOTE_BIN, node22, REPO_ROOT, requireInstalled, runClient, sandbox, type Sandbox } from './client-process.js';

const run = promisify(execFile);
const TEAM = 'configs-team.cloudflareaccess.com';
const AUD = 'configs-aud-0123456789abcdef';
const KID = 'configs-kid';
const CLIENT_ID = `${randomBytes(16).toString('hex')}.access`;
const CLIENT_SECRET = randomBytes(32).toString('hex');
const RUN_TIMEOUT_MS = 60_000;

type Way = { how: string; file?: string; config?: any; command?: string; unsupported?: string };
type Configs = Record<string, Record<string, Way>>;

/** `npm run synth` then `npm run client-config -- --json`, as a user runs them, for one tfvars text. */
async function synthAndRead(dir: string, tfvars: string): Promise<Configs> {
  writeFileSync(join(dir, 'terraform.tfvars'), tfvars);
  const env: NodeJS.ProcessEnv = { ...process.env, MCP_STACK_TFVARS: join(dir, 'terraform.tfvars'), CDKTF_OUTDIR: join(dir, 'cdktf.out') };
  delete env.CDKTF_CONTEXT_JSON;
  await run(process.execPath, ['--import', 'tsx', 'main.ts'], { cwd: REPO_ROOT, env, timeout: 60_000 });
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'client-config.ts', '--json', '--out', join(dir, 'cdktf.out')], { cwd: REPO_ROOT, env, timeout: 60_000 });
  return JSON.parse(stdout) as Configs;
}

/** Replaces every `<...>` placeholder in a JSON value; fails if one is left (a config the user could not complete). */
function fill<T>(value: T, values: Record<string, string>): T {
  let text = JSON.stringify(value);
  for (const [placeholder, v] of Object.entries(values)) text = text.split(placeholder).join(v);
  expect(text, 'placeholders left').not.toMatch(/<[A-Za-z][^<>]*>/);
  return JSON.parse(text) as T;
}

/** `npx -y mcp-remote@<v> ...` -> this repository's mcp-remote of that version, run with `node`. */
function localMcpRemote(server: { command: string; args: string[] }, node: string): { command: string; args: string[] } {
  expect(server.command).toBe('npx');
  expect(server.args.slice(0, 2)).toEqual(['-y', `mcp-remote@${JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules/mcp-remote/package.json'), 'utf8')).version}`]);
  return { command: node, args: [MCP_REMOTE_BIN, ...server.args.slice(2)] };
}

/** What VS Code does with `${input:id}` and Cursor with `${env:NAME}`: substitutes the value the user gave. */
function resolveEditorVariables(headers: Record<string, string>, values: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, v.replace(/\$\{(?:input|env):([^}]+)\}/g, (_m, name: string) => {
    expect(values, `a value for ${name}`).toHaveProperty(name);
    return values[name];
  })]));
}

describe('client_configs from the stack, consumed by real clients (built image, real engine)', () => {
  let gw: GatewayUnderTest;
  let target: TestContainer;
  let edge: Server;
  let edgeUrl: string;
  let edgeRequests = 0;
  let work: string;
  let home: Sandbox;
  let node: string;
  let local: Configs;
  let tunnel: Configs;
  const clients: Client[] = [];

  beforeAll(async () => {
    node = node22();
    requireInstalled(INSPECTOR_BIN, '@modelcontextprotocol/inspector');
    requireInstalled(MCP_REMOTE_BIN, 'mcp-remote');
    work = mkdtempSync(join(tmpdir(), 'client-configs-'));
    home = sandbox('client-configs-home', { MCP_INSPECTOR_SECRET_STORE: 'memory' });
    home.env.MCP_REMOTE_CONFIG_DIR = join(home.dir, 'mcp-auth');

    // The stand-in edge signs with its own key; the gateway trusts it through the certs URL, as it trusts Access.
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid: KID, alg: 'RS256', use: 'sig' };
    edge = createServer(async (req, res) => {
      if (req.url === '/cdn-cgi/access/certs') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
        return;
      }
      edgeRequests++;
      if (req.headers['cf-access-client-id'] !== CLIENT_ID || req.headers['cf-access-client-secret'] !== CLIENT_SECRET) {
        res.writeHead(401, { 'content-type': 'text/plain' }).end('Access: service token missing or wrong');
        return;
      }
      const now = Math.floor(Date.now() / 1000);
      const jwt = await new SignJWT({ type: 'app', common_name: CLIENT_ID }).setProtectedHeader({ alg: 'RS256', kid: KID })
        .setIssuer(`https://${TEAM}`).setAudience(AUD).setIssuedAt(now).setExpirationTime(now + 600).sign(privateKey);
      const headers: Record<string, string | string[] | undefined> = { ...req.headers, host: new URL(gw.url).host, 'cf-access-jwt-assertion': jwt };
      delete headers['cf-access-client-id'];
      delete headers['cf-access-client-secret'];
      const upstream = request(`${gw.url}${req.url}`, { method: req.method, headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => edge.listen(0, '127.0.0.1', resolve));
    edgeUrl = `http://127.0.0.1:${(edge.address() as { port: number }).port}`;

    // The target needs no network (and does not depend on the engine's default bridge).
    target = await runContainer({ name: uniq('configs-target'), image: BASE_IMAGE, args: ['--network', 'none'], cmd: ['sh', '-c', 'while true; do sleep 1; done'] });
    gw = await startHostNetworkGateway({
      config: {
        ...E2E_CONFIG,
        auth: { access: { teamDomain: TEAM, aud: AUD, certsUrl: `${edgeUrl}/cdn-cgi/access/certs`, serviceTokenNames: { [CLIENT_ID]: 'ci' } } },
        policy: { ...E2E_CONFIG.policy, bindings: [...E2E_CONFIG.policy.bindings, { serviceTokens: ['ci'], roles: ['operator'] }] },
      },
    });

    local = await synthAndRead(mkdtempSync(join(work, 'local-')), `gateway_port = ${gw.port}\n`);
    tunnel = await synthAndRead(
      mkdtempSync(join(work, 'tunnel-')),
      ['enable_cloudflare_tunnel = true', 'domain_suffix = "example.com"', 'cloudflare_account_id = "0123456789abcdef0123456789abcdef"',
        'allowed_emails = ["ops@example.org"]', 'service_tokens = ["ci"]', ''].join('\n'),
    );
  });
  afterEach(async () => {
    killAll();
    for (const c of clients.splice(0)) await c.close().catch(() => undefined);
  });
  afterAll(async () => {
    killAll();
    await gw?.remove();
    await target?.remove();
    await new Promise<void>((resolve) => (edge ? edge.close(() => resolve()) : resolve()));
    home?.remove();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  /** Runs the Inspector CLI on a config file holding `servers` and calls docker_ps on the target. */
  async function inspectorDockerPs(config: unknown, what: string): Promise<string[]> {
    const file = join(home.dir, `${uniq('cfg')}.json`);
    writeFileSync(file, JSON.stringify(config), { mode: 0o600 });
    const r = await runClient(node, [INSPECTOR_BIN, '--cli', '--config', file, '--server', 'docker-gateway', '--method', 'tools/call', '--tool-name', 'docker_ps',
      '--tool-args-json', JSON.stringify({ name: target.name }), '--format', 'json', '--connect-timeout', '30000'], { env: home.env, timeoutMs: RUN_TIMEOUT_MS });
    if (r.code !== 0) throw new Error(describeRun(`inspector ${what}`, r));
    return (JSON.parse(r.stdout).result.structuredContent.containers as Array<{ name: string }>).map((c) => c.name);
  }

  async function sdkDockerPs(url: string, headers: Record<string, string>): Promise<number> {
    const client = new Client({ name: 'client-configs-e2e', version: '1.0.0' });
    clients.push(client);
    await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
    return data(await client.callTool({ name: 'docker_ps', arguments: { name: target.name } })).count as number;
  }

  describe('local-only stack (http://127.0.0.1:<gateway_port>/mcp, bearer token)', () => {
    const values = () => ({ '<gateway token: the part after name= in TF_VAR_gateway_auth_tokens>': E2E_TOKEN });

    it('offers exactly the bearer-token way, on the gateway port', () => {
      for (const [client, ways] of Object.entries(local)) expect(Object.keys(ways), client).toEqual(['bearer_token']);
      expect(local.vscode.bearer_token.config.servers['docker-gateway'].url).toBe(`${gw.url}/mcp`);
    });

    it('claude-desktop: the mcpServers entry (npx mcp-remote, header from env) runs under the Inspector CLI', async () => {
      const server = fill(local['claude-desktop'].bearer_token.config.mcpServers['docker-gateway'], values());
      const config = { mcpServers: { 'docker-gateway': { ...localMcpRemote(server, node), env: { ...server.env, MCP_REMOTE_CONFIG_DIR: home.env.MCP_REMOTE_CONFIG_DIR } } } };
      // The token is only in env, never in argv.
      expect(JSON.stringify(config.mcpServers['docker-gateway'].args)).not.toContain(E2E_TOKEN);
      expect(await inspectorDockerPs(config, 'claude-desktop config')).toEqual([target.name]);
    });

    it('inspector: the config file as printed', async () => {
      expect(await inspectorDockerPs(fill(local.inspector.bearer_token.config, values()), 'inspector config')).toEqual([target.name]);
    });

    it('vscode (${input:...}) and cursor (${env:...}): the SDK client with the headers the editor would send', async () => {
      const vs = local.vscode.bearer_token.config;
      expect(vs.inputs.map((i: { id: string }) => i.id)).toEqual(['mcp-gateway-token']);
      const vsServer = vs.servers['docker-gateway'];
      expect(vsServer.type).toBe('http');
      expect(await sdkDockerPs(vsServer.url, resolveEditorVariables(vsServer.headers, { 'mcp-gateway-token': E2E_TOKEN }))).toBe(1);
      const cursor = local.cursor.bearer_token.config.mcpServers['docker-gateway'];
      expect(await sdkDockerPs(cursor.url, resolveEditorVariables(cursor.headers, { MCP_GATEWAY_TOKEN: E2E_TOKEN }))).toBe(1);
    });
  });

  describe('tunnel stack (https://<host>/mcp), service-token headers through a stand-in edge', () => {
    const PUBLIC = 'https://docker-mcp.example.com/mcp';
    const values = () => ({
      '<CF-Access-Client-Id: terraform output -json service_token_client_ids>': CLIENT_ID,
      '<CF-Access-Client-Secret: terraform output -json service_token_client_secrets>': CLIENT_SECRET,
      [PUBLIC]: `${edgeUrl}/mcp`,
    });

    it('offers the email login and the service token for every client; connectors only the email login', () => {
      for (const [client, ways] of Object.entries(tunnel)) expect(Object.keys(ways).sort(), client).toEqual(['email_login', 'service_token']);
      expect(tunnel.claude.service_token.unsupported).toMatch(/no custom headers/);
      expect(tunnel.chatgpt.service_token.unsupported).toMatch(/OAuth or no authentication/);
      expect(tunnel['claude-desktop'].email_login.config.mcpServers['docker-gateway'].args).toEqual(['-y', expect.stringMatching(/^mcp-remote@/), PUBLIC]);
    });

    it('claude-desktop: mcp-remote with both headers from env, under the Inspector CLI, passes the edge as service token "ci"', async () => {
      const before = edgeRequests;
      const server = fill(tunnel['claude-desktop'].service_token.config.mcpServers['docker-gateway'], values());
      const config = { mcpServers: { 'docker-gateway': { ...localMcpRemote(server, node), env: { ...server.env, MCP_REMOTE_CONFIG_DIR: home.env.MCP_REMOTE_CONFIG_DIR } } } };
      expect(JSON.stringify(config.mcpServers['docker-gateway'].args)).not.toContain(CLIENT_SECRET);
      expect(await inspectorDockerPs(config, 'claude-desktop service-token config')).toEqual([target.name]);
      expect(edgeRequests).toBeGreaterThan(before);
    });

    it('inspector, vscode and cursor service-token entries pass the edge; without the headers the edge refuses', async () => {
      expect(await inspectorDockerPs(fill(tunnel.inspector.service_token.config, values()), 'inspector service-token config')).toEqual([target.name]);
      const vsServer = fill(tunnel.vscode.service_token.config.servers['docker-gateway'], values());
      expect(await sdkDockerPs(vsServer.url, resolveEditorVariables(vsServer.headers, { 'cf-access-client-id': CLIENT_ID, 'cf-access-client-secret': CLIENT_SECRET }))).toBe(1);
      const cursor = fill(tunnel.cursor.service_token.config.mcpServers['docker-gateway'], values());
      expect(await sdkDockerPs(cursor.url, resolveEditorVariables(cursor.headers, { CF_ACCESS_CLIENT_ID: CLIENT_ID, CF_ACCESS_CLIENT_SECRET: CLIENT_SECRET }))).toBe(1);
      // The stand-in is a real check: the email-login entry (no headers) does not get through it.
      const bare = fill(tunnel.cursor.email_login.config.mcpServers['docker-gateway'], values());
      await expect(sdkDockerPs(bare.url, {})).rejects.toThrow(/service token missing or wrong/);
    });
  });
});
