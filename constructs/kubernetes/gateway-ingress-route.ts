import type { IIngressRoute } from '@kubernetes-models/traefik/traefik.io/v1alpha1/IngressRoute';
import type { TransportMode } from '../config/kubernetes-config';
import { appLabels, GATEWAY_NAME, HTTP_PORT_NAME } from './defaults';

/** The paths each transport mode routes; everything else (the ops routes above all) is never routed. */
export function routedPaths(mode: TransportMode): string[] {
  const streamable = ['/mcp', '/rpc'];
  const sse = ['/sse', '/messages'];
  return mode === 'streamable-http' ? streamable : mode === 'sse' ? sse : [...streamable, ...sse];
}

/**
 * Traefik IngressRoute (traefik.io/v1alpha1, Traefik v3) on the `websecure` entry point with TLS: the MCP paths of
 * the transport mode to the gateway Service's MCP port. SSE responses are flushed at once (flushInterval), or
 * Traefik's buffering would hold heartbeats and progress back.
 */
export function gatewayIngressRoute(namespace: string, host: string, mode: TransportMode): IIngressRoute {
  const paths = routedPaths(mode).map((p) => `Path(\`${p}\`)`).join(' || ');
  return {
    apiVersion: 'traefik.io/v1alpha1',
    kind: 'IngressRoute',
    metadata: { name: GATEWAY_NAME, namespace, labels: appLabels('gateway') },
    spec: {
      entryPoints: ['websecure'],
      routes: [
        {
          kind: 'Rule',
          match: `Host(\`${host}\`) && (${paths})`,
          services: [{ name: GATEWAY_NAME, port: HTTP_PORT_NAME, responseForwarding: { flushInterval: '-1s' } }],
        },
      ],
      tls: {},
    },
  };
}
