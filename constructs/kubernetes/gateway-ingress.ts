import type { IIngress } from 'kubernetes-models/networking.k8s.io/v1';
import type { TransportMode } from '../config/kubernetes-config';
import { appLabels, GATEWAY_NAME, HTTP_PORT_NAME } from './defaults';
import { routedPaths } from './gateway-ingress-route';

/** The standard networking.k8s.io/v1 Ingress alternative to the IngressRoute: same host, same exact paths, TLS. */
export function gatewayIngress(namespace: string, host: string, mode: TransportMode): IIngress {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: GATEWAY_NAME, namespace, labels: appLabels('gateway') },
    spec: {
      tls: [{ hosts: [host] }],
      rules: [
        {
          host,
          http: {
            paths: routedPaths(mode).map((path) => ({
              path,
              pathType: 'Exact',
              backend: { service: { name: GATEWAY_NAME, port: { name: HTTP_PORT_NAME } } },
            })),
          },
        },
      ],
    },
  };
}
