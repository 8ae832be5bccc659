import type { IDeployment } from 'kubernetes-models/apps/v1';
import {
  appLabels,
  CLOUDFLARED_NAME,
  CLOUDFLARED_UID,
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
  selectorLabels,
  TUNNEL_SECRET_KEY,
  TUNNEL_SECRET_NAME,
} from './defaults';

/** Port of cloudflared's metrics server, where its /ready lives (never exposed by a Service). */
export const CLOUDFLARED_METRICS_PORT = 20241;

/**
 * The cloudflared connector as a Deployment: outbound only (no Service, no port exposed), the tunnel token from a
 * Secret through env valueFrom (never argv), restricted security context, liveness and readiness on its /ready.
 */
export function cloudflaredDeployment(namespace: string, version: string): IDeployment {
  const labels = appLabels('tunnel-connector');
  const ready = { httpGet: { path: '/ready', port: 'metrics' }, periodSeconds: 10, failureThreshold: 3, timeoutSeconds: 5 };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: CLOUDFLARED_NAME, namespace, labels },
    spec: {
      replicas: 1,
      revisionHistoryLimit: 5,
      selector: { matchLabels: selectorLabels('tunnel-connector') },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels },
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          securityContext: restrictedPodSecurityContext(CLOUDFLARED_UID),
          containers: [
            {
              name: 'cloudflared',
              image: `cloudflare/cloudflared:${version}`,
              args: ['tunnel', '--no-autoupdate', '--metrics', `0.0.0.0:${CLOUDFLARED_METRICS_PORT}`, 'run'],
              env: [{ name: TUNNEL_SECRET_KEY, valueFrom: { secretKeyRef: { name: TUNNEL_SECRET_NAME, key: TUNNEL_SECRET_KEY } } }],
              ports: [{ name: 'metrics', containerPort: CLOUDFLARED_METRICS_PORT, protocol: 'TCP' }],
              resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '50m', memory: '64Mi' } },
              securityContext: restrictedContainerSecurityContext(CLOUDFLARED_UID),
              livenessProbe: ready,
              readinessProbe: ready,
            },
          ],
        },
      },
    },
  };
}
