import type { ProblemCollector } from '../errors';

/**
 * MCP clients whose OAuth redirect URIs Access Managed OAuth admits by name (`access_oauth_clients`).
 * `local` stands for every client that listens on localhost/127.0.0.1 for its callback (Claude Code, mcp-remote,
 * VS Code desktop, the MCP Inspector): Access's `allow_any_on_localhost` and `allow_any_on_loopback` switches, since
 * their ports change per run. Sources: docs/interop.md ("Email login" section).
 */
export const OAUTH_CLIENT_REDIRECT_URIS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  // Claude web, Desktop and mobile custom connectors: Anthropic's cloud does the OAuth dance.
  claude: ['https://claude.ai/api/mcp/auth_callback', 'https://claude.com/api/mcp/auth_callback'],
  chatgpt: ['https://chatgpt.com/connector_platform_oauth_redirect'],
  // Cloudflare's own Managed OAuth example; the provider's description says https only (a live check, see docs).
  cursor: ['cursor://anysphere.cursor-mcp/oauth/callback'],
  // VS Code on the web; VS Code desktop uses a loopback callback (`local`).
  vscode: ['https://vscode.dev/redirect'],
  local: [],
});

/** Every name {@link OAUTH_CLIENT_REDIRECT_URIS} knows, the default of `access_oauth_clients`. */
export const OAUTH_CLIENT_NAMES: readonly string[] = Object.freeze(Object.keys(OAUTH_CLIENT_REDIRECT_URIS));

/** Cloudflare's recommendation for agents: short access tokens, a grant of one to two weeks. */
export const DEFAULT_OAUTH_TOKEN_LIFETIME = '15m';
/** Two weeks: how long a client may refresh before the user logs in again. */
export const DEFAULT_OAUTH_GRANT_DURATION = '336h';

/** The Managed OAuth part of the stack config (the `access_*oauth*` keys), validated. */
export interface OAuthConfig {
  /** `access_managed_oauth`: Managed OAuth on the Access application (email login for MCP clients); off when no email or domain is allowed. */
  readonly accessManagedOAuth: boolean;
  /** `access_oauth_clients`: named clients whose redirect URIs are admitted. */
  readonly accessOAuthClients: readonly string[];
  /** `access_oauth_redirect_uris`: further redirect URIs admitted. */
  readonly accessOAuthRedirectUris: readonly string[];
  /** `access_oauth_token_lifetime`: lifetime of the OAuth access token (Go duration). */
  readonly accessOAuthTokenLifetime: string;
  /** `access_oauth_grant_duration`: how long a client may refresh without a new login (Go duration). */
  readonly accessOAuthGrantDuration: string;
}

const GO_DURATION = /^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/;
const UNIT_MS: Readonly<Record<string, number>> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
// https with a host, or a custom scheme (cursor://...). A path may end in "/*" (Access matches sub-paths).
const HTTPS_URI = /^https:\/\/[a-z0-9.-]+(?::\d{1,5})?(?:\/[^\s*?#]*)?(?:\/\*)?$/i;
const CUSTOM_SCHEME_URI = /^[a-z][a-z0-9+.-]*:\/\/[^\s*]+$/i;

/** Milliseconds of a Go duration string (already checked against {@link GO_DURATION}). */
export function goDurationMs(text: string): number {
  let total = 0;
  for (const m of text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) total += Number(m[1]) * UNIT_MS[m[2]];
  return total;
}

/** The redirect URIs a config admits explicitly (named clients first, then the extra ones), without duplicates. */
export function oauthRedirectUris(config: Pick<OAuthConfig, 'accessOAuthClients' | 'accessOAuthRedirectUris'>): string[] {
  const uris = [...config.accessOAuthClients.flatMap((c) => OAUTH_CLIENT_REDIRECT_URIS[c] ?? []), ...config.accessOAuthRedirectUris];
  return [...new Set(uris)];
}

/**
 * Reads and checks the Managed OAuth keys of a raw tfvars object, adding every problem to `problems`.
 * `hasPeople` says whether an email allow policy will exist (Managed OAuth logs people in; it needs one).
 */
export function validateOAuthConfig(raw: Readonly<Record<string, unknown>>, problems: ProblemCollector, hasPeople: boolean): OAuthConfig {
  const rawEnabled = raw.access_managed_oauth;
  let accessManagedOAuth = true;
  const accessManagedOAuthExplicit = rawEnabled !== undefined && rawEnabled !== null;
  if (accessManagedOAuthExplicit) {
    if (typeof rawEnabled === 'boolean') accessManagedOAuth = rawEnabled;
    else problems.add('access_managed_oauth', rawEnabled, 'must be a bool; write access_managed_oauth = true or access_managed_oauth = false (no quotes)');
  }
  if (accessManagedOAuthExplicit && accessManagedOAuth && !hasPeople && raw.enable_cloudflare_tunnel === true) {
    problems.add('access_managed_oauth', true, 'needs people to log in: set allowed_emails or allowed_email_domains, or set access_managed_oauth = false for a service-token-only application');
  }

  const stringList = (name: string, fallback: readonly string[]): string[] => {
    const value = raw[name];
    if (value === undefined || value === null) return [...fallback];
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v.includes('${'))) {
      problems.add(name, value, `must be a list of literal strings; write ${name} = ["a", "b"]`);
      return [...fallback];
    }
    return value.map((v: string) => v.trim());
  };

  const accessOAuthClients = stringList('access_oauth_clients', OAUTH_CLIENT_NAMES).map((c) => c.toLowerCase());
  for (const client of accessOAuthClients) {
    if (!OAUTH_CLIENT_NAMES.includes(client)) {
      problems.add('access_oauth_clients', client, `is not a known client; use some of ${OAUTH_CLIENT_NAMES.map((n) => `"${n}"`).join(', ')}, and put other redirect URIs in access_oauth_redirect_uris`);
    }
  }

  const accessOAuthRedirectUris = stringList('access_oauth_redirect_uris', []);
  for (const uri of accessOAuthRedirectUris) {
    if (/^http:\/\//i.test(uri)) {
      problems.add('access_oauth_redirect_uris', uri, 'must not be plain http; localhost and 127.0.0.1 callbacks are admitted by the "local" entry of access_oauth_clients, anything else must be https');
    } else if (!HTTPS_URI.test(uri) && !(CUSTOM_SCHEME_URI.test(uri) && !/^https?:/i.test(uri))) {
      problems.add('access_oauth_redirect_uris', uri, 'is not a redirect URI; write "https://host/path" (a path may end in "/*") or an app scheme such as "cursor://anysphere.cursor-mcp/oauth/callback"');
    }
  }

  const duration = (name: string, fallback: string): string => {
    const value = raw[name];
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'string' || !GO_DURATION.test(value.trim())) {
      problems.add(name, value, `must be a duration such as "${fallback}" (units ns, us, ms, s, m, h)`);
      return fallback;
    }
    return value.trim();
  };
  const accessOAuthTokenLifetime = duration('access_oauth_token_lifetime', DEFAULT_OAUTH_TOKEN_LIFETIME);
  const accessOAuthGrantDuration = duration('access_oauth_grant_duration', DEFAULT_OAUTH_GRANT_DURATION);
  if (goDurationMs(accessOAuthTokenLifetime) < 60_000) {
    problems.add('access_oauth_token_lifetime', accessOAuthTokenLifetime, 'is under one minute: clients would refresh on nearly every request; use 5m to 15m');
  }
  if (goDurationMs(accessOAuthTokenLifetime) > goDurationMs(accessOAuthGrantDuration)) {
    problems.add('access_oauth_token_lifetime', accessOAuthTokenLifetime, `is longer than access_oauth_grant_duration (${accessOAuthGrantDuration}); the access token must expire before the grant does`);
  }

  return Object.freeze({
    // Defaulted on, it stays off where nobody could log in (a service-token-only application).
    accessManagedOAuth: accessManagedOAuth && (hasPeople || accessManagedOAuthExplicit),
    accessOAuthClients: Object.freeze([...new Set(accessOAuthClients)]),
    accessOAuthRedirectUris: Object.freeze(accessOAuthRedirectUris),
    accessOAuthTokenLifetime,
    accessOAuthGrantDuration,
  });
}
