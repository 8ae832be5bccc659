import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { appLabels, GATEWAY_NAME, selectorLabels } from './defaults';

/**
 * At most one gateway pod evicted at a time. `maxUnavailable: 1` rather than `minAvailable: 1`: with the single
 * replica the gateway runs, a minAvailable budget would block every node drain forever.
 */
export function gatewayPodDisruptionBudget(namespace: string): IPodDisruptionBudget {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: GATEWAY_NAME, namespace, labels: appLabels('gateway') },
    spec: { maxUnavailable: 1, selector: { matchLabels: selectorLabels('gateway') } },
  };
}
