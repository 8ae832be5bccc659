/**
 * The secure defaults of every Kubernetes object this stack writes, in one place: the Pod Security "restricted"
 * security contexts, the labels, the ports and the paths the gateway pod mounts. The object builders in this
 * folder only combine these with the validated config; the guardrail rules check the same facts.
 */
import type { IPodSecurityContext, ISecurityContext } from 'kubernetes-models/v1';

/** Numeric uid:gid of `node` in the gateway image (gateway-image/Dockerfile `USER 1000:1000`). */
export const GATEWAY_UID = 1000;
/** Numeric uid of cloudflared's distroless `nonroot` user. */
export const CLOUDFLARED_UID = 65532;

/** Name of the gateway's Deployment, Service, ConfigMap and the pod's main container. */
export const GATEWAY_NAME = 'mcp-gateway';
/** Name of the cloudflared connector's Deployment. */
export const CLOUDFLARED_NAME = 'mcp-gateway-cloudflared';
/** Secret holding `MCP_GATEWAY_AUTH_TOKENS` (from the sensitive variable, at apply time). */
export const AUTH_SECRET_NAME = 'mcp-gateway-auth';
/** Key of the bearer tokens in {@link AUTH_SECRET_NAME}; also the env var name it becomes. */
export const AUTH_SECRET_KEY = 'MCP_GATEWAY_AUTH_TOKENS';
/**
 * Secret holding the upstream secrets mcp_servers references as `{{secret:NAME}}` (from the sensitive
 * `mcp_server_secrets`, at apply time), one key per NAME; each becomes the gateway's `MCP_GATEWAY_SECRET_<NAME>`.
 */
export const UPSTREAM_SECRETS_NAME = 'mcp-gateway-upstream-secrets';
/** Secret holding the tunnel connector's token. */
export const TUNNEL_SECRET_NAME = 'mcp-gateway-tunnel-token';
/** Key of the token in {@link TUNNEL_SECRET_NAME}; cloudflared reads it as `TUNNEL_TOKEN`. */
export const TUNNEL_SECRET_KEY = 'TUNNEL_TOKEN';
/** ConfigMap of values known only after apply (Access team domain, AUD, service-token client ids). */
export const ACCESS_CONFIG_NAME = 'mcp-gateway-access';

/** Name of the MCP port (Service, IngressRoute, NetworkPolicy refer to it by name). */
export const HTTP_PORT_NAME = 'http';
/** Name of the ops port: /health, /ready, /metrics without authentication, never routed by an ingress. */
export const OPS_PORT_NAME = 'ops';
/** The ops port number inside the pod (`MCP_GATEWAY_OPS_PORT`). */
export const OPS_PORT = 9090;

/** Where the ConfigMap's `config.json` is mounted; the gateway reads it as `MCP_GATEWAY_CONFIG`. */
export const CONFIG_DIR = '/etc/mcp-gateway';
/** Key of the gateway configuration in the ConfigMap. */
export const CONFIG_FILE_KEY = 'config.json';
/** The audit directory (an emptyDir: the root filesystem is read-only). */
export const STATE_DIR = '/var/lib/mcp-gateway';
/** The audit log file. */
export const AUDIT_FILE = `${STATE_DIR}/audit/audit.log`;
/** HOME of the image's user: command servers (npx, uvx) write their caches there. */
export const HOME_DIR = '/home/node';
/** Where a `docker_tls_secret` is mounted (`DOCKER_CERT_PATH`). */
export const DOCKER_CERT_DIR = '/etc/docker-tls';

/** The routes the gateway serves on its ops port, which the probes and the ServiceMonitor use. */
export const OPS_ROUTES = { liveness: '/health', readiness: '/ready', metrics: '/metrics' } as const;

/** Pod Security Admission labels of a namespace enforcing, auditing and warning on the "restricted" profile. */
export function podSecurityLabels(level: 'restricted' | 'privileged'): Record<string, string> {
  return {
    'pod-security.kubernetes.io/enforce': level,
    'pod-security.kubernetes.io/enforce-version': 'latest',
    'pod-security.kubernetes.io/audit': level,
    'pod-security.kubernetes.io/warn': level,
  };
}

/** The pod-level security context the "restricted" profile requires, for a numeric non-root uid. */
export function restrictedPodSecurityContext(uid: number): IPodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    fsGroup: uid,
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** The container-level security context: no privilege escalation, no capabilities, read-only root. */
export function restrictedContainerSecurityContext(uid: number): ISecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** The recommended labels (app.kubernetes.io/*) of one component. */
export function appLabels(component: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': GATEWAY_NAME,
    'app.kubernetes.io/component': component,
    'app.kubernetes.io/part-of': 'docker-mcp-gateway',
    'app.kubernetes.io/managed-by': 'cdktf',
  };
}

/** The subset of {@link appLabels} a selector uses (stable across upgrades: selectors are immutable). */
export function selectorLabels(component: string): Record<string, string> {
  return { 'app.kubernetes.io/name': GATEWAY_NAME, 'app.kubernetes.io/component': component };
}
