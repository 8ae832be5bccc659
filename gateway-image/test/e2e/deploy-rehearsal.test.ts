/**
 * Deploy rehearsal: the docker half of `cdktf deploy`, proven without Terraform (its providers cannot be installed
 * here). The real app synthesizes the local-only stack from a tfvars file written below; every docker_* resource
 * of cdk.tf.json is realized on the real engine exactly as declared (rehearsal/translate.ts fails on any attribute it
 * does not know); then Docker must report the gateway healthy, it must answer MCP on 127.0.0.1 only, and what
 * Docker reports (memory, read-only root, capabilities, user, healthcheck, port binding...) must equal the plan.
 * Names get a per-run prefix so nothing can clash with a real deployment; everything is removed in afterAll.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker } from './helpers/docker-cli.js';
import { BASE_IMAGE, RUN_LABEL } from './helpers/images.js';
import { connectClient, data } from './helpers/mcp-client.js';
import { DOCKER_SOCKET, engine } from './rehearsal/engine-api.js';
import { Rehearsal, removeStaleRehearsals, resolveVariables, waitHealthy, type RealizedContainer, type RealizedStack } from './rehearsal/rehearsal.js';
import { StrictBlock } from './rehearsal/strict-block.js';
import { synthesizeStack, type SynthesizedStack } from './rehearsal/synth-stack.js';
import { containerRealization, goDurationNanos, networkCreateBody } from './rehearsal/translate.js';

const MiB = 1024 * 1024;
const MEMORY_LIMIT = '384m';
const CONTAINER = 'docker_container.gateway_container_B4FE70D0';
/** Every realized name starts with this (then pid and a random part). */
const NAME_PREFIX_STEM = 'rehearsal-';

/**
 * The `gateway_settings` example of docs/stack.md ("gateway_settings: the keys users need"), written into the tfvars
 * verbatim: the documented keys (lifecycle, roles, bindings, exec wrappers) must deploy and take effect.
 */
function documentedGatewaySettings(): string {
  const doc = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '../../../docs/stack.md'), 'utf8');
  // The example of the section "`gateway_settings`: the keys users need" (docs/stack.md has other gateway_settings examples).
  const section = doc.slice(doc.indexOf('### `gateway_settings`: the keys users need'));
  const block = /```hcl\n(?:[^`]*?\n)?(gateway_settings = \{[\s\S]*?\n\})\n```/.exec(section)?.[1];
  if (!block || !doc.includes('### `gateway_settings`: the keys users need')) throw new Error('docs/stack.md has no ```hcl gateway_settings = { ... } example in "`gateway_settings`: the keys users need"');
  return block;
}

/**
 * A command server that exists offline (the image's node and MCP SDK) and does what `npx -y` does first: asks npm for
 * its cache directory and writes into it. On a read-only root without a writable home, npm itself fails here.
 */
const SCRATCH_SERVER = [
  "import { execFileSync } from 'node:child_process';",
  "import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';",
  "import { join } from 'node:path';",
  "import { McpServer } from '/app/node_modules/@modelcontextprotocol/sdk/dist/esm/server/mcp.js';",
  "import { StdioServerTransport } from '/app/node_modules/@modelcontextprotocol/sdk/dist/esm/server/stdio.js';",
  "const cache = execFileSync('npm', ['config', 'get', 'cache'], { encoding: 'utf8' }).trim();",
  "mkdirSync(join(cache, '_cacache'), { recursive: true });",
  "const probe = join(cache, '_cacache', 'scratch-probe');",
  'writeFileSync(probe, String(process.pid));',
  "const server = new McpServer({ name: 'scratch', version: '1.0.0' });",
  "server.registerTool('probe', { description: 'npm cache location and whether it is writable' }, async () => ({ content: [{ type: 'text', text: JSON.stringify({ home: process.env.HOME, cache, wrote: readFileSync(probe, 'utf8') === String(process.pid) }) }] }));",
  'await server.connect(new StdioServerTransport());',
].join('\n');

/** A port nobody listens on right now (bound and released on 127.0.0.1:0). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Connects to addr:port; resolves with the error code, or 'connected'. Bounded by 3 s. */
function tryConnect(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port, timeout: 3000 });
    socket.once('connect', () => { socket.destroy(); resolve('connected'); });
    socket.once('timeout', () => { socket.destroy(); resolve('ETIMEDOUT'); });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
}

type ContainerInspect = {
  Config: { User: string; Env: string[]; Labels: Record<string, string>; Healthcheck: unknown; Image: string };
  Image: string;
  State: { Running: boolean; ExitCode: number; Health?: { Status: string } };
  HostConfig: Record<string, any>;
  NetworkSettings: { Ports: Record<string, unknown>; Networks: Record<string, unknown> };
  Mounts: Array<{ Type: string; Name?: string; Source: string; Destination: string; RW: boolean }>;
};

describe('deploy rehearsal: the synthesized local-only stack realized on the real engine', () => {
  const runId = process.env.MCP_TEST_RUN;
  const workDir = mkdtempSync(join(tmpdir(), 'mcp-rehearsal-'));
  const socketGid = statSync(DOCKER_SOCKET).gid;
  const token = randomBytes(24).toString('hex');
  const namePrefix = `${NAME_PREFIX_STEM}${process.pid}-${randomBytes(3).toString('hex')}-`;
  const testLabels = { 'mcp.gateway.test': '1', [RUN_LABEL]: runId ?? '' };
  const rehearsal = new Rehearsal({
    namePrefix,
    variables: { gateway_auth_tokens: `rehearsal=${token}` },
    extraLabels: testLabels,
    // Only this machine needs these: it has no registry or default network for builds and a site CA for npm.
    // They are not part of the plan, and a real `cdktf deploy` does not pass them.
    machineBuildArgs: ['--network', 'host', '--build-arg', 'npm_config_cafile=/etc/ssl/certs/ca-certificates.crt'],
  });
  let port: number;
  let stack: SynthesizedStack;
  let realized: RealizedStack | undefined;
  let gateway: RealizedContainer;
  let declared: Record<string, any>;
  let client: Client | undefined;

  beforeAll(async () => {
    if (!runId) throw new Error('MCP_TEST_RUN is not set: run this file through the gateway-e2e project (its global setup sets it)');
    // Leftovers of rehearsals killed mid-run (older than any live one could be).
    await removeStaleRehearsals({ namePrefixStem: NAME_PREFIX_STEM, label: 'mcp.gateway.test=1', olderThanMs: 30 * 60_000 });
    port = await freePort();
    stack = await synthesizeStack({
      workDir,
      extraHcl: documentedGatewaySettings(),
      tfvars: {
        base_image: BASE_IMAGE,
        gateway_port: port,
        memory_limit: MEMORY_LIMIT,
        docker_socket_gid: socketGid,
        log_level: 'info',
        // A command server that needs the scratch space (an npm cache) of the stack's read-only container; the
        // documented gateway_settings (extraHcl) grant the rehearsal's token its tools.
        mcp_servers: { scratch: { command: 'node', args: ['--input-type=module', '-e', SCRATCH_SERVER] } },
      },
    });
    declared = stack.json.resource![CONTAINER.split('.')[0]][CONTAINER.split('.')[1]] as Record<string, any>;
    realized = await rehearsal.realize(stack);
    gateway = realized.containers.get(CONTAINER)!;
  }, 900_000);

  afterAll(async () => {
    await client?.close().catch(() => undefined);
    try {
      await rehearsal.destroy();
    } finally {
      rmSync(workDir, { recursive: true, force: true });
    }
    // Nothing of this rehearsal may survive it.
    const left = await Promise.all([
      docker('ps', '-aq', '--filter', `name=${namePrefix}`),
      docker('network', 'ls', '-q', '--filter', `name=${namePrefix}`),
      docker('volume', 'ls', '-q', '--filter', `name=${namePrefix}`),
      docker('images', '-q', `${namePrefix}*`),
    ]);
    expect(left.join('')).toBe('');
  }, 120_000);

  it('synthesized exactly the local-only docker resources, from the tfvars written for the run', () => {
    expect(stack.log).toContain(join(workDir, 'rehearsal.tfvars'));
    expect(Object.fromEntries(Object.entries(stack.json.resource!).map(([type, rs]) => [type, Object.keys(rs)]))).toEqual({
      docker_image: ['gateway-image_0FD5DE07'],
      docker_network: ['network'],
      docker_volume: ['gateway_audit_19906563'],
      docker_container: ['gateway_container_B4FE70D0'],
    });
    expect(declared).toMatchObject({ memory: 384, memory_swap: 384, group_add: [String(socketGid)], ports: [{ internal: port, external: port, ip: '127.0.0.1' }] });
    // The token reaches the plan as a reference to the sensitive variable, never as a value.
    expect(JSON.stringify(stack.json)).not.toContain(token);
    expect(declared.env).toContain('MCP_GATEWAY_AUTH_TOKENS=${var.gateway_auth_tokens}');
    expect(realized!.images.size + realized!.networks.size + realized!.volumes.size + realized!.containers.size).toBe(4);
  });

  it('refuses, loudly, any attribute or expression it does not know how to realize', () => {
    const ctx = { rename: (n: string) => n, extraLabels: {} };
    const evaluated = { ...declared, image: 'sha256:x', env: [], mounts: [], networks_advanced: [{ name: 'n' }] };
    expect(() => containerRealization(new StrictBlock(CONTAINER, { ...evaluated, privileged: true, healthcheck: { ...declared.healthcheck, start_interval: '1s' } }), ctx))
      .toThrow(/2 synthesized attribute\(s\): docker_container\.gateway_container_B4FE70D0\.privileged, docker_container\.gateway_container_B4FE70D0\.healthcheck\.start_interval/);
    expect(() => containerRealization(new StrictBlock(CONTAINER, evaluated), ctx)).not.toThrow();
    expect(() => networkCreateBody(new StrictBlock('docker_network.network', { name: 'n', ipam_config: [{ subnet: '10.0.0.0/24' }] }), ctx)).toThrow(/ipam_config/);
    // A variable value that `terraform plan` would reject is refused too.
    expect(() => resolveVariables(stack.json, { gateway_auth_tokens: 'rehearsal=short' })).toThrow(/fails its validation/);
  });

  it('Docker reports the gateway container healthy within the declared wait_timeout', async () => {
    expect(gateway.realization.healthyWithinSeconds).toBe(declared.wait_timeout);
    const { seconds } = await waitHealthy(gateway.id, gateway.realization.healthyWithinSeconds!);
    expect(seconds).toBeLessThan(declared.wait_timeout);
  }, 180_000);

  it('answers MCP at the stack\'s local_url output, 127.0.0.1:<gateway_port>, with the bearer token (official SDK client, Streamable HTTP)', async () => {
    const localUrl = stack.json.output!.local_url.value;
    expect(localUrl).toBe(`http://127.0.0.1:${port}`);
    client = await connectClient(localUrl as string, 'streamable-http', token);
    expect(client.getServerVersion()?.name).toBeTruthy();
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['docker_ps', 'docker_inspect', 'docker_exec', 'health']));
    // The gateway sees the engine through the mounted socket (non-root user + the socket's group): it lists itself.
    const ps = data(await client.callTool({ name: 'docker_ps', arguments: { name: gateway.realization.name } }));
    expect(ps.containers.map((c: { name: string }) => c.name)).toEqual([gateway.realization.name]);
    // /ready: the engine answers through the socket, so the group added for docker_socket_gid is the socket's.
    const ready = await fetch(`http://127.0.0.1:${port}/ready`, { headers: { authorization: `Bearer ${token}` } });
    expect({ status: ready.status, body: await ready.json() }).toMatchObject({ status: 200, body: { status: 'ready' } });
    // Without the token: refused.
    const anonymous = await fetch(`http://127.0.0.1:${port}/rpc`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' });
    expect(anonymous.status).toBe(401);
  });

  it('a command server starts in the stack\'s container and writes its npm cache to the scratch tmpfs (read-only root, non-root, no capabilities)', async () => {
    client ??= await connectClient(stack.json.output!.local_url.value as string, 'streamable-http', token);
    const result = await client.callTool({ name: 'scratch__probe', arguments: {} }) as { isError?: boolean; content: Array<{ text: string }> };
    expect(result.isError).toBeFalsy();
    expect(JSON.parse(result.content[0].text)).toEqual({ home: '/home/node', cache: '/home/node/.npm', wrote: true });
    // The scratch space is the declared tmpfs (bounded), and the root stays read-only.
    const mounts = await docker('exec', gateway.id, 'sh', '-c', 'grep " /home/node " /proc/mounts');
    expect(mounts).toMatch(/^tmpfs \/home\/node tmpfs rw,nosuid,nodev,.*size=262144k/);
    expect(declared.tmpfs['/home/node']).toContain('size=256m');
  }, 120_000);

  it('a caller sees the tools its role allows, lifecycle included when gateway_settings switches it on', async () => {
    client ??= await connectClient(stack.json.output!.local_url.value as string, 'streamable-http', token);
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['docker_start', 'docker_stop', 'docker_restart', 'scratch__probe']));
  });

  it('is not reachable on any of the machine\'s other addresses (docker0 and every non-loopback IPv4)', async () => {
    const interfaces = networkInterfaces();
    const ipv4 = (name: string) => (interfaces[name] ?? []).filter((a) => a.family === 'IPv4' && !a.internal).map((a) => a.address);
    // Node lists only interfaces that are up: docker0 has no carrier while no container sits on the default bridge,
    // so every IPv4 address the kernel holds is also read with `ip` (iproute2), down interfaces included.
    const { stdout: ipOut } = await promisify(execFile)('ip', ['-4', '-o', 'addr', 'show']);
    const kernel = [...ipOut.matchAll(/^\d+:\s+(\S+)\s+inet\s+(\d+\.\d+\.\d+\.\d+)\//gm)].filter((m) => m[1] !== 'lo').map((m) => ({ name: m[1], address: m[2] }));
    const bridges = kernel.filter((k) => k.name === 'docker0').map((k) => k.address);
    const addresses = [...new Set([...Object.keys(interfaces).flatMap(ipv4), ...kernel.map((k) => k.address)])];
    expect(bridges.length).toBeGreaterThan(0);
    expect(addresses.length).toBeGreaterThan(bridges.length);
    expect(await tryConnect('127.0.0.1', port)).toBe('connected');
    const results = Object.fromEntries(await Promise.all(addresses.map(async (a) => [a, await tryConnect(a, port)] as const)));
    expect(results).toEqual(Object.fromEntries(addresses.map((a) => [a, 'ECONNREFUSED'])));
  });

  it('Docker reports the synthesized settings: memory = memory_limit, read-only, cap_drop ALL, no-new-privileges, user, healthcheck, 127.0.0.1 binding', async () => {
    const c = await engine<ContainerInspect>('GET', `/containers/${gateway.id}/json`);
    const network = realized!.networks.get('docker_network.network')!;
    const volume = realized!.volumes.get('docker_volume.gateway_audit_19906563')!;
    const image = realized!.images.get('docker_image.gateway-image_0FD5DE07')!;
    // Memory: the tfvars value, the plan's MiB and what the kernel was told all agree; no swap on top.
    expect(c.HostConfig.Memory).toBe(384 * MiB);
    expect(c.HostConfig.Memory).toBe(declared.memory * MiB);
    expect(c.HostConfig.MemorySwap).toBe(declared.memory_swap * MiB);
    expect(c.HostConfig.ReadonlyRootfs).toBe(declared.read_only);
    expect(c.HostConfig.ReadonlyRootfs).toBe(true);
    expect(c.HostConfig.CapDrop).toEqual(declared.capabilities.drop);
    expect(c.HostConfig.CapDrop).toEqual(['ALL']);
    expect(c.HostConfig.SecurityOpt).toEqual(declared.security_opts);
    expect(c.HostConfig.SecurityOpt).toEqual(['no-new-privileges:true']);
    expect(c.Config.User).toBe(declared.user);
    expect(c.HostConfig.GroupAdd).toEqual([String(socketGid)]);
    const nanos = (d: string) => goDurationNanos(d, 'healthcheck')!;
    expect(c.Config.Healthcheck).toEqual({
      Test: declared.healthcheck.test,
      Interval: nanos(declared.healthcheck.interval),
      Timeout: nanos(declared.healthcheck.timeout),
      Retries: declared.healthcheck.retries,
      StartPeriod: nanos(declared.healthcheck.start_period),
    });
    expect(c.Config.Healthcheck).toMatchObject({ Test: ['CMD', 'nc', '-z', '127.0.0.1', String(port)] });
    const binding = { [`${port}/tcp`]: [{ HostIp: '127.0.0.1', HostPort: String(port) }] };
    expect(c.HostConfig.PortBindings).toEqual(binding);
    // The image's EXPOSE 3000 shows up unbound (null); the only bound port is the declared one.
    expect(Object.fromEntries(Object.entries(c.NetworkSettings.Ports).filter(([, b]) => b !== null))).toEqual(binding);
    expect(c.HostConfig.Tmpfs).toEqual(declared.tmpfs);
    expect(c.HostConfig.LogConfig).toEqual({ Type: declared.log_driver, Config: declared.log_opts });
    expect(c.HostConfig.RestartPolicy).toEqual({ Name: declared.restart, MaximumRetryCount: 0 });
    expect(Object.keys(c.NetworkSettings.Networks)).toEqual([network.name]);
    expect(c.Image).toBe(image.id);
    expect(c.Mounts.map((m) => ({ type: m.Type, source: m.Type === 'volume' ? m.Name : m.Source, target: m.Destination, rw: m.RW })).sort((a, b) => a.target.localeCompare(b.target)))
      .toEqual([
        { type: 'volume', source: volume.name, target: '/var/lib/mcp-gateway', rw: true },
        { type: 'bind', source: DOCKER_SOCKET, target: '/var/run/docker.sock', rw: true },
      ]);
    const declaredLabels = Object.fromEntries((declared.labels as Array<{ label: string; value: string }>).map((l) => [l.label, l.value]));
    expect(c.Config.Labels).toMatchObject({ ...declaredLabels, ...testLabels });
    // Env as declared, with the sensitive variable supplied like TF_VAR_gateway_auth_tokens.
    expect(c.Config.Env).toEqual(expect.arrayContaining((declared.env as string[]).map((e) => e.replace('${var.gateway_auth_tokens}', `rehearsal=${token}`))));

    const net = await engine<{ Driver: string; Labels: Record<string, string> }>('GET', `/networks/${network.id}`);
    expect(net.Driver).toBe('bridge');
    expect(net.Labels).toMatchObject({ project: 'docker-mcp-gateway', component: 'network', ...testLabels });
    const vol = await engine<{ Labels: Record<string, string> }>('GET', `/volumes/${volume.name}`);
    expect(vol.Labels).toMatchObject({ component: 'gateway-audit', ...testLabels });
    const img = await engine<{ Config: { Labels: Record<string, string> } }>('GET', `/images/${image.id}/json`);
    expect(img.Config.Labels).toMatchObject({ project: 'docker-mcp-gateway', component: 'gateway', 'managed-by': 'cdktf', ...testLabels });
  });

  it('the gateway writes its audit log on the audit volume (the only writable place besides /tmp)', async () => {
    // MCP_DOCKER_AUDIT_FILE names the base file; the gateway writes dated files next to it (audit-YYYY-MM-DD.log).
    const file = (declared.env as string[]).find((e) => e.startsWith('MCP_DOCKER_AUDIT_FILE='))!.split('=')[1];
    const dir = file.slice(0, file.lastIndexOf('/'));
    const deadline = Date.now() + 15_000;
    let records = '';
    while (Date.now() < deadline) {
      records = await docker('exec', gateway.id, 'sh', '-c', `cat ${dir}/*.log`).catch(() => '');
      if (records.includes('docker_ps')) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(records).toContain('docker_ps');
    await expect(docker('exec', gateway.id, 'touch', '/rootfs-probe')).rejects.toThrow(/Read-only file system/);
  });

  it('stops gracefully within destroy_grace_seconds, as terraform destroy would stop it', async () => {
    await client?.close();
    client = undefined;
    const started = Date.now();
    await engine('POST', `/containers/${gateway.id}/stop?t=${declared.destroy_grace_seconds}`, undefined, { timeoutMs: (declared.destroy_grace_seconds + 30) * 1000 });
    const seconds = (Date.now() - started) / 1000;
    const c = await engine<ContainerInspect>('GET', `/containers/${gateway.id}/json`);
    expect({ running: c.State.Running, exitCode: c.State.ExitCode }).toEqual({ running: false, exitCode: 0 });
    expect(seconds).toBeLessThan(declared.destroy_grace_seconds);
  }, 90_000);
});
