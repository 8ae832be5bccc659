import { asList, type GuardrailRule } from './guardrail-rule';
import { tunnelIngresses } from './tunnel-ingress-rules';

/** No tunnel origin turns TLS verification off. */
export const noTlsVerifyOff: GuardrailRule = {
  id: 'no-tls-verify-off',
  description: 'No tunnel origin request sets no_tls_verify = true.',
  check(stack) {
    return tunnelIngresses(stack).flatMap(({ address, config, ingress }) => {
      const settings = [asList(config.origin_request)[0], ...ingress.map((rule) => asList(rule.origin_request)[0])];
      return settings.some((s) => s?.no_tls_verify === true)
        ? [{ ruleId: 'no-tls-verify-off', address, message: 'sets no_tls_verify = true; give the origin a valid certificate (or ca_pool) instead' }]
        : [];
    });
  },
};
