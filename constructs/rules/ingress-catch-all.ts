import type { GuardrailRule } from './guardrail-rule';
import { tunnelIngresses } from './tunnel-ingress-rules';

/** Tunnel ingress ends with a catch-all 404. */
export const ingressCatchAll: GuardrailRule = {
  id: 'ingress-catch-all',
  description: 'Every tunnel ingress list ends with a rule without hostname/path whose service is http_status:404.',
  check(stack) {
    return tunnelIngresses(stack).flatMap(({ address, ingress }) => {
      const last = ingress[ingress.length - 1];
      if (!last || last.hostname !== undefined || last.path !== undefined || last.service !== 'http_status:404') {
        return [{ ruleId: 'ingress-catch-all', address, message: 'ingress does not end with the catch-all { service = "http_status:404" }; add it last so unknown hostnames are refused' }];
      }
      return [];
    });
  },
};
