import type { INamespace } from 'kubernetes-models/v1';
import { appLabels, podSecurityLabels } from './defaults';

/** The gateway's namespace, enforcing the Pod Security "restricted" profile on every pod in it. */
export function gatewayNamespace(name: string): INamespace {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name, labels: { ...appLabels('namespace'), ...podSecurityLabels('restricted') } },
  };
}
