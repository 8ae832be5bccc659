import { type GuardrailRule, resourcesOfType } from './guardrail-rule';

/** Every container has a memory limit, and cannot swap past it. */
export const memoryLimit: GuardrailRule = {
  id: 'memory-limit',
  description: 'Every container has a memory limit, with memory_swap equal to it.',
  check(stack) {
    return resourcesOfType(stack, 'docker_container').flatMap(({ address, attrs }) => {
      if (typeof attrs.memory !== 'number' || attrs.memory <= 0) {
        return [{ ruleId: 'memory-limit', address, message: 'has no memory limit; set memory (MiB) so one container cannot starve the host' }];
      }
      if (attrs.memory_swap !== attrs.memory) {
        return [{ ruleId: 'memory-limit', address, message: `has memory_swap ${String(attrs.memory_swap)} != memory ${attrs.memory}; set them equal so the limit is not bypassed through swap` }];
      }
      return [];
    });
  },
};
