import type { GuardrailRule, Violation } from './guardrail-rule';
import { manifestObjects } from './kubernetes-objects';

/** Annotation on a Namespace recording that its NetworkPolicy was switched off (`enable_network_policy = false`). */
export const NETWORK_POLICY_DISABLED_ANNOTATION = 'mcp-gateway/network-policy';

/**
 * Every workload's pods are selected by a NetworkPolicy of their namespace, unless that namespace records that
 * policies were switched off (annotation `mcp-gateway/network-policy: disabled`): a policy that was asked for is
 * never silently missing.
 */
export const k8sNetworkPolicy: GuardrailRule = {
  id: 'k8s-network-policy',
  description: 'With NetworkPolicy enabled, every workload\'s pods are selected by a NetworkPolicy of their namespace.',
  check(stack) {
    const objects = manifestObjects(stack);
    const disabled = new Set(objects.filter((o) => o.object.kind === 'Namespace' && o.object.metadata?.annotations?.[NETWORK_POLICY_DISABLED_ANNOTATION] === 'disabled').map((o) => o.object.metadata!.name));
    const policies = objects.filter((o) => o.object.kind === 'NetworkPolicy').map((o) => ({
      namespace: o.object.metadata?.namespace,
      match: (((o.object.spec as Record<string, any>)?.podSelector?.matchLabels ?? {}) as Record<string, string>),
    }));
    const found: Violation[] = [];
    for (const { address, object } of objects) {
      if (object.kind !== 'Deployment' && object.kind !== 'StatefulSet' && object.kind !== 'DaemonSet') continue;
      const ns = object.metadata?.namespace;
      if (ns && disabled.has(ns)) continue;
      const labels = ((object.spec as Record<string, any>)?.template?.metadata?.labels ?? {}) as Record<string, string>;
      const covered = policies.some((p) => p.namespace === ns && Object.entries(p.match).every(([k, v]) => labels[k] === v));
      // The tunnel connector only dials out; the gateway's policy admits it. Only pods serving traffic need one.
      const serves = (((object.spec as Record<string, any>)?.template?.spec?.containers ?? []) as Array<Record<string, any>>).some((c) => ((c.ports ?? []) as unknown[]).length > 0 && c.name !== 'cloudflared');
      if (serves && !covered) {
        found.push({ ruleId: 'k8s-network-policy', address, message: `${object.kind}/${object.metadata?.name ?? '?'} is selected by no NetworkPolicy in namespace ${ns ?? '<unset>'}; add one (enable_network_policy = true) or record the choice with annotation ${NETWORK_POLICY_DISABLED_ANNOTATION}: disabled on the namespace` });
      }
    }
    return found;
  },
};
