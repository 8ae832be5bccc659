/**
 * The Authorizer of the tool pipeline: role allows the tool -> target container exists, is in the role's scope
 * and is not protected -> for docker_exec, the exec policy on the call's argv, user, env and workdir.
 * Any error inside (a lookup failure, a bug) denies: fail closed.
 */
import type { Authorizer, CallRequest, ContainerFacts, Decision, Principal } from '../contracts.js';
import { createExecPolicy } from './exec-policy.js';
import { createRoleResolver } from './roles.js';
import { compileScope, isProtectedContainer } from './scope.js';
import type { SecurityConfig } from './security-config.js';

/** Dependencies of {@link createAuthorizer}. */
export interface AuthorizerDeps {
  /** Finds a container by id or name; null when it does not exist. */
  lookupContainer(idOrName: string, signal: AbortSignal): Promise<ContainerFacts | null>;
  /** The gateway's own container id (full or 12-character short id), when it runs in a container. */
  readonly gatewayContainerId?: string;
}

/** Tools that target a container through `args.id` even when the tool definition has no `target()`. */
const CONTAINER_TOOLS = new Set(['docker_exec', 'docker_logs', 'docker_inspect', 'docker_start', 'docker_stop', 'docker_restart']);
/** Tools that are harmful on a protected container whatever their `mutating` flag says. */
const NEVER_ON_PROTECTED = new Set(['docker_exec', 'docker_start', 'docker_stop', 'docker_restart']);

const deny = (ruleId: string, reason: string): Decision => ({ allow: false, ruleId, reason });

/** The binding field that matches a principal of this kind, and the value to put in it. */
function bindingFor(p: Principal): string {
  if (p.authMethod === 'bearer') return `{ "tokens": ["${p.id}"], "roles": ["<role>"] }`;
  if (p.authMethod === 'cf-access-jwt' && p.serviceToken !== undefined) return `{ "serviceTokens": ["${p.serviceToken}"], "roles": ["<role>"] }`;
  if (p.authMethod === 'cf-access-jwt' && p.email !== undefined) return `{ "emails": ["${p.email}"], "roles": ["<role>"] }`;
  return `{ "principals": ["${p.id}"], "roles": ["<role>"] }`;
}

/** Which setting would grant the call: the role's tool list, or a binding to a role that has the tool. */
export function grantHint(p: Principal, tool: string, roles: readonly string[]): string {
  const own = roles.length > 0 ? `add "${tool}" to policy.roles.${roles.length === 1 ? roles[0] : `<one of ${roles.join(', ')}>`}.tools, or ` : '';
  return `to grant it, ${own}bind ${p.id} to a role whose tools include it in policy.bindings: ${bindingFor(p)} ` +
    '(config file, MCP_GATEWAY_CONFIG_JSON, or the stack\'s gateway_settings)';
}

/** The container a call targets, or undefined for tools without one (docker_inspect of an image, say). */
export function targetOf(req: Pick<CallRequest, 'tool' | 'args'>): string | undefined {
  const { tool, args } = req;
  if (tool.name === 'docker_inspect' && args.kind !== undefined && args.kind !== 'container') return undefined;
  const t = tool.target?.(args);
  if (t !== undefined) return t;
  if (CONTAINER_TOOLS.has(tool.name) && typeof args.id === 'string') return args.id;
  return undefined;
}

/** Builds the authorizer from the frozen config. */
export function createAuthorizer(config: SecurityConfig, deps: AuthorizerDeps): Authorizer {
  const roles = createRoleResolver(config.policy);
  const exec = createExecPolicy(config.exec);
  const scopes = new Map<string, ReturnType<typeof compileScope>>();
  const scopeOf = (name: string, containers: SecurityConfig['policy']['roles'][string]['containers']) => {
    let s = scopes.get(name);
    if (!s) scopes.set(name, (s = compileScope(containers)));
    return s;
  };

  async function decide(req: CallRequest): Promise<Decision> {
    const tool = req.tool.name;
    const principal = req.ctx.principal;
    const granted = roles.rolesAllowing(principal, tool);
    if (granted.length === 0) {
      const all = roles.rolesFor(principal).map((r) => r.name);
      return deny('policy.tool-not-allowed', `${principal.id} (roles: ${all.join(', ') || 'none'}) may not call ${tool}; ${grantHint(principal, tool, all)}`);
    }
    const target = targetOf(req);
    if (target === undefined) {
      if (tool === 'docker_exec') return deny('scope.no-target', 'docker_exec needs a container id');
      return { allow: true, ruleId: 'policy.allowed', reason: `allowed by role ${granted[0].name}` };
    }
    const facts = await deps.lookupContainer(target, req.ctx.signal);
    if (!facts) return deny('scope.unknown-container', `container "${target}" not found`);
    const isProtected = isProtectedContainer(facts, deps.gatewayContainerId);
    if (isProtected && (req.tool.mutating || NEVER_ON_PROTECTED.has(tool))) {
      return deny('scope.protected-container', `${tool} on ${facts.name.replace(/^\//, '')} is not allowed: it is the gateway or its tunnel connector`);
    }
    const inScope = granted.filter((r) => scopeOf(r.name, r.config.containers)(facts));
    if (inScope.length === 0) {
      return deny('scope.out-of-scope', `container ${facts.name.replace(/^\//, '')} is outside the scope of ${principal.id}'s roles for ${tool} ` +
        `(${granted.map((r) => r.name).join(', ')}); widen it in policy.roles.<role>.containers (names globs or label selectors)`);
    }
    if (tool === 'docker_exec') {
      const a = req.args;
      const d = exec.check({ cmd: a.cmd, user: a.user, env: a.env, workdir: a.workdir, containerUser: facts.user });
      if (!d.allow) return d;
      return { allow: true, ruleId: d.ruleId, reason: `${d.reason}; role ${inScope[0].name}` };
    }
    return { allow: true, ruleId: 'policy.allowed', reason: `allowed by role ${inScope[0].name}` };
  }

  return {
    async authorize(req) {
      try {
        return await decide(req);
      } catch (err) {
        if (req.ctx.signal.aborted) return deny('policy.aborted', 'the call was cancelled during authorization');
        return deny('policy.error', `authorization failed, denied: ${err instanceof Error ? err.message : String(err)}`.slice(0, 300));
      }
    },
  };
}
