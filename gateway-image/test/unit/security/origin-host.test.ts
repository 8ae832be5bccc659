import { describe, expect, it } from 'vitest';
import { createOriginHostPolicy, normalizeOrigin, parseHostHeader } from '../../../src/core/security/origin-host.js';
import { parseSecurityConfig } from '../../../src/core/security/security-config.js';

const policy = createOriginHostPolicy(parseSecurityConfig({
  http: { publicHostname: 'mcp.example.com', allowedOrigins: ['https://tools.example.com'], allowedHosts: ['gateway', 'gw.internal:3000'], corsOrigins: ['https://app.example.com'] },
}));
const bare = createOriginHostPolicy(parseSecurityConfig({}));

describe('Host allowlist', () => {
  it('allows loopback names with any port, the public hostname and configured hosts', () => {
    for (const host of ['localhost', 'localhost:3000', '127.0.0.1:8080', '[::1]:3000', 'mcp.example.com', 'MCP.example.com.', 'gateway:3000', 'gw.internal:3000']) {
      expect(policy.check({ host })).toEqual({ ok: true });
    }
  });
  it('denies rebinding names, other ports of port-pinned hosts, malformed and missing Host', () => {
    for (const host of ['evil.com', 'localhost.evil.com', '127.0.0.1.nip.io', 'gw.internal:3001', 'mcp.example.com@evil.com', 'a b', '']) {
      expect(policy.check({ host })).toMatchObject({ ok: false, status: 403 });
    }
    expect(policy.check({})).toMatchObject({ ok: false, code: 'host_missing' });
    expect(policy.check({ host: ['localhost', 'evil.com'] })).toMatchObject({ ok: false, code: 'host_missing' });
  });
  it('without config only loopback is allowed', () => {
    expect(bare.check({ host: 'localhost:3000' }).ok).toBe(true);
    expect(bare.check({ host: 'mcp.example.com' }).ok).toBe(false);
  });
});

describe('Origin allowlist', () => {
  const host = 'localhost:3000';
  it('allows no Origin (non-browser clients)', () => expect(policy.check({ host }).ok).toBe(true));
  it('allows localhost variants, the public hostname and configured origins', () => {
    for (const origin of ['http://localhost:6274', 'http://127.0.0.1', 'https://localhost', 'http://[::1]:5173', 'https://mcp.example.com', 'https://tools.example.com', 'https://app.example.com', 'https://mcp.example.com:443']) {
      expect(policy.check({ host, origin })).toEqual({ ok: true });
    }
  });
  it('denies other origins (403, before the body)', () => {
    for (const origin of ['https://evil.com', 'null', 'http://mcp.example.com', 'https://mcp.example.com.evil.com', 'https://mcp.example.com:8443', 'file://', 'chrome-extension://abc', 'garbage']) {
      expect(policy.check({ host, origin })).toMatchObject({ ok: false, status: 403, code: 'origin_not_allowed' });
    }
    expect(policy.check({ host, origin: ['http://localhost', 'https://evil.com'] }).ok).toBe(false);
  });
});

describe('CORS', () => {
  it('headers only for configured CORS origins, echoing the origin, never *', () => {
    const h = policy.corsHeaders({ origin: 'https://app.example.com' });
    expect(h['Access-Control-Allow-Origin']).toBe('https://app.example.com');
    expect(h.Vary).toBe('Origin');
    expect(h['Access-Control-Allow-Credentials']).toBeUndefined();
    expect(Object.values(h)).not.toContain('*');
  });
  it('no headers for allowed-but-not-CORS origins or unknown ones', () => {
    expect(policy.corsHeaders({ origin: 'https://mcp.example.com' })).toEqual({});
    expect(policy.corsHeaders({ origin: 'https://evil.com' })).toEqual({});
    expect(policy.corsHeaders({})).toEqual({});
  });
  it('credentials only when configured', () => {
    const p = createOriginHostPolicy(parseSecurityConfig({ http: { corsOrigins: ['https://app.example.com'], corsAllowCredentials: true } }));
    expect(p.corsHeaders({ origin: 'https://app.example.com' })['Access-Control-Allow-Credentials']).toBe('true');
  });
});

describe('parsers', () => {
  it('parseHostHeader', () => {
    expect(parseHostHeader('Example.COM.:80')).toEqual({ host: 'example.com', port: '80' });
    expect(parseHostHeader('[::1]:3000')).toEqual({ host: '[::1]', port: '3000' });
    expect(parseHostHeader('a/b')).toBeUndefined();
  });
  it('normalizeOrigin', () => {
    expect(normalizeOrigin('HTTPS://Mcp.Example.com:443')).toBe('https://mcp.example.com');
    expect(normalizeOrigin('https://u:p@x.com')).toBeUndefined();
    expect(normalizeOrigin('https://x.com/path')).toBeUndefined();
    expect(normalizeOrigin('ftp://x.com')).toBeUndefined();
  });
});
