import { asList, type GuardrailRule, resourcesOfType, type Violation } from './guardrail-rule';

const ROOT_USERS = new Set(['', '0', 'root']);

/** Every container runs non-root, read-only, without capabilities and without privilege escalation. */
export const hardenedContainer: GuardrailRule = {
  id: 'hardened-container',
  description: 'Every container: non-root user, read-only root filesystem, cap_drop ALL, no-new-privileges, not privileged.',
  check(stack) {
    return resourcesOfType(stack, 'docker_container').flatMap(({ address, attrs }) => {
      const found: Violation[] = [];
      const add = (message: string) => found.push({ ruleId: 'hardened-container', address, message });
      const user = String(attrs.user ?? '').split(':')[0];
      if (ROOT_USERS.has(user)) add('runs as root; set user to a non-root uid:gid');
      if (attrs.read_only !== true) add('has a writable root filesystem; set read_only = true and mount tmpfs/volumes where it must write');
      const drop = (asList(attrs.capabilities)[0]?.drop ?? []) as string[];
      if (!drop.includes('ALL')) add('keeps Linux capabilities; set capabilities { drop = ["ALL"] }');
      const opts = (attrs.security_opts ?? []) as string[];
      if (!opts.some((o) => /^no-new-privileges(:true)?$/.test(o))) add('allows privilege escalation; add security_opts = ["no-new-privileges:true"]');
      if (attrs.privileged === true) add('is privileged; remove privileged = true');
      return found;
    });
  },
};
