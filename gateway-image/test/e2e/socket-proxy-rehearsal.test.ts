/**
 * Deploy rehearsal of the Docker target with `docker_socket_proxy = true`: the real app synthesizes the stack, every
 * docker_* resource is realized on the real engine exactly as declared (rehearsal/translate.ts), the socket proxy
 * image built from socket-proxy/ like the gateway's. Then the gateway (no socket mounted) must be healthy, answer an
 * MCP client and drive Docker through the proxy, and the proxy must refuse what the gateway never needs.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker } from './helpers/docker-cli.js';
import { freePort } from './helpers/gateway-container.js';
import { BASE_IMAGE, RUN_LABEL } from './helpers/images.js';
import { connectClient, data } from './helpers/mcp-client.js';
import { SOCKET_PROXY_BASE, statusFromInside } from './helpers/socket-proxy.js';
import { DOCKER_SOCKET } from './rehearsal/engine-api.js';
import { Rehearsal, removeStaleRehearsals, waitHealthy, type RealizedStack } from './rehearsal/rehearsal.js';
import { synthesizeStack, type SynthesizedStack } from './rehearsal/synth-stack.js';

const GATEWAY = 'docker_container.gateway_container_B4FE70D0';
const PROXY = 'docker_container.socket-proxy_container_2602B88D';
const NAME_PREFIX_STEM = 'rehearsal-sp-';

describe('deploy rehearsal: the Docker target with the socket proxy, realized on the real engine', () => {
  const runId = process.env.MCP_TEST_RUN;
  const workDir = mkdtempSync(join(tmpdir(), 'mcp-sp-rehearsal-'));
  const socketGid = statSync(DOCKER_SOCKET).gid;
  const token = randomBytes(24).toString('hex');
  const namePrefix = `${NAME_PREFIX_STEM}${process.pid}-${randomBytes(3).toString('hex')}-`;
  const rehearsal = new Rehearsal({
    namePrefix,
    variables: { gateway_auth_tokens: `rehearsal=${token}` },
    extraLabels: { 'mcp.gateway.test': '1', [RUN_LABEL]: runId ?? '' },
    machineBuildArgs: ['--network', 'host', '--build-arg', 'npm_config_cafile=/etc/ssl/certs/ca-certificates.crt'],
  });
  let port: number;
  let stack: SynthesizedStack;
  let realized: RealizedStack;
  let client: Client | undefined;

  beforeAll(async () => {
    if (!runId) throw new Error('MCP_TEST_RUN is not set: run this file through the gateway-e2e project');
    await removeStaleRehearsals({ namePrefixStem: NAME_PREFIX_STEM, label: 'mcp.gateway.test=1', olderThanMs: 30 * 60_000 });
    // The proxy's local base (this host's haproxy, no registry), as socket-proxy.test.ts builds it.
    await import('./helpers/socket-proxy.js').then((m) => m.buildSocketProxyImage());
    port = await freePort();
    stack = await synthesizeStack({
      workDir,
      tfvars: { base_image: BASE_IMAGE, gateway_port: port, docker_socket_gid: socketGid, docker_socket_proxy: true, socket_proxy_base_image: SOCKET_PROXY_BASE },
    });
    realized = await rehearsal.realize(stack);
  }, 900_000);

  afterAll(async () => {
    await client?.close().catch(() => undefined);
    try {
      await rehearsal.destroy();
    } finally {
      rmSync(workDir, { recursive: true, force: true });
    }
    expect(await docker('ps', '-aq', '--filter', `name=${namePrefix}`)).toBe('');
  }, 120_000);

  it('synthesized the proxy beside the gateway; only the proxy has the socket, read-only', () => {
    expect(Object.keys(stack.json.resource!.docker_container)).toEqual(['gateway_container_B4FE70D0', 'socket-proxy_container_2602B88D']);
    const gateway = stack.json.resource!.docker_container.gateway_container_B4FE70D0 as Record<string, any>;
    const proxy = stack.json.resource!.docker_container['socket-proxy_container_2602B88D'] as Record<string, any>;
    expect(gateway.env).toContain('DOCKER_HOST=tcp://mcp-gateway-socket-proxy:2375');
    expect(gateway.mounts.map((m: { type: string }) => m.type)).toEqual(['volume']);
    expect(gateway.group_add).toBeUndefined();
    expect(proxy.mounts).toEqual([{ type: 'bind', source: '/var/run/docker.sock', target: '/var/run/docker.sock', read_only: true }]);
    expect(proxy.ports).toBeUndefined();
  });

  it('both containers become healthy; the gateway answers MCP and drives Docker through the proxy', async () => {
    await waitHealthy(realized.containers.get(PROXY)!.id, 60);
    await waitHealthy(realized.containers.get(GATEWAY)!.id, 120);
    const inspect = JSON.parse(await docker('inspect', realized.containers.get(GATEWAY)!.id))[0];
    expect(inspect.Mounts.some((m: { Destination: string }) => m.Destination === '/var/run/docker.sock')).toBe(false);
    client = await connectClient(`http://127.0.0.1:${port}`, 'streamable-http', token);
    const ps = data(await client.callTool({ name: 'docker_ps', arguments: { name: `${namePrefix}mcp-gateway-socket-proxy` } }));
    expect(ps.containers.map((c: { name: string }) => c.name)).toEqual([`${namePrefix}mcp-gateway-socket-proxy`]);
    const health = data(await client.callTool({ name: 'health', arguments: {} }));
    expect([health.docker.reachable, health.docker.endpoint]).toEqual([true, 'tcp://mcp-gateway-socket-proxy:2375']);
  });

  it('the proxy refuses, from the gateway\'s position, what the gateway never needs (no upstream servers configured)', async () => {
    const gatewayId = realized.containers.get(GATEWAY)!.id;
    expect(await statusFromInside(gatewayId, 'POST', 'http://mcp-gateway-socket-proxy:2375/v1.41/containers/create')).toBe(403);
    expect(await statusFromInside(gatewayId, 'POST', 'http://mcp-gateway-socket-proxy:2375/v1.41/images/create')).toBe(403);
    expect(await statusFromInside(gatewayId, 'GET', 'http://mcp-gateway-socket-proxy:2375/v1.41/containers/json')).toBe(200);
  });
});
