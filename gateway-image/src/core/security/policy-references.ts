/**
 * Checks that the policy refers to things that exist: a role tool pattern that matches no tool, or a binding naming a
 * bearer token that is not configured, can never take effect, and is almost always a typo that leaves a user denied
 * with no clue why. Pure: the caller says which tools and servers exist.
 */
import { compileGlob } from './glob.js';
import type { SecurityConfig } from './security-config.js';

/** What exists besides the policy. */
export interface PolicyReferenceFacts {
  /** Built-in tool names (all of them, lifecycle included). */
  readonly builtinTools: readonly string[];
  /** Lifecycle tool names, offered only when enabled. */
  readonly lifecycleTools: readonly string[];
  readonly lifecycleEnabled: boolean;
  /** Configured upstream server names and the separator of their tool names. */
  readonly upstreamServers: readonly string[];
  readonly separator: string;
  /**
   * Servers configured with `prefix: false`: their tools keep the upstream's own names, known only once the server
   * lists them, so a pattern that matches no other tool may still match one of theirs. @default - none
   */
  readonly unprefixedServers?: readonly string[];
}

/** Problems that stop the gateway (errors) and ones it only logs (warnings). */
export interface PolicyReferenceReport {
  readonly errors: string[];
  readonly warnings: string[];
}

/** Checks role tool patterns and binding token names. */
export function checkPolicyReferences(security: SecurityConfig, facts: PolicyReferenceFacts): PolicyReferenceReport {
  const errors: string[] = [];
  const warnings: string[] = [];
  for (const [role, def] of Object.entries(security.policy.roles)) {
    def.tools.forEach((pattern, i) => {
      const where = `policy.roles.${role}.tools[${i}]`;
      const match = compileGlob(pattern);
      const builtins = facts.builtinTools.filter(match);
      const sep = pattern.indexOf(facts.separator);
      const upstream = sep > 0
        ? facts.upstreamServers.some((s) => compileGlob(pattern.slice(0, sep))(s))
        : pattern.includes('*') && facts.upstreamServers.some((s) => match(`${s}${facts.separator}x`));
      // Tools of un-prefixed servers are named by the servers at run time: such a pattern cannot be judged here.
      if (builtins.length === 0 && !upstream && !facts.unprefixedServers?.length) {
        const near = nearest(pattern, facts.builtinTools);
        const serverHint = sep > 0 ? ` (no upstream server "${pattern.slice(0, sep)}" is configured under mcpServers)` : '';
        errors.push(`${where}: "${pattern}" matches no tool${serverHint}${near ? `; did you mean "${near}"?` : ''} (built-in tools: ${facts.builtinTools.join(', ')}; upstream tools are <server>${facts.separator}<tool>)`);
        return;
      }
      if (!facts.lifecycleEnabled && !upstream && builtins.length > 0 && builtins.every((t) => facts.lifecycleTools.includes(t))) {
        warnings.push(`${where}: "${pattern}" names only lifecycle tools, which are switched off; set MCP_DOCKER_ENABLE_LIFECYCLE=true (or tools.enableLifecycle) to offer them`);
      }
    });
  }
  const tokenNames = new Set(security.auth.tokens.map((t) => t.name));
  security.policy.bindings.forEach((b, i) => {
    (b.tokens ?? []).forEach((name, j) => {
      if (tokenNames.has(name)) return;
      const known = [...tokenNames];
      errors.push(`policy.bindings[${i}].tokens[${j}]: "${name}" names no bearer token (configured: ${known.length ? known.join(', ') : 'none'}); ` +
        'name it in MCP_GATEWAY_AUTH_TOKENS (name=token) or auth.tokens, or fix the spelling');
    });
  });
  return { errors, warnings };
}

function nearest(value: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = distance(value, k);
    if (d < bestD) { bestD = d; best = k; }
  }
  return bestD <= 3 ? best : undefined;
}

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i += 1) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j += 1) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}
