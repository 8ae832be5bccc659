import { accessProtectedHostname } from './access-protected-hostname';
import type { GuardrailRule } from './guardrail-rule';
import { k8sNetworkPolicy } from './k8s-network-policy';
import { k8sNoHostPath } from './k8s-no-host-path';
import { k8sNoSecretValues } from './k8s-no-secret-values';
import { k8sProbeRoutes } from './k8s-probe-routes';
import { k8sRestrictedPod } from './k8s-restricted-pod';
import { hardenedContainer } from './hardened-container';
import { healthcheck } from './healthcheck';
import { ingressCatchAll } from './ingress-catch-all';
import { managedOAuthAllowPolicy } from './managed-oauth-allow-policy';
import { memoryLimit } from './memory-limit';
import { noPublicPort } from './no-public-port';
import { noSecretLiterals } from './no-secret-literals';
import { noTlsVerifyOff } from './no-tls-verify';

/** The guardrails over Kubernetes objects (`kubernetes_manifest`, `kubernetes_secret_v1`); no-ops on the Docker target. */
export const KUBERNETES_RULES: readonly GuardrailRule[] = [k8sRestrictedPod, k8sNoHostPath, k8sProbeRoutes, k8sNoSecretValues, k8sNetworkPolicy];

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
  ...KUBERNETES_RULES,
];
