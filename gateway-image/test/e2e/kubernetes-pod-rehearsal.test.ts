/**
 * Rehearsal of the Kubernetes target's gateway pod on the real Docker engine (no API server or kubelet can run
 * here): the real app synthesizes `target = "kubernetes"`, and the gateway image runs with exactly the Deployment's
 * container settings from the synthesized YAML (rehearsal/pod-translate.ts: numeric user, read-only root, dropped
 * capabilities, no privilege escalation, default seccomp, limits, the ConfigMap file where the pod mounts it, the
 * bearer tokens from the "Secret" as the kubelet injects them, emptyDirs as tmpfs). Docker is reached through the
 * socket proxy Deployment the stack pins to a Docker node (`docker_proxy_node`), itself run with exactly its
 * manifest's settings and reachable under its Service's DNS name, as DOCKER_HOST names it. It is probed the way a kubelet probes (pod IP as Host, no token), scraped the
 * way the ServiceMonitor scrapes, and driven by an MCP client; the proxy refuses what the gateway never needs.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { docker, runContainer, uniq, type TestContainer } from './helpers/docker-cli.js';
import { containerLogs } from './helpers/gateway-container.js';
import { GATEWAY_IMAGE, RUN_LABEL, TEST_LABEL } from './helpers/images.js';
import { connectClient, data } from './helpers/mcp-client.js';
import { buildSocketProxyImage, SOCKET_PROXY_IMAGE, statusFromInside } from './helpers/socket-proxy.js';
import { podRunArgs, type PodRun } from './rehearsal/pod-translate.js';
import { synthesizeStack, type TfvarsValues } from './rehearsal/synth-stack.js';
import { EVERYTHING_IN_GATEWAY, upstreamMounts } from './upstreams-gateway/harness.js';

type Obj = Record<string, any>;

/** Polls `url` until it answers 200 (bounded), failing with the container's logs. The readiness signal, no sleeps. */
async function waitFor200(url: string, containerId: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const keepAlive = setInterval(() => undefined, 1000);
  try {
    for (;;) {
      try {
        if ((await fetch(url, { signal: AbortSignal.timeout(1000) })).status === 200) return;
      } catch { /* not listening yet */ }
      if (Date.now() > deadline) throw new Error(`${url} never answered 200; logs:\n${await containerLogs(containerId)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    clearInterval(keepAlive);
  }
}

describe('Kubernetes pod rehearsal: the Deployment\'s container settings on the real engine', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'mcp-k8s-pod-'));
  const network = uniq('k8s-pod-net');
  const proxyName = uniq('k8s-dockerproxy');
  /** The in-cluster name of the proxy's Service (the gateway's DOCKER_HOST), given to the proxy as a network alias. */
  const proxyService = 'docker-socket-proxy.mcp-gateway-docker-proxy.svc.cluster.local';
  const token = randomBytes(24).toString('hex');
  const owned: TestContainer[] = [];
  const [repository, tag] = [GATEWAY_IMAGE.slice(0, GATEWAY_IMAGE.lastIndexOf(':')), GATEWAY_IMAGE.slice(GATEWAY_IMAGE.lastIndexOf(':') + 1)];
  let objects: Obj[];
  let deployment: Obj;
  let pod: PodRun;
  let gateway: TestContainer;
  let podIp: string;
  let mcpUrl: string;
  let client: Client | undefined;

  beforeAll(async () => {
    await buildSocketProxyImage();
    const stack = await synthesizeStack({
      workDir,
      // Objects are written as JSON, which HCL accepts as object syntax.
      tfvars: {
        target: 'kubernetes', docker_image: repository, image_tag: tag, ingress: 'none', enable_service_monitor: true, log_level: 'info',
        // The engine through the socket proxy Deployment the stack pins to a Docker node (its manifest is run too).
        docker_proxy_node: 'this-machine', socket_proxy_image: SOCKET_PROXY_IMAGE, docker_socket_gid: statSync('/var/run/docker.sock').gid,
        // A command server runs inside the gateway pod (read-only root: only HOME and /tmp emptyDirs are writable).
        mcp_servers: { everything: { command: 'node', args: [EVERYTHING_IN_GATEWAY], lifecycle: 'shared' } },
        gateway_settings: { policy: { roles: { operator: { tools: ['docker_*', 'health', 'everything__*'] } }, bindings: [{ tokens: ['rehearsal'], roles: ['operator'] }] } },
      } as unknown as TfvarsValues,
    });
    objects = parseAllDocuments(readFileSync(join(stack.stackDir, 'kubernetes', 'mcp-gateway.yaml'), 'utf8')).map((d) => d.toJS() as Obj);
    deployment = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'mcp-gateway')!;
    const configMaps = Object.fromEntries(objects.filter((o) => o.kind === 'ConfigMap').map((o) => [o.metadata.name, o]));
    // The Secret as Terraform creates it from TF_VAR_gateway_auth_tokens (it is never in the YAML).
    pod = podRunArgs(deployment, { configMaps, secrets: { 'mcp-gateway-auth': { MCP_GATEWAY_AUTH_TOKENS: `rehearsal=${token}` } }, workDir });

    await docker('network', 'create', '--label', TEST_LABEL, '--label', `${RUN_LABEL}=${process.env.MCP_TEST_RUN ?? ''}`, network);
    // The socket proxy with exactly its Deployment's settings (uid 65534, the socket's group, read-only root, the
    // node's socket read-only), reachable under its Service's name.
    const proxyDeployment = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'docker-socket-proxy')!;
    const proxyPod = podRunArgs(proxyDeployment, { configMaps: {}, secrets: {}, workDir });
    owned.push(await runContainer({ name: proxyName, image: proxyPod.image, args: ['--network', network, '--network-alias', proxyService, ...proxyPod.args] }));
    gateway = await runContainer({
      name: uniq('k8s-pod-gateway'),
      image: pod.image,
      // Only the MCP port is published (on 127.0.0.1) for the client; the probes use the pod IP like a kubelet. The
      // read-only mount of node_modules stands in for the image a real deployment would bake the server into.
      args: ['--network', network, '-p', `127.0.0.1::${pod.ports.http}`, ...pod.args, ...upstreamMounts()],
    });
    owned.push(gateway);
    const inspect = JSON.parse(await docker('inspect', gateway.id))[0];
    podIp = inspect.NetworkSettings.Networks[network].IPAddress;
    const published = (await docker('port', gateway.id, `${pod.ports.http}/tcp`)).split('\n')[0].split(':').pop();
    mcpUrl = `http://127.0.0.1:${published}`;
    await waitFor200(`http://${podIp}:${pod.ports.ops}/health`, gateway.id);
  }, 900_000);

  afterAll(async () => {
    await client?.close().catch(() => undefined);
    await Promise.all(owned.map((c) => c.remove()));
    await docker('network', 'rm', network).catch(() => undefined);
    rmSync(workDir, { recursive: true, force: true });
  }, 120_000);

  it('runs the image with exactly the pod\'s security settings (numeric user, read-only root, no capabilities, no escalation, default seccomp, limits)', async () => {
    const inspect = JSON.parse(await docker('inspect', gateway.id))[0];
    const sc = deployment.spec.template.spec.containers[0].securityContext;
    expect(inspect.Config.Image).toBe(`${repository}:${tag}`);
    expect(inspect.Config.User).toBe(`${sc.runAsUser}:${sc.runAsGroup}`);
    expect(inspect.HostConfig.ReadonlyRootfs).toBe(true);
    expect(inspect.HostConfig.CapDrop).toEqual(['ALL']);
    expect(inspect.HostConfig.SecurityOpt).toEqual(['no-new-privileges']);
    expect(inspect.HostConfig.Memory).toBe(512 * 1024 * 1024);
    expect(inspect.HostConfig.NanoCpus).toBe(1e9);
    expect(Object.keys(inspect.HostConfig.Tmpfs).sort()).toEqual(['/home/node', '/tmp', '/var/lib/mcp-gateway']);
    // No Docker socket in the pod: the engine is reached through DOCKER_HOST only.
    expect(inspect.Mounts.filter((m: Obj) => !m.Destination.startsWith('/opt/upstream/')).map((m: Obj) => [m.Destination, m.RW])).toEqual([['/etc/mcp-gateway', false]]);
    expect(inspect.Mounts.some((m: Obj) => m.Destination === '/var/run/docker.sock')).toBe(false);
    // The image itself declares a numeric user, so runAsNonRoot is verifiable even without runAsUser.
    const imageUser = await docker('image', 'inspect', '-f', '{{.Config.User}}', pod.image);
    expect(imageUser).toMatch(/^[1-9]\d*(:\d+)?$/);
  });

  it('answers the kubelet\'s probes: startup/liveness /health and readiness /ready on the ops port, Host = pod IP, no token', async () => {
    const probes = ['startupProbe', 'livenessProbe', 'readinessProbe'].map((p) => pod.container[p].httpGet as Obj);
    for (const get of probes) {
      const res = await fetch(`http://${podIp}:${pod.ports[get.port]}${get.path}`);
      expect([get.path, res.status]).toEqual([get.path, 200]);
    }
    const ready = await (await fetch(`http://${podIp}:${pod.ports.ops}/ready`)).json() as Obj;
    expect(ready.status).toBe('ready');
    expect(Object.values(ready.checks).every((c: any) => c.ok)).toBe(true);
    // The same routes on the MCP port keep every check: with Host = pod IP and no token they are refused.
    expect((await fetch(`http://${podIp}:${pod.ports.http}/ready`)).status).toBe(403);
    expect((await fetch(`${mcpUrl}/ready`)).status).toBe(401);
  });

  it('is scraped the way the ServiceMonitor scrapes: GET /metrics on the ops port, no credential', async () => {
    const monitor = objects.find((o) => o.kind === 'ServiceMonitor')!;
    const service = objects.find((o) => o.kind === 'Service')!;
    const endpoint = monitor.spec.endpoints[0];
    const servicePort = service.spec.ports.find((p: Obj) => p.name === endpoint.port);
    const res = await fetch(`http://${podIp}:${pod.ports[servicePort.targetPort]}${endpoint.path}`);
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/^# HELP mcp_/m);
  });

  it('is driven by an MCP client with the token from the Secret, reaching Docker through the socket proxy', async () => {
    client = await connectClient(mcpUrl, 'streamable-http', token);
    expect(pod.args).toContain(`DOCKER_HOST=tcp://${proxyService}:2375`);
    const ps = data(await client.callTool({ name: 'docker_ps', arguments: { name: proxyName } }));
    expect(ps.containers.map((c: { name: string }) => c.name)).toEqual([proxyName]);
    const health = data(await client.callTool({ name: 'health', arguments: {} }));
    expect(health.docker.reachable).toBe(true);
  });

  it('runs a command upstream server inside the pod, under the read-only root', async () => {
    client ??= await connectClient(mcpUrl, 'streamable-http', token);
    const result = await client.callTool({ name: 'everything__echo', arguments: { message: 'from the pod' } }) as { content: Array<{ text: string }> };
    expect(result.content[0].text).toContain('from the pod');
  });

  it('the socket proxy refuses, from the pod, an endpoint the gateway never needs', async () => {
    expect(await statusFromInside(gateway.id, 'POST', `http://${proxyService}:2375/v1.41/containers/create`)).toBe(403);
    expect(await statusFromInside(gateway.id, 'POST', `http://${proxyService}:2375/v1.41/volumes/prune`)).toBe(403);
    const proxy = JSON.parse(await docker('inspect', proxyName))[0];
    expect([proxy.Config.User, proxy.HostConfig.ReadonlyRootfs, proxy.HostConfig.CapDrop]).toEqual(['65534:65534', true, ['ALL']]);
    expect(proxy.Mounts.map((m: Obj) => [m.Source, m.Destination, m.RW])).toEqual([['/var/run/docker.sock', '/var/run/docker.sock', false]]);
  });

  it('writes its audit log in the audit emptyDir (the only writable places are the emptyDirs)', async () => {
    const audit = (await docker('exec', gateway.id, 'ls', '/var/lib/mcp-gateway/audit')).split('\n');
    expect(audit.some((f) => f.startsWith('audit'))).toBe(true);
    const denied = await docker('exec', gateway.id, 'sh', '-c', 'touch /app/x 2>&1 || true');
    expect(denied).toMatch(/Read-only file system/);
  });
});
