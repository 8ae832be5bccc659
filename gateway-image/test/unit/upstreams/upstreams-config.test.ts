import { describe, expect, it } from 'vitest';
import { UpstreamsConfigError, formatProblem, parseUpstreamsConfig, validateUpstreams } from '../../../src/core/upstreams/index.js';
import { parseMemoryBytes } from '../../../src/core/upstreams/upstreams-config.js';

const parse = (mcpServers: Record<string, unknown>, upstreams: Record<string, unknown> = {}) => parseUpstreamsConfig({ mcpServers, upstreams });

describe('parseUpstreamsConfig', () => {
  it('applies the documented defaults and tags each server with its kind', () => {
    const { config, problems } = parse({
      img: { image: 'mcp/fetch' },
      cmd: { command: 'npx', args: ['-y', 'x'] },
      rem: { url: 'https://example.test/mcp' },
    });
    expect(problems).toEqual([]);
    expect(config!.upstreams).toEqual({
      separator: '__',
      idleTimeoutSeconds: 300,
      maxInstancesPerServer: 16,
      callTimeoutMs: 60_000,
      initTimeoutMs: 30_000,
      eagerStart: false,
      allowPull: false,
      ownerId: 'mcp-gateway',
      restartBackoffMs: 500,
      restartBackoffMaxMs: 30_000,
    });
    expect(config!.mcpServers.img).toEqual({
      kind: 'image',
      image: 'mcp/fetch',
      args: [],
      environment: {},
      block_network: false,
      memory: '512m',
      cpus: 1,
      pids_limit: 256,
      volumes: [],
      block_secrets: false,
      lifecycle: 'per-session',
      protocol: 'auto',
      prefix: true,
    });
    expect(config!.mcpServers.cmd).toEqual({ kind: 'command', command: 'npx', args: ['-y', 'x'], environment: {}, block_secrets: false, lifecycle: 'per-session', protocol: 'auto', prefix: true });
    expect(config!.mcpServers.rem).toEqual({ kind: 'remote', url: 'https://example.test/mcp', headers: {}, transport: 'streamable-http', block_secrets: false, lifecycle: 'per-session', protocol: 'auto', prefix: true });
  });

  it('protocol and prefix: bad values name the field, the value and the choices', () => {
    const { problems } = parse({ a: { command: 'npx', protocol: '2026' }, b: { command: 'npx', prefix: 'no' } });
    const text = problems.map(formatProblem).join('\n');
    expect(text).toContain('mcpServers.a.protocol');
    expect(text).toContain('use one of auto, legacy, modern');
    expect(text).toContain('mcpServers.b.prefix');
    expect(text).toContain('use true (names <server><separator><tool>) or false');
  });

  it('prefix: false exposes enabled_tools under their own names, so a clash with a built-in or another server is refused naming both', async () => {
    const { config } = parse({ a: { command: '/bin/sh', prefix: false, enabled_tools: ['docker_ps', 'echo'] }, b: { command: '/bin/sh', prefix: false, enabled_tools: ['echo'] } });
    const problems = await validateUpstreams(config!, { reservedToolNames: ['docker_ps'] });
    const text = problems.map(formatProblem).join('\n');
    expect(text).toContain('mcpServers.a.enabled_tools[0] (got "docker_ps"): exposed name "docker_ps" collides with the built-in tools');
    expect(text).toContain('mcpServers.b.enabled_tools[0] (got "echo"): exposed name "echo" collides with server "a"');
  });

  it('reports every schema problem of every server at once, with a fix', () => {
    const { config, problems } = parse(
      {
        a: { image: 'x', enabledTools: ['t'], lifecycle: 'forever' },
        b: { description: 'no way to run me' },
        c: { url: 'http://x/mcp', command: 'node' },
        d: 'not an object',
      },
      { separator: '' },
    );
    expect(config).toBeUndefined();
    const summary = problems.map((p) => `${p.server}.${p.field}`);
    expect(summary).toEqual(expect.arrayContaining(['upstreams.separator', 'a.enabledTools', 'a.lifecycle', 'b.command', 'c.url', 'd.']));
    expect(problems.find((p) => p.field === 'enabledTools')!.fix).toBe('rename it to `enabled_tools`');
    expect(problems.find((p) => p.field === 'lifecycle')!.fix).toBe('use one of per-session, shared, per-call');
    expect(formatProblem(problems.find((p) => p.server === 'b')!)).toBe(
      '- mcpServers.b.command: no `image`, `command` or `url`: the gateway does not know how to run this server. Fix: set `image` (container), `command` (child process) or `url` (remote server)',
    );
  });
});

describe('validateUpstreams', () => {
  it('reports every problem at once: names, tool filters, images, commands, memory, volumes, collisions', async () => {
    const { config } = parse(
      {
        'bad__name': { command: '/bin/sh' },
        'has space': { command: '/bin/sh' },
        git: { command: '/bin/sh', enabled_tools: ['ok_tool', 'bad tool', 'git__prefixed', 'ok_tool'] },
        Git: { command: '/bin/sh' },
        docker: { command: '/bin/sh', enabled_tools: ['ps'] },
        missing: { command: 'definitely-not-a-command-xyz' },
        img: { image: 'not/here:1', memory: '1k', volumes: ['relative', '/a:/b:rx', '/srv:/data:ro'], environment: { '1BAD': 'x' } },
      },
      { restartBackoffMs: 1000, restartBackoffMaxMs: 10 },
    );
    const problems = await validateUpstreams(config!, {
      imageExists: async (image) => image !== 'not/here:1',
      reservedToolNames: ['docker__ps'],
      path: '/usr/bin:/bin',
    });
    const got = problems.map((p) => [p.server, p.field, p.value]);
    expect(got).toEqual([
      ['bad__name', '', 'bad__name'],
      ['has space', '', 'has space'],
      ['git', 'enabled_tools[1]', 'bad tool'],
      ['git', 'enabled_tools[2]', 'git__prefixed'],
      ['git', 'enabled_tools[3]', 'ok_tool'],
      ['Git', '', 'Git'],
      ['docker', 'enabled_tools[0]', 'ps'],
      ['missing', 'command', 'definitely-not-a-command-xyz'],
      ['img', 'environment.1BAD', '1BAD'],
      ['img', 'memory', '1k'],
      ['img', 'volumes[0]', 'relative'],
      ['img', 'volumes[1]', '/a:/b:rx'],
      ['upstreams', 'restartBackoffMaxMs', 10],
      ['img', 'image', 'not/here:1'],
    ]);
    const byKey = (server: string, field: string) => problems.find((p) => p.server === server && p.field === field)!;
    expect(byKey('bad__name', '').message).toMatch(/contains the separator "__"/);
    expect(byKey('bad__name', '').fix).toBe('rename the server, e.g. "bad-name"');
    expect(byKey('docker', 'enabled_tools[0]').message).toBe('exposed name "docker__ps" collides with the built-in tools');
    expect(byKey('img', 'image').fix).toMatch(/set upstreams.allowPull to true/);
    expect(new UpstreamsConfigError(problems).message).toMatch(/^invalid upstream MCP server config \(14 problems\):\n- mcpServers.bad__name/);
  });

  it('does not ask the engine about images when pulling is allowed, and accepts a clean config', async () => {
    const { config } = parse({ img: { image: 'x' }, cmd: { command: 'sh' } }, { allowPull: true });
    let asked = 0;
    const problems = await validateUpstreams(config!, { imageExists: async () => (asked++, false), path: '/usr/bin:/bin' });
    expect(problems).toEqual([]);
    expect(asked).toBe(0);
  });

  it('reports an unreachable engine as a problem of the image field', async () => {
    const { config } = parse({ img: { image: 'x' } });
    const problems = await validateUpstreams(config!, { imageExists: async () => Promise.reject(new Error('connect ENOENT /var/run/docker.sock')) });
    expect(problems).toEqual([
      { server: 'img', field: 'image', value: 'x', message: 'could not ask the Docker engine about the image: connect ENOENT /var/run/docker.sock', fix: 'make sure the engine is reachable (DOCKER_HOST)' },
    ]);
  });

  it('passes volumes to the container policy hook', async () => {
    const { config } = parse({ img: { image: 'x', volumes: ['/var/run/docker.sock:/var/run/docker.sock'] } });
    const problems = await validateUpstreams(config!, { checkVolume: (_s, v) => (v.startsWith('/var/run/docker.sock') ? 'the Docker socket may not be mounted into upstreams' : undefined) });
    expect(problems.map((p) => p.message)).toEqual(['the Docker socket may not be mounted into upstreams']);
  });
});

describe('parseMemoryBytes', () => {
  it.each([
    ['512m', 512 * 1024 ** 2],
    ['1g', 1024 ** 3],
    ['1.5G', 1.5 * 1024 ** 3],
    ['64MiB', 64 * 1024 ** 2],
    ['100k', 102_400],
    [1048576, 1048576],
    ['lots', undefined],
    [0, undefined],
  ])('%s -> %s', (input, bytes) => {
    expect(parseMemoryBytes(input)).toBe(bytes);
  });
});

describe('the README example', () => {
  it('the mcpServers example of the README parses without a problem (protocol and prefix included)', async () => {
    const { readFileSync } = await import('node:fs');
    const { resolve } = await import('node:path');
    const readme = readFileSync(resolve(__dirname, '../../../../README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### Upstream MCP servers'), readme.indexOf('### Clients'));
    const json = /```json\n([\s\S]*?)```/.exec(section)?.[1];
    expect(json).toBeDefined();
    const { config, problems } = parseUpstreamsConfig(JSON.parse(json!) as { mcpServers: unknown });
    expect(problems).toEqual([]);
    expect(config!.mcpServers.remote).toMatchObject({ kind: 'remote', protocol: 'modern', prefix: true });
    expect(config!.mcpServers.tickets).toMatchObject({ kind: 'remote', protocol: 'auto', prefix: false });
  });
});
