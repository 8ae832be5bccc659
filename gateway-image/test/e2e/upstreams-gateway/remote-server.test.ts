/**
 * A REMOTE server: a second gateway container (serving server-everything as a command server, plus its own
 * Docker tools) behind the first, both on a user-defined Docker network the test creates (labelled, removed
 * after). The first gateway reaches the second by its network alias over Streamable HTTP and over SSE, with a
 * bearer header from the config; the SDK client talks to the first gateway only.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker, uniq } from '../helpers/docker-cli.js';
import { E2E_TOKEN, startGateway, type GatewayUnderTest } from '../helpers/gateway-container.js';
import { RUN_LABEL, TEST_LABEL } from '../helpers/images.js';
import { connectClient, data } from '../helpers/mcp-client.js';
import { EVERYTHING_IN_GATEWAY, firstText, gatewayConfig, ownerIdFor, removeOwned, upstreamMounts } from './harness.js';

const FRONT_OWNER = ownerIdFor('front');
const BACK_OWNER = ownerIdFor('back');
const ALIAS = 'backend-gw';

describe('a remote server: a second gateway behind the first (user-defined network)', () => {
  let network: string | undefined;
  let back: GatewayUnderTest;
  let front: GatewayUnderTest;
  let client: Client;

  beforeAll(async () => {
    network = uniq('mcpgw-e2e-net');
    const run = process.env.MCP_TEST_RUN ? ['--label', `${RUN_LABEL}=${process.env.MCP_TEST_RUN}`] : [];
    await docker('network', 'create', '--label', TEST_LABEL, ...run, network);
    back = await startGateway({
      args: [...upstreamMounts(), '--network', network, '--network-alias', ALIAS],
      // The front gateway sends Host: backend-gw:3000, which the back one must accept (DNS-rebinding check).
      env: { MCP_GATEWAY_ALLOWED_HOSTS: `${ALIAS}:3000` },
      config: gatewayConfig(BACK_OWNER, { everything: { command: 'node', args: [EVERYTHING_IN_GATEWAY], lifecycle: 'shared' } }),
    });
    const headers = { Authorization: `Bearer ${E2E_TOKEN}` };
    front = await startGateway({
      args: ['--network', network],
      config: gatewayConfig(FRONT_OWNER, {
        remote: { url: `http://${ALIAS}:3000/mcp`, headers, lifecycle: 'shared' },
        legacy: { url: `http://${ALIAS}:3000/sse`, transport: 'sse', headers, lifecycle: 'shared', enabled_tools: ['everything__echo'] },
      }, { callTimeoutMs: 20_000, initTimeoutMs: 20_000 }),
    });
    client = await connectClient(front.url);
  });
  afterAll(async () => {
    await client?.close().catch(() => undefined);
    await front?.remove();
    await back?.remove();
    await removeOwned(FRONT_OWNER);
    await removeOwned(BACK_OWNER);
    if (network) await docker('network', 'rm', network).catch(() => undefined);
  });

  it('lists the remote gateway tools (its Docker tools and its upstream) under the server prefix', async () => {
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['docker_ps', 'remote__docker_ps', 'remote__everything__echo', 'remote__everything__get-sum', 'legacy__everything__echo']));
    expect(names.filter((n) => n.startsWith('legacy__'))).toEqual(['legacy__everything__echo']);
  });

  it('calls through both gateways over Streamable HTTP and SSE, with progress across two hops', async () => {
    expect(firstText(await client.callTool({ name: 'remote__everything__echo', arguments: { message: 'two hops' } }))).toBe('Echo: two hops');
    expect(firstText(await client.callTool({ name: 'legacy__everything__echo', arguments: { message: 'over sse' } }))).toBe('Echo: over sse');
    expect(firstText(await client.callTool({ name: 'remote__everything__get-sum', arguments: { a: 1, b: 41 } }))).toContain('42');
    // The back gateway's own Docker tool, called through the front one, sees the front gateway's container.
    const ps = data(await client.callTool({ name: 'remote__docker_ps', arguments: { name: front.name } }));
    expect(ps.containers.map((c: { name: string }) => c.name)).toEqual([front.name]);
    const seen: number[] = [];
    const r = await client.callTool({ name: 'remote__everything__trigger-long-running-operation', arguments: { duration: 0.6, steps: 3 } }, undefined, { onprogress: (p) => seen.push(p.progress) });
    expect(r.isError).toBeFalsy();
    expect(seen).toEqual([1, 2, 3]);
  });

  it('cancellation crosses both hops and both gateways keep serving', async () => {
    const ac = new AbortController();
    const began = Date.now();
    await expect(client.callTool({ name: 'remote__everything__trigger-long-running-operation', arguments: { duration: 30, steps: 30 } }, undefined, {
      signal: ac.signal, onprogress: () => ac.abort('user cancelled'), timeout: 40_000,
    })).rejects.toThrow();
    expect(Date.now() - began).toBeLessThan(10_000);
    expect(firstText(await client.callTool({ name: 'remote__everything__echo', arguments: { message: 'still there' } }))).toBe('Echo: still there');
  });

  it('reads a resource and gets a prompt of the server behind the remote gateway', async () => {
    const { resources } = await client.listResources();
    const mine = resources.filter((r) => r.uri.startsWith('mcp-upstream://remote/mcp-upstream://everything/'));
    expect(mine.length).toBeGreaterThan(0);
    expect((await client.readResource({ uri: mine[0].uri })).contents.length).toBeGreaterThan(0);
    const got = await client.getPrompt({ name: 'remote__everything__simple-prompt' });
    expect(got.messages.length).toBeGreaterThan(0);
  });

  it('/ready of the front gateway has a passing check per remote server', async () => {
    const ready = await (await front.fetch('/ready')).json() as { checks: Record<string, { ok: boolean }> };
    expect(ready.checks['upstream:remote']).toMatchObject({ ok: true });
    expect(ready.checks['upstream:legacy']).toMatchObject({ ok: true });
  });
});
