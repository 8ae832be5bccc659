import { describe, expect, it } from 'vitest';
import { buildUpstreamContainerSpec, parseUpstreamsConfig } from '../../../src/core/upstreams/index.js';
import type { ImageServerConfig } from '../../../src/core/upstreams/upstreams-config.js';

const server = (entry: Record<string, unknown>): ImageServerConfig => parseUpstreamsConfig({ mcpServers: { s: entry } }).config!.mcpServers.s as ImageServerConfig;
const ctx = { server: 'fetch', containerName: 'mcp-upstream-fetch-0a1b2c3d', ownerId: 'gw', instanceId: 'inst-1' };

describe('buildUpstreamContainerSpec', () => {
  it('builds the hardened docker run -i --rm --init equivalent, networked with host.docker.internal', () => {
    expect(
      buildUpstreamContainerSpec(server({ image: 'mcp/fetch:1', environment: { A: '1' }, memory: '256m', cpus: 0.5, pids_limit: 64, volumes: ['/srv:/data:ro'] }), {
        ...ctx,
        extraLabels: { 'mcp.gateway.test': '1' },
      }),
    ).toEqual({
      name: 'mcp-upstream-fetch-0a1b2c3d',
      Image: 'mcp/fetch:1',
      Env: ['A=1'],
      Labels: {
        'mcp.gateway.test': '1',
        'mcp.gateway.role': 'upstream',
        'mcp.gateway.owner': 'gw',
        'mcp.gateway.instance': 'inst-1',
        'mcp.gateway.upstream': 'fetch',
      },
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      OpenStdin: true,
      StdinOnce: true,
      Tty: false,
      HostConfig: {
        AutoRemove: true,
        Init: true,
        SecurityOpt: ['no-new-privileges'],
        CapDrop: ['ALL'],
        Memory: 268_435_456,
        MemorySwap: 268_435_456,
        NanoCpus: 500_000_000,
        PidsLimit: 64,
        NetworkMode: 'bridge',
        ExtraHosts: ['host.docker.internal:host-gateway'],
        Binds: ['/srv:/data:ro'],
        LogConfig: { Type: 'json-file', Config: { 'max-size': '1m', 'max-file': '1' } },
      },
    });
  });

  it('with block_network: network none and no host entry; command replaces CMD, args follow it', () => {
    expect(buildUpstreamContainerSpec(server({ image: 'x', block_network: true, command: 'serve', args: ['--stdio'] }), ctx)).toEqual({
      name: 'mcp-upstream-fetch-0a1b2c3d',
      Image: 'x',
      Cmd: ['serve', '--stdio'],
      Env: [],
      Labels: { 'mcp.gateway.role': 'upstream', 'mcp.gateway.owner': 'gw', 'mcp.gateway.instance': 'inst-1', 'mcp.gateway.upstream': 'fetch' },
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      OpenStdin: true,
      StdinOnce: true,
      Tty: false,
      HostConfig: {
        AutoRemove: true,
        Init: true,
        SecurityOpt: ['no-new-privileges'],
        CapDrop: ['ALL'],
        Memory: 536_870_912,
        MemorySwap: 536_870_912,
        NanoCpus: 1_000_000_000,
        PidsLimit: 256,
        NetworkMode: 'none',
        Binds: [],
        LogConfig: { Type: 'json-file', Config: { 'max-size': '1m', 'max-file': '1' } },
      },
    });
  });

  it('args alone replace CMD; identifying labels cannot be overridden by extra labels', () => {
    const spec = buildUpstreamContainerSpec(server({ image: 'x', args: ['a'] }), { ...ctx, extraLabels: { 'mcp.gateway.instance': 'forged' } });
    expect(spec.Cmd).toEqual(['a']);
    expect(spec.Labels!['mcp.gateway.instance']).toBe('inst-1');
  });
});

describe('launchImage and the container policy', () => {
  it('runs the policy on the full create body and creates nothing when it refuses', async () => {
    const { launchImage } = await import('../../../src/core/upstreams/image-launcher.js');
    const pino = (await import('pino')).default;
    const created: unknown[] = [];
    const seen: unknown[] = [];
    const docker = { createContainer: async (spec: unknown) => { created.push(spec); throw new Error('must not be called'); } };
    await expect(launchImage(server({ image: 'mcp/fetch:1' }), { server: 'fetch', signal: new AbortController().signal }, {
      docker: docker as never, logger: pino({ level: 'silent' }), ownerId: 'gw', instanceId: 'inst-1',
      checkSpec: async (spec) => { seen.push(spec); return { allow: false, ruleId: 'container.privileged', reason: 'privileged containers are not allowed' }; },
    })).rejects.toThrow('upstream "fetch": container refused by policy (container.privileged): privileged containers are not allowed');
    expect(created).toEqual([]);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ Image: 'mcp/fetch:1', HostConfig: { CapDrop: ['ALL'] } });
  });

  it('the gateway-built spec passes the real container policy', async () => {
    const { checkContainerSpec } = await import('../../../src/core/security/container-policy.js');
    const { parseSecurityConfig } = await import('../../../src/core/security/security-config.js');
    const spec = buildUpstreamContainerSpec(server({ image: 'mcp/fetch:1', block_network: true }), ctx);
    expect(await checkContainerSpec(spec, parseSecurityConfig({}))).toMatchObject({ allow: true });
    const networked = buildUpstreamContainerSpec(server({ image: 'mcp/fetch:1' }), ctx);
    expect(await checkContainerSpec(networked, parseSecurityConfig({}))).toMatchObject({ allow: true });
  });
});
