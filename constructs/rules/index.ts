import { accessProtectedHostname } from './access-protected-hostname';
import type { GuardrailRule } from './guardrail-rule';
import { hardenedContainer } from './hardened-container';
import { healthcheck } from './healthcheck';
import { ingressCatchAll } from './ingress-catch-all';
import { memoryLimit } from './memory-limit';
import { noPublicPort } from './no-public-port';
import { noSecretLiterals } from './no-secret-literals';
import { noTlsVerifyOff } from './no-tls-verify';

export * from './guardrail-rule';
export * from './guardrail-aspect';
export { accessProtectedHostname, hardenedContainer, healthcheck, ingressCatchAll, memoryLimit, noPublicPort, noSecretLiterals, noTlsVerifyOff };

/** Every guardrail, in the order they are reported. */
export const GUARDRAIL_RULES: readonly GuardrailRule[] = [
  noPublicPort,
  memoryLimit,
  healthcheck,
  hardenedContainer,
  accessProtectedHostname,
  ingressCatchAll,
  noTlsVerifyOff,
  noSecretLiterals,
];
