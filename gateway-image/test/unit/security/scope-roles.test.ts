import { describe, expect, it } from 'vitest';
import type { Principal } from '../../../src/core/contracts.js';
import { createRoleResolver } from '../../../src/core/security/roles.js';
import { compileScope, isProtectedContainer, matchLabelSelector } from '../../../src/core/security/scope.js';
import { parseSecurityConfig } from '../../../src/core/security/security-config.js';

const c = (name: string, labels: Record<string, string> = {}, id = 'a'.repeat(64)) => ({ id, name, labels });

describe('isProtectedContainer', () => {
  const gw = `abcdef123456${'0'.repeat(52)}`;
  it('protects gateway and connector labels (case/space-insensitive values)', () => {
    expect(isProtectedContainer(c('x', { 'mcp.gateway.role': 'gateway' }))).toBe(true);
    expect(isProtectedContainer(c('x', { 'mcp.gateway.role': 'connector' }))).toBe(true);
    expect(isProtectedContainer(c('x', { 'mcp.gateway.role': ' Connector ' }))).toBe(true);
  });
  it('protects the gateway by full or short id', () => {
    expect(isProtectedContainer(c('x', {}, gw), gw)).toBe(true);
    expect(isProtectedContainer(c('x', {}, gw), 'abcdef123456')).toBe(true);
    expect(isProtectedContainer(c('x', {}, 'abcdef123456'), gw)).toBe(true);
  });
  it('does not protect other containers', () => {
    expect(isProtectedContainer(c('x', { 'mcp.gateway.role': 'upstream' }), gw)).toBe(false);
    expect(isProtectedContainer(c('x', {}, 'abc'), 'abcdef123456')).toBe(false);
    expect(isProtectedContainer(c('x', {}, 'abcdef1234567'), 'abcdef')).toBe(false); // too short to match as a prefix
    expect(isProtectedContainer(c('gateway'), undefined)).toBe(false);
  });
});

describe('label selectors and scope', () => {
  const labels = { 'mcp.expose': 'true', tier: 'web' };
  it('selectors', () => {
    expect(matchLabelSelector('mcp.expose=true', labels)).toBe(true);
    expect(matchLabelSelector('mcp.expose=false', labels)).toBe(false);
    expect(matchLabelSelector('tier', labels)).toBe(true);
    expect(matchLabelSelector('!tier', labels)).toBe(false);
    expect(matchLabelSelector('!other', labels)).toBe(true);
    expect(matchLabelSelector('tier!=db', labels)).toBe(true);
    expect(matchLabelSelector('tier!=web', labels)).toBe(false);
    expect(matchLabelSelector('missing=x', labels)).toBe(false);
    expect(matchLabelSelector('constructor', {})).toBe(false);
  });
  it('names, labels, both, and empty', () => {
    expect(compileScope({ names: ['web-*'] })(c('/web-1'))).toBe(true);
    expect(compileScope({ names: ['web-*'] })(c('db-1'))).toBe(false);
    expect(compileScope({ labels: ['mcp.expose=true'] })(c('db', labels))).toBe(true);
    expect(compileScope({ labels: ['mcp.expose=true'] })(c('db'))).toBe(false);
    expect(compileScope({ names: ['web-*'], labels: ['mcp.expose=true'] })(c('web-1'))).toBe(false);
    expect(compileScope({ names: ['web-*'], labels: ['mcp.expose=true'] })(c('web-1', labels))).toBe(true);
    expect(compileScope({})(c('anything'))).toBe(false);
    expect(compileScope({ names: ['web.?'] })(c('webx1'))).toBe(false); // dots are literal
  });
});

describe('roles', () => {
  const policy = parseSecurityConfig({
    policy: {
      roles: {
        ops: { tools: ['docker_*', 'health'], containers: { labels: ['mcp.expose=true'] } },
        fs: { tools: ['filesystem__*'] },
        admin: { tools: ['*'], allowSecrets: true },
      },
      bindings: [
        { emails: ['Alice@Example.com'], roles: ['admin'] },
        { emailDomains: ['example.com'], roles: ['ops'] },
        { serviceTokens: ['svc.access'], roles: ['fs', 'reader'] },
        { tokens: ['ci'], roles: ['ops'] },
        { principals: ['stdio'], roles: ['admin'] },
      ],
    },
  }).policy;
  const r = createRoleResolver(policy);
  const names = (p: Principal) => r.rolesFor(p).map((x) => x.name).sort();
  it('maps emails, domains, service tokens, token names and principal ids', () => {
    expect(names({ id: 'alice@example.com', authMethod: 'cf-access-jwt', email: 'alice@example.com' })).toEqual(['admin', 'ops']);
    expect(names({ id: 'bob@example.com', authMethod: 'cf-access-jwt', email: 'bob@example.com' })).toEqual(['ops']);
    expect(names({ id: 'svc.access', authMethod: 'cf-access-jwt', serviceToken: 'svc.access' })).toEqual(['fs', 'reader']);
    expect(names({ id: 'ci', authMethod: 'bearer' })).toEqual(['ops']);
    expect(names({ id: 'stdio', authMethod: 'stdio' })).toEqual(['admin']);
  });
  it('does not match look-alike domains, subdomains, or a token name claimed through another method', () => {
    expect(names({ id: 'eve@evil-example.com', authMethod: 'cf-access-jwt', email: 'eve@evil-example.com' })).toEqual(['reader']);
    expect(names({ id: 'eve@a.example.com', authMethod: 'cf-access-jwt', email: 'eve@a.example.com' })).toEqual(['reader']);
    expect(names({ id: 'ci', authMethod: 'cf-access-jwt', serviceToken: 'ci' })).toEqual(['reader']);
    expect(names({ id: 'x@example.com', authMethod: 'bearer' })).toEqual(['reader']);
    expect(names({ id: 'stdio', authMethod: 'bearer' })).toEqual(['reader']);
  });
  it('default reader allows read-only tools only', () => {
    const p: Principal = { id: 'nobody', authMethod: 'bearer' };
    for (const t of ['docker_ps', 'docker_container_list', 'docker_inspect', 'docker_logs', 'docker_images', 'health']) expect(r.rolesAllowing(p, t)).toHaveLength(1);
    for (const t of ['docker_exec', 'docker_stop', 'docker_restart', 'docker_start', 'filesystem__read_file']) expect(r.rolesAllowing(p, t)).toHaveLength(0);
  });
  it('upstream tool patterns', () => {
    const svc: Principal = { id: 'svc.access', authMethod: 'cf-access-jwt', serviceToken: 'svc.access' };
    expect(r.rolesAllowing(svc, 'filesystem__read_file').map((x) => x.name)).toEqual(['fs']);
    expect(r.rolesAllowing(svc, 'github__create_issue')).toHaveLength(0);
  });
  it('defaultRole null denies unmatched principals everything', () => {
    const none = createRoleResolver(parseSecurityConfig({ policy: { defaultRole: null } }).policy);
    expect(none.rolesFor({ id: 'x', authMethod: 'bearer' })).toEqual([]);
  });
});
