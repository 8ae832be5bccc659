/**
 * Container scope: which containers a role may target, and which may never be touched in a harmful way.
 *
 * Protected containers are the gateway itself and the cloudflared connector (labelled
 * `mcp.gateway.role=gateway|connector`, or whose id is the gateway's own): exec into them reads the tunnel token
 * or the gateway's credentials, stopping them cuts everyone off. They can never be exec'd, stopped, restarted or
 * inspected with secrets, whatever the role says.
 */
import type { ContainerFacts } from '../contracts.js';
import { globMatcher } from './glob.js';
import type { ScopeConfig } from './security-config.js';

/** Label that marks the gateway's own containers. */
export const ROLE_LABEL = 'mcp.gateway.role';
/** Values of {@link ROLE_LABEL} that make a container protected. */
export const PROTECTED_ROLES: readonly string[] = ['gateway', 'connector'];

/** True when the container is the gateway, the connector, or has the gateway's own id (full or short). */
export function isProtectedContainer(facts: Pick<ContainerFacts, 'id' | 'labels'>, gatewayContainerId?: string): boolean {
  const role = facts.labels?.[ROLE_LABEL];
  if (role !== undefined && PROTECTED_ROLES.includes(role.trim().toLowerCase())) return true;
  if (gatewayContainerId && facts.id) {
    const a = facts.id.toLowerCase();
    const b = gatewayContainerId.toLowerCase();
    // The gateway may know itself only by the 12-character short id (its hostname).
    if (a === b || (b.length >= 12 && a.startsWith(b)) || (a.length >= 12 && b.startsWith(a))) return true;
  }
  return false;
}

/** Evaluates one label selector: `key=value`, `key!=value`, `key` (present) or `!key` (absent). */
export function matchLabelSelector(selector: string, labels: Readonly<Record<string, string>>): boolean {
  const s = selector.trim();
  const has = (k: string) => Object.prototype.hasOwnProperty.call(labels, k);
  const ne = s.indexOf('!=');
  if (ne > 0) {
    const k = s.slice(0, ne).trim();
    return !has(k) || labels[k] !== s.slice(ne + 2).trim();
  }
  const eq = s.indexOf('=');
  if (eq > 0) {
    const k = s.slice(0, eq).trim();
    return has(k) && labels[k] === s.slice(eq + 1).trim();
  }
  if (s.startsWith('!')) return !has(s.slice(1).trim());
  return has(s);
}

/** Compiles a scope; the result tells whether a container is inside it. Empty scope (`{}`) matches nothing. */
export function compileScope(scope: ScopeConfig): (facts: ContainerFacts) => boolean {
  const names = scope.names ? globMatcher(scope.names) : undefined;
  const labels = scope.labels;
  if (!names && !labels) return () => false;
  return (facts) => {
    const name = facts.name.replace(/^\//, '');
    if (names && !names(name)) return false;
    if (labels && !labels.every((sel) => matchLabelSelector(sel, facts.labels ?? {}))) return false;
    return true;
  };
}
