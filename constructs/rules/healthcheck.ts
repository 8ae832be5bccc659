import { asList, type GuardrailRule, resourcesOfType } from './guardrail-rule';

/** Every container has a healthcheck. */
export const healthcheck: GuardrailRule = {
  id: 'healthcheck',
  description: 'Every container has a healthcheck (so a wedged process shows as unhealthy).',
  check(stack) {
    return resourcesOfType(stack, 'docker_container').flatMap(({ address, attrs }) => {
      const check = asList(attrs.healthcheck)[0];
      const test = (check?.test ?? []) as unknown[];
      if (test.length === 0 || test[0] === 'NONE') {
        return [{ ruleId: 'healthcheck', address, message: 'has no healthcheck; add healthcheck { test = ["CMD", ...] }' }];
      }
      return [];
    });
  },
};
