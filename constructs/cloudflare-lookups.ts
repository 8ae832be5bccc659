import { DataCloudflareZeroTrustOrganization } from '@cdktf/provider-cloudflare/lib/data-cloudflare-zero-trust-organization';
import { DataCloudflareZone } from '@cdktf/provider-cloudflare/lib/data-cloudflare-zone';
import { Fn } from 'cdktf';
import { Construct } from 'constructs';

/** Props of {@link CloudflareLookups}. */
export interface CloudflareLookupsProps {
  /** The account the zone and the Zero Trust organization belong to. */
  readonly accountId: string;
  /** The zone's domain (`domain_suffix`), looked up by name in the account when `zoneId` is not given. */
  readonly zoneName: string;
  /**
   * The zone id; given, no zone data source is declared.
   * @default - looked up: `data.cloudflare_zone` filtered by name and account
   */
  readonly zoneId?: string;
  /**
   * The Zero Trust team name; given, no organization data source is declared.
   * @default - read from the account: `data.cloudflare_zero_trust_organization.auth_domain`
   */
  readonly teamName?: string;
}

/**
 * What the stack needs to know about the account and can ask Terraform for instead of the user: the zone id of
 * `domain_suffix` and the Zero Trust team (its `auth_domain`, `<team>.cloudflareaccess.com`, issuer of Access JWTs).
 * Values given in tfvars win; the data sources are read at plan time with CLOUDFLARE_API_TOKEN (which therefore
 * needs Zone:Read and Access: Organizations read besides what the resources need).
 */
export class CloudflareLookups extends Construct {
  /** The zone id (a literal or a data-source reference). */
  public readonly zoneId: string;
  /** `<team>.cloudflareaccess.com` (a literal or a data-source reference). */
  public readonly teamDomain: string;
  /** The team name, the first label of {@link teamDomain}. */
  public readonly teamName: string;
  /** The zone data source; undefined when the zone id was given. */
  public readonly zone?: DataCloudflareZone;
  /** The organization data source; undefined when the team name was given. */
  public readonly organization?: DataCloudflareZeroTrustOrganization;

  constructor(scope: Construct, id: string, props: CloudflareLookupsProps) {
    super(scope, id);
    if (props.zoneId) {
      this.zoneId = props.zoneId;
    } else {
      this.zone = new DataCloudflareZone(this, 'zone', { filter: { name: props.zoneName, account: { id: props.accountId } } });
      this.zoneId = this.zone.id;
    }
    if (props.teamName) {
      this.teamName = props.teamName;
      this.teamDomain = `${props.teamName}.cloudflareaccess.com`;
    } else {
      this.organization = new DataCloudflareZeroTrustOrganization(this, 'organization', { accountId: props.accountId });
      this.teamDomain = this.organization.authDomain;
      this.teamName = Fn.element(Fn.split('.', this.organization.authDomain), 0);
    }
  }
}
