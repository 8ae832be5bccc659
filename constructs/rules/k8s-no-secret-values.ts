import { type GuardrailRule, isReference, resourcesOfType, type Violation } from './guardrail-rule';
import { containersOf, manifestObjects, podSpecs } from './kubernetes-objects';

const SECRET_NAME = /TOKEN|SECRET|PASSWORD|PASSWD|API_KEY|PRIVATE_KEY|CREDENTIAL/i;

/**
 * No Secret value in the synthesized JSON, nor in the YAML written from the same manifests: no Secret object among
 * the manifests (Secrets are `kubernetes_secret_v1` resources whose data are references to sensitive variables or
 * data sources), no literal value in a secret-named env var (they come by secretKeyRef), no secret in args.
 */
export const k8sNoSecretValues: GuardrailRule = {
  id: 'k8s-no-secret-values',
  description: 'No Secret object among the manifests (JSON and YAML); kubernetes_secret_v1 data are references; secret env by secretKeyRef only.',
  check(stack) {
    const found: Violation[] = [];
    for (const { address, object } of manifestObjects(stack)) {
      if (object.kind === 'Secret') found.push({ ruleId: 'k8s-no-secret-values', address, message: 'is a Secret written as a manifest (its value would be in cdk.tf.json and the YAML); use kubernetes_secret_v1 with data from a sensitive variable' });
    }
    for (const { address, attrs } of resourcesOfType(stack, 'kubernetes_secret_v1')) {
      for (const [key, value] of Object.entries((attrs.data ?? {}) as Record<string, unknown>)) {
        if (typeof value !== 'string' || !isReference(value)) found.push({ ruleId: 'k8s-no-secret-values', address, message: `data.${key} is a literal; set it from a sensitive variable or a data source reference` });
      }
    }
    for (const { address, what, spec } of podSpecs(stack)) {
      for (const c of containersOf(spec)) {
        for (const env of (c.env ?? []) as Array<Record<string, any>>) {
          if (SECRET_NAME.test(String(env.name)) && env.value !== undefined && env.value !== '') {
            found.push({ ruleId: 'k8s-no-secret-values', address, message: `${what} env ${String(env.name)} holds a literal value; take it from a Secret with valueFrom.secretKeyRef` });
          }
        }
        const argv = [...((c.command ?? []) as string[]), ...((c.args ?? []) as string[])];
        if (argv.some((a) => /--token\b|--credentials|\$\{[^}]*(token|secret)[^}]*\}/i.test(String(a)))) {
          found.push({ ruleId: 'k8s-no-secret-values', address, message: `${what} passes a secret in argv (visible in the pod spec and ps); pass it by env valueFrom.secretKeyRef` });
        }
      }
    }
    return found;
  },
};
