/**
 * One factory for the security core, so the gateway wires one object:
 * the HTTP edge uses checkOriginHost (before reading the body), corsHeaders and authenticate;
 * the tool pipeline uses authorizer, limiter, audit and redactor; shutdown awaits close() (flushes the audit log).
 */
import type { Authorizer, AuditSink, CallLimiter, ContainerFacts, Principal, Redactor } from '../contracts.js';
import type { AccessVerifier } from './access-jwt.js';
import { randomUUID } from 'node:crypto';
import { acquireAuditLock } from './audit-lock.js';
import { createAuditLog, createDisabledAuditLog, type AuditLog } from './audit-log.js';
import { createAuthenticate, type Authenticate, type RequestHeaders } from './authenticate.js';
import { createAuthorizer } from './authorizer.js';
import { createCallLimiter } from './call-limiter.js';
import { createExecPolicy, effectiveExecUser, type ExecPolicy } from './exec-policy.js';
import { createOriginHostPolicy, type OriginHostResult } from './origin-host.js';
import { createRedactor } from './redactor.js';
import { createRoleResolver } from './roles.js';
import type { SecurityConfig } from './security-config.js';

/** Dependencies of {@link createSecurity}. */
export interface SecurityDeps {
  /** Finds a container by id or name for scope decisions; null when it does not exist. */
  lookupContainer(idOrName: string, signal: AbortSignal): Promise<ContainerFacts | null>;
  /** The gateway's own container id, when running in a container. */
  readonly gatewayContainerId?: string;
  /** @default Date.now */
  readonly now?: () => number;
  /** HTTP client for Access keys. @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** Audit write/retention failures (wire to the audit-failures counter and logs). */
  readonly onAuditError?: (err: unknown) => void;
  /** Access key fetch failures. */
  readonly onJwksError?: (err: unknown) => void;
  /** This gateway's instance id, written into the audit directory's lock file. @default a random UUID */
  readonly instanceId?: string;
}

/** The wired security core. */
export interface Security {
  readonly authenticate: Authenticate;
  readonly checkOriginHost: (headers: RequestHeaders) => OriginHostResult;
  readonly corsHeaders: (headers: RequestHeaders) => Record<string, string>;
  readonly authorizer: Authorizer;
  readonly limiter: CallLimiter & { inFlight(principal?: string): number };
  /** The audit sink; `open()` (when enabled) lets startup fail fast on an unwritable directory. */
  readonly audit: AuditSink & Partial<Pick<AuditLog, 'open' | 'currentFile' | 'tail'>>;
  readonly redactor: Redactor;
  /** The compiled exec policy. */
  readonly execPolicy: ExecPolicy;
  /** Whether the principal's roles allow the tool at all (containers aside): what tools/list shows the principal. */
  mayCall(principal: Principal, tool: string): boolean;
  /**
   * The user docker_exec must run as: the call's user, else MCP_DOCKER_DEFAULT_USER, else the container's
   * (`''` = the image default). The exec tool must pass this to Docker (`|| undefined`), so the user the policy
   * approved is the user that runs.
   */
  execUser(user: unknown, containerUser?: string): string;
  /** The Access verifier, when configured (fetch count for metrics). */
  readonly access?: AccessVerifier;
  /** Flushes and closes the audit log. */
  close(): Promise<void>;
}

/** Builds the security core from the frozen config. No I/O happens until first use. */
export function createSecurity(config: SecurityConfig, deps: SecurityDeps): Security {
  const { authenticate, access } = createAuthenticate(config, { now: deps.now, fetch: deps.fetch, onJwksError: deps.onJwksError });
  const originHost = createOriginHostPolicy(config);
  const audit = config.audit.enabled
    ? createAuditLog({
        file: config.audit.file,
        retentionDays: config.audit.retentionDays,
        fsync: config.audit.fsync,
        syncDelayMs: config.audit.syncDelayMs,
        now: deps.now,
        onError: deps.onAuditError,
        lock: (dir) => acquireAuditLock({ dir, instance: deps.instanceId ?? randomUUID(), now: deps.now }),
      })
    : createDisabledAuditLog();
  const roles = createRoleResolver(config.policy);
  return {
    authenticate,
    access,
    checkOriginHost: originHost.check,
    corsHeaders: originHost.corsHeaders,
    authorizer: createAuthorizer(config, { lookupContainer: deps.lookupContainer, gatewayContainerId: deps.gatewayContainerId }),
    limiter: createCallLimiter(config.limits, deps.now),
    audit,
    redactor: createRedactor(config, { gatewayContainerId: deps.gatewayContainerId }),
    execPolicy: createExecPolicy(config.exec),
    mayCall: (principal, tool) => roles.rolesAllowing(principal, tool).length > 0,
    execUser: (user, containerUser) => effectiveExecUser(user, config.exec, containerUser),
    close: () => audit.close(),
  };
}
