/**
 * server-everything as an IMAGE server: an image built locally from the base image (labelled, removed after),
 * started by the gateway container through the mounted Docker socket. The SDK client lists and calls its tools
 * through the gateway; Docker reports the gateway's labels and the configured limits on the upstream container,
 * and a block_network server really has no network.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker } from '../helpers/docker-cli.js';
import { startGateway, type GatewayUnderTest } from '../helpers/gateway-container.js';
import { connectClient, data } from '../helpers/mcp-client.js';
import { buildEverythingImage } from '../upstreams/harness.js';
import { firstText, gatewayConfig, ownedContainers, ownerIdFor, removeOwned } from './harness.js';

const OWNER = ownerIdFor('img');
const IMAGE = `mcp-upstream-everything:gw-test-${process.pid}`;

interface Inspected {
  Config: { Labels: Record<string, string>; User: string };
  HostConfig: { Memory: number; MemorySwap: number; NanoCpus: number; PidsLimit: number; NetworkMode: string; CapDrop: string[]; SecurityOpt: string[]; AutoRemove: boolean; Init: boolean; ExtraHosts: string[] | null };
}

async function inspectUpstream(server: string): Promise<Inspected> {
  const ids = await ownedContainers(OWNER, `mcp.gateway.upstream=${server}`);
  expect(ids).toHaveLength(1);
  return (JSON.parse(await docker('inspect', ids[0])) as Inspected[])[0];
}

describe('server-everything as an image server, started by the gateway container', () => {
  let gw: GatewayUnderTest;
  let client: Client;
  let buildMs = 0;

  beforeAll(async () => {
    buildMs = await buildEverythingImage(IMAGE);
    gw = await startGateway({
      config: gatewayConfig(OWNER, {
        everything: { image: IMAGE, lifecycle: 'shared', memory: '256m', cpus: 0.5, pids_limit: 128 },
        sealed: { image: IMAGE, lifecycle: 'shared', block_network: true, enabled_tools: ['echo'] },
      }, { callTimeoutMs: 20_000, initTimeoutMs: 30_000 }),
    });
    client = await connectClient(gw.url);
  });
  afterAll(async () => {
    await client?.close().catch(() => undefined);
    await gw?.remove();
    await removeOwned(OWNER);
    await docker('rmi', '-f', IMAGE).catch(() => undefined);
  });

  it('lists the image server tools next to docker_ps and calls them, with progress', async () => {
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['docker_ps', 'everything__echo', 'everything__get-sum', 'sealed__echo']));
    expect(names.filter((n) => n.startsWith('sealed__'))).toEqual(['sealed__echo']);
    expect(firstText(await client.callTool({ name: 'everything__echo', arguments: { message: 'from a container' } }))).toBe('Echo: from a container');
    expect(firstText(await client.callTool({ name: 'everything__get-sum', arguments: { a: 40, b: 2 } }))).toContain('42');
    expect(firstText(await client.callTool({ name: 'sealed__echo', arguments: { message: 'sealed' } }))).toBe('Echo: sealed');
    const seen: number[] = [];
    await client.callTool({ name: 'everything__trigger-long-running-operation', arguments: { duration: 0.6, steps: 3 } }, undefined, { onprogress: (p) => seen.push(p.progress) });
    expect(seen).toEqual([1, 2, 3]);
    expect(data(await client.callTool({ name: 'docker_ps', arguments: { label: `mcp.gateway.owner=${OWNER}` } })).containers).toHaveLength(2);
    console.info(`[timings] image build ${buildMs} ms`);
  });

  it('the upstream container carries the gateway labels and the configured limits, hardened', async () => {
    const info = await inspectUpstream('everything');
    expect(info.HostConfig.Memory).toBe(256 * 1024 * 1024);
    expect(info.HostConfig.MemorySwap).toBe(256 * 1024 * 1024);
    expect(info.HostConfig.NanoCpus).toBe(500_000_000);
    expect(info.HostConfig.PidsLimit).toBe(128);
    expect(info.HostConfig.CapDrop).toEqual(['ALL']);
    expect(info.HostConfig.SecurityOpt).toEqual(['no-new-privileges']);
    expect(info.HostConfig.AutoRemove).toBe(true);
    expect(info.HostConfig.Init).toBe(true);
    expect(info.HostConfig.NetworkMode).toBe('bridge');
    expect(info.HostConfig.ExtraHosts).toEqual(['host.docker.internal:host-gateway']);
    // The instance label is the id the gateway logged at start-up.
    const instance = /"instance":"([0-9a-f-]{36})"/.exec(await gw.logs())?.[1];
    expect(instance).toBeDefined();
    expect(info.Config.Labels).toMatchObject({ 'mcp.gateway.role': 'upstream', 'mcp.gateway.owner': OWNER, 'mcp.gateway.instance': instance, 'mcp.gateway.upstream': 'everything' });
  });

  it('block_network: NetworkMode none with the defaults for limits, and no connection can be opened from inside', async () => {
    const info = await inspectUpstream('sealed');
    expect(info.HostConfig.NetworkMode).toBe('none');
    expect(info.HostConfig.ExtraHosts ?? []).toEqual([]);
    expect(info.HostConfig.Memory).toBe(512 * 1024 * 1024);
    expect(info.HostConfig.NanoCpus).toBe(1_000_000_000);
    expect(info.HostConfig.PidsLimit).toBe(256);
    const [id] = await ownedContainers(OWNER, 'mcp.gateway.upstream=sealed');
    // 1.1.1.1 by address: no DNS involved, so the failure is the missing network, not a name lookup.
    const probe = JSON.parse(await docker('exec', id, 'node', '/app/probe.mjs', '1.1.1.1', '80')) as { outcome: string; detail?: string };
    expect(probe.outcome).toBe('error');
    expect(probe.detail).toMatch(/ENETUNREACH|EHOSTUNREACH|EADDRNOTAVAIL/);
  });

  it('/ready has a check per image server, and the gateway removes its containers when it stops', async () => {
    const ready = await (await gw.fetch('/ready')).json() as { checks: Record<string, { ok: boolean; detail?: string }> };
    expect(ready.checks['upstream:everything']).toMatchObject({ ok: true });
    expect(ready.checks['upstream:sealed']).toMatchObject({ ok: true });
    await client.close();
    await docker('stop', '-t', '20', gw.id);
    expect(await ownedContainers(OWNER)).toEqual([]);
  });
});
