import type { INetworkPolicy, INetworkPolicyIngressRule, INetworkPolicyPeer, INetworkPolicyPort } from 'kubernetes-models/networking.k8s.io/v1';
import { appLabels, GATEWAY_NAME, HTTP_PORT_NAME, OPS_PORT_NAME, selectorLabels } from './defaults';

/** What the gateway pod's NetworkPolicy admits. */
export interface GatewayNetworkPolicyProps {
  readonly namespace: string;
  /** Namespace of the ingress controller pods (admitted to the MCP port). */
  readonly ingressNamespace?: string;
  /** The tunnel connector runs in the gateway's namespace: admit its pods to the MCP port. */
  readonly tunnel: boolean;
  /** TCP ports the gateway may open outside DNS: the Docker endpoint, remote upstreams, Access JWKS (443). */
  readonly egressTcpPorts: readonly number[];
}

/**
 * Default-deny for the gateway pod, then: the MCP port only from the ingress controller's namespace and the tunnel
 * connector; the ops port (probes, /metrics) from inside the cluster; egress only to DNS and the listed TCP ports.
 * A NetworkPolicy cannot name hosts, so egress is narrowed by port (the Docker engine's, the upstreams').
 */
export function gatewayNetworkPolicy(props: GatewayNetworkPolicyProps): INetworkPolicy {
  const httpFrom: INetworkPolicyPeer[] = [];
  if (props.ingressNamespace) httpFrom.push({ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': props.ingressNamespace } } });
  if (props.tunnel) httpFrom.push({ podSelector: { matchLabels: selectorLabels('tunnel-connector') } });
  const ingress: INetworkPolicyIngressRule[] = [{ from: [{ namespaceSelector: {} }], ports: [{ protocol: 'TCP', port: OPS_PORT_NAME }] }];
  if (httpFrom.length > 0) ingress.unshift({ from: httpFrom, ports: [{ protocol: 'TCP', port: HTTP_PORT_NAME }] });
  const dns: INetworkPolicyPort[] = [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }];
  const egressPorts = [...new Set(props.egressTcpPorts)].sort((a, b) => a - b);
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: GATEWAY_NAME, namespace: props.namespace, labels: appLabels('gateway') },
    spec: {
      podSelector: { matchLabels: selectorLabels('gateway') },
      policyTypes: ['Ingress', 'Egress'],
      ingress,
      egress: [
        { ports: dns },
        ...(egressPorts.length > 0 ? [{ ports: egressPorts.map((port): INetworkPolicyPort => ({ protocol: 'TCP', port })) }] : []),
      ],
    },
  };
}
