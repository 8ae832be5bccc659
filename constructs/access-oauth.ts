import type { ZeroTrustAccessApplication } from '@cdktf/provider-cloudflare/lib/zero-trust-access-application';
import type { TerraformStack } from 'cdktf';

/**
 * The Cloudflare provider version the stack requires. `oauth_configuration` on `cloudflare_zero_trust_access_application`
 * exists from 5.19.0-beta.1; the prebuilt bindings (@cdktf/provider-cloudflare 13.9.1) stop at 5.14.0, so the stack
 * raises the constraint itself. Checked: the CHANGELOG 5.15.0..5.22.0 lists no breaking change for the resources and
 * data sources the stack declares (docs/stack.md, "Cloudflare provider version").
 */
export const CLOUDFLARE_PROVIDER_VERSION = '5.22.0';

/** Managed OAuth settings of the Access application, as the provider spells them. */
export interface ManagedOAuthSettings {
  /** Redirect URIs admitted for dynamically registered clients (https, or an app scheme). */
  readonly allowedUris: readonly string[];
  /** Admit any `localhost` callback (Claude Code, mcp-remote, the Inspector). */
  readonly allowAnyOnLocalhost: boolean;
  /** Admit any `127.0.0.1` callback (VS Code desktop and others). */
  readonly allowAnyOnLoopback: boolean;
  /** Lifetime of the access token (Go duration). */
  readonly accessTokenLifetime: string;
  /** How long a client may refresh before the user logs in again (Go duration). */
  readonly sessionDuration: string;
}

/** Requires {@link CLOUDFLARE_PROVIDER_VERSION} instead of the bindings' 5.14.0 (an override of the generated block). */
export function requireCloudflareProvider(stack: TerraformStack): void {
  stack.addOverride('terraform.required_providers.cloudflare.version', CLOUDFLARE_PROVIDER_VERSION);
}

/**
 * Turns on Access Managed OAuth on the application: a client without credentials gets a 401 pointing at Access's
 * OAuth metadata, registers itself (dynamic client registration), the user logs in with an allowed email, and the
 * origin receives the usual `Cf-Access-Jwt-Assertion`. The attribute is newer than the bindings, so it is written
 * as an override (snake_case, as in the provider schema); declaring it in code keeps a later apply from switching
 * a dashboard toggle off again (the API update replaces the whole application).
 */
export function enableManagedOAuth(application: ZeroTrustAccessApplication, settings: ManagedOAuthSettings): void {
  application.addOverride('oauth_configuration', {
    enabled: true,
    dynamic_client_registration: {
      enabled: true,
      allow_any_on_localhost: settings.allowAnyOnLocalhost,
      allow_any_on_loopback: settings.allowAnyOnLoopback,
      allowed_uris: [...settings.allowedUris],
    },
    grant: {
      access_token_lifetime: settings.accessTokenLifetime,
      session_duration: settings.sessionDuration,
    },
  });
}
