import { createHash } from 'node:crypto';
import type { KubernetesConfig } from '../config/kubernetes-config';
import type { JsonValue, StackConfig } from '../config/stack-config';
import { cloudflaredDeployment } from './cloudflared-deployment';
import { GATEWAY_NAME } from './defaults';
import { gatewayConfigMap } from './gateway-config-map';
import { gatewayDeployment } from './gateway-deployment';
import { gatewayIngress } from './gateway-ingress';
import { gatewayIngressRoute } from './gateway-ingress-route';
import { gatewayNetworkPolicy } from './gateway-network-policy';
import { gatewayPodDisruptionBudget } from './gateway-pdb';
import { gatewayService } from './gateway-service';
import { gatewayServiceMonitor } from './gateway-service-monitor';
import { gatewayNamespace } from './namespace';
import { socketProxyDeployment, socketProxyNamespace, socketProxyNetworkPolicy, socketProxyService } from './socket-proxy-objects';

/** Any Kubernetes object: what a manifest file and a `kubernetes_manifest` hold. */
export interface KubernetesObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name?: string; readonly namespace?: string; readonly labels?: Record<string, string> };
  readonly [field: string]: unknown;
}

/**
 * The gateway's configuration file as the pod reads it: `gateway_settings`, the Host/Origin allowlists for the
 * ingress host and the in-cluster Service names, CORS origins, and `mcp_servers` (with the Kubernetes defaults).
 */
export function gatewayConfigFile(config: StackConfig, k8s: KubernetesConfig): Record<string, JsonValue> {
  const settings = config.gatewaySettings as Record<string, JsonValue>;
  const http = (typeof settings.http === 'object' && settings.http !== null && !Array.isArray(settings.http) ? settings.http : {}) as Record<string, JsonValue>;
  const list = (v: JsonValue | undefined): JsonValue[] => (Array.isArray(v) ? v : []);
  const svc = `${GATEWAY_NAME}.${k8s.namespace}`;
  const hosts = [`${GATEWAY_NAME}:${config.gatewayPort}`, `${svc}:${config.gatewayPort}`, `${svc}.svc:${config.gatewayPort}`, `${svc}.svc.cluster.local:${config.gatewayPort}`];
  if (k8s.ingressHost) hosts.push(k8s.ingressHost);
  const origins = k8s.ingressHost ? [`https://${k8s.ingressHost}`] : [];
  return {
    ...settings,
    http: {
      ...http,
      allowedHosts: [...new Set([...list(http.allowedHosts), ...hosts])],
      ...(origins.length > 0 || http.allowedOrigins ? { allowedOrigins: [...new Set([...list(http.allowedOrigins), ...origins])] } : {}),
      ...(k8s.corsOrigins.length > 0 ? { corsOrigins: [...new Set([...list(http.corsOrigins), ...k8s.corsOrigins])] } : {}),
    },
    mcpServers: k8s.mcpServers as Record<string, JsonValue>,
  };
}

/** TCP ports the gateway opens outside the cluster's DNS: its Docker endpoint, remote upstreams, HTTPS where needed. */
export function gatewayEgressPorts(config: StackConfig, k8s: KubernetesConfig): number[] {
  const ports: number[] = [];
  const endpoint = /^(tcp|ssh):\/\/(?:[^@/]*@)?(\[[^\]]+\]|[^:/]+)(?::(\d+))?/.exec(k8s.dockerHost);
  if (endpoint) ports.push(endpoint[3] ? Number(endpoint[3]) : endpoint[1] === 'ssh' ? 22 : 2376);
  for (const server of Object.values(k8s.mcpServers)) {
    if (typeof server !== 'object' || server === null || Array.isArray(server)) continue;
    const entry = server as Record<string, JsonValue>;
    if (typeof entry.url === 'string') {
      try {
        const url = new URL(entry.url);
        ports.push(url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80);
      } catch {
        // The gateway's own schema reports a bad URL; the policy simply gets no port for it.
      }
    }
    // Command servers fetch their packages (npx, uvx) over HTTPS.
    if (typeof entry.command === 'string' && typeof entry.image !== 'string') ports.push(443);
  }
  // Access JWTs are verified against the team's JWKS over HTTPS.
  if (config.enableTunnel) ports.push(443);
  return [...new Set(ports)].sort((a, b) => a - b);
}

/**
 * Every object of the Kubernetes target whose content is known at synth time, in apply order (namespace first).
 * Values known only after apply (bearer tokens, the tunnel token, Access ids) are not here: KubernetesTarget writes
 * them as Terraform-managed Secret/ConfigMap resources, so they never appear in a manifest or in the YAML.
 */
export function gatewayObjects(config: StackConfig): KubernetesObject[] {
  const k8s = config.kubernetes;
  if (!k8s) throw new Error('gatewayObjects needs target = "kubernetes"');
  const ns = k8s.namespace;
  const configFile = gatewayConfigFile(config, k8s);
  const configMap = gatewayConfigMap(ns, configFile);
  const configHash = createHash('sha256').update(JSON.stringify(configMap.data)).digest('hex').slice(0, 16);
  const objects: KubernetesObject[] = [
    gatewayNamespace(ns, k8s.networkPolicy),
    configMap,
    gatewayDeployment({
      namespace: ns,
      image: k8s.image,
      port: config.gatewayPort,
      replicas: k8s.replicas,
      logLevel: config.logLevel,
      limits: k8s.limits,
      requests: k8s.requests,
      dockerHost: k8s.dockerHost,
      dockerTlsSecret: k8s.dockerTlsSecret,
      access: config.enableTunnel,
      configHash,
      upstreamSecretNames: config.mcpServerSecretNames,
    }),
    gatewayService(ns, config.gatewayPort),
    gatewayPodDisruptionBudget(ns),
  ] as KubernetesObject[];
  if (k8s.networkPolicy) {
    objects.push(gatewayNetworkPolicy({
      namespace: ns,
      ingressNamespace: k8s.ingress === 'none' ? undefined : k8s.ingressNamespace,
      tunnel: config.enableTunnel,
      egressTcpPorts: gatewayEgressPorts(config, k8s),
    }) as KubernetesObject);
  }
  if (k8s.ingress === 'traefik' && k8s.ingressHost) objects.push(gatewayIngressRoute(ns, k8s.ingressHost, k8s.transportMode) as unknown as KubernetesObject);
  if (k8s.ingress === 'ingress' && k8s.ingressHost) objects.push(gatewayIngress(ns, k8s.ingressHost, k8s.transportMode) as unknown as KubernetesObject);
  if (k8s.serviceMonitor) objects.push(gatewayServiceMonitor(ns) as unknown as KubernetesObject);
  if (config.enableTunnel) objects.push(cloudflaredDeployment(ns, config.cloudflaredVersion) as KubernetesObject);
  if (k8s.dockerProxy) {
    const proxy = k8s.dockerProxy;
    objects.push(socketProxyNamespace(proxy, k8s.networkPolicy) as KubernetesObject, socketProxyDeployment(proxy) as KubernetesObject, socketProxyService(proxy) as KubernetesObject);
    if (k8s.networkPolicy) objects.push(socketProxyNetworkPolicy(proxy, ns) as KubernetesObject);
  }
  return objects;
}
