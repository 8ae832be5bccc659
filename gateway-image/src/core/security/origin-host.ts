/**
 * Origin and Host allowlists against DNS rebinding, and CORS headers. Pure functions on a headers object, meant to
 * run before the body is read.
 *
 * A browser on a hostile page can resolve an attacker's name to 127.0.0.1 and reach the gateway; the Host header
 * then carries the attacker's name and the Origin the attacker's site, so both are checked. Requests without an
 * Origin (curl, SDK clients) are fine: Origin is what browsers add.
 */
import type { RequestHeaders } from './authenticate.js';
import type { SecurityConfig } from './security-config.js';

/** Outcome of {@link OriginHostPolicy.check}. */
export type OriginHostResult = { ok: true } | { ok: false; status: 403; code: string; reason: string };

/** Origin/Host checks and CORS headers built from config. */
export interface OriginHostPolicy {
  check(headers: RequestHeaders): OriginHostResult;
  /** CORS headers for this request: empty unless the Origin is one of `http.corsOrigins`. */
  corsHeaders(headers: RequestHeaders): Record<string, string>;
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Splits `host[:port]` (IPv6 in brackets); lower-cases and drops a trailing dot. Undefined when malformed. */
export function parseHostHeader(value: string): { host: string; port?: string } | undefined {
  const v = value.trim().toLowerCase();
  const m = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::(\d{1,5}))?$/.exec(v);
  if (!m) return undefined;
  return { host: m[1].replace(/\.$/, ''), port: m[2] };
}

/** Normalizes an origin to `scheme://host[:port]` with default ports dropped; undefined when not an http(s) origin. */
export function normalizeOrigin(value: string): string | undefined {
  let u: URL;
  try {
    u = new URL(value.trim());
  } catch {
    return undefined;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return undefined;
  if (u.username || u.password || (u.pathname !== '/' && u.pathname !== '') || u.search || u.hash) return undefined;
  return u.origin.toLowerCase();
}

function first(headers: RequestHeaders, name: string): string | undefined | null {
  const v = headers[name];
  if (v === undefined) return undefined;
  if (typeof v === 'string') return v;
  return v.length === 1 ? v[0] : null;
}

/** Builds the policy from config. */
export function createOriginHostPolicy(config: SecurityConfig): OriginHostPolicy {
  const pub = config.http.publicHostname ? parseHostHeader(config.http.publicHostname) : undefined;
  const allowedHosts = new Set<string>();
  const allowedHostNames = new Set<string>(LOOPBACK_NAMES);
  if (pub) allowedHostNames.add(pub.host);
  for (const h of config.http.allowedHosts) {
    const p = parseHostHeader(h);
    if (!p) continue;
    if (p.port) allowedHosts.add(`${p.host}:${p.port}`);
    else allowedHostNames.add(p.host);
  }
  const allowedOrigins = new Set<string>();
  if (pub) allowedOrigins.add(normalizeOrigin(`https://${config.http.publicHostname}`)!);
  for (const o of config.http.allowedOrigins) {
    const n = normalizeOrigin(o);
    if (n) allowedOrigins.add(n);
  }
  const corsOrigins = new Set<string>();
  for (const o of config.http.corsOrigins) {
    const n = normalizeOrigin(o);
    if (n) corsOrigins.add(n);
  }

  function originAllowed(origin: string): boolean {
    const n = normalizeOrigin(origin);
    if (!n) return false;
    if (allowedOrigins.has(n) || corsOrigins.has(n)) return true;
    const u = new URL(n);
    // Localhost variants with any port: local clients and the MCP Inspector.
    return LOOPBACK_NAMES.has(u.hostname);
  }

  function hostAllowed(host: string): boolean {
    const p = parseHostHeader(host);
    if (!p) return false;
    if (allowedHostNames.has(p.host)) return true;
    return p.port !== undefined && allowedHosts.has(`${p.host}:${p.port}`);
  }

  return {
    check(headers) {
      const host = first(headers, 'host');
      if (host === undefined || host === null || host === '') {
        return { ok: false, status: 403, code: 'host_missing', reason: 'a single Host header is required' };
      }
      if (!hostAllowed(host)) {
        return { ok: false, status: 403, code: 'host_not_allowed', reason: `Host "${host.slice(0, 100)}" is not allowed; add it to MCP_GATEWAY_ALLOWED_HOSTS` };
      }
      const origin = first(headers, 'origin');
      if (origin === undefined) return { ok: true };
      if (origin === null || !originAllowed(origin)) {
        return { ok: false, status: 403, code: 'origin_not_allowed', reason: `Origin "${String(origin).slice(0, 100)}" is not allowed; add it to MCP_GATEWAY_ALLOWED_ORIGINS` };
      }
      return { ok: true };
    },
    corsHeaders(headers) {
      const origin = first(headers, 'origin');
      if (typeof origin !== 'string') return {};
      const n = normalizeOrigin(origin);
      if (!n || !corsOrigins.has(n)) return {};
      const h: Record<string, string> = {
        'Access-Control-Allow-Origin': n,
        Vary: 'Origin',
        'Access-Control-Allow-Methods': 'GET, POST, DELETE, OPTIONS',
        'Access-Control-Allow-Headers': 'Authorization, Content-Type, Accept, Mcp-Session-Id, Mcp-Protocol-Version, Last-Event-ID',
        'Access-Control-Expose-Headers': 'Mcp-Session-Id, Mcp-Protocol-Version, WWW-Authenticate',
        'Access-Control-Max-Age': '600',
      };
      if (config.http.corsAllowCredentials) h['Access-Control-Allow-Credentials'] = 'true';
      return h;
    },
  };
}
