/**
 * The Docker socket proxy (socket-proxy/, HAProxy) on the real engine: the gateway runs with NO socket, only
 * DOCKER_HOST=tcp://<proxy>:2375 on a private network, and an MCP client drives it through the proxy (ps, inspect,
 * logs, exec with its hijacked stream); the proxy refuses (403) what the gateway never needs, and lets the upstream
 * endpoints through only when ALLOW_UPSTREAMS=1.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker, runContainer, uniq, type TestContainer } from './helpers/docker-cli.js';
import { E2E_CONFIG, E2E_TOKEN, waitForHealth } from './helpers/gateway-container.js';
import { BASE_IMAGE, GATEWAY_IMAGE, RUN_LABEL, TEST_LABEL } from './helpers/images.js';
import { connectClient, data } from './helpers/mcp-client.js';
import { buildSocketProxyImage, startSocketProxy, statusFromInside } from './helpers/socket-proxy.js';

describe('Docker socket proxy between the gateway and the engine', () => {
  const network = uniq('sp-net');
  const proxyName = uniq('sp-proxy');
  const upstreamProxyName = uniq('sp-proxy-up');
  const owned: TestContainer[] = [];
  let gateway: TestContainer;
  let target: TestContainer;
  let url: string;
  let client: Client | undefined;

  beforeAll(async () => {
    await buildSocketProxyImage();
    await docker('network', 'create', '--label', TEST_LABEL, '--label', `${RUN_LABEL}=${process.env.MCP_TEST_RUN ?? ''}`, network);
    owned.push(await startSocketProxy({ name: proxyName, network }));
    owned.push(await startSocketProxy({ name: upstreamProxyName, network, env: { ALLOW_UPSTREAMS: '1' } }));
    // On the private network too: nothing here depends on the engine's default bridge.
    target = await runContainer({ name: uniq('sp-target'), image: BASE_IMAGE, args: ['--network', network], cmd: ['sh', '-c', 'i=0; while true; do i=$((i+1)); echo "line $i"; sleep 1; done'] });
    owned.push(target);
    gateway = await runContainer({
      name: uniq('sp-gw'),
      image: GATEWAY_IMAGE,
      args: [
        '--network', network, '-p', '127.0.0.1::3000',
        '--read-only', '--tmpfs', '/tmp', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges', '--memory', '512m',
        '-e', `DOCKER_HOST=tcp://${proxyName}:2375`,
        '-e', `MCP_GATEWAY_AUTH_TOKENS=e2e=${E2E_TOKEN}`,
        '-e', `MCP_GATEWAY_CONFIG_JSON=${JSON.stringify(E2E_CONFIG)}`,
      ],
    });
    owned.push(gateway);
    const port = (await docker('port', gateway.id, '3000/tcp')).split('\n')[0].split(':').pop();
    url = `http://127.0.0.1:${port}`;
    await waitForHealth(url, gateway.id);
  }, 600_000);

  afterAll(async () => {
    await client?.close().catch(() => undefined);
    await Promise.all(owned.map((c) => c.remove()));
    await docker('network', 'rm', network).catch(() => undefined);
  }, 120_000);

  it('the gateway has no socket: no mount, only DOCKER_HOST pointing at the proxy; the proxy has it read-only', async () => {
    const gw = JSON.parse(await docker('inspect', gateway.id))[0];
    expect(gw.Mounts.filter((m: { Type: string }) => m.Type === 'bind')).toEqual([]);
    expect(gw.Config.Env).toContain(`DOCKER_HOST=tcp://${proxyName}:2375`);
    const proxy = JSON.parse(await docker('inspect', proxyName))[0];
    expect(proxy.Mounts.map((m: { Source: string; Destination: string; RW: boolean }) => [m.Source, m.Destination, m.RW])).toEqual([['/var/run/docker.sock', '/var/run/docker.sock', false]]);
    expect(proxy.Config.User).toBe('65534:65534');
    expect(proxy.HostConfig.ReadonlyRootfs).toBe(true);
  });

  it('is ready through the proxy, and an MCP client drives the Docker tools through it (ps, inspect, logs, exec)', async () => {
    const ready = await fetch(`${url}/ready`, { headers: { authorization: `Bearer ${E2E_TOKEN}` } });
    expect(ready.status).toBe(200);
    client = await connectClient(url);
    const ps = data(await client.callTool({ name: 'docker_ps', arguments: { name: target.name } }));
    expect(ps.containers.map((c: { name: string }) => c.name)).toEqual([target.name]);
    const inspect = data(await client.callTool({ name: 'docker_inspect', arguments: { id: target.name } }));
    expect(inspect.Name ?? inspect.name).toContain(target.name);
    const logs = data(await client.callTool({ name: 'docker_logs', arguments: { id: target.name, tail: 5 } }));
    expect(JSON.stringify(logs)).toMatch(/line \d+/);
    const exec = data(await client.callTool({ name: 'docker_exec', arguments: { id: target.name, cmd: ['echo', 'through-the-proxy'] } }));
    expect([exec.exitCode, exec.stdout.trim()]).toEqual([0, 'through-the-proxy']);
  });

  it('refuses (403) what the gateway never needs, from the gateway\'s own network position', async () => {
    const base = `http://${proxyName}:2375/v1.41`;
    expect(await statusFromInside(gateway.id, 'POST', `${base}/containers/create`)).toBe(403);
    expect(await statusFromInside(gateway.id, 'POST', `${base}/containers/prune`)).toBe(403);
    expect(await statusFromInside(gateway.id, 'DELETE', `${base}/containers/${target.name}`)).toBe(403);
    expect(await statusFromInside(gateway.id, 'GET', `${base}/secrets`)).toBe(403);
    expect(await statusFromInside(gateway.id, 'POST', `${base}/containers/${target.name}/stop`)).toBe(403);
    expect(await statusFromInside(gateway.id, 'GET', `${base}/containers/json`)).toBe(200);
  });

  it('lets the upstream endpoints through only with ALLOW_UPSTREAMS=1 (the engine, not the proxy, answers)', async () => {
    // An empty create body is refused by the engine itself (400 "Config cannot be empty"), proving the proxy let it pass.
    expect(await statusFromInside(gateway.id, 'POST', `http://${upstreamProxyName}:2375/v1.41/containers/create`)).toBe(400);
    expect(await statusFromInside(gateway.id, 'POST', `http://${upstreamProxyName}:2375/v1.41/containers/prune`)).toBe(403);
  });
});
