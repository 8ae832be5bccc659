import { describe, expect, it } from 'vitest';
import { isDockerRunEntry, translateDockerRun } from '../../../src/core/upstreams/docker-run-args.js';
import { parseUpstreamsConfig } from '../../../src/core/upstreams/upstreams-config.js';

const run = (args: string[], extra: Record<string, unknown> = {}) => translateDockerRun('gh', { command: 'docker', args, ...extra });
const messages = (args: string[], extra: Record<string, unknown> = {}) => run(args, extra).problems.map((p) => `${p.field}: ${p.message}`);

describe('docker run entries (Claude Desktop / MetaMCP style) become image servers', () => {
  it('recognizes command docker (or a path to it) without an image', () => {
    expect(isDockerRunEntry({ command: 'docker', args: [] })).toBe(true);
    expect(isDockerRunEntry({ command: '/usr/bin/docker', args: [] })).toBe(true);
    expect(isDockerRunEntry({ command: 'docker-compose' })).toBe(false);
    expect(isDockerRunEntry({ command: 'npx' })).toBe(false);
    expect(isDockerRunEntry({ command: 'docker', image: 'x' })).toBe(false);
  });

  it('maps the GitHub server\'s Claude Desktop entry: -e NAME takes its value from env, the rest after the image is the command', () => {
    const r = run(['run', '-i', '--rm', '-e', 'GITHUB_PERSONAL_ACCESS_TOKEN', 'ghcr.io/github/github-mcp-server', 'stdio', '--read-only'],
      { env: { GITHUB_PERSONAL_ACCESS_TOKEN: 'ghp_x', UNUSED: 'y' }, description: 'GitHub' });
    expect(r.problems).toEqual([]);
    expect(r.entry).toEqual({
      image: 'ghcr.io/github/github-mcp-server', args: ['stdio', '--read-only'], environment: { GITHUB_PERSONAL_ACCESS_TOKEN: 'ghp_x' },
      block_network: false, volumes: [], description: 'GitHub',
    });
  });

  it('maps every understood flag onto the image server settings', () => {
    const r = run(['container', 'run', '-i', '--rm', '--init', '--name', 'x', '--label', 'a=b', '-e', 'A=1', '--env=B=2', '--env', 'C=x=y',
      '-v', '/srv/data:/data:ro', '--volume=/srv/b:/b', '--network', 'none', '-m', '256m', '--cpus=0.5', '--pids-limit', '64',
      '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges', 'mcp/fetch:1']);
    expect(r.problems).toEqual([]);
    expect(r.entry).toEqual({
      image: 'mcp/fetch:1', args: [], environment: { A: '1', B: '2', C: 'x=y' }, block_network: true,
      volumes: ['/srv/data:/data:ro', '/srv/b:/b'], memory: '256m', cpus: 0.5, pids_limit: 64,
    });
  });

  it('understands --add-host host.docker.internal:host-gateway (the bridge default) and --network bridge', () => {
    expect(run(['run', '-i', '--add-host', 'host.docker.internal:host-gateway', '--network=bridge', 'img']).entry).toMatchObject({ image: 'img', block_network: false });
    expect(messages(['run', '--add-host', 'db:10.0.0.1', 'img'])).toEqual([expect.stringContaining('--add-host db:10.0.0.1 is not supported')]);
    expect(messages(['run', '--network', 'none', '--add-host', 'host.docker.internal:host-gateway', 'img'])).toEqual([expect.stringContaining('contradict')]);
  });

  it.each([
    [['--privileged'], '--privileged is refused by the container policy'],
    [['--cap-add', 'SYS_ADMIN'], '--cap-add is refused by the container policy'],
    [['--cap-add=NET_ADMIN'], '--cap-add is refused by the container policy'],
    [['--pid', 'host'], '--pid host is refused by the container policy'],
    [['--pid=host'], '--pid host is refused by the container policy'],
    [['--ipc', 'host'], '--ipc host is refused by the container policy'],
    [['--userns=host'], '--userns host is refused by the container policy'],
    [['--network', 'host'], '--network host is refused by the container policy'],
    [['--net=host'], '--net host is refused by the container policy'],
    [['-v', '/var/run/docker.sock:/var/run/docker.sock'], '-v /var/run/docker.sock:... is refused by the container policy'],
    [['--volume', '/var/run:/host-run'], '-v /var/run:... is refused by the container policy'],
    [['--device', '/dev/kvm'], '--device is refused by the container policy'],
    [['--security-opt', 'seccomp=unconfined'], '--security-opt seccomp=unconfined is refused by the container policy'],
    [['-it'], '-t is not allowed'],
    [['-t'], '-t is not allowed'],
    [['-d'], '-d is not allowed'],
    [['--entrypoint', 'sh'], '--entrypoint is not supported'],
    [['--env-file', '.env'], '--env-file is not supported'],
    [['--network', 'my-net'], '--network my-net is not supported'],
  ])('refuses %j, naming the flag', (flags, expected) => {
    const r = run(['run', '-i', '--rm', ...flags, 'img']);
    expect(r.entry).toBeUndefined();
    expect(r.problems.map((p) => p.message).join('\n')).toContain(expected);
    expect(r.problems[0].field).toMatch(/^args\[\d+\]$/);
  });

  it('refuses an unknown flag by name and lists the supported ones', () => {
    const [p] = run(['run', '--frobnicate', 'img']).problems;
    expect(p).toMatchObject({ field: 'args[1]', value: '--frobnicate' });
    expect(p.message).toContain('--frobnicate is not supported');
    expect(p.message).toContain('--network none|bridge');
  });

  it('refuses -e NAME missing from env without printing any value, and reports every problem at once', () => {
    const r = run(['run', '-e', 'TOKEN', '--privileged', '-e', 'SECRET=hunter2hunter2', '-t', 'img'], { env: { OTHER: 'v' } });
    expect(r.problems.map((p) => p.field)).toEqual(['args[1]', 'args[3]', 'args[6]']);
    expect(r.problems[0].fix).toContain('"env": {"TOKEN": "..."}');
    expect(JSON.stringify(r.problems)).not.toContain('hunter2');
  });

  it('needs run first, an image, string args, and no fields an image server lacks', () => {
    expect(messages(['ps'])).toEqual([expect.stringContaining('only `docker run` entries')]);
    expect(messages(['run', '-i', '--rm'])).toEqual([expect.stringContaining('no image found')]);
    expect(messages(['run', '-e'])).toEqual([expect.stringContaining('-e needs a value')]);
    expect(translateDockerRun('x', { command: 'docker', args: 'run img' }).problems[0].field).toBe('args');
    expect(translateDockerRun('x', { command: 'docker', args: ['run', 'img'], cwd: '/x' }).problems[0]).toMatchObject({ field: 'cwd', message: expect.stringContaining('unknown field') });
    expect(translateDockerRun('x', { command: 'docker', args: ['run', 'img'], type: 'sse' }).problems[0].field).toBe('type');
    expect(translateDockerRun('x', { command: 'docker', args: ['run', 'img'], type: 'stdio' }).problems).toEqual([]);
  });

  it('parses through parseUpstreamsConfig into an image server with the hardened defaults', () => {
    const { config, problems } = parseUpstreamsConfig({ mcpServers: { fetch: { command: 'docker', args: ['run', '-i', '--rm', '--memory', '128m', 'mcp/fetch'], lifecycle: 'shared' } } });
    expect(problems).toEqual([]);
    expect(config!.mcpServers.fetch).toEqual({
      kind: 'image', image: 'mcp/fetch', args: [], environment: {}, block_network: false, memory: '128m', cpus: 1, pids_limit: 256,
      volumes: [], block_secrets: false, lifecycle: 'shared', protocol: 'auto', prefix: true,
    });
    const bad = parseUpstreamsConfig({ mcpServers: { fetch: { command: 'docker', args: ['run', '--privileged', 'mcp/fetch'] } } });
    expect(bad.config).toBeUndefined();
    expect(bad.problems[0]).toMatchObject({ server: 'fetch', field: 'args[1]', value: '--privileged' });
  });
});

describe('the README example of a pasted docker run entry', () => {
  it('parses into the image server it describes', async () => {
    const { readFileSync } = await import('node:fs');
    const readme = readFileSync(new URL('../../../../README.md', import.meta.url), 'utf8');
    const block = /```json\n(\{ "mcpServers": \{\s+"github": \{ "command": "docker"[\s\S]*?)\n```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    const { config, problems } = parseUpstreamsConfig({ mcpServers: (JSON.parse(block!) as { mcpServers: unknown }).mcpServers });
    expect(problems).toEqual([]);
    // The token stays a reference: the gateway resolves it when it starts the server.
    expect(config!.mcpServers.github).toMatchObject({ kind: 'image', image: 'ghcr.io/github/github-mcp-server', args: [], environment: { GITHUB_PERSONAL_ACCESS_TOKEN: '{{secret:GITHUB_TOKEN}}' } });
  });
});
