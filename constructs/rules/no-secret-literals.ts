import { type GuardrailRule, isReference, resourcesOfType, type Violation } from './guardrail-rule';

const SECRET_ENV_NAME = /TOKEN|SECRET|PASSWORD|PASSWD|API_KEY|PRIVATE_KEY/i;
// References that resolve to secrets: they may reach a container by env only, and outputs only as sensitive.
const SECRET_REFERENCE = /\.client_secret\b|\.token\b|\.tunnel_secret\b|\bvar\.gateway_auth_tokens\b|\bvar\.mcp_server_secrets\b/;
const PROVIDER_SECRET_FIELDS = ['api_token', 'api_key', 'api_user_service_key', 'key_material'];

/**
 * No secret is written into the synthesized JSON, and none reaches a container's argv:
 * secret-named env vars hold a reference (never a literal), command/entrypoint never mention a secret,
 * providers take credentials from the environment, and outputs of secrets are sensitive.
 */
export const noSecretLiterals: GuardrailRule = {
  id: 'no-secret-literals',
  description: 'No literal secret in cdk.tf.json, no secret in any container command, secret outputs are sensitive.',
  check(stack) {
    const found: Violation[] = [];
    for (const { address, attrs } of resourcesOfType(stack, 'docker_container')) {
      for (const entry of (attrs.env ?? []) as string[]) {
        const [name, ...rest] = entry.split('=');
        const value = rest.join('=');
        if (SECRET_ENV_NAME.test(name) && value !== '' && !isReference(value)) {
          found.push({ ruleId: 'no-secret-literals', address, message: `env ${name} holds a literal value; pass a reference to a sensitive variable or data source instead` });
        }
      }
      for (const field of ['command', 'entrypoint'] as const) {
        const argv = (attrs[field] ?? []) as string[];
        if (argv.some((arg) => SECRET_REFERENCE.test(arg) || /--token\b|--credentials/.test(arg))) {
          found.push({ ruleId: 'no-secret-literals', address, message: `${field} carries a secret (visible in docker inspect and ps); pass it by environment variable` });
        }
      }
    }
    for (const [name, configs] of Object.entries(stack.provider ?? {})) {
      for (const config of configs) {
        for (const field of PROVIDER_SECRET_FIELDS) {
          const value = config[field];
          if (typeof value === 'string' && !isReference(value)) {
            found.push({ ruleId: 'no-secret-literals', address: `provider.${name}`, message: `${field} is a literal; let the provider read it from the environment (e.g. CLOUDFLARE_API_TOKEN)` });
          }
        }
      }
    }
    for (const [name, output] of Object.entries(stack.output ?? {})) {
      if (SECRET_REFERENCE.test(JSON.stringify(output.value ?? '')) && output.sensitive !== true) {
        found.push({ ruleId: 'no-secret-literals', address: `output.${name}`, message: 'exposes a secret; mark the output sensitive' });
      }
    }
    for (const [name, variable] of Object.entries(stack.variable ?? {})) {
      if ((SECRET_ENV_NAME.test(name) || SECRET_REFERENCE.test(`var.${name}`)) && variable.sensitive !== true) {
        found.push({ ruleId: 'no-secret-literals', address: `var.${name}`, message: 'holds secrets but is not sensitive; set sensitive = true' });
      }
    }
    return found;
  },
};
