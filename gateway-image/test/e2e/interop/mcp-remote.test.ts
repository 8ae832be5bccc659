/**
 * `mcp-remote`, the stdio bridge Claude Desktop and other stdio-only clients use, against the built image on the
 * real engine: the official SDK client drives it over stdio (StdioClientTransport) exactly as such a client
 * would, and it forwards to /mcp (Streamable HTTP) or /sse with a static bearer header, never starting OAuth.
 * Its state directory is a temp dir (MCP_REMOTE_CONFIG_DIR, HOME), so nothing is written to the real home.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runTarget, uniq, type TestContainer } from '../helpers/docker-cli.js';
import { E2E_TOKEN, startGateway, type GatewayUnderTest } from '../helpers/gateway-container.js';
import { data } from '../helpers/mcp-client.js';
import { MCP_REMOTE_BIN, requireInstalled, sandbox, type Sandbox } from './client-process.js';

const CONNECT_TIMEOUT_MS = 20_000;

/** One mcp-remote process bridged to the SDK client, with everything needed to end it and explain a failure. */
interface Bridge {
  client: Client;
  transport: StdioClientTransport;
  stderr(): string;
}

describe('mcp-remote (stdio bridge) against the gateway image', () => {
  let gw: GatewayUnderTest;
  let target: TestContainer;
  let home: Sandbox;
  const bridges: Bridge[] = [];

  beforeAll(async () => {
    requireInstalled(MCP_REMOTE_BIN, 'mcp-remote');
    home = sandbox('mcp-remote-home');
    home.env.MCP_REMOTE_CONFIG_DIR = join(home.dir, 'mcp-auth');
    target = await runTarget(uniq('remote-target'));
    gw = await startGateway();
  });
  afterEach(async () => {
    for (const b of bridges.splice(0)) {
      const pid = b.transport.pid;
      await b.client.close().catch(() => undefined);
      // close() ends the child; make sure of it even if close() failed half-way.
      if (pid) try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ }
    }
  });
  afterAll(async () => {
    await gw?.remove();
    await target?.remove();
    home?.remove();
  });

  /** Spawns `mcp-remote <url> ...args` with the test's Node and connects the SDK client to its stdio. */
  async function bridge(url: string, args: string[]): Promise<Bridge> {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [MCP_REMOTE_BIN, url, ...args],
      env: home.env as Record<string, string>,
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (d: Buffer) => { stderr += d.toString(); });
    const client = new Client({ name: 'interop-mcp-remote', version: '1.0.0' });
    const b: Bridge = { client, transport, stderr: () => stderr };
    bridges.push(b);
    try {
      await client.connect(transport, { timeout: CONNECT_TIMEOUT_MS });
    } catch (err) {
      throw new Error(`mcp-remote ${url} ${args.join(' ')} did not connect: ${(err as Error).message}\n--- mcp-remote stderr ---\n${stderr.slice(-4000)}`);
    }
    return b;
  }

  const cases = [
    { path: '/mcp', transport: 'http-only', remote: 'StreamableHTTPClientTransport' },
    { path: '/sse', transport: 'sse-only', remote: 'SSEClientTransport' },
  ] as const;

  for (const { path, transport, remote } of cases) {
    it(`${path} (--transport ${transport}): lists tools and calls docker_ps through the bridge`, async () => {
      const b = await bridge(`${gw.url}${path}`, ['--transport', transport, '--header', `Authorization:Bearer ${E2E_TOKEN}`]);
      const { tools } = await b.client.listTools();
      expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['docker_ps', 'docker_exec', 'docker_logs', 'health']));
      const ps = data(await b.client.callTool({ name: 'docker_ps', arguments: { name: target.name } }));
      expect(ps.containers.map((c: { name: string }) => c.name)).toEqual([target.name]);
      const exec = data(await b.client.callTool({ name: 'docker_exec', arguments: { id: target.name, cmd: ['echo', `via-${transport}`] } }));
      expect(exec).toMatchObject({ exitCode: 0, stdout: `via-${transport}\n` });
      // The bridge really used the transport asked for, with the static header and no OAuth flow.
      expect(b.stderr()).toContain(`Connected to remote server using ${remote}`);
      expect(b.stderr()).toContain('Using custom headers: Authorization');
      expect(b.stderr()).not.toMatch(/Please authorize|Browser opened|authorization URL/i);
      // Its state goes to MCP_REMOTE_CONFIG_DIR (a temp dir), never to ~/.mcp-auth.
      expect(existsSync(home.env.MCP_REMOTE_CONFIG_DIR!)).toBe(true);
      expect(existsSync(join(home.dir, '.mcp-auth'))).toBe(false);
    });
  }

  it('--protocol auto: the bridge finds MCP 2026-07-28 on /mcp, answers its client\'s initialize itself and calls statelessly', async () => {
    const b = await bridge(`${gw.url}/mcp`, ['--protocol', 'auto', '--header', `Authorization:Bearer ${E2E_TOKEN}`]);
    const { tools } = await b.client.listTools();
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['docker_ps', 'docker_exec']));
    const exec = data(await b.client.callTool({ name: 'docker_exec', arguments: { id: target.name, cmd: ['echo', 'via-2026'] } }));
    expect(exec).toMatchObject({ exitCode: 0, stdout: 'via-2026\n' });
    expect(b.stderr()).toContain('Using protocol mode: auto');
    expect(b.stderr()).toContain('Remote server speaks MCP 2026-07-28');
  });

  it('the default transport strategy (http-first) and a --header-file (token kept out of argv) work on /mcp', async () => {
    const headerFile = join(home.dir, 'headers.txt');
    writeFileSync(headerFile, `# gateway credentials\nAuthorization: Bearer ${E2E_TOKEN}\n`, { mode: 0o600 });
    const b = await bridge(`${gw.url}/mcp`, ['--header-file', headerFile]);
    const ps = data(await b.client.callTool({ name: 'docker_ps', arguments: { name: target.name } }));
    expect(ps.count).toBe(1);
    expect(b.stderr()).toContain('Connected to remote server using StreamableHTTPClientTransport');
  });
});
