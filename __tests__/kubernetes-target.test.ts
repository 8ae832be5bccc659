import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Testing } from 'cdktf';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { validateConfig } from '../constructs/config/validate-config';
import { StackConfigError } from '../constructs/errors';
import { gatewayDeployment } from '../constructs/kubernetes/gateway-deployment';
import { gatewayObjects } from '../constructs/kubernetes/gateway-objects';
import { writeManifests } from '../constructs/kubernetes/kubernetes-target';
import { buildStack, synthJson } from './helpers';
import { exampleKubernetesBlock, K8S_FULL_RAW, K8S_PROXY_NODE_RAW, K8S_RAW, readmeSeed } from './kubernetes-helpers';

function problemsOf(raw: Record<string, unknown>): string[] {
  try {
    validateConfig(raw);
  } catch (err) {
    if (err instanceof StackConfigError) return err.problems.map((p) => `${p.key}: ${p.message}`);
    throw err;
  }
  return [];
}

const byKind = (objects: ReturnType<typeof gatewayObjects>, kind: string) => objects.filter((o) => o.kind === kind);

describe('Kubernetes config', () => {
  it('defaults to the Docker target, with no Kubernetes part', () => {
    const config = validateConfig({});
    expect(config.target).toBe('docker');
    expect(config.kubernetes).toBeUndefined();
  });

  it('fills every Kubernetes default', () => {
    const k8s = validateConfig(K8S_RAW).kubernetes!;
    expect(k8s).toEqual({
      namespace: 'mcp-gateway',
      image: 'ghcr.io/acme/mcp-gateway:0.1.0',
      transportMode: 'streamable-http',
      dockerHost: 'tcp://docker.example.internal:2376',
      dockerTlsSecret: undefined,
      mcpServers: {},
      corsOrigins: [],
      limits: { cpu: '1', memory: '512Mi' },
      requests: { cpu: '100m', memory: '128Mi' },
      replicas: 1,
      networkPolicy: true,
      ingress: 'traefik',
      ingressHost: 'mcp.example.com',
      ingressNamespace: 'traefik',
      serviceMonitor: false,
    });
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['replicas above 1, with why', { ...K8S_RAW, replicas: 2 }, 'replicas: must be 1: MCP sessions (Streamable HTTP sessions and /sse streams) live in one pod\'s memory and MCP clients keep no cookies'],
    ['a unix socket as docker_host', { ...K8S_RAW, docker_host: 'unix:///var/run/docker.sock' }, 'docker_host: must be "tcp://host:port" or "ssh://user@host" with target = "kubernetes"'],
    ['no docker_host', { target: 'kubernetes', docker_image: 'ghcr.io/a/b', ingress: 'none' }, 'docker_host: is required with target = "kubernetes"'],
    ['no docker_image', { ...K8S_RAW, docker_image: undefined }, 'docker_image: is required with target = "kubernetes"'],
    ['a tag in docker_image', { ...K8S_RAW, docker_image: 'ghcr.io/a/b:1.0' }, 'docker_image: must be the repository only'],
    ['image_tag latest', { ...K8S_RAW, image_tag: 'latest' }, 'image_tag: is not pinned'],
    ['an unknown target', { target: 'nomad' }, 'target: must be one of "docker", "kubernetes"'],
    ['a Kubernetes key on the Docker target', { replicas: 1 }, 'replicas: applies only to target = "kubernetes"'],
    ['a Docker key on the Kubernetes target', { ...K8S_RAW, memory_limit: '1g' }, 'memory_limit: applies only to target = "docker"; use resource_limits'],
    ['a bad namespace', { ...K8S_RAW, namespace: 'MCP_Gateway' }, 'namespace: must be a DNS-1123 label'],
    ['a bad transport mode', { ...K8S_RAW, transport_mode: 'websocket' }, 'transport_mode: must be one of "streamable-http", "sse", "all"'],
    ['cors without origins', { ...K8S_RAW, cors_enabled: true }, 'cors_origins: is empty while cors_enabled = true'],
    ['a wildcard origin', { ...K8S_RAW, cors_enabled: true, cors_origins: ['*'] }, 'cors_origins: must be an explicit origin'],
    ['requests above limits', { ...K8S_RAW, resource_requests: { cpu: '2', memory: '128Mi' } }, 'resource_requests: cpu 2 is above the limit 1'],
    ['a tiny memory limit', { ...K8S_RAW, resource_limits: { cpu: '1', memory: '32Mi' }, resource_requests: { cpu: '100m', memory: '16Mi' } }, 'resource_limits: memory must be at least 64Mi'],
    ['a bad quantity', { ...K8S_RAW, resource_limits: { cpu: 'lots', memory: '512Mi' } }, 'resource_limits: cpu must be a quoted Kubernetes quantity'],
    ['enabled_tools for an unknown server', { ...K8S_RAW, enabled_tools: { gti: ['git_log'] } }, 'enabled_tools: names no server of mcp_servers'],
    ['a proxy node without its image', { ...K8S_PROXY_NODE_RAW, socket_proxy_image: undefined }, 'socket_proxy_image: is required with docker_proxy_node'],
    ['a proxy node and a docker_host', { ...K8S_PROXY_NODE_RAW, docker_host: 'tcp://d:2375' }, 'docker_host: is set together with docker_proxy_node'],
    ['an unpinned proxy image', { ...K8S_PROXY_NODE_RAW, socket_proxy_image: 'ghcr.io/acme/mcp-socket-proxy:latest' }, 'socket_proxy_image: must be an image reference with a pinned tag or digest'],
    ['the socket gid without a proxy node', { ...K8S_RAW, docker_socket_gid: 996 }, 'docker_socket_gid: applies only to target = "docker"'],
    ['an ingress without a host', { ...K8S_RAW, ingress_host: undefined }, 'ingress_host: is required with ingress = "traefik"'],
  ])('refuses %s, naming the fix', (_name, raw, expected) => {
    expect(problemsOf(raw).some((p) => p.startsWith(expected)), problemsOf(raw).join('\n')).toBe(true);
  });

  it('applies enabled_tools and the security defaults to mcp_servers, the server\'s own values winning', () => {
    const k8s = validateConfig({
      ...K8S_RAW,
      mcp_servers: { git: { image: 'mcp/git' }, fetch: { image: 'mcp/fetch', block_network: false }, docs: { url: 'https://docs.example.com/mcp' } },
      enabled_tools: { git: ['git_log'] },
      security_block_secrets: false,
    }).kubernetes!;
    expect(k8s.mcpServers).toEqual({
      git: { image: 'mcp/git', enabled_tools: ['git_log'], block_network: true, block_secrets: false },
      fetch: { image: 'mcp/fetch', block_network: false, block_secrets: false },
      docs: { url: 'https://docs.example.com/mcp', block_secrets: false },
    });
  });
});

describe('Kubernetes objects', () => {
  it('builds the Deployment with the restricted defaults, exactly', () => {
    const deployment = gatewayDeployment({
      namespace: 'mcp', image: 'reg/gw:1', port: 3000, replicas: 1, logLevel: 'info',
      limits: { cpu: '1', memory: '512Mi' }, requests: { cpu: '100m', memory: '128Mi' }, dockerHost: 'ssh://me@docker',
    });
    const restricted = { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' } };
    expect(deployment.spec!.template.spec).toEqual({
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } },
      terminationGracePeriodSeconds: 30,
      containers: [
        {
          name: 'gateway',
          image: 'reg/gw:1',
          imagePullPolicy: 'IfNotPresent',
          ports: [{ name: 'http', containerPort: 3000, protocol: 'TCP' }, { name: 'ops', containerPort: 9090, protocol: 'TCP' }],
          env: [
            { name: 'MCP_GATEWAY_HOST', value: '0.0.0.0' },
            { name: 'MCP_GATEWAY_PORT', value: '3000' },
            { name: 'MCP_GATEWAY_OPS_PORT', value: '9090' },
            { name: 'MCP_GATEWAY_CONFIG', value: '/etc/mcp-gateway/config.json' },
            { name: 'MCP_DOCKER_LOG_LEVEL', value: 'info' },
            { name: 'MCP_DOCKER_STRUCTURED_LOGS', value: 'true' },
            { name: 'MCP_DOCKER_AUDIT_FILE', value: '/var/lib/mcp-gateway/audit/audit.log' },
            { name: 'HOME', value: '/home/node' },
            { name: 'DOCKER_HOST', value: 'ssh://me@docker' },
            { name: 'MCP_GATEWAY_AUTH_TOKENS', valueFrom: { secretKeyRef: { name: 'mcp-gateway-auth', key: 'MCP_GATEWAY_AUTH_TOKENS', optional: false } } },
          ],
          resources: { limits: { cpu: '1', memory: '512Mi' }, requests: { cpu: '100m', memory: '128Mi' } },
          securityContext: restricted,
          volumeMounts: [
            { name: 'config', mountPath: '/etc/mcp-gateway', readOnly: true },
            { name: 'tmp', mountPath: '/tmp' },
            { name: 'home', mountPath: '/home/node' },
            { name: 'audit', mountPath: '/var/lib/mcp-gateway' },
          ],
          startupProbe: { httpGet: { path: '/health', port: 'ops' }, periodSeconds: 2, failureThreshold: 30, timeoutSeconds: 2 },
          livenessProbe: { httpGet: { path: '/health', port: 'ops' }, periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 2 },
          readinessProbe: { httpGet: { path: '/ready', port: 'ops' }, periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 5 },
        },
      ],
      volumes: [
        { name: 'config', configMap: { name: 'mcp-gateway', items: [{ key: 'config.json', path: 'config.json' }] } },
        { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
        { name: 'home', emptyDir: { sizeLimit: '512Mi' } },
        { name: 'audit', emptyDir: { sizeLimit: '256Mi' } },
      ],
    });
    expect(deployment.spec!.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
  });

  it('spreads replicas over nodes and zones only when there is more than one', () => {
    const base = { namespace: 'mcp', image: 'reg/gw:1', port: 3000, logLevel: 'info' as const, limits: { cpu: '1', memory: '512Mi' }, requests: { cpu: '1', memory: '512Mi' }, dockerHost: 'tcp://d:2375' };
    expect(gatewayDeployment({ ...base, replicas: 1 }).spec!.template.spec!.topologySpreadConstraints).toBeUndefined();
    const spread = gatewayDeployment({ ...base, replicas: 3 }).spec!.template.spec!.topologySpreadConstraints!;
    expect(spread.map((c) => [c.topologyKey, c.whenUnsatisfiable])).toEqual([['kubernetes.io/hostname', 'DoNotSchedule'], ['topology.kubernetes.io/zone', 'ScheduleAnyway']]);
  });

  it('writes the objects of the minimal config in apply order, namespace first', () => {
    const objects = gatewayObjects(validateConfig(K8S_RAW));
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'Namespace/mcp-gateway', 'ConfigMap/mcp-gateway', 'Deployment/mcp-gateway', 'Service/mcp-gateway',
      'PodDisruptionBudget/mcp-gateway', 'NetworkPolicy/mcp-gateway', 'IngressRoute/mcp-gateway',
    ]);
    expect(objects[0].metadata.labels).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'restricted' });
  });

  it('routes only the transport mode\'s paths, never the ops routes', () => {
    const route = byKind(gatewayObjects(validateConfig({ ...K8S_RAW, transport_mode: 'all' })), 'IngressRoute')[0] as any;
    expect(route.spec.routes[0].match).toBe('Host(`mcp.example.com`) && (Path(`/mcp`) || Path(`/rpc`) || Path(`/sse`) || Path(`/messages`))');
    const ingress = byKind(gatewayObjects(validateConfig({ ...K8S_RAW, ingress: 'ingress', transport_mode: 'sse' })), 'Ingress')[0] as any;
    expect(ingress.spec.rules[0].http.paths.map((p: any) => p.path)).toEqual(['/sse', '/messages']);
  });

  it('narrows the NetworkPolicy egress to DNS, the Docker port, upstream ports and 443 where needed', () => {
    const policy = byKind(gatewayObjects(validateConfig(K8S_FULL_RAW)), 'NetworkPolicy')[0] as any;
    expect(policy.spec.egress).toEqual([
      { ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] },
      { ports: [443, 2376, 8080].map((port) => ({ protocol: 'TCP', port })) },
    ]);
    expect(policy.spec.ingress[0].from).toEqual([
      { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'traefik' } } },
      { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'mcp-gateway', 'app.kubernetes.io/component': 'tunnel-connector' } } },
    ]);
  });

  it('puts the config file in the ConfigMap with the ingress host and Service names allowed', () => {
    const configMap = byKind(gatewayObjects(validateConfig({ ...K8S_RAW, cors_enabled: true, cors_origins: ['https://app.example.com'] })), 'ConfigMap')[0] as any;
    const file = JSON.parse(configMap.data['config.json']);
    expect(file.http).toEqual({
      allowedHosts: ['mcp-gateway:3000', 'mcp-gateway.mcp-gateway:3000', 'mcp-gateway.mcp-gateway.svc:3000', 'mcp-gateway.mcp-gateway.svc.cluster.local:3000', 'mcp.example.com'],
      allowedOrigins: ['https://mcp.example.com'],
      corsOrigins: ['https://app.example.com'],
    });
    expect(file.mcpServers).toEqual({});
  });
});

describe('socket proxy on a Docker node (docker_proxy_node)', () => {
  it('runs it pinned to the node, in its own privileged namespace, with the socket read-only; the gateway stays restricted', () => {
    const config = validateConfig(K8S_PROXY_NODE_RAW);
    expect(config.kubernetes!.dockerHost).toBe('tcp://docker-socket-proxy.mcp-gateway-docker-proxy.svc.cluster.local:2375');
    const objects = gatewayObjects(config);
    const names = objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`);
    expect(names.slice(-4)).toEqual([
      'Namespace//mcp-gateway-docker-proxy', 'Deployment/mcp-gateway-docker-proxy/docker-socket-proxy',
      'Service/mcp-gateway-docker-proxy/docker-socket-proxy', 'NetworkPolicy/mcp-gateway-docker-proxy/docker-socket-proxy',
    ]);
    expect(objects[0].metadata.labels!['pod-security.kubernetes.io/enforce']).toBe('restricted');
    const ns = objects.find((o) => o.metadata.name === 'mcp-gateway-docker-proxy')!;
    expect(ns.metadata.labels!['pod-security.kubernetes.io/enforce']).toBe('privileged');
    const pod = (objects.find((o) => o.metadata.name === 'docker-socket-proxy' && o.kind === 'Deployment') as any).spec.template.spec;
    expect(pod.nodeSelector).toEqual({ 'kubernetes.io/hostname': 'docker-node-1' });
    expect(pod.securityContext.supplementalGroups).toEqual([996]);
    expect(pod.volumes).toEqual([{ name: 'docker-socket', hostPath: { path: '/var/run/docker.sock', type: 'Socket' } }]);
    expect(pod.containers[0].volumeMounts).toEqual([{ name: 'docker-socket', mountPath: '/var/run/docker.sock', readOnly: true }]);
    expect(pod.containers[0].env).toEqual([{ name: 'ALLOW_UPSTREAMS', value: '1' }]);
    const policy = objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'mcp-gateway') as any;
    expect(policy.spec.egress[1]).toEqual({ ports: [{ protocol: 'TCP', port: 2375 }] });
  });

  it('synthesizes each object after its own namespace', () => {
    const json = synthJson(K8S_PROXY_NODE_RAW);
    const manifests = json.resource!.kubernetes_manifest;
    const proxyNs = Object.keys(manifests).find((k) => k.startsWith('kubernetes_namespace-mcp-gateway-docker-proxy'))!;
    const proxy = Object.values(manifests).find((m) => m.manifest.kind === 'Deployment' && m.manifest.metadata.name === 'docker-socket-proxy')!;
    expect(proxy.depends_on).toEqual([`kubernetes_manifest.${proxyNs}`]);
  });
});

describe('Kubernetes synth', () => {
  it('synthesizes manifests and typed Secrets, and no Docker resource', () => {
    const json = synthJson(K8S_RAW);
    expect(Object.keys(json.resource!).sort()).toEqual(['kubernetes_manifest', 'kubernetes_secret_v1']);
    expect(json.provider).toEqual({ kubernetes: [{}] });
    const secret = Object.values(json.resource!.kubernetes_secret_v1)[0];
    expect(secret.data).toEqual({ MCP_GATEWAY_AUTH_TOKENS: '${var.gateway_auth_tokens}' });
    expect(json.variable!.gateway_auth_tokens.sensitive).toBe(true);
  });

  it('with the tunnel: the Cloudflare constructs, the connector Deployment reading its token from a Secret, the Service as origin', () => {
    const json = synthJson(K8S_FULL_RAW);
    const manifests = Object.values(json.resource!.kubernetes_manifest).map((m) => m.manifest);
    const connector = manifests.find((m) => m.metadata.name === 'mcp-gateway-cloudflared');
    const container = connector.spec.template.spec.containers[0];
    expect(container.args).toEqual(['tunnel', '--no-autoupdate', '--metrics', '0.0.0.0:20241', 'run']);
    expect(container.env).toEqual([{ name: 'TUNNEL_TOKEN', valueFrom: { secretKeyRef: { name: 'mcp-gateway-tunnel-token', key: 'TUNNEL_TOKEN' } } }]);
    const secrets = Object.values(json.resource!.kubernetes_secret_v1).map((s) => s.data);
    expect(secrets).toContainEqual({ TUNNEL_TOKEN: expect.stringMatching(/^\$\{data\.cloudflare_zero_trust_tunnel_cloudflared_token\.[^}]+\.token\}$/) });
    const ingress = Object.values(json.resource!.cloudflare_zero_trust_tunnel_cloudflared_config)[0];
    expect(ingress.config.ingress[0].service).toBe('http://mcp-gateway.mcp-gateway.svc.cluster.local:3000');
    const accessConfig = Object.values(json.resource!.kubernetes_config_map_v1)[0];
    expect(Object.keys(accessConfig.data).sort()).toEqual(['MCP_GATEWAY_ACCESS_AUD', 'MCP_GATEWAY_ACCESS_CLIENT_NAMES', 'MCP_GATEWAY_ACCESS_TEAM_DOMAIN', 'MCP_GATEWAY_PUBLIC_HOSTNAME']);
    expect(json.output!.service_token_client_secrets.sensitive).toBe(true);
  });

  it('writes the same objects as YAML beside cdk.tf.json, without any Secret', () => {
    const stack = buildStack(K8S_FULL_RAW);
    Testing.synth(stack);
    const outdir = mkdtempSync(path.join(tmpdir(), 'k8s-yaml-'));
    try {
      const file = writeManifests(stack.kubernetes!, outdir);
      expect(file).toBe(path.join(outdir, 'stacks', 'mcp-gateway', 'kubernetes', 'mcp-gateway.yaml'));
      const docs = parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS());
      expect(docs).toEqual(stack.kubernetes!.objects.map((o) => JSON.parse(JSON.stringify(o))));
      expect(docs.some((d) => d.kind === 'Secret')).toBe(false);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  it('synthesizes the README seed and the commented block of terraform.tfvars.example', async () => {
    for (const raw of [await readmeSeed(), await exampleKubernetesBlock()]) {
      expect(raw.target).toBe('kubernetes');
      const json = synthJson(raw);
      expect(Object.keys(json.resource!.kubernetes_manifest).length).toBeGreaterThanOrEqual(7);
    }
    const example = await exampleKubernetesBlock();
    expect(Object.keys(example).length).toBeGreaterThanOrEqual(20);
  });

  it('keeps its resource addresses (a contract)', () => {
    const json = synthJson(K8S_FULL_RAW);
    expect(Object.keys(json.resource!.kubernetes_manifest).sort()).toEqual([
      'kubernetes_configmap-mcp-gateway_33C32C00',
      'kubernetes_deployment-mcp-gateway-cloudflared_CDC3D982',
      'kubernetes_deployment-mcp-gateway_ED01DF84',
      'kubernetes_ingressroute-mcp-gateway_27B8068A',
      'kubernetes_namespace_517B42BE',
      'kubernetes_networkpolicy-mcp-gateway_8DC7D365',
      'kubernetes_poddisruptionbudget-mcp-gateway_06D6F874',
      'kubernetes_service-mcp-gateway_539F5AE6',
      'kubernetes_servicemonitor-mcp-gateway_C7F783B4',
    ]);
    expect(Object.keys(json.resource!.kubernetes_secret_v1).sort()).toEqual(['kubernetes_auth-secret_3A540840', 'kubernetes_tunnel-secret_385184BE']);
    expect(Object.keys(json.resource!.kubernetes_config_map_v1)).toEqual(['kubernetes_access-config_25442A6A']);
    expect(Object.keys(json.output!).sort()).toEqual(['access_aud', 'client_configs', 'ingress_url', 'mcp_url', 'oauth_redirect_uris', 'public_url', 'service_token_client_ids', 'service_token_client_secrets', 'service_url']);
  });

  it('matches the snapshot', () => {
    const json = synthJson(K8S_FULL_RAW);
    expect(json).toMatchSnapshot();
    expect(parseYaml('a: 1')).toEqual({ a: 1 });
  });
});
