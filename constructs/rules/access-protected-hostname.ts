import { asList, type GuardrailRule, resourcesOfType } from './guardrail-rule';
import { tunnelIngresses } from './tunnel-ingress-rules';

/** Every public hostname (tunnel ingress hostname or proxied DNS record) is behind an Access app with a policy. */
export const accessProtectedHostname: GuardrailRule = {
  id: 'access-protected-hostname',
  description: 'Every hostname published by a tunnel or DNS record is the domain of an Access application with at least one policy.',
  check(stack) {
    const protectedDomains = new Set(
      resourcesOfType(stack, 'cloudflare_zero_trust_access_application')
        .filter(({ attrs }) => asList(attrs.policies).length > 0)
        .map(({ attrs }) => String(attrs.domain)),
    );
    const published: Array<{ address: string; hostname: string }> = [
      ...tunnelIngresses(stack).flatMap(({ address, ingress }) =>
        ingress.filter((rule) => typeof rule.hostname === 'string').map((rule) => ({ address, hostname: String(rule.hostname) })),
      ),
      ...resourcesOfType(stack, 'cloudflare_dns_record')
        .filter(({ attrs }) => String(attrs.content ?? '').endsWith('.cfargotunnel.com'))
        .map(({ address, attrs }) => ({ address, hostname: String(attrs.name) })),
    ];
    return published
      .filter(({ hostname }) => !protectedDomains.has(hostname))
      .map(({ address, hostname }) => ({
        ruleId: 'access-protected-hostname',
        address,
        message: `publishes ${hostname} without an Access application (with at least one policy) for that domain; add a GatewayAccess for it`,
      }));
  },
};
