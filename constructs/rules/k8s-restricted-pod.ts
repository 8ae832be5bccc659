import type { GuardrailRule, Violation } from './guardrail-rule';
import { containersOf, enforcedLevels, podSpecs } from './kubernetes-objects';

/**
 * Every pod meets the Pod Security "restricted" profile (and read-only root), so the namespace label that enforces
 * it can never refuse our own pods: numeric non-root uid, seccomp RuntimeDefault, no privilege escalation, all
 * capabilities dropped, read-only root filesystem, no host namespaces, no privileged containers; and every namespace
 * the stack creates enforces "restricted", except one explicitly "privileged" (the socket proxy's).
 */
export const k8sRestrictedPod: GuardrailRule = {
  id: 'k8s-restricted-pod',
  description: 'Every Kubernetes pod meets Pod Security "restricted" (numeric non-root, seccomp, no escalation, drop ALL, read-only root); namespaces enforce it.',
  check(stack) {
    const found: Violation[] = [];
    const levels = enforcedLevels(stack);
    for (const [name, level] of levels) {
      if (level !== 'restricted' && level !== 'privileged') {
        found.push({ ruleId: 'k8s-restricted-pod', address: `Namespace/${name}`, message: 'does not enforce a Pod Security level; label it pod-security.kubernetes.io/enforce=restricted' });
      }
    }
    for (const { address, what, namespace, spec } of podSpecs(stack)) {
      // A namespace enforcing "privileged" is the socket proxy's (hostPath needs it); k8s-no-host-path keeps it to that.
      if (namespace && levels.get(namespace) === 'privileged') continue;
      const add = (message: string) => found.push({ ruleId: 'k8s-restricted-pod', address, message: `${what} ${message}` });
      const podSc = (spec.securityContext ?? {}) as Record<string, any>;
      for (const hostField of ['hostNetwork', 'hostPID', 'hostIPC']) {
        if (spec[hostField] === true) add(`sets ${hostField}; remove it (the restricted profile forbids host namespaces)`);
      }
      for (const c of containersOf(spec)) {
        const sc = (c.securityContext ?? {}) as Record<string, any>;
        const name = String(c.name ?? '?');
        const uid = sc.runAsUser ?? podSc.runAsUser;
        if ((sc.runAsNonRoot ?? podSc.runAsNonRoot) !== true) add(`container ${name} lacks runAsNonRoot: true`);
        if (!Number.isInteger(uid) || uid === 0) add(`container ${name} has no numeric non-root runAsUser (a kubelet cannot verify runAsNonRoot for a user name); set runAsUser: 1000`);
        if ((sc.seccompProfile?.type ?? podSc.seccompProfile?.type) !== 'RuntimeDefault' && (sc.seccompProfile?.type ?? podSc.seccompProfile?.type) !== 'Localhost') add(`container ${name} has no seccompProfile RuntimeDefault`);
        if (sc.allowPrivilegeEscalation !== false) add(`container ${name} allows privilege escalation; set allowPrivilegeEscalation: false`);
        if (!((sc.capabilities?.drop ?? []) as string[]).includes('ALL')) add(`container ${name} keeps capabilities; set capabilities.drop: ["ALL"]`);
        if (((sc.capabilities?.add ?? []) as string[]).some((cap) => cap !== 'NET_BIND_SERVICE')) add(`container ${name} adds capabilities beyond NET_BIND_SERVICE`);
        if (sc.privileged === true) add(`container ${name} is privileged`);
        if (sc.readOnlyRootFilesystem !== true) add(`container ${name} has a writable root filesystem; set readOnlyRootFilesystem: true and mount emptyDirs where it writes`);
      }
    }
    return found;
  },
};

