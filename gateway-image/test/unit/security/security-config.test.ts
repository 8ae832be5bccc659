import { describe, expect, it } from 'vitest';
import { parseSecurityConfig, securityConfigSchema, securityEnvOverrides } from '../../../src/core/security/security-config.js';

describe('securityConfigSchema defaults', () => {
  const c = parseSecurityConfig({});
  it('has secure defaults', () => {
    expect(c.auth).toEqual({ tokens: [], allowUnauthenticated: false });
    expect(c.exec.mode).toBe('allowlist');
    expect(c.exec.security).toBe(true);
    expect(c.exec.allowRoot).toBe(false);
    expect(c.exec.deniedPaths).toEqual(['/proc', '/sys', '/dev']);
    expect(c.limits).toMatchObject({ execPerMinute: 60, logsPerMinute: 30, maxConcurrent: 10, perMinute: {} });
    expect(c.audit).toMatchObject({ enabled: true, retentionDays: 30, fsync: true });
    expect(c.policy.defaultRole).toBe('reader');
    expect(c.http.corsOrigins).toEqual([]);
    expect(c.containers.allowedBindPaths).toEqual([]);
  });
  it('rejects unknown keys at every level', () => {
    expect(securityConfigSchema().safeParse({ auth: { tokenz: [] } }).success).toBe(false);
    expect(securityConfigSchema().safeParse({ nope: 1 }).success).toBe(false);
    expect(securityConfigSchema().safeParse({ exec: { mode: 'allowlist', extra: 1 } }).success).toBe(false);
  });
  it('requires tokens of at least 16 characters, or a sha256 digest, not both', () => {
    expect(securityConfigSchema().safeParse({ auth: { tokens: [{ name: 'a', token: 'short' }] } }).success).toBe(false);
    expect(securityConfigSchema().safeParse({ auth: { tokens: [{ name: 'a', token: 'x'.repeat(16) }] } }).success).toBe(true);
    expect(securityConfigSchema().safeParse({ auth: { tokens: [{ name: 'a', sha256: 'a'.repeat(64) }] } }).success).toBe(true);
    expect(securityConfigSchema().safeParse({ auth: { tokens: [{ name: 'a', sha256: 'a'.repeat(64), token: 'x'.repeat(16) }] } }).success).toBe(false);
    expect(securityConfigSchema().safeParse({ auth: { tokens: [{ name: 'a' }] } }).success).toBe(false);
  });
  it('validates the Access team domain and defaults its timings', () => {
    expect(securityConfigSchema().safeParse({ auth: { access: { teamDomain: 'https://x.cloudflareaccess.com', aud: 'a' } } }).success).toBe(false);
    const ok = parseSecurityConfig({ auth: { access: { teamDomain: 'team.cloudflareaccess.com', aud: 'abc' } } });
    expect(ok.auth.access).toMatchObject({ clockToleranceSeconds: 30, jwksCooldownSeconds: 30, required: false });
  });
  it('refuses CORS wildcard', () => {
    expect(securityConfigSchema().safeParse({ http: { corsOrigins: ['*'] } }).success).toBe(false);
    expect(securityConfigSchema().safeParse({ http: { corsOrigins: ['https://app.example.com'] } }).success).toBe(true);
    expect(securityConfigSchema().safeParse({ http: { corsOrigins: ['null'] } }).success).toBe(false);
  });
  it('validates allowed origins and hosts', () => {
    expect(securityConfigSchema().safeParse({ http: { allowedOrigins: ['https://a.example.com', 'http://localhost:8080/'], allowedHosts: ['gateway:3000', 'mcp.example.com', '[::1]:3000'] } }).success).toBe(true);
    for (const o of ['a.example.com', 'https://a.example.com/path', '*', 'ftp://x']) {
      expect(securityConfigSchema().safeParse({ http: { allowedOrigins: [o] } }).success).toBe(false);
    }
    for (const h of ['https://x', 'a/b', 'x:y']) expect(securityConfigSchema().safeParse({ http: { allowedHosts: [h] } }).success).toBe(false);
  });
  it('refuses bindings to unknown roles and an unknown default role', () => {
    const r = securityConfigSchema().safeParse({ policy: { bindings: [{ emails: ['a@b.c'], roles: ['ghost'] }], defaultRole: 'nobody' } });
    expect(r.success).toBe(false);
    const msgs = r.success ? [] : r.error.issues.map((i) => i.message);
    expect(msgs.join('\n')).toMatch(/unknown role "ghost"/);
    expect(msgs.join('\n')).toMatch(/unknown role "nobody"/);
  });
  it('accepts roles with scopes and defaults a role scope to all containers', () => {
    const c2 = parseSecurityConfig({ policy: { roles: { ops: { tools: ['docker_*'] } }, bindings: [{ tokens: ['ci'], roles: ['ops'] }] } });
    expect(c2.policy.roles.ops.containers).toEqual({ names: ['*'] });
    expect(c2.policy.roles.ops.allowSecrets).toBe(false);
  });
  it('requires absolute denied paths and bind paths', () => {
    expect(securityConfigSchema().safeParse({ exec: { deniedPaths: ['proc'] } }).success).toBe(false);
    expect(securityConfigSchema().safeParse({ containers: { allowedBindPaths: ['data'] } }).success).toBe(false);
  });
});

describe('securityEnvOverrides', () => {
  const tok = 'a'.repeat(32);
  it('maps every variable', () => {
    const { values, issues } = securityEnvOverrides({
      MCP_GATEWAY_AUTH_TOKEN: tok,
      MCP_GATEWAY_AUTH_TOKENS: `alice=${'b'.repeat(20)}, ci=${'c'.repeat(20)}`,
      MCP_GATEWAY_ALLOW_UNAUTHENTICATED: 'false',
      MCP_GATEWAY_ACCESS_TEAM_DOMAIN: 'team.cloudflareaccess.com',
      MCP_GATEWAY_ACCESS_AUD: 'aud123',
      MCP_GATEWAY_PUBLIC_HOSTNAME: 'mcp.example.com',
      MCP_GATEWAY_ALLOWED_ORIGINS: 'https://a.example.com,https://b.example.com',
      MCP_GATEWAY_ALLOWED_HOSTS: 'gw.internal:3000',
      MCP_DOCKER_SECURITY: 'on',
      MCP_DOCKER_COMMAND_POLICY_MODE: 'denylist',
      MCP_DOCKER_COMMAND_PATTERNS: 'rm,git push',
      MCP_DOCKER_DENIED_PATHS: '/proc,/sys,/dev,/etc/shadow',
      MCP_DOCKER_DENIED_FLAGS: '-exec,--to-command',
      MCP_DOCKER_DEFAULT_USER: '1000:1000',
      MCP_DOCKER_ALLOW_ROOT: '0',
      MCP_DOCKER_RATE_LIMITS: 'docker_ps=120,docker_inspect=60',
      MCP_DOCKER_EXEC_PER_MINUTE: '10',
      MCP_DOCKER_LOGS_PER_MINUTE: '5',
      MCP_DOCKER_MAX_CONCURRENT: '4',
      MCP_DOCKER_AUDIT: 'yes',
      MCP_DOCKER_AUDIT_FILE: '/data/audit.log',
      MCP_DOCKER_AUDIT_RETENTION_DAYS: '7',
    });
    expect(issues).toEqual([]);
    expect(values.auth?.tokens).toEqual([
      { name: 'default', token: tok },
      { name: 'alice', token: 'b'.repeat(20) },
      { name: 'ci', token: 'c'.repeat(20) },
    ]);
    expect(values.auth?.access).toEqual({ teamDomain: 'team.cloudflareaccess.com', aud: 'aud123' });
    expect(values.http).toEqual({ publicHostname: 'mcp.example.com', allowedOrigins: ['https://a.example.com', 'https://b.example.com'], allowedHosts: ['gw.internal:3000'] });
    expect(values.exec).toEqual({
      security: true, mode: 'denylist', commandPatterns: ['rm', 'git push'], deniedPaths: ['/proc', '/sys', '/dev', '/etc/shadow'],
      deniedFlags: ['-exec', '--to-command'], defaultUser: '1000:1000', allowRoot: false,
    });
    expect(values.limits).toEqual({ perMinute: { docker_ps: 120, docker_inspect: 60 }, execPerMinute: 10, logsPerMinute: 5, maxConcurrent: 4 });
    expect(values.audit).toEqual({ enabled: true, file: '/data/audit.log', retentionDays: 7 });
    // The merged result parses with the schema.
    expect(securityConfigSchema().safeParse(values).success).toBe(true);
  });
  it('returns nothing for an empty environment', () => {
    expect(securityEnvOverrides({})).toEqual({ values: {}, issues: [] });
    expect(securityEnvOverrides({ MCP_DOCKER_AUDIT: '  ' })).toEqual({ values: {}, issues: [] });
  });
  it('reports every bad variable at once, naming variable, value and fix, never echoing tokens', () => {
    const secret = 'sup3rsecretvalue-not-to-echo';
    const { issues } = securityEnvOverrides({
      MCP_GATEWAY_AUTH_TOKEN: 'short',
      MCP_GATEWAY_AUTH_TOKENS: `${secret},ok=${'x'.repeat(20)},ok=${'y'.repeat(20)}`,
      MCP_GATEWAY_ALLOW_UNAUTHENTICATED: 'maybe',
      MCP_GATEWAY_ACCESS_AUD: 'aud',
      MCP_DOCKER_COMMAND_POLICY_MODE: 'strict',
      MCP_DOCKER_DENIED_PATHS: 'proc',
      MCP_DOCKER_DENIED_FLAGS: 'exec',
      MCP_DOCKER_RATE_LIMITS: 'docker_ps:5',
      MCP_DOCKER_EXEC_PER_MINUTE: '-1',
      MCP_DOCKER_MAX_CONCURRENT: 'ten',
      MCP_DOCKER_AUDIT_RETENTION_DAYS: '0',
      MCP_GATEWAY_PUBLIC_HOSTNAME: 'https://mcp.example.com/',
    });
    const text = issues.join('\n');
    expect(issues).toHaveLength(13);
    for (const v of ['MCP_GATEWAY_AUTH_TOKEN:', 'MCP_GATEWAY_AUTH_TOKENS:', 'MCP_GATEWAY_ALLOW_UNAUTHENTICATED: got "maybe"', 'MCP_GATEWAY_ACCESS_TEAM_DOMAIN',
      'MCP_DOCKER_COMMAND_POLICY_MODE: got "strict"', 'MCP_DOCKER_DENIED_PATHS', 'MCP_DOCKER_DENIED_FLAGS', 'MCP_DOCKER_RATE_LIMITS: entry "docker_ps:5"',
      'MCP_DOCKER_EXEC_PER_MINUTE: got "-1"', 'MCP_DOCKER_MAX_CONCURRENT: got "ten"', 'MCP_DOCKER_AUDIT_RETENTION_DAYS: got "0"', 'MCP_GATEWAY_PUBLIC_HOSTNAME']) {
      expect(text).toContain(v);
    }
    expect(text).toContain('appears twice');
    expect(text).not.toContain(secret);
    expect(text).not.toContain('short"');
  });
  it('strips a scheme from the team domain and splits several AUD tags', () => {
    const { values } = securityEnvOverrides({ MCP_GATEWAY_ACCESS_TEAM_DOMAIN: 'https://t.cloudflareaccess.com/', MCP_GATEWAY_ACCESS_AUD: 'a,b' });
    expect(values.auth?.access).toEqual({ teamDomain: 't.cloudflareaccess.com', aud: ['a', 'b'] });
  });
});
