import type { GuardrailRule, Violation } from './guardrail-rule';
import { enforcedLevels, podSpecs } from './kubernetes-objects';

/**
 * No hostPath volume outside a namespace that enforces "privileged": only the Docker socket proxy (on a node that
 * has Docker) may mount the host, in a namespace of its own, so the gateway's namespace stays restricted.
 */
export const k8sNoHostPath: GuardrailRule = {
  id: 'k8s-no-host-path',
  description: 'hostPath volumes only in the socket proxy\'s privileged namespace, never in the gateway\'s.',
  check(stack) {
    const levels = enforcedLevels(stack);
    const found: Violation[] = [];
    for (const { address, what, namespace, spec } of podSpecs(stack)) {
      const hostPaths = ((spec.volumes ?? []) as Array<Record<string, any>>).filter((v) => v.hostPath);
      if (hostPaths.length === 0) continue;
      if (namespace && levels.get(namespace) === 'privileged') continue;
      for (const v of hostPaths) {
        found.push({ ruleId: 'k8s-no-host-path', address, message: `${what} mounts hostPath ${String(v.hostPath.path)} in namespace ${namespace ?? '<unset>'}; only the socket proxy's own privileged namespace may (reach Docker through docker_host instead)` });
      }
    }
    return found;
  },
};
