import { describe, expect, it } from 'vitest';
import { validateConfig } from '../constructs/config/validate-config';
import { gatewayObjects, type KubernetesObject } from '../constructs/kubernetes/gateway-objects';
import {
  checkStack,
  GUARDRAIL_RULES,
  type GuardrailRule,
  k8sNetworkPolicy,
  k8sNoHostPath,
  k8sNoSecretValues,
  k8sProbeRoutes,
  k8sRestrictedPod,
  type SynthesizedStack,
} from '../constructs/rules';
import { synthJson } from './helpers';
import { K8S_FULL_RAW, K8S_PROXY_NODE_RAW, K8S_RAW } from './kubernetes-helpers';

/** The real objects of the full config as a synthesized stack, after `edit` changed a copy of them. */
function stackOf(edit: (objects: any[]) => void = () => {}, extra: SynthesizedStack['resource'] = {}): SynthesizedStack {
  const objects = structuredClone(gatewayObjects(validateConfig(K8S_FULL_RAW))) as any[];
  edit(objects);
  const manifests = Object.fromEntries(objects.map((o: KubernetesObject, i) => [`m${i}`, { manifest: o }]));
  return { resource: { kubernetes_manifest: manifests, ...extra } };
}
const gatewayContainer = (objects: any[]) => objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'mcp-gateway').spec.template.spec.containers[0];
const socketProxy = (namespace: string) => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'docker-socket-proxy', namespace },
  spec: { template: { spec: { containers: [], volumes: [{ name: 'sock', hostPath: { path: '/var/run/docker.sock', type: 'Socket' } }] } } },
});
const privilegedNs = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'mcp-docker', labels: { 'pod-security.kubernetes.io/enforce': 'privileged' } } };

const cases: Array<[GuardrailRule, SynthesizedStack, SynthesizedStack, string]> = [
  [k8sRestrictedPod, stackOf(), stackOf((o) => { gatewayContainer(o).securityContext.runAsUser = undefined; o[2].spec.template.spec.securityContext.runAsUser = undefined; }), 'Deployment/mcp-gateway container gateway has no numeric non-root runAsUser (a kubelet cannot verify runAsNonRoot for a user name); set runAsUser: 1000'],
  [k8sRestrictedPod, stackOf(), stackOf((o) => { gatewayContainer(o).securityContext.allowPrivilegeEscalation = true; }), 'Deployment/mcp-gateway container gateway allows privilege escalation; set allowPrivilegeEscalation: false'],
  [k8sRestrictedPod, stackOf(), stackOf((o) => { gatewayContainer(o).securityContext.readOnlyRootFilesystem = false; }), 'Deployment/mcp-gateway container gateway has a writable root filesystem; set readOnlyRootFilesystem: true and mount emptyDirs where it writes'],
  [k8sRestrictedPod, stackOf(), stackOf((o) => { delete o[0].metadata.labels['pod-security.kubernetes.io/enforce']; }), 'does not enforce a Pod Security level; label it pod-security.kubernetes.io/enforce=restricted'],
  [k8sNoHostPath, stackOf((o) => o.push(privilegedNs, socketProxy('mcp-docker'))), stackOf((o) => o.push(socketProxy('mcp-gateway'))), 'Deployment/docker-socket-proxy mounts hostPath /var/run/docker.sock in namespace mcp-gateway; only the socket proxy\'s own privileged namespace may (reach Docker through docker_host instead)'],
  [k8sProbeRoutes, stackOf(), stackOf((o) => { gatewayContainer(o).readinessProbe.httpGet = { path: '/ready', port: 'http' }; }), 'Deployment/mcp-gateway container gateway readinessProbe must be httpGet /ready on port "ops" (the gateway\'s unauthenticated ops route); got {"path":"/ready","port":"http"}'],
  [k8sProbeRoutes, stackOf(), stackOf((o) => { gatewayContainer(o).livenessProbe.httpGet.path = '/healthz'; }), 'Deployment/mcp-gateway container gateway livenessProbe must be httpGet /health on port "ops" (the gateway\'s unauthenticated ops route); got {"path":"/healthz","port":"ops"}'],
  [k8sProbeRoutes, stackOf(), stackOf((o) => { o.find((x) => x.kind === 'ServiceMonitor').spec.endpoints[0].port = 'http'; }), 'ServiceMonitor endpoint must scrape /metrics on port "ops"; got {"path":"/metrics","port":"http"}'],
  [k8sNoSecretValues, stackOf(), stackOf((o) => o.push({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'mcp-gateway' }, stringData: { t: 'x' } })), 'is a Secret written as a manifest (its value would be in cdk.tf.json and the YAML); use kubernetes_secret_v1 with data from a sensitive variable'],
  [k8sNoSecretValues, stackOf(), stackOf((o) => { gatewayContainer(o).env.push({ name: 'UPSTREAM_API_KEY', value: 'abc' }); }), 'Deployment/mcp-gateway env UPSTREAM_API_KEY holds a literal value; take it from a Secret with valueFrom.secretKeyRef'],
  [k8sNoSecretValues, stackOf(undefined, { kubernetes_secret_v1: { s: { data: { T: '${var.gateway_auth_tokens}' } } } }), stackOf(undefined, { kubernetes_secret_v1: { s: { data: { T: 'alice=0123456789abcdef' } } } }), 'data.T is a literal; set it from a sensitive variable or a data source reference'],
  [k8sNoSecretValues, stackOf(), stackOf((o) => { o.find((x) => x.metadata.name === 'mcp-gateway-cloudflared').spec.template.spec.containers[0].args.push('--token', '${data.t.token}'); }), 'Deployment/mcp-gateway-cloudflared passes a secret in argv (visible in the pod spec and ps); pass it by env valueFrom.secretKeyRef'],
  [k8sNetworkPolicy, stackOf(), stackOf((o) => { o.splice(o.findIndex((x) => x.kind === 'NetworkPolicy'), 1); }), 'Deployment/mcp-gateway is selected by no NetworkPolicy in namespace mcp-gateway; add one (enable_network_policy = true) or record the choice with annotation mcp-gateway/network-policy: disabled on the namespace'],
];

describe.each(cases.map(([rule, ...rest], i) => [`${rule.id} #${i}`, rule, ...rest] as const))('rule %s', (_id, rule, compliant, nonCompliant, message) => {
  it('accepts the compliant stack', () => {
    expect(rule.check(compliant)).toEqual([]);
  });
  it(`rejects the non-compliant stack: ${message}`, () => {
    expect(rule.check(nonCompliant).map((v) => [v.ruleId, v.message])).toEqual([[rule.id, message]]);
  });
});

describe('Kubernetes guardrails on the real stacks', () => {
  it.each([
    ['minimal', K8S_RAW],
    ['full', K8S_FULL_RAW],
    ['network policy off (recorded on the namespace)', { ...K8S_RAW, enable_network_policy: false }],
    ['socket proxy on a Docker node', K8S_PROXY_NODE_RAW],
    ['socket proxy on a Docker node, network policy off', { ...K8S_PROXY_NODE_RAW, enable_network_policy: false }],
  ])('every rule passes on the %s Kubernetes stack', (_name, raw) => {
    expect(checkStack(synthJson(raw) as SynthesizedStack, GUARDRAIL_RULES)).toEqual([]);
  });

  it('keeps the bearer tokens and the tunnel token out of the JSON (only references)', () => {
    const text = JSON.stringify(synthJson(K8S_FULL_RAW));
    expect(text).toContain('"MCP_GATEWAY_AUTH_TOKENS":"${var.gateway_auth_tokens}"');
    expect(text).not.toMatch(/"kind":"Secret"/);
  });
});
