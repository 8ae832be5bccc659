/**
 * The MCP Inspector's CLI (`@modelcontextprotocol/inspector --cli`, run with the Node 22 it requires) against
 * the built image on the real engine: it lists the tools and calls docker_ps and docker_exec over Streamable
 * HTTP (/mcp) and over the old SSE transport (/sse), authenticating with `--header "Authorization: Bearer ..."`, and in
 * both protocol eras on /mcp (`--protocol-era modern|legacy`).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runTarget, uniq, type TestContainer } from '../helpers/docker-cli.js';
import { E2E_TOKEN, startGateway, type GatewayUnderTest } from '../helpers/gateway-container.js';
import { INSPECTOR_BIN, MCP_REMOTE_BIN, describeRun, killAll, node22, requireInstalled, runClient, sandbox, type Sandbox } from './client-process.js';

const RUN_TIMEOUT_MS = 45_000;

describe('MCP Inspector CLI against the gateway image', () => {
  let gw: GatewayUnderTest;
  let target: TestContainer;
  let home: Sandbox;
  let node: string;

  beforeAll(async () => {
    node = node22();
    requireInstalled(INSPECTOR_BIN, '@modelcontextprotocol/inspector');
    // No OS keychain here: keep whatever the Inspector would store in memory, never on disk.
    home = sandbox('inspector-home', { MCP_INSPECTOR_SECRET_STORE: 'memory' });
    target = await runTarget(uniq('inspector-target'));
    gw = await startGateway();
  });
  afterEach(() => killAll());
  afterAll(async () => {
    killAll();
    await gw?.remove();
    await target?.remove();
    home?.remove();
  });

  /** Runs the Inspector CLI once and returns its JSON result (`--format json`), failing with its output otherwise. */
  async function inspector(args: string[], what: string): Promise<any> {
    // A connect bound above the Inspector's 15 s default: a loaded 2-core CI machine can be slow, never hung.
    const run = await runClient(node, [INSPECTOR_BIN, '--cli', ...args, '--format', 'json', '--connect-timeout', '30000'], { env: home.env, timeoutMs: RUN_TIMEOUT_MS });
    if (run.code !== 0) throw new Error(describeRun(`inspector ${what}`, run));
    try {
      return JSON.parse(run.stdout);
    } catch {
      throw new Error(describeRun(`inspector ${what} printed no JSON`, run));
    }
  }

  const transports = [
    { transport: 'http', path: '/mcp' },
    { transport: 'sse', path: '/sse' },
  ] as const;

  for (const { transport, path } of transports) {
    describe(`--transport ${transport} (${path})`, () => {
      const auth = () => ['--header', `Authorization: Bearer ${E2E_TOKEN}`];
      const server = () => [`${gw.url}${path}`, '--transport', transport];

      it('lists the Docker tools', async () => {
        const out = await inspector([...server(), ...auth(), '--method', 'tools/list'], `tools/list over ${transport}`);
        const names = out.result.tools.map((t: { name: string }) => t.name);
        expect(names).toEqual(expect.arrayContaining(['docker_ps', 'docker_container_list', 'docker_inspect', 'docker_logs', 'docker_exec', 'docker_images', 'health']));
        const exec = out.result.tools.find((t: { name: string }) => t.name === 'docker_exec');
        expect(exec.inputSchema.required).toEqual(['id', 'cmd']);
      });

      it('calls docker_ps and finds the target', async () => {
        const out = await inspector([...server(), ...auth(), '--method', 'tools/call', '--tool-name', 'docker_ps',
          '--tool-args-json', JSON.stringify({ name: target.name })], `docker_ps over ${transport}`);
        expect(out.result.isError ?? false).toBe(false);
        expect(out.result.structuredContent.containers.map((c: { name: string }) => c.name)).toEqual([target.name]);
      });

      it('calls docker_exec and gets the output and exit code', async () => {
        const out = await inspector([...server(), ...auth(), '--method', 'tools/call', '--tool-name', 'docker_exec',
          '--tool-args-json', JSON.stringify({ id: target.name, cmd: ['echo', `inspector-${transport}`] })], `docker_exec over ${transport}`);
        expect(out.result.isError ?? false).toBe(false);
        expect(out.result.structuredContent).toMatchObject({ exitCode: 0, stdout: `inspector-${transport}\n`, stderr: '', truncated: false });
      });

      it('is refused without the bearer header (the header is what authenticates)', async () => {
        // --stored-auth-only: never start the interactive OAuth flow, fail with auth_required instead.
        const run = await runClient(node, [INSPECTOR_BIN, '--cli', ...server(), '--method', 'tools/list', '--format', 'json', '--stored-auth-only'],
          { env: home.env, timeoutMs: RUN_TIMEOUT_MS });
        expect(run.timedOut, describeRun('inspector without a header', run)).toBe(false);
        expect(run.code, describeRun('inspector without a header', run)).not.toBe(0);
        expect(`${run.stdout}${run.stderr}`).toMatch(/auth_required|401|authentication required/);
      });
    });
  }

  /**
   * `--protocol-era`: `modern` speaks only MCP 2026-07-28 (it probes server/discover and does not fall back), `legacy`
   * opens a 2025 session with initialize; both on the same /mcp URL.
   */
  for (const era of ['modern', 'legacy'] as const) {
    it(`--protocol-era ${era} on /mcp lists the tools and calls docker_exec`, async () => {
      const server = [`${gw.url}/mcp`, '--transport', 'http', '--protocol-era', era, '--header', `Authorization: Bearer ${E2E_TOKEN}`];
      const list = await inspector([...server, '--method', 'tools/list'], `tools/list, era ${era}`);
      expect(list.result.tools.map((t: { name: string }) => t.name)).toEqual(expect.arrayContaining(['docker_ps', 'docker_exec']));
      const out = await inspector([...server, '--method', 'tools/call', '--tool-name', 'docker_exec',
        '--tool-args-json', JSON.stringify({ id: target.name, cmd: ['echo', `inspector-${era}`] })], `docker_exec, era ${era}`);
      expect(out.result.structuredContent).toMatchObject({ exitCode: 0, stdout: `inspector-${era}\n` });
    });
  }

  /**
   * The configuration-file forms docs/interop.md gives, loaded by the Inspector from an `mcpServers` file
   * (`--config <file> --server docker`), so the snippets are exercised, not just written down.
   */
  describe('configuration-file forms from docs/interop.md', () => {
    function configFile(name: string, server: Record<string, unknown>): string {
      const file = join(home.dir, `${name}.json`);
      writeFileSync(file, JSON.stringify({ mcpServers: { docker: server } }, null, 2));
      return file;
    }

    for (const [type, path] of [['http', '/mcp'], ['sse', '/sse']] as const) {
      it(`{ type: "${type}", url: ".../${path.slice(1)}", headers: { Authorization } } calls docker_ps`, async () => {
        const file = configFile(`url-${type}`, { type, url: `${gw.url}${path}`, headers: { Authorization: `Bearer ${E2E_TOKEN}` } });
        const out = await inspector(['--config', file, '--server', 'docker', '--method', 'tools/call', '--tool-name', 'docker_ps',
          '--tool-args-json', JSON.stringify({ name: target.name })], `config ${type}`);
        expect(out.result.structuredContent.containers.map((c: { name: string }) => c.name)).toEqual([target.name]);
      });
    }

    it('the Claude Desktop form (stdio command running mcp-remote with --header) calls docker_exec', async () => {
      const file = configFile('mcp-remote', {
        command: node,
        args: [MCP_REMOTE_BIN, `${gw.url}/mcp`, '--header', `Authorization:Bearer ${E2E_TOKEN}`],
        env: { MCP_REMOTE_CONFIG_DIR: join(home.dir, 'mcp-auth') },
      });
      const out = await inspector(['--config', file, '--server', 'docker', '--method', 'tools/call', '--tool-name', 'docker_exec',
        '--tool-args-json', JSON.stringify({ id: target.name, cmd: ['echo', 'via-mcp-remote'] })], 'config mcp-remote');
      expect(out.result.structuredContent).toMatchObject({ exitCode: 0, stdout: 'via-mcp-remote\n' });
    });
  });
});
