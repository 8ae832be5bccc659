import { asList, type Attributes, type GuardrailRule, resourcesOfType } from './guardrail-rule';

/** Is Managed OAuth switched on in an application's (overridden) `oauth_configuration`? */
function managedOAuthOn(attrs: Attributes): boolean {
  const oauth = attrs.oauth_configuration as Attributes | undefined;
  // The provider defaults `enabled` to true when the block is present.
  return oauth !== undefined && oauth !== null && oauth.enabled !== false;
}

/**
 * Managed OAuth only on an Access application that has an `allow` policy: the OAuth login is a person logging in
 * with an email, so without an allow policy nobody could pass it (and an app with only `non_identity` or `bypass`
 * policies would advertise a login that cannot succeed, or one that admits everyone).
 */
export const managedOAuthAllowPolicy: GuardrailRule = {
  id: 'managed-oauth-allow-policy',
  description: 'An Access application with Managed OAuth (oauth_configuration) has at least one allow policy deciding who may log in.',
  check(stack) {
    const decisions = new Map(
      resourcesOfType(stack, 'cloudflare_zero_trust_access_policy').map(({ address, attrs }) => [address, String(attrs.decision)]),
    );
    return resourcesOfType(stack, 'cloudflare_zero_trust_access_application')
      .filter(({ attrs }) => managedOAuthOn(attrs))
      .filter(({ attrs }) =>
        !asList(attrs.policies).some((p) => {
          const ref = /^\$\{(cloudflare_zero_trust_access_policy\.[^.}]+)\.id\}$/.exec(String(p.id ?? ''));
          return ref !== null && decisions.get(ref[1]) === 'allow';
        }),
      )
      .map(({ address }) => ({
        ruleId: 'managed-oauth-allow-policy',
        address,
        message: 'enables Managed OAuth without an allow policy, so no email login could succeed; add allowed_emails or allowed_email_domains, or set access_managed_oauth = false',
      }));
  },
};
