/**
 * Principal -> roles, and what a role allows. A principal matching no binding gets the default role
 * (`reader` unless configured). Roles are resolved per call from the frozen config; no state.
 */
import type { Principal } from '../contracts.js';
import { globMatcher } from './glob.js';
import { DEFAULT_READER_TOOLS, type RoleConfig, type SecurityConfig } from './security-config.js';

/** A role ready for matching. */
export interface ResolvedRole {
  readonly name: string;
  readonly config: RoleConfig;
  allowsTool(tool: string): boolean;
}

/** Resolves principals to roles. */
export interface RoleResolver {
  /** Roles granted to the principal (possibly none). */
  rolesFor(principal: Principal): ResolvedRole[];
  /** Roles of the principal that allow the tool. */
  rolesAllowing(principal: Principal, tool: string): ResolvedRole[];
}

/** The built-in read-only role: ps, inspect (secrets hidden), logs, images, health on all containers. */
export const BUILTIN_READER: RoleConfig = Object.freeze({
  tools: [...DEFAULT_READER_TOOLS],
  containers: { names: ['*'] },
  allowSecrets: false,
});

/** Builds the resolver from the policy section. */
export function createRoleResolver(policy: SecurityConfig['policy']): RoleResolver {
  const roles = new Map<string, ResolvedRole>();
  const defs: Record<string, RoleConfig> = { reader: BUILTIN_READER, ...policy.roles };
  for (const [name, config] of Object.entries(defs)) {
    const m = globMatcher(config.tools);
    roles.set(name, { name, config, allowsTool: m });
  }
  const bindings = policy.bindings.map((b) => ({
    emails: new Set((b.emails ?? []).map((e) => e.toLowerCase())),
    domains: new Set((b.emailDomains ?? []).map((d) => d.toLowerCase().replace(/^@/, ''))),
    serviceTokens: new Set(b.serviceTokens ?? []),
    tokens: new Set(b.tokens ?? []),
    principals: new Set(b.principals ?? []),
    roles: b.roles,
  }));

  function rolesFor(p: Principal): ResolvedRole[] {
    const email = p.email?.toLowerCase();
    // The domain is what follows the last @, compared whole: example.com never matches evil-example.com or a.example.com.
    const domain = email && email.includes('@') ? email.slice(email.lastIndexOf('@') + 1) : undefined;
    const names = new Set<string>();
    for (const b of bindings) {
      const hit =
        // Plain ids bind only local principals, so a token named "stdio" cannot inherit the stdio role.
        ((p.authMethod === 'stdio' || p.authMethod === 'none') && b.principals.has(p.id)) ||
        (p.authMethod === 'bearer' && b.tokens.has(p.id)) ||
        (p.authMethod === 'cf-access-jwt' && email !== undefined && b.emails.has(email)) ||
        (p.authMethod === 'cf-access-jwt' && domain !== undefined && b.domains.has(domain)) ||
        (p.authMethod === 'cf-access-jwt' && p.serviceToken !== undefined && b.serviceTokens.has(p.serviceToken));
      if (hit) b.roles.forEach((r) => names.add(r));
    }
    if (names.size === 0 && policy.defaultRole !== null) names.add(policy.defaultRole);
    return [...names].map((n) => roles.get(n)).filter((r): r is ResolvedRole => r !== undefined);
  }

  return {
    rolesFor,
    rolesAllowing: (p, tool) => rolesFor(p).filter((r) => r.allowsTool(tool)),
  };
}
