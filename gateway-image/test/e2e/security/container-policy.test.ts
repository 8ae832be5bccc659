/**
 * Negative suite, containers the gateway creates. The lifecycle tools only start/stop existing containers; the
 * gateway creates containers for upstream image servers (`mcpServers`), from a strict schema. This file checks
 * what the built image enforces: dangerous container options cannot even be expressed (unknown keys refuse the
 * start-up), binds follow the container policy (no Docker socket, only allowlisted host paths after `..` and
 * symlinks), and the container the gateway does create is hardened and carries no gateway credential.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker, uniq } from '../helpers/docker-cli.js';
import { E2E_CONFIG, E2E_TOKEN, VIEWER_TOKEN, startGateway, type GatewayUnderTest } from '../helpers/gateway-container.js';
import { runGatewayToExit } from './security-helpers.js';
import { GATEWAY_IMAGE } from '../helpers/images.js';

/** Containers of one upstream owner id (the gateway labels what it creates). */
async function upstreamContainers(ownerId: string): Promise<string[]> {
  return (await docker('ps', '-aq', '--filter', `label=mcp.gateway.owner=${ownerId}`)).split('\n').filter(Boolean);
}

/** Runs a gateway with `mcpServers`, expects it to refuse to start (exit non-zero, nothing created); returns its output. */
async function expectStartRefused(mcpServers: Record<string, unknown>, ownerId: string): Promise<string> {
  const { code, output } = await runGatewayToExit({ MCP_GATEWAY_CONFIG_JSON: JSON.stringify({ ...E2E_CONFIG, mcpServers, upstreams: { ownerId } }) });
  expect(code, `the gateway did not refuse the config:\n${output}`).not.toBe('running');
  expect(code).not.toBe(0);
  expect(await upstreamContainers(ownerId)).toEqual([]);
  return output;
}

describe('security: container policy for containers the gateway creates (built image, real engine)', () => {
  it.each([
    ['privileged', { privileged: true }],
    ['added capabilities', { cap_add: ['SYS_ADMIN'] }],
    ['host network', { network_mode: 'host' }],
    ['host PID namespace', { pid: 'host' }],
    ['published ports', { ports: ['0.0.0.0:8080:8080'] }],
    ['host devices', { devices: ['/dev/sda:/dev/sda'] }],
    ['unconfined seccomp', { security_opt: ['seccomp=unconfined'] }],
  ])('an image server asking for %s is refused at start-up (strict schema, nothing created)', async (_label, extra) => {
    const owner = uniq('sec-owner');
    const logs = await expectStartRefused({ bad: { image: GATEWAY_IMAGE, args: ['--stdio'], ...extra } }, owner);
    expect(logs).toMatch(new RegExp(`${Object.keys(extra)[0]}`));
    expect(logs).toMatch(/invalid gateway configuration|unrecognized|unknown/i);
  });

  it('a bind that is not host:container[:ro|rw] is refused at start-up', async () => {
    const owner = uniq('sec-owner');
    const logs = await expectStartRefused({ bad: { image: GATEWAY_IMAGE, args: ['--stdio'], volumes: ['/srv/data:relative/target'] } }, owner);
    expect(logs).toMatch(/volumes\[0\][\s\S]*not a bind mount of the form host:container/);
  });

  it.each([
    ['the Docker socket', ['/var/run/docker.sock:/var/run/docker.sock'], {}, /container\.docker-socket/],
    ['a directory holding the Docker socket', ['/var/run:/host-run:ro'], { allowedBindPaths: ['/var'] }, /container\.docker-socket/],
    ['a host path outside the (default empty) allowlist', ['/etc:/host-etc:ro'], {}, /container\.bind-outside-allowlist/],
    ['a path escaping the allowlist with ..', ['/tmp/allowed/../../etc:/x:ro'], { allowedBindPaths: ['/tmp/allowed'] }, /container\.bind-outside-allowlist[\s\S]*resolves to \/etc/],
    ['a relative host path', ['./data:/data'], {}, /container\.bind-relative/],
  ] as Array<[string, string[], Record<string, unknown>, RegExp]>)('an image server binding %s is refused at start-up, nothing created', async (_label, volumes, containers, rule) => {
    const owner = uniq('sec-owner');
    const { code, output } = await runGatewayToExit({ MCP_GATEWAY_CONFIG_JSON: JSON.stringify({ ...E2E_CONFIG, containers, mcpServers: { bad: { image: GATEWAY_IMAGE, args: ['--stdio'], volumes } }, upstreams: { ownerId: owner } }) });
    expect(code, `the gateway did not refuse the bind:\n${output.slice(-2000)}`).not.toBe('running');
    expect(code).not.toBe(0);
    expect(output).toMatch(/volumes\[0\]/);
    expect(output).toMatch(rule);
    expect(await upstreamContainers(owner)).toEqual([]);
  });

  describe('the upstream container the gateway creates', () => {
    let gw: GatewayUnderTest;
    const owner = uniq('sec-owner');
    let info: Record<string, any>;

    beforeAll(async () => {
      gw = await startGateway({
        config: {
          ...E2E_CONFIG,
          // tools/list shows a caller only what its roles allow: the operator may also call the upstream's tools.
          policy: { ...E2E_CONFIG.policy, roles: { operator: { tools: ['docker_*', 'health', 'inner__*'] } } },
          // The gateway image itself in stdio mode is the upstream MCP server: no registry, no extra image.
          mcpServers: { inner: { image: GATEWAY_IMAGE, args: ['--stdio'], lifecycle: 'shared', eager: true, block_network: true, environment: { MCP_DOCKER_LOG_LEVEL: 'error' } } },
          upstreams: { ownerId: owner },
        },
      });
      const ids = await upstreamContainers(owner);
      expect(ids).toHaveLength(1);
      info = JSON.parse(await docker('inspect', ids[0]))[0];
    });
    afterAll(async () => {
      await gw?.remove();
      // Safety net: the upstream ends with its stdin, and is auto-removed; remove it if it lingers.
      const left = await upstreamContainers(owner).catch(() => [] as string[]);
      if (left.length) await docker('rm', '-f', '-v', ...left).catch(() => undefined);
    });

    it('is hardened: unprivileged, all capabilities dropped, no-new-privileges, no host namespaces, no ports, no binds', () => {
      const h = info.HostConfig;
      expect(h.Privileged).toBe(false);
      expect(h.CapDrop).toEqual(['ALL']);
      expect(h.CapAdd ?? null).toBeNull();
      expect(h.SecurityOpt).toEqual(['no-new-privileges']);
      expect(h.NetworkMode).toBe('none');
      for (const mode of [h.PidMode, h.IpcMode, h.UTSMode, h.UsernsMode]) expect(mode).not.toBe('host');
      expect(h.PortBindings ?? {}).toEqual({});
      expect(h.PublishAllPorts).toBe(false);
      expect(h.Binds ?? []).toEqual([]);
      expect(h.Devices ?? []).toEqual([]);
      expect(h.Memory).toBeGreaterThan(0);
      expect(h.PidsLimit).toBeGreaterThan(0);
      expect(info.Mounts.filter((m: { Source: string }) => m.Source.includes('docker.sock'))).toEqual([]);
    });

    it('carries only the configured environment: no token, no gateway setting', () => {
      const env: string[] = info.Config.Env;
      expect(env).toContain('MCP_DOCKER_LOG_LEVEL=error');
      const text = JSON.stringify(info);
      for (const secret of [E2E_TOKEN, VIEWER_TOKEN, 'MCP_GATEWAY_AUTH_TOKENS', 'MCP_GATEWAY_CONFIG_JSON']) expect(text).not.toContain(secret);
    });

    it('the upstream tools are served through the pipeline (so the same auth applies)', async () => {
      const res = await gw.fetch('/rpc', { method: 'POST', body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' });
      const names = (await res.json()).result.tools.map((t: { name: string }) => t.name);
      expect(names).toContain('inner__docker_ps');
      expect((await gw.fetch('/rpc', { method: 'POST', token: null, body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' })).status).toBe(401);
    });
  });
});
