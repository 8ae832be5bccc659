import type { IServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { appLabels, GATEWAY_NAME, OPS_PORT_NAME, OPS_ROUTES, selectorLabels } from './defaults';

/**
 * prometheus-operator ServiceMonitor scraping /metrics on the ops port. That port carries no credential because it
 * is never routed by an ingress or the tunnel, and the NetworkPolicy admits it only from inside the cluster.
 */
export function gatewayServiceMonitor(namespace: string): IServiceMonitor {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'ServiceMonitor',
    metadata: { name: GATEWAY_NAME, namespace, labels: appLabels('gateway') },
    spec: {
      selector: { matchLabels: selectorLabels('gateway') },
      namespaceSelector: { matchNames: [namespace] },
      endpoints: [{ port: OPS_PORT_NAME, path: OPS_ROUTES.metrics, interval: '30s', scheme: 'http' }],
    },
  };
}
