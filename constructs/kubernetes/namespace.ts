import type { INamespace } from 'kubernetes-models/v1';
import { NETWORK_POLICY_DISABLED_ANNOTATION } from '../rules/k8s-network-policy';
import { appLabels, podSecurityLabels } from './defaults';

/**
 * The gateway's namespace, enforcing the Pod Security "restricted" profile on every pod in it. When NetworkPolicy
 * is switched off, the namespace says so (an annotation the k8s-network-policy guardrail reads).
 */
export function gatewayNamespace(name: string, networkPolicy = true): INamespace {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name,
      labels: { ...appLabels('namespace'), ...podSecurityLabels('restricted') },
      ...(networkPolicy ? {} : { annotations: { [NETWORK_POLICY_DISABLED_ANNOTATION]: 'disabled' } }),
    },
  };
}
