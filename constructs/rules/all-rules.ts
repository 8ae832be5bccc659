import { accessProtectedHostname } from './access-protected-hostname';
import type { GuardrailRule } from './guardrail-rule';
import { hardenedContainer } from './hardened-container';
import { healthcheck } from './healthcheck';
import { ingressCatchAll } from './ingress-catch-all';
import { managedOAuthAllowPolicy } from './managed-oauth-allow-policy';
import { memoryLimit } from './memory-limit';
import { noPublicPort } from './no-public-port';
import { noSecretLiterals } from './no-secret-literals';
import { noTlsVerifyOff } from './no-tls-verify';

/** Every guardrail, in the order violations are reported. GatewayStack applies all of them by default. */
export const GUARDRAIL_RULES: readonly GuardrailRule[] = [
  noPublicPort,
  memoryLimit,
  healthcheck,
  hardenedContainer,
  accessProtectedHostname,
  ingressCatchAll,
  noTlsVerifyOff,
  noSecretLiterals,
  managedOAuthAllowPolicy,
];
