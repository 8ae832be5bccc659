import type { IService } from 'kubernetes-models/v1';
import { appLabels, GATEWAY_NAME, HTTP_PORT_NAME, OPS_PORT, OPS_PORT_NAME, selectorLabels } from './defaults';

/** ClusterIP Service of the gateway: the MCP port (for the ingress and the tunnel) and the ops port (for Prometheus). */
export function gatewayService(namespace: string, port: number): IService {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: GATEWAY_NAME, namespace, labels: appLabels('gateway') },
    spec: {
      type: 'ClusterIP',
      selector: selectorLabels('gateway'),
      ports: [
        { name: HTTP_PORT_NAME, port, targetPort: HTTP_PORT_NAME, protocol: 'TCP' },
        { name: OPS_PORT_NAME, port: OPS_PORT, targetPort: OPS_PORT_NAME, protocol: 'TCP' },
      ],
    },
  };
}
