/**
 * The Cloudflare side both targets share: the provider, the zone/team lookups, the tunnel, the Access application
 * (with Managed OAuth declared on or off) and the proxied DNS record. Each target adds its own connector and ingress.
 */
import { CloudflareProvider } from '@cdktf/provider-cloudflare/lib/provider';
import type { TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { GatewayAccess } from './access';
import { enableManagedOAuth, requireCloudflareProvider } from './access-oauth';
import { CloudflareLookups } from './cloudflare-lookups';
import { oauthRedirectUris } from './config/oauth-config';
import type { StackConfig } from './config/stack-config';
import { GatewayDns } from './dns';
import { GatewayTunnel } from './tunnel';

/** What {@link declareCloudflareEdge} created. */
export interface CloudflareEdge {
  readonly tunnel: GatewayTunnel;
  readonly access: GatewayAccess;
  readonly dns: GatewayDns;
}

/**
 * Declares the shared Cloudflare resources in `scope` (their construct ids, and so their Terraform addresses, are the
 * same for both targets). Call it only with `config.enableTunnel`: validateConfig then guarantees the account and
 * the domain are set; the zone id and the team come from tfvars when given, else from lookups at plan time.
 */
export function declareCloudflareEdge(scope: Construct, stack: TerraformStack, config: StackConfig): CloudflareEdge {
  const accountId = config.cloudflareAccountId!;
  new CloudflareProvider(scope, 'cloudflare', {}); // reads CLOUDFLARE_API_TOKEN from the environment
  requireCloudflareProvider(stack);
  const lookups = new CloudflareLookups(scope, 'lookups', {
    accountId,
    zoneName: config.domainSuffix!,
    zoneId: config.cloudflareZoneId,
    teamName: config.accessTeamName,
  });
  const tunnel = new GatewayTunnel(scope, 'tunnel', { accountId, hostname: `${config.tunnelHostname}.${config.domainSuffix!}` });
  const access = new GatewayAccess(scope, 'access', {
    tunnel,
    teamName: lookups.teamName,
    teamDomain: lookups.teamDomain,
    allowedEmails: config.allowedEmails,
    allowedEmailDomains: config.allowedEmailDomains,
    serviceTokenNames: config.serviceTokens,
    sessionDuration: config.accessSessionDuration,
  });
  if (config.accessManagedOAuth && access.allowPolicy) {
    enableManagedOAuth(access.application, {
      allowedUris: oauthRedirectUris(config),
      allowAnyOnLocalhost: config.accessOAuthClients.includes('local'),
      allowAnyOnLoopback: config.accessOAuthClients.includes('local'),
      accessTokenLifetime: config.accessOAuthTokenLifetime,
      sessionDuration: config.accessOAuthGrantDuration,
    });
  } else {
    // Declared off, so an apply also switches off a dashboard toggle this stack does not know about.
    access.application.addOverride('oauth_configuration', { enabled: false });
  }
  const dns = new GatewayDns(scope, 'dns', { tunnel, zoneId: lookups.zoneId });
  return { tunnel, access, dns };
}
