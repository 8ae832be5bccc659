/**
 * Users of the design documents' tools feel at home (issue 12 §6, §7, §9), on the built image run as the stack runs it,
 * driven by the official SDK client: mcp-docker-exec's argument shapes and regex command patterns, a Claude Desktop
 * style `docker run` entry running as an image server, switched-off and denied tools that say what enables them,
 * tools/list per role, exec failures that say why, a command server whose failed start says why at once, and config
 * problems of an inline MCP_GATEWAY_CONFIG_JSON named as such.
 */
import { execFile } from 'node:child_process';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker, runContainer, runTarget, uniq, type TestContainer } from './helpers/docker-cli.js';
import { E2E_TOKEN, VIEWER_TOKEN, startGateway, type GatewayUnderTest } from './helpers/gateway-container.js';
import { GATEWAY_IMAGE, TEST_LABEL } from './helpers/images.js';
import { connectClient, data } from './helpers/mcp-client.js';
import { buildEverythingImage } from './upstreams/harness.js';
import { firstText, gatewayConfig, ownedContainers, ownerIdFor, removeOwned } from './upstreams-gateway/harness.js';

const OWNER = ownerIdFor('ux');
const IMAGE = `mcp-upstream-everything:ux-test-${process.pid}`;
/** Writes its reason first, then a long stack, and exits before speaking MCP: a server that cannot start. */
const BROKEN = 'console.error("Error: FOO_API_KEY is not set"); for (let i = 0; i < 80; i++) console.error("    at frame " + i + " (/srv/app/node_modules/lib/index.js:1:1)"); process.exit(2)';

type CallResult = { isError?: boolean; structuredContent?: Record<string, any>; content: Array<{ text: string }> };

describe('user-facing behaviour (issue 12): the built image as the stack runs it, SDK client', () => {
  let gw: GatewayUnderTest;
  let client: Client;
  let viewer: Client;
  let target: TestContainer;
  let stopped: TestContainer;

  beforeAll(async () => {
    await buildEverythingImage(IMAGE);
    [target, stopped] = await Promise.all([runTarget(uniq('ux-target')), runTarget(uniq('ux-stopped'))]);
    await docker('stop', '-t', '0', stopped.id);
    const config = gatewayConfig(OWNER, {
      // Pasted from a Claude Desktop config: no rewriting into the image server form.
      pasted: { command: 'docker', args: ['run', '-i', '--rm', '--network', 'none', '--memory', '192m', '-e', 'GREETING', IMAGE], env: { GREETING: 'hello' }, lifecycle: 'shared' },
      broken: { command: 'node', args: ['-e', BROKEN], lifecycle: 'shared' },
    }, { eagerStart: true, initTimeoutMs: 60_000, restartBackoffMs: 60_000, restartBackoffMaxMs: 60_000 }) as Record<string, any>;
    // mcp-docker-exec users write regexes: ^echo is understood.
    // `env` (no arguments: prints the environment) is a wrapper, allowed by name.
    config.exec = { ...config.exec, commandPatterns: ['^echo', 'id', 'true'], allowedWrappers: ['env'] };
    gw = await startGateway({ config });
    client = await connectClient(gw.url);
    viewer = await connectClient(gw.url, 'streamable-http', VIEWER_TOKEN);
  }, 300_000);
  afterAll(async () => {
    await client?.close().catch(() => undefined);
    await viewer?.close().catch(() => undefined);
    await gw?.remove();
    await removeOwned(OWNER);
    await Promise.all([target?.remove(), stopped?.remove()]);
    await docker('rmi', '-f', IMAGE).catch(() => undefined);
  });

  it('docker_logs takes tail as 2, "2" or "all"; another shape is refused naming the accepted ones', async () => {
    const asNumber = data(await client.callTool({ name: 'docker_logs', arguments: { id: target.name, tail: 2 } }));
    const asString = data(await client.callTool({ name: 'docker_logs', arguments: { id: target.name, tail: '2' } }));
    expect(asNumber.stdout.trim().split('\n')).toHaveLength(asString.stdout.trim().split('\n').length);
    expect(asString.stdout).toMatch(/^line \d+\n$/);
    const all = data(await client.callTool({ name: 'docker_logs', arguments: { id: target.name, tail: 'all' } }));
    expect(all.stdout).toMatch(/^line 1\n/);
    await expect(client.callTool({ name: 'docker_logs', arguments: { id: target.name, tail: 'ten' } }))
      .rejects.toThrow(/tail must be a number of lines \(100\), the same as a string \("100"\), or "all"/);
  });

  it('docker_exec takes env as an object or an array; ^echo from MCP_DOCKER_COMMAND_PATTERNS-style regexes is understood', async () => {
    const obj = data(await client.callTool({ name: 'docker_exec', arguments: { id: target.name, cmd: ['env'], env: { GREETING: 'from an object', OTHER: '2' } } }));
    expect(obj.exitCode).toBe(0);
    expect(obj.stdout.split('\n')).toEqual(expect.arrayContaining(['GREETING=from an object', 'OTHER=2']));
    const arr = data(await client.callTool({ name: 'docker_exec', arguments: { id: target.name, cmd: ['env'], env: ['GREETING=from an array'] } }));
    expect(arr.stdout.split('\n')).toContain('GREETING=from an array');
    expect(data(await client.callTool({ name: 'docker_exec', arguments: { id: target.name, cmd: ['echo', 'anchored'] } })).stdout).toBe('anchored\n');
    await expect(client.callTool({ name: 'docker_exec', arguments: { id: target.name, cmd: ['true'], env: 'GREETING=x' } }))
      .rejects.toThrow(/env must be an array of "NAME=value" strings \(\["DEBUG=1"\]\) or an object of names to string values/);
  });

  it('an exec as a user the container lacks is an isError naming the user, not exit 126 passed off as success', async () => {
    const r = await client.callTool({ name: 'docker_exec', arguments: { id: target.name, cmd: ['id'], user: 'nosuchuser' } }) as CallResult;
    expect(r.isError).toBe(true);
    expect(r.content[0].text).toContain('User "nosuchuser" does not exist in container');
    expect(r.structuredContent).toMatchObject({ exitCode: 126 });
  });

  it('an exec on a stopped container names it and says how to start it (docker_start is switched off here: the setting that enables it)', async () => {
    const r = await client.callTool({ name: 'docker_exec', arguments: { id: stopped.name, cmd: ['true'] } }) as CallResult;
    expect(r.isError).toBe(true);
    expect(r.content[0].text).toMatch(new RegExp(`^Container ${stopped.name} is not running, so nothing can be executed in it\\. Start it first; the docker_start tool is switched off \\(enable it with MCP_DOCKER_ENABLE_LIFECYCLE=true`));
  });

  it('a switched-off tool says which setting enables it (env, config file and gateway_settings), over MCP and /rpc', async () => {
    await expect(client.callTool({ name: 'docker_stop', arguments: { id: target.name } }))
      .rejects.toThrow(/docker_stop is switched off.*MCP_DOCKER_ENABLE_LIFECYCLE=true.*"tools": \{"enableLifecycle": true\}.*gateway_settings = \{ tools = \{ enableLifecycle = true \} \}/);
    const res = await gw.fetch('/rpc', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'docker_restart', arguments: {} } }) });
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain('docker_restart is switched off');
  });

  it('tools/list shows each caller the tools its role may call (MCP and /rpc); a denial names the role and the setting that grants it', async () => {
    const mine = (await client.listTools()).tools.map((t) => t.name);
    const theirs = (await viewer.listTools()).tools.map((t) => t.name);
    expect(mine).toEqual(expect.arrayContaining(['docker_exec', 'docker_logs', 'pasted__echo']));
    expect(theirs.sort()).toEqual(['docker_container_list', 'docker_images', 'docker_inspect', 'docker_logs', 'docker_ps', 'health']);
    const rpc = await gw.fetch('/rpc', { method: 'POST', token: VIEWER_TOKEN, headers: { 'content-type': 'application/json' }, body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' });
    expect(((await rpc.json()) as { result: { tools: Array<{ name: string }> } }).result.tools.map((t) => t.name).sort()).toEqual(theirs);
    const denied = await viewer.callTool({ name: 'docker_exec', arguments: { id: target.name, cmd: ['true'] } }) as CallResult;
    expect(denied.isError).toBe(true);
    expect(denied.content[0].text).toBe('Denied (policy.tool-not-allowed): viewer (roles: reader) may not call docker_exec; to grant it, add "docker_exec" to policy.roles.reader.tools, ' +
      'or bind viewer to a role whose tools include it in policy.bindings: { "tokens": ["viewer"], "roles": ["<role>"] } (config file, MCP_GATEWAY_CONFIG_JSON, or the stack\'s gateway_settings)');
  });

  it('an upstream pasted as `docker run -i --rm --network none --memory 192m -e GREETING <image>` runs as an image server with those settings', async () => {
    expect(firstText(await client.callTool({ name: 'pasted__echo', arguments: { message: 'pasted' } }))).toBe('Echo: pasted');
    const ids = await ownedContainers(OWNER, 'mcp.gateway.upstream=pasted');
    expect(ids).toHaveLength(1);
    const [info] = JSON.parse(await docker('inspect', ids[0])) as Array<{ Config: { Env: string[] }; HostConfig: { NetworkMode: string; Memory: number; CapDrop: string[]; AutoRemove: boolean } }>;
    expect(info.HostConfig).toMatchObject({ NetworkMode: 'none', Memory: 192 * 1024 * 1024, CapDrop: ['ALL'], AutoRemove: true });
    expect(info.Config.Env).toContain('GREETING=hello');
  });

  it('a command server that exits before initialize says why at once: /ready repeats the reason, its tools name it', async () => {
    const res = await gw.fetch('/ready');
    const body = await res.json() as { status: string; reason: string };
    expect(res.status).toBe(503);
    // The state is `failed` or, while it is retried, `backoff`; the reason is the start failure either way.
    expect(body.reason).toMatch(/^upstream:broken: (failed|backoff): upstream "broken" failed to start: process \d+ \(node\) exited with code 2 before MCP initialize completed; its stderr:\nError: FOO_API_KEY is not set\n/);
    expect(body.reason).toContain('...\nat frame 79');
    const r = await client.callTool({ name: 'broken__anything', arguments: {} }) as CallResult;
    expect(r.isError).toBe(true);
    expect(r.content[0].text).toContain('Error: FOO_API_KEY is not set');
    // Far inside the 60 s init timeout: the gateway did not wait it out (its log line says when the start failed).
    expect(await gw.logs()).not.toContain('did not finish starting');
  });
});

/** Runs the image with an inline config and returns what it printed before exiting (it refuses to start). */
function refusal(config: unknown): Promise<string> {
  return new Promise<string>((resolve) => {
    execFile('docker', ['run', '--rm', '--label', TEST_LABEL, '--read-only', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges',
      '-e', `MCP_GATEWAY_AUTH_TOKENS=e2e=${E2E_TOKEN}`, '-e', `MCP_GATEWAY_CONFIG_JSON=${JSON.stringify(config)}`, GATEWAY_IMAGE],
    { timeout: 60_000 }, (_err, stdout, stderr) => resolve(`${stdout}${stderr}`));
  });
}

describe('config problems of an inline MCP_GATEWAY_CONFIG_JSON', () => {
  it('are named MCP_GATEWAY_CONFIG_JSON, all at once: unknown key, refused docker run flag, role naming no tool, binding naming no token', async () => {
    const out = await refusal({
      polcy: {},
      policy: { roles: { ops: { tools: ['docker_exce', 'gh__*'] } }, bindings: [{ tokens: ['nobody'], roles: ['ops'] }] },
      mcpServers: { gh: { command: 'docker', args: ['run', '-i', '--rm', '--privileged', 'ghcr.io/github/github-mcp-server'] } },
    });
    expect(out).toContain('invalid gateway configuration (4 problems)');
    expect(out).toContain('- MCP_GATEWAY_CONFIG_JSON: unknown key "polcy"; did you mean "policy"?');
    expect(out).not.toContain('config file: unknown key');
    expect(out).toContain('- mcpServers.gh.args[3] (got "--privileged"): --privileged is refused by the container policy');
    expect(out).toContain('- policy.roles.ops.tools[0]: "docker_exce" matches no tool; did you mean "docker_exec"?');
    expect(out).toContain('- policy.bindings[0].tokens[0]: "nobody" names no bearer token (configured: e2e)');
    expect(out).not.toContain(E2E_TOKEN);
  }, 90_000);

  it('a regex command pattern that cannot be understood is refused with the glob to write, not accepted to deny everything', async () => {
    const out = await refusal({ exec: { commandPatterns: ['^ls$'] } });
    expect(out).toContain('- exec.commandPatterns.0: "^ls$" is regular-expression syntax; command patterns are argv-prefix globs');
    expect(out).toContain('write e.g. "ls"');
  }, 90_000);
});
