/**
 * Offline schema validation of every Kubernetes object the stack writes: the core kinds against the Kubernetes
 * OpenAPI schemas shipped by `kubernetes-models`, the IngressRoute against Traefik v3's CRD schema
 * (`@kubernetes-models/traefik`) and the ServiceMonitor against prometheus-operator's (`@kubernetes-models/prometheus-operator`).
 * No API server runs here: this proves the shape of each object, not that a cluster admits it.
 */
import { describe, expect, it } from 'vitest';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Service } from 'kubernetes-models/v1/Service';
import { IngressRoute } from '@kubernetes-models/traefik/traefik.io/v1alpha1/IngressRoute';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { validateConfig } from '../constructs/config/validate-config';
import { gatewayObjects, type KubernetesObject } from '../constructs/kubernetes/gateway-objects';
import { K8S_FULL_RAW, K8S_PROXY_NODE_RAW, K8S_RAW } from './kubernetes-helpers';

/** A model class of kubernetes-models: constructing it and calling validate() checks the schema. */
type ModelClass = new (data: never) => { validate(): void };

const MODELS: Record<string, ModelClass> = {
  'v1/Namespace': Namespace,
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'networking.k8s.io/v1/Ingress': Ingress,
  'traefik.io/v1alpha1/IngressRoute': IngressRoute,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
} as unknown as Record<string, ModelClass>;

function validate(object: KubernetesObject): void {
  const Model = MODELS[`${object.apiVersion}/${object.kind}`];
  if (!Model) throw new Error(`no schema for ${object.apiVersion} ${object.kind}`);
  new Model(structuredClone(object) as never).validate();
}

const VARIANTS: Array<[string, Record<string, unknown>]> = [
  ['the minimal config (Traefik IngressRoute)', K8S_RAW],
  ['tunnel, Access, ServiceMonitor, TLS engine and servers of all kinds', K8S_FULL_RAW],
  ['a socket proxy pinned to a Docker node', K8S_PROXY_NODE_RAW],
  ['a standard Ingress, all transports, CORS, no NetworkPolicy', { ...K8S_RAW, ingress: 'ingress', transport_mode: 'all', cors_enabled: true, cors_origins: ['https://app.example.com'], enable_network_policy: false }],
];

describe('Kubernetes objects against their OpenAPI / CRD schemas', () => {
  it.each(VARIANTS)('every object of %s is valid', (_name, raw) => {
    const objects = gatewayObjects(validateConfig(raw));
    expect(objects.length).toBeGreaterThanOrEqual(6);
    for (const object of objects) expect(() => validate(object), `${object.kind}/${object.metadata.name}`).not.toThrow();
  });

  it('the validators refuse what the schemas forbid (they are not vacuous)', () => {
    const [, , deployment] = gatewayObjects(validateConfig(K8S_RAW));
    const broken = structuredClone(deployment) as any;
    broken.spec.replicas = 'one';
    expect(() => validate(broken)).toThrow(/replicas/);
    const route = gatewayObjects(validateConfig(K8S_RAW)).find((o) => o.kind === 'IngressRoute')!;
    const badRoute = structuredClone(route) as any;
    badRoute.spec.routes[0].kind = 'Router';
    expect(() => validate(badRoute)).toThrow();
  });
});

describe('the ConfigMap and the Deployment env against the gateway\'s own config schemas', () => {
  it.each(VARIANTS)('the gateway loads the pod\'s configuration for %s', async (_name, raw) => {
    const { loadGatewayConfig } = await import('../gateway-image/src/load-config.js');
    const objects = gatewayObjects(validateConfig(raw)) as any[];
    const configMap = objects.find((o) => o.kind === 'ConfigMap');
    const container = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'mcp-gateway').spec.template.spec.containers[0];
    // The env as the kubelet sets it: literal values, the Secret's value, the ConfigMap file at MCP_GATEWAY_CONFIG.
    const env: Record<string, string> = Object.fromEntries(container.env.filter((e: any) => e.value !== undefined).map((e: any) => [e.name, e.value]));
    env.MCP_GATEWAY_AUTH_TOKENS = 'probe=0123456789abcdef0123';
    delete env.DOCKER_CERT_PATH; // TLS files exist only in the pod (the Secret mount); the path check would fail here.
    const files = { [env.MCP_GATEWAY_CONFIG]: configMap.data['config.json'] };
    const config = loadGatewayConfig({ env, readFile: (p: string) => { if (!(p in files)) throw new Error(`no ${p}`); return files[p]; } });
    expect(config.server.opsPort).toBe(9090);
    expect(config.security.http.allowedHosts).toContain('mcp-gateway.mcp-gateway.svc.cluster.local:3000');
  });
});
