import { ZeroTrustAccessApplication } from '@cdktf/provider-cloudflare/lib/zero-trust-access-application';
import { ZeroTrustAccessPolicy, type ZeroTrustAccessPolicyInclude } from '@cdktf/provider-cloudflare/lib/zero-trust-access-policy';
import { ZeroTrustAccessServiceToken } from '@cdktf/provider-cloudflare/lib/zero-trust-access-service-token';
import { Token } from 'cdktf';
import { Construct } from 'constructs';
import { ProblemCollector } from './errors';
import type { GatewayTunnel } from './tunnel';

/** Props of {@link GatewayAccess}. */
export interface GatewayAccessProps {
  /** The tunnel whose hostname the application protects (its account is used too). */
  readonly tunnel: GatewayTunnel;
  /** Zero Trust team name, as in `<team>.cloudflareaccess.com` (may be a reference, see CloudflareLookups). */
  readonly teamName: string;
  /**
   * The team domain, when it comes from the account (`cloudflare_zero_trust_organization.auth_domain`).
   * @default - `<teamName>.cloudflareaccess.com`
   */
  readonly teamDomain?: string;
  /**
   * Email addresses admitted by the allow policy.
   * @default - none
   */
  readonly allowedEmails?: readonly string[];
  /**
   * Email domains admitted by the allow policy.
   * @default - none
   */
  readonly allowedEmailDomains?: readonly string[];
  /**
   * Names of service tokens to create, each admitted by its own `non_identity` policy.
   * @default - none
   */
  readonly serviceTokenNames?: readonly string[];
  /**
   * Access session lifetime (Go duration).
   * @default "24h"
   */
  readonly sessionDuration?: string;
}

/** One service token and the policy admitting it. */
export interface GatewayServiceToken {
  /** The name given in config. */
  readonly name: string;
  /** The token resource; `clientId` is public, `clientSecret` is a secret. */
  readonly token: ZeroTrustAccessServiceToken;
  /** Its `non_identity` policy. */
  readonly policy: ZeroTrustAccessPolicy;
}

/**
 * Zero Trust Access in front of the tunnel's hostname: a self-hosted application, an allow policy for the
 * configured emails/domains, and one `non_identity` policy per service token. Its `aud` and `teamDomain`
 * go to the gateway (it verifies the Access JWT itself) and to the tunnel ingress (cloudflared checks it too).
 */
export class GatewayAccess extends Construct {
  /** The self-hosted Access application. */
  public readonly application: ZeroTrustAccessApplication;
  /** The application's AUD tag (audience of its JWTs). */
  public readonly aud: string;
  /** The team name. */
  public readonly teamName: string;
  /** `<team>.cloudflareaccess.com`, the issuer of the JWTs. */
  public readonly teamDomain: string;
  /** The protected hostname. */
  public readonly hostname: string;
  /** The allow policy for people; undefined when no emails or domains are configured. */
  public readonly allowPolicy?: ZeroTrustAccessPolicy;
  /** Service tokens in config order. */
  public readonly serviceTokens: readonly GatewayServiceToken[];

  constructor(scope: Construct, id: string, props: GatewayAccessProps) {
    super(scope, id);
    const emails = props.allowedEmails ?? [];
    const domains = props.allowedEmailDomains ?? [];
    const tokenNames = props.serviceTokenNames ?? [];
    const problems = new ProblemCollector();
    if (emails.length + domains.length + tokenNames.length === 0) {
      problems.add('allowedEmails', [], 'nobody could pass Access: give at least one of allowedEmails, allowedEmailDomains or serviceTokenNames');
    }
    if (!Token.isUnresolved(props.teamName) && !/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i.test(props.teamName)) {
      problems.add('teamName', props.teamName, 'must be the team name alone, without .cloudflareaccess.com');
    }
    problems.throwIfAny(`GatewayAccess ${this.node.path}`);

    const accountId = props.tunnel.accountId;
    this.hostname = props.tunnel.hostname;
    this.teamName = props.teamName;
    this.teamDomain = props.teamDomain ?? `${props.teamName}.cloudflareaccess.com`;

    const include: ZeroTrustAccessPolicyInclude[] = [
      ...emails.map((email) => ({ email: { email } })),
      ...domains.map((domain) => ({ emailDomain: { domain } })),
    ];
    if (include.length > 0) {
      this.allowPolicy = new ZeroTrustAccessPolicy(this, 'allow', {
        accountId,
        name: `${this.hostname} - allowed people`,
        decision: 'allow',
        include,
      });
    }
    this.serviceTokens = tokenNames.map((name) => {
      const token = new ZeroTrustAccessServiceToken(this, `service-token-${name}`, {
        accountId,
        name: `${this.hostname} - ${name}`,
        duration: '8760h',
      });
      const policy = new ZeroTrustAccessPolicy(this, `service-token-policy-${name}`, {
        accountId,
        name: `${this.hostname} - service token ${name}`,
        decision: 'non_identity',
        include: [{ serviceToken: { tokenId: token.id } }],
      });
      return { name, token, policy };
    });

    const policies = [...(this.allowPolicy ? [this.allowPolicy] : []), ...this.serviceTokens.map((t) => t.policy)];
    this.application = new ZeroTrustAccessApplication(this, 'application', {
      accountId,
      name: `MCP gateway (${this.hostname})`,
      domain: this.hostname,
      type: 'self_hosted',
      sessionDuration: props.sessionDuration ?? '24h',
      appLauncherVisible: false,
      // MCP clients are not browsers: answer 401 instead of redirecting them to a login page.
      serviceAuth401Redirect: true,
      policies: policies.map((policy, index) => ({ id: policy.id, precedence: index + 1 })),
    });
    this.aud = this.application.aud;
  }
}
