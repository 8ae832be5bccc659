/**
 * Request authentication: bearer tokens and Cloudflare Access JWTs, combined.
 *
 * Fail closed: a presented JWT must be valid, a bearer token presented without a valid JWT must be a gateway
 * token, repeated credential headers and non-Bearer schemes are refused. One exception: next to a valid Access JWT,
 * a bearer that is not a gateway token is ignored, because with Access Managed OAuth the client's `Authorization`
 * carries Access's own OAuth token (`Bearer oauth:...`), which Access has already checked and may forward to the
 * origin; refusing it would answer every OAuth client with a 401 and send it into a re-authorization loop.
 * The principal comes from the Access JWT when there is one (it names the human or service token behind the
 * edge), otherwise from the bearer token. The JWT is read only from the `Cf-Access-Jwt-Assertion` header:
 * the `CF_Authorization` cookie is ambient authority a browser attaches to cross-site requests, so it is ignored.
 * An authenticated principal that the policy grants no role is refused with 403 (not 401: a 401 tells an OAuth
 * client to log in again, which cannot help), without a `WWW-Authenticate` challenge for the same reason.
 */
import type { Principal } from '../contracts.js';
import { createAccessVerifier, type AccessVerifier } from './access-jwt.js';
import { createRoleResolver } from './roles.js';
import type { SecurityConfig } from './security-config.js';
import { createTokenAuthenticator } from './token-auth.js';

/** Request headers as Node gives them (lower-case names). */
export type RequestHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

/** Outcome of {@link Authenticate}. */
export type AuthResult =
  | { ok: true; principal: Principal }
  | { ok: false; status: 401 | 403; code: string; reason: string; wwwAuthenticate?: string };

/** Authenticates one request from its headers. Never throws; never echoes a credential. */
export type Authenticate = (headers: RequestHeaders) => Promise<AuthResult>;

/** Dependencies of {@link createAuthenticate}. */
export interface AuthenticateDeps {
  /** @default Date.now */
  readonly now?: () => number;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** Called when Access keys cannot be fetched. */
  readonly onJwksError?: (err: unknown) => void;
}

/** Authenticator plus the Access verifier it uses (exposed for metrics/tests). */
export interface Authenticator {
  readonly authenticate: Authenticate;
  readonly access?: AccessVerifier;
}

const REALM = 'mcp-gateway';
/** `Bearer <credential>`: one run of visible characters (Access's `oauth:...` tokens included). */
const BEARER = /^Bearer[ ]+([\x21-\x7e]{1,8192})[ ]*$/i;
/** RFC 6750 token68, the only shape a gateway token can have. */
const TOKEN68 = /^[A-Za-z0-9\-._~+/]+=*$/;
/** Principal used when authentication is explicitly disabled on loopback. */
export const ANONYMOUS: Principal = Object.freeze({ id: 'anonymous', authMethod: 'none' });

function single(headers: RequestHeaders, name: string): string | undefined | null {
  const v = headers[name];
  if (v === undefined) return undefined;
  if (typeof v === 'string') return v;
  // Repeated credential headers are ambiguous: which one did a proxy check?
  return v.length === 1 ? v[0] : null;
}

function challenge(error?: string, description?: string): string {
  if (!error) return `Bearer realm="${REALM}"`;
  return `Bearer realm="${REALM}", error="${error}", error_description="${(description ?? '').replace(/["\\]/g, '')}"`;
}

/** Builds the authenticate function from the parsed config. */
export function createAuthenticate(config: SecurityConfig, deps: AuthenticateDeps = {}): Authenticator {
  const tokens = createTokenAuthenticator(config.auth.tokens);
  const a = config.auth.access;
  const access = a
    ? createAccessVerifier({ ...a, now: deps.now, fetch: deps.fetch, onFetchError: deps.onJwksError })
    : undefined;
  const anonymous = tokens.size === 0 && !access && config.auth.allowUnauthenticated;

  const roles = createRoleResolver(config.policy);

  // 401s carry a Bearer challenge; 403s carry none (an OAuth client reads `insufficient_scope` as "log in again").
  const fail = (status: 401 | 403, code: string, reason: string, error?: string): AuthResult => ({
    ok: false,
    status,
    code,
    reason,
    ...(status === 401 ? { wwwAuthenticate: challenge(error, error ? reason : undefined) } : {}),
  });

  const identify = async (headers: RequestHeaders): Promise<AuthResult> => {
    if (anonymous) return { ok: true, principal: ANONYMOUS };
    const authz = single(headers, 'authorization');
    const jwt = single(headers, 'cf-access-jwt-assertion');
    if (authz === null || jwt === null) return fail(401, 'ambiguous_credentials', 'repeated credential headers', 'invalid_request');

    // The bearer is checked first but its refusal is held back: a valid Access JWT may make it irrelevant.
    let bearerName: string | undefined;
    let bearerRefusal: AuthResult | undefined;
    if (authz !== undefined) {
      const m = BEARER.exec(authz);
      if (!m) return fail(401, 'bad_authorization', 'Authorization must be "Bearer <token>"', 'invalid_request');
      if (!TOKEN68.test(m[1])) bearerRefusal = fail(401, 'bad_authorization', 'the bearer token is not a gateway token', 'invalid_request');
      else if (tokens.size === 0) bearerRefusal = fail(401, 'invalid_token', 'bearer tokens are not configured', 'invalid_token');
      else {
        bearerName = tokens.verify(m[1]);
        if (bearerName === undefined) bearerRefusal = fail(401, 'invalid_token', 'bearer token is not valid', 'invalid_token');
      }
    }

    let jwtPrincipal: Principal | undefined;
    if (jwt !== undefined && jwt !== '') {
      if (!access) return fail(401, 'access_not_configured', 'Cloudflare Access verification is not configured', 'invalid_token');
      const r = await access.verify(jwt.trim());
      if (!r.ok) return fail(r.status, r.code, r.reason, r.status === 401 ? 'invalid_token' : undefined);
      jwtPrincipal = r.principal;
    }

    // Access authenticated this request: a bearer that is not ours (Access's OAuth token) is not a second claim.
    if (jwtPrincipal) return { ok: true, principal: jwtPrincipal };
    if (bearerRefusal) return bearerRefusal;
    if (access && a?.required) return fail(401, 'access_jwt_required', 'a Cloudflare Access JWT (Cf-Access-Jwt-Assertion) is required');
    if (bearerName !== undefined) return { ok: true, principal: { id: bearerName, authMethod: 'bearer' } };
    return fail(401, 'no_credentials', 'authentication required: send Authorization: Bearer <token> or come through Cloudflare Access');
  };

  const check = async (headers: RequestHeaders): Promise<AuthResult> => {
    const result = await identify(headers);
    if (result.ok && roles.rolesFor(result.principal).length === 0) {
      return fail(403, 'no_role', `"${result.principal.id}" is authenticated but has no role; bind it in policy.bindings or set policy.defaultRole`);
    }
    return result;
  };
  // Never throws: an unexpected error is a refusal (fail closed), not a 500 that a retry loop could probe.
  const authenticate: Authenticate = (headers) =>
    check(headers).catch(() => fail(401, 'auth_error', 'authentication could not be completed', 'invalid_token'));
  return { authenticate, access };
}

const LOOPBACK = /^(127(\.\d{1,3}){3}|::1|\[::1\]|localhost|::ffff:127(\.\d{1,3}){3})$/i;

/** True for loopback listen addresses (127.0.0.0/8, ::1, localhost). 0.0.0.0 and :: are not loopback. */
export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.test(host.trim());
}

/**
 * Refuses to start without authentication, unless allowUnauthenticated is set AND the gateway listens on loopback.
 * @throws Error naming the settings to change.
 */
export function assertAuthConfigured(config: SecurityConfig, listenHost: string): void {
  const configured = config.auth.tokens.length > 0 || config.auth.access !== undefined;
  if (configured) return;
  if (config.auth.allowUnauthenticated && isLoopbackHost(listenHost)) return;
  if (config.auth.allowUnauthenticated) {
    throw new Error(
      `no authentication is configured and MCP_GATEWAY_ALLOW_UNAUTHENTICATED=true is only honoured on loopback, but the gateway listens on "${listenHost}"; ` +
        'set MCP_GATEWAY_HOST=127.0.0.1, or configure MCP_GATEWAY_AUTH_TOKEN(S) or MCP_GATEWAY_ACCESS_TEAM_DOMAIN + MCP_GATEWAY_ACCESS_AUD',
    );
  }
  throw new Error(
    'no authentication is configured: set MCP_GATEWAY_AUTH_TOKEN (or MCP_GATEWAY_AUTH_TOKENS=name=token,...) or ' +
      'MCP_GATEWAY_ACCESS_TEAM_DOMAIN + MCP_GATEWAY_ACCESS_AUD; for local development only, MCP_GATEWAY_ALLOW_UNAUTHENTICATED=true with MCP_GATEWAY_HOST=127.0.0.1',
  );
}
