import type { ProblemCollector } from '../errors';
import type { ConfigKey } from './config-keys';
import type { JsonValue } from './stack-config';

/** Deployment targets of the one app: the Docker host (default) or a Kubernetes cluster. */
export const TARGETS = ['docker', 'kubernetes'] as const;
/** One of {@link TARGETS}. */
export type Target = (typeof TARGETS)[number];

/**
 * Which HTTP transports the ingress routes to the gateway (the gateway itself serves all of them on one port):
 * `streamable-http` routes `/mcp` and `/rpc`; `sse` routes the older `/sse` + `/messages`; `all` routes both.
 */
export const TRANSPORT_MODES = ['streamable-http', 'sse', 'all'] as const;
/** One of {@link TRANSPORT_MODES}. */
export type TransportMode = (typeof TRANSPORT_MODES)[number];

/** How the gateway is reached from outside the cluster (besides the tunnel). */
export const INGRESS_KINDS = ['traefik', 'ingress', 'none'] as const;
/** One of {@link INGRESS_KINDS}. */
export type IngressKind = (typeof INGRESS_KINDS)[number];

/** CPU and memory of a container, as Kubernetes quantities (`"500m"`, `"512Mi"`). */
export interface ResourceQuantities {
  readonly cpu: string;
  readonly memory: string;
}

/** The pinned default image tag: the gateway's own version (a cluster pulls by tag; "latest" is refused). */
export const DEFAULT_IMAGE_TAG = '0.1.0';
/** Default limits: what the Docker target's 512 MiB gateway gets, plus one core. */
export const DEFAULT_RESOURCE_LIMITS: ResourceQuantities = Object.freeze({ cpu: '1', memory: '512Mi' });
/** Default requests: an idle gateway settles near 56 MiB (bench/RESULTS.md); 128Mi leaves room for sessions. */
export const DEFAULT_RESOURCE_REQUESTS: ResourceQuantities = Object.freeze({ cpu: '100m', memory: '128Mi' });

/** The validated Kubernetes part of the configuration (present only with `target = "kubernetes"`). */
export interface KubernetesConfig {
  /** `namespace`: where the gateway, its Secret and its policies live (labelled Pod Security "restricted"). */
  readonly namespace: string;
  /** The image the pods run: `docker_image` + `:` + `image_tag`. */
  readonly image: string;
  /** `transport_mode`: which paths the ingress routes. */
  readonly transportMode: TransportMode;
  /** `docker_host`: the engine the gateway drives, `tcp://` or `ssh://` (a cluster node has no Docker socket). */
  readonly dockerHost: string;
  /** `docker_tls_secret`: an existing Secret with ca.pem, cert.pem and key.pem for a `tcp://` engine with TLS. */
  readonly dockerTlsSecret?: string;
  /**
   * `docker_proxy_node`: a node that runs Docker, where a socket proxy Deployment is pinned (in a namespace of its own
   * enforcing "privileged", because of its hostPath); `docker_host` then points at its Service.
   */
  readonly dockerProxy?: { readonly node: string; readonly image: string; readonly socketGid: number; readonly namespace: string; readonly allowUpstreams: boolean };
  /** `mcp_servers` with `enabled_tools`, `security_block_network` and `security_block_secrets` applied. */
  readonly mcpServers: Readonly<Record<string, JsonValue>>;
  /** `cors_origins` when `cors_enabled`; empty otherwise. */
  readonly corsOrigins: readonly string[];
  /** `resource_limits`. */
  readonly limits: ResourceQuantities;
  /** `resource_requests`. */
  readonly requests: ResourceQuantities;
  /** `replicas`: 1 (see {@link validateKubernetesConfig} for why more is refused). */
  readonly replicas: number;
  /** `enable_network_policy`. */
  readonly networkPolicy: boolean;
  /** `ingress`: Traefik IngressRoute, a standard Ingress, or none. */
  readonly ingress: IngressKind;
  /** `ingress_host`: the host name the ingress routes; required unless `ingress = "none"`. */
  readonly ingressHost?: string;
  /** `ingress_namespace`: where the ingress controller's pods run (the NetworkPolicy admits them). */
  readonly ingressNamespace: string;
  /** `enable_service_monitor`: a prometheus-operator ServiceMonitor for the ops port. */
  readonly serviceMonitor: boolean;
}

/** The Kubernetes keys, documented like the rest (config-keys.ts appends them to CONFIG_KEYS). */
export const KUBERNETES_CONFIG_KEYS: readonly ConfigKey[] = [
  { name: 'target', field: 'target', type: 'string', defaultHcl: '"docker"', description: 'Where the gateway runs: "docker" (this Docker host) or "kubernetes" (a cluster; see the Kubernetes section).' },
  { name: 'namespace', field: 'kubernetes', type: 'string', defaultHcl: '"mcp-gateway"', description: 'Kubernetes: namespace of the gateway, labelled for the Pod Security "restricted" profile.' },
  { name: 'image_tag', field: 'kubernetes', type: 'string', defaultHcl: `"${DEFAULT_IMAGE_TAG}"`, description: 'Kubernetes: tag of docker_image the pods pull (pinned; "latest" is refused).' },
  { name: 'transport_mode', field: 'kubernetes', type: 'string', defaultHcl: '"streamable-http"', description: 'Kubernetes: paths the ingress routes: "streamable-http" (/mcp, /rpc), "sse" (/sse, /messages) or "all".' },
  { name: 'docker_tls_secret', field: 'kubernetes', type: 'string', description: 'Kubernetes: existing Secret holding ca.pem, cert.pem, key.pem for a tcp:// docker_host with TLS.' },
  { name: 'docker_proxy_node', field: 'kubernetes', type: 'string', description: 'Kubernetes: name of a node running Docker; a socket proxy Deployment is pinned there (own privileged namespace) and docker_host defaults to its Service.' },
  { name: 'socket_proxy_image', field: 'kubernetes', type: 'string', description: 'Kubernetes: the socket proxy image built from socket-proxy/ and pushed, with its tag (required with docker_proxy_node).' },
  { name: 'enabled_tools', field: 'kubernetes', type: 'map(list(string))', defaultHcl: '{}', description: 'Kubernetes: per mcp_servers entry, the only upstream tools exposed (sets its enabled_tools).' },
  { name: 'security_block_network', field: 'kubernetes', type: 'bool', defaultHcl: 'true', description: 'Kubernetes: image servers without their own block_network run with no network.' },
  { name: 'security_block_secrets', field: 'kubernetes', type: 'bool', defaultHcl: 'true', description: 'Kubernetes: servers without their own block_secrets get secret-looking values redacted.' },
  { name: 'cors_enabled', field: 'kubernetes', type: 'bool', defaultHcl: 'false', description: 'Kubernetes: send CORS headers to cors_origins (browser clients).' },
  { name: 'cors_origins', field: 'kubernetes', type: 'list(string)', defaultHcl: '[]', description: 'Kubernetes: explicit origins ("https://app.example.com") that get CORS headers; required with cors_enabled.' },
  { name: 'resource_limits', field: 'kubernetes', type: 'map(string)', defaultHcl: '{ cpu = "1", memory = "512Mi" }', description: 'Kubernetes: container limits (cpu, memory as Kubernetes quantities; memory at least 64Mi).' },
  { name: 'resource_requests', field: 'kubernetes', type: 'map(string)', defaultHcl: '{ cpu = "100m", memory = "128Mi" }', description: 'Kubernetes: container requests (at most the limits).' },
  { name: 'replicas', field: 'kubernetes', type: 'number', defaultHcl: '1', description: 'Kubernetes: gateway pods; only 1 (sessions live in one pod, see docs/stack.md).' },
  { name: 'enable_network_policy', field: 'kubernetes', type: 'bool', defaultHcl: 'true', description: 'Kubernetes: NetworkPolicy admitting only the ingress controller, the tunnel connector and Prometheus.' },
  { name: 'ingress', field: 'kubernetes', type: 'string', defaultHcl: '"traefik"', description: 'Kubernetes: "traefik" (IngressRoute traefik.io/v1alpha1), "ingress" (networking.k8s.io/v1) or "none".' },
  { name: 'ingress_host', field: 'kubernetes', type: 'string', description: 'Kubernetes: host name the ingress routes to the gateway (required unless ingress = "none").' },
  { name: 'ingress_namespace', field: 'kubernetes', type: 'string', defaultHcl: '"traefik"', description: 'Kubernetes: namespace of the ingress controller pods, admitted by the NetworkPolicy.' },
  { name: 'enable_service_monitor', field: 'kubernetes', type: 'bool', defaultHcl: 'false', description: 'Kubernetes: a prometheus-operator ServiceMonitor scraping the ops port (/metrics).' },
];

/** Keys that only mean something with `target = "kubernetes"`. */
const KUBERNETES_ONLY = KUBERNETES_CONFIG_KEYS.map((k) => k.name).filter((n) => n !== 'target');
/** Docker-target keys that a Kubernetes deployment cannot honour, with what to use instead. */
const DOCKER_ONLY: Readonly<Record<string, string>> = {
  memory_limit: 'use resource_limits = { memory = "512Mi" }',
  base_image: 'nothing is built for a cluster; push the image and set docker_image and image_tag',
  docker_socket_path: 'a cluster node has no Docker socket; set docker_host = "tcp://..." or "ssh://..."',
  docker_socket_gid: 'no socket is mounted on Kubernetes; remove it',
  docker_socket_proxy: 'on Kubernetes point docker_host at the engine (or at a socket proxy on a Docker node); remove it',
  socket_proxy_base_image: 'nothing is built for a cluster; remove it',
};

const DNS_1123_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const DNS_1123_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;
const HOSTNAME = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const IMAGE_TAG = /^[\w][\w.-]{0,127}$/;
const CPU_QUANTITY = /^(?:\d+(?:\.\d+)?|\d+m)$/;
const MEMORY_QUANTITY = /^\d+(?:\.\d+)?(?:Ki|Mi|Gi|Ti|k|M|G|T)?$/;
const ORIGIN = /^https?:\/\/(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:\d{1,5})?$/i;
const DOCKER_HOST_K8S = /^(?:tcp:\/\/[^\s/:]+:\d{1,5}|ssh:\/\/\S+)$/;
const MIN_MEMORY_BYTES = 64 * 1024 * 1024;

const MEMORY_UNITS: Readonly<Record<string, number>> = { '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4 };

/** CPU quantity in millicores (`"1"` -> 1000, `"250m"` -> 250). */
export function cpuMillis(quantity: string): number {
  return quantity.endsWith('m') ? Number(quantity.slice(0, -1)) : Number(quantity) * 1000;
}

/** Memory quantity in bytes (`"512Mi"` -> 536870912). */
export function memoryBytes(quantity: string): number {
  const m = /^(\d+(?:\.\d+)?)([A-Za-z]*)$/.exec(quantity);
  return m ? Number(m[1]) * (MEMORY_UNITS[m[2]] ?? Number.NaN) : Number.NaN;
}

type Raw = Readonly<Record<string, unknown>>;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What {@link validateKubernetesConfig} needs from the shared validator's results. */
export interface SharedConfigView {
  readonly dockerImage?: string;
  readonly mcpServers: Readonly<Record<string, JsonValue>>;
  readonly enableTunnel: boolean;
}

/**
 * Reads `target` and, for `target = "kubernetes"`, every Kubernetes key; adds each problem (with its fix) to
 * `problems`, so they are reported together with the rest of the file. Kubernetes keys with the Docker target,
 * and Docker-only keys with the Kubernetes target, are problems too: a key that would be silently ignored is a
 * mistake the user should hear about.
 *
 * `replicas` above 1 is refused: the gateway keeps MCP sessions (2025 Streamable HTTP and `/sse`) in the memory
 * of one pod, MCP clients do not carry cookies (so a sticky cookie does not pin them), Service `ClientIP`
 * affinity sees only the ingress pod's address. (Replicas sharing one Docker engine no longer reap each other's
 * upstreams: see the reaper; what pins 2025 sessions is the load balancer's job, docs/replicas.md.)
 */
export function validateKubernetesConfig(raw: Raw, shared: SharedConfigView, problems: ProblemCollector): { target: Target; kubernetes?: KubernetesConfig } {
  const rawTarget = raw.target ?? 'docker';
  let target: Target = 'docker';
  if (typeof rawTarget === 'string' && (TARGETS as readonly string[]).includes(rawTarget)) target = rawTarget as Target;
  else problems.add('target', rawTarget, `must be one of ${TARGETS.map((t) => `"${t}"`).join(', ')}`);

  if (target === 'docker') {
    for (const key of KUBERNETES_ONLY) {
      if (raw[key] !== undefined && raw[key] !== null) problems.add(key, raw[key], 'applies only to target = "kubernetes"; set target = "kubernetes" or remove the key');
    }
    return { target };
  }
  for (const [key, fix] of Object.entries(DOCKER_ONLY)) {
    // The socket's group is needed on Kubernetes too when a socket proxy runs on a Docker node.
    if (key === 'docker_socket_gid' && raw.docker_proxy_node !== undefined) continue;
    if (raw[key] !== undefined && raw[key] !== null) problems.add(key, raw[key], `applies only to target = "docker"; ${fix}`);
  }

  const str = (name: string, fallback?: string): string | undefined => {
    const value = raw[name];
    if (value === undefined || value === null) return fallback;
    if (typeof value === 'string' && value.trim() !== '') return value.trim();
    problems.add(name, value, `must be a non-empty string; write ${name} = "..."`);
    return fallback;
  };
  const bool = (name: string, fallback: boolean): boolean => {
    const value = raw[name];
    if (value === undefined || value === null) return fallback;
    if (typeof value === 'boolean') return value;
    problems.add(name, value, `must be a bool; write ${name} = true or ${name} = false (no quotes)`);
    return fallback;
  };
  const oneOf = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const value = str(name, fallback);
    if ((allowed as readonly string[]).includes(value ?? '')) return value as T;
    problems.add(name, value, `must be one of ${allowed.map((a) => `"${a}"`).join(', ')}`);
    return fallback;
  };

  const namespace = str('namespace', 'mcp-gateway')!;
  if (!DNS_1123_LABEL.test(namespace)) problems.add('namespace', namespace, 'must be a DNS-1123 label: lower-case letters, digits and inner "-", at most 63, e.g. "mcp-gateway"');

  const imageTag = str('image_tag', DEFAULT_IMAGE_TAG)!;
  if (!IMAGE_TAG.test(imageTag)) problems.add('image_tag', imageTag, 'is not an image tag; write it like "0.1.0"');
  else if (imageTag === 'latest') problems.add('image_tag', imageTag, 'is not pinned: a rollout could run a different image on each pod; push a versioned tag such as "0.1.0"');
  if (shared.dockerImage === undefined) {
    problems.add('docker_image', undefined, 'is required with target = "kubernetes": a cluster pulls the gateway from a registry; push the image built from gateway-image/ and set docker_image = "ghcr.io/you/mcp-gateway"');
  } else if (/[:@][^/]*$/.test(shared.dockerImage)) {
    problems.add('docker_image', shared.dockerImage, 'must be the repository only with target = "kubernetes" (the tag comes from image_tag); remove the ":tag" or "@digest"');
  }
  const image = `${shared.dockerImage ?? 'mcp-gateway'}:${imageTag}`;

  const transportMode = oneOf('transport_mode', TRANSPORT_MODES, 'streamable-http');

  const proxyNode = str('docker_proxy_node');
  const proxyImage = str('socket_proxy_image');
  let dockerProxy: KubernetesConfig['dockerProxy'];
  if (proxyNode !== undefined) {
    if (!DNS_1123_SUBDOMAIN.test(proxyNode)) problems.add('docker_proxy_node', proxyNode, 'must be a node name as `kubectl get nodes` prints it');
    if (proxyImage === undefined) problems.add('socket_proxy_image', undefined, 'is required with docker_proxy_node: build socket-proxy/, push it and write "ghcr.io/you/mcp-socket-proxy:0.1.0"');
    else if (!/^[a-z0-9][a-z0-9._/-]*(:[\w][\w.-]*|@sha256:[0-9a-f]{64})$/i.test(proxyImage) || proxyImage.endsWith(':latest')) {
      problems.add('socket_proxy_image', proxyImage, 'must be an image reference with a pinned tag or digest, e.g. "ghcr.io/you/mcp-socket-proxy:0.1.0"');
    }
    if (raw.docker_host !== undefined) problems.add('docker_host', raw.docker_host, 'is set together with docker_proxy_node; the proxy\'s Service is the engine then: remove one of them');
    const gid = raw.docker_socket_gid ?? 999;
    if (typeof gid !== 'number' || !Number.isInteger(gid) || gid < 0) problems.add('docker_socket_gid', gid, 'must be the group id owning the socket on that node (`stat -c %g /var/run/docker.sock`)');
    const images = Object.values(shared.mcpServers).some((v) => isPlainObject(v) && typeof v.image === 'string');
    dockerProxy = { node: proxyNode, image: proxyImage ?? '', socketGid: typeof gid === 'number' ? gid : 999, namespace: `${namespace}-docker-proxy`, allowUpstreams: images };
  } else if (proxyImage !== undefined) {
    problems.add('socket_proxy_image', proxyImage, 'has no effect without docker_proxy_node; set the node or remove it');
  }

  const dockerHost = dockerProxy ? `tcp://docker-socket-proxy.${dockerProxy.namespace}.svc.cluster.local:2375` : str('docker_host');
  if (dockerHost === undefined) {
    problems.add('docker_host', undefined, 'is required with target = "kubernetes" (nodes run no Docker engine the gateway could use): write "tcp://docker.example.internal:2376" (TLS, with docker_tls_secret) or "ssh://user@host", or the address of a socket proxy on a node with Docker');
  } else if (!DOCKER_HOST_K8S.test(dockerHost)) {
    problems.add('docker_host', dockerHost, 'must be "tcp://host:port" or "ssh://user@host" with target = "kubernetes"; a unix:// socket is not on the gateway pod (and hostPath would break the restricted profile)');
  }
  const dockerTlsSecret = str('docker_tls_secret');
  if (dockerTlsSecret !== undefined && !DNS_1123_SUBDOMAIN.test(dockerTlsSecret)) {
    problems.add('docker_tls_secret', dockerTlsSecret, 'must be the name of a Secret in namespace (lower-case DNS name)');
  }
  if (dockerTlsSecret !== undefined && dockerHost !== undefined && !dockerHost.startsWith('tcp://')) {
    problems.add('docker_tls_secret', dockerTlsSecret, 'is used only with a tcp:// docker_host; remove it');
  }

  const mcpServers = applyServerDefaults(raw, shared.mcpServers, problems, bool('security_block_network', true), bool('security_block_secrets', true));

  const corsEnabled = bool('cors_enabled', false);
  const rawOrigins = raw.cors_origins ?? [];
  let corsOrigins: string[] = [];
  if (!Array.isArray(rawOrigins) || rawOrigins.some((o) => typeof o !== 'string')) {
    problems.add('cors_origins', rawOrigins, 'must be a list of origins; write cors_origins = ["https://app.example.com"]');
  } else {
    corsOrigins = rawOrigins as string[];
    for (const origin of corsOrigins) {
      if (!ORIGIN.test(origin)) problems.add('cors_origins', origin, 'must be an explicit origin "https://host[:port]" (no "*", no path)');
    }
  }
  if (corsEnabled && corsOrigins.length === 0) problems.add('cors_origins', rawOrigins, 'is empty while cors_enabled = true; list the browser origins, e.g. ["https://app.example.com"]');
  if (!corsEnabled && corsOrigins.length > 0) problems.add('cors_enabled', false, 'is false while cors_origins is set (the origins would be ignored); set cors_enabled = true or remove cors_origins');

  const limits = quantities(raw, 'resource_limits', DEFAULT_RESOURCE_LIMITS, problems);
  const requests = quantities(raw, 'resource_requests', DEFAULT_RESOURCE_REQUESTS, problems);
  if (memoryBytes(limits.memory) < MIN_MEMORY_BYTES) problems.add('resource_limits', limits, 'memory must be at least 64Mi (node and the gateway do not start reliably below it); 512Mi is recommended');
  if (cpuMillis(requests.cpu) > cpuMillis(limits.cpu)) problems.add('resource_requests', requests, `cpu ${requests.cpu} is above the limit ${limits.cpu}; lower it or raise resource_limits.cpu`);
  if (memoryBytes(requests.memory) > memoryBytes(limits.memory)) problems.add('resource_requests', requests, `memory ${requests.memory} is above the limit ${limits.memory}; lower it or raise resource_limits.memory`);

  let replicas = 1;
  const rawReplicas = raw.replicas;
  if (rawReplicas !== undefined && rawReplicas !== null) {
    if (rawReplicas !== 1) {
      problems.add(
        'replicas',
        rawReplicas,
        'must be 1: MCP sessions (Streamable HTTP sessions and /sse streams) live in one pod\'s memory and MCP clients keep no cookies, so neither a Traefik sticky cookie nor Service ClientIP affinity (which sees the ingress pod) pins them; keep replicas = 1 (the PodDisruptionBudget and rolling update keep it available); replicas behind a load balancer that pins on the Mcp-Session-Id header are described in docs/replicas.md',
      );
    } else replicas = 1;
  }

  const networkPolicy = bool('enable_network_policy', true);
  const ingress = oneOf('ingress', INGRESS_KINDS, 'traefik');
  const ingressHost = str('ingress_host')?.toLowerCase();
  if (ingressHost !== undefined && !HOSTNAME.test(ingressHost)) problems.add('ingress_host', ingressHost, 'must be a host name such as "mcp.example.com" (no scheme, no path)');
  if (ingress !== 'none' && ingressHost === undefined && raw.ingress_host === undefined) {
    problems.add('ingress_host', undefined, `is required with ingress = "${ingress}"; set the host name clients use, e.g. "mcp.example.com", or set ingress = "none"${shared.enableTunnel ? ' (the tunnel reaches the Service directly)' : ''}`);
  }
  const ingressNamespace = str('ingress_namespace', 'traefik')!;
  if (!DNS_1123_LABEL.test(ingressNamespace)) problems.add('ingress_namespace', ingressNamespace, 'must be a namespace name (DNS-1123 label), e.g. "traefik" or "ingress-nginx"');
  const serviceMonitor = bool('enable_service_monitor', false);

  return {
    target,
    kubernetes: Object.freeze({
      namespace,
      image,
      transportMode,
      dockerHost: dockerHost ?? '',
      dockerTlsSecret,
      dockerProxy,
      mcpServers,
      corsOrigins: Object.freeze(corsEnabled ? corsOrigins : []),
      limits,
      requests,
      replicas,
      networkPolicy,
      ingress,
      ingressHost,
      ingressNamespace,
      serviceMonitor,
    }),
  };
}

function quantities(raw: Raw, name: string, fallback: ResourceQuantities, problems: ProblemCollector): ResourceQuantities {
  const value = raw[name];
  if (value === undefined || value === null) return fallback;
  if (!isPlainObject(value)) {
    problems.add(name, value, `must be a map; write ${name} = { cpu = "500m", memory = "512Mi" }`);
    return fallback;
  }
  for (const key of Object.keys(value)) {
    if (key !== 'cpu' && key !== 'memory') problems.add(name, key, 'has an unknown key; only cpu and memory are set');
  }
  const cpu = value.cpu ?? fallback.cpu;
  const memory = value.memory ?? fallback.memory;
  let ok = true;
  if (typeof cpu !== 'string' || !CPU_QUANTITY.test(cpu) || cpuMillis(cpu) <= 0) {
    problems.add(name, cpu, 'cpu must be a quoted Kubernetes quantity such as "500m" or "1"');
    ok = false;
  }
  if (typeof memory !== 'string' || !MEMORY_QUANTITY.test(memory) || !(memoryBytes(memory) > 0)) {
    problems.add(name, memory, 'memory must be a quoted Kubernetes quantity such as "512Mi" or "1Gi"');
    ok = false;
  }
  return ok ? Object.freeze({ cpu: cpu as string, memory: memory as string }) : fallback;
}

/** Applies `enabled_tools`, `security_block_network` and `security_block_secrets` to the servers (their own values win). */
function applyServerDefaults(
  raw: Raw,
  servers: Readonly<Record<string, JsonValue>>,
  problems: ProblemCollector,
  blockNetwork: boolean,
  blockSecrets: boolean,
): Readonly<Record<string, JsonValue>> {
  const out: Record<string, JsonValue> = {};
  for (const [name, entry] of Object.entries(servers)) {
    if (!isPlainObject(entry)) {
      out[name] = entry;
      continue;
    }
    const server: Record<string, JsonValue> = { ...(entry as Record<string, JsonValue>) };
    if (server.block_secrets === undefined) server.block_secrets = blockSecrets;
    if (typeof server.image === 'string' && server.block_network === undefined) server.block_network = blockNetwork;
    out[name] = server;
  }
  const rawTools = raw.enabled_tools;
  if (rawTools !== undefined && rawTools !== null) {
    if (!isPlainObject(rawTools)) {
      problems.add('enabled_tools', rawTools, 'must be a map of server name to tool names; write enabled_tools = { git = ["git_log", "git_status"] }');
    } else {
      for (const [name, tools] of Object.entries(rawTools)) {
        const server = out[name];
        if (!isPlainObject(server)) {
          problems.add('enabled_tools', name, `names no server of mcp_servers; use one of ${Object.keys(out).map((n) => `"${n}"`).join(', ') || '(none configured)'}`);
        } else if (!Array.isArray(tools) || tools.some((t) => typeof t !== 'string' || t === '')) {
          problems.add('enabled_tools', tools, `entry "${name}" must be a list of tool names, e.g. ["git_log"]`);
        } else if ((server as Record<string, JsonValue>).enabled_tools !== undefined) {
          problems.add('enabled_tools', name, `mcp_servers.${name} sets its own enabled_tools; set the list in one place`);
        } else {
          (server as Record<string, JsonValue>).enabled_tools = tools as string[];
        }
      }
    }
  }
  return Object.freeze(out);
}
