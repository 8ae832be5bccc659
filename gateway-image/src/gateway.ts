/**
 * createGateway wires the core (Docker client, tools, security, pipeline, metrics, upstreams) to the
 * transports. It returns an object with start() and close(); nothing runs at import time and nothing is
 * global, so tests can run several gateways in one process.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import type Dockerode from 'dockerode';
import { Gauge } from 'prom-client';
import type { Logger } from 'pino';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { Principal, ToolDefinition } from './core/contracts.js';
import type { SharedSchemaValidator } from './core/shared-schema-validator.js';
import { createEngineClient } from './core/docker/engine-client.js';
import { describeEndpoint, dockerOptionsFor } from './core/docker/docker-host.js';
import { EngineUnreachableError, type DockerClient } from './core/docker/docker-client.js';
import { createMetrics, type GatewayMetrics } from './core/metrics.js';
import { createPipeline, type ToolPipeline } from './core/pipeline.js';
import { assertAuthConfigured } from './core/security/authenticate.js';
import { checkBindVolume, checkContainerSpec } from './core/security/container-policy.js';
import { createSecurity, type Security } from './core/security/create-security.js';
import { ConfigError } from './errors.js';
import { createToolCatalog, type ToolCatalog } from './core/tool-catalog.js';
import { createToolSource, type ToolSource } from './core/tool-source.js';
import type { Upstreams } from './core/upstreams/index.js';
import type { SecretSource } from './core/upstreams/secret-refs.js';
import { builtinTools } from './core/tools/builtin-tools.js';
import { switchedOffToolMessage } from './core/tools/tool-names.js';
import { configWarnings, type GatewayConfig } from './load-config.js';
import { createHttpServer, type EdgeRefusal, type Readiness } from './transports/http-app.js';
import { createOpsServer } from './transports/ops-app.js';
import { createRpcAdapter } from './transports/rpc.js';
import { createSessionRegistry } from './transports/session-registry.js';
import type { createSseAdapter } from './transports/sse.js';
import type { createStreamableHttpAdapter } from './transports/streamable-http.js';
import type { createModernHttpAdapter } from './transports/modern-http.js';
import { createMcpEndpoint } from './transports/mcp-endpoint.js';

/**
 * Edge refusals (bad Host/Origin, failed authentication, malformed/oversize/batched bodies, bad headers) audited per
 * minute at most; the rest are counted.
 */
const EDGE_AUDIT_PER_MINUTE = 120;

/**
 * How long close() waits for the calls it aborted to end (an exec's kill is a second exec, ~50 ms; a cancelled
 * upstream call ends with its instance). Inside main.ts's own 15 s bound for the whole close.
 */
const CLOSE_DRAIN_MS = 10_000;

/**
 * How long close() lets the answers it ended (results, the ends of SSE streams) reach slow clients before it cuts
 * their connections: what the clients' sockets still buffer would otherwise be lost.
 */
const CLOSE_FLUSH_MS = 2_000;

/** Version reported by initialize and `health`. */
export const GATEWAY_VERSION = '0.1.0';

/** Things the gateway needs from outside, injectable for tests. */
export interface GatewayDeps {
  readonly logger: Logger;
  /** Defaults to the Engine API client for config.docker. */
  readonly docker?: DockerClient;
  /** For Cloudflare Access key fetches; defaults to global fetch. */
  readonly fetch?: typeof fetch;
  /** This gateway's own container id, when it runs in one (protected from exec/stop). */
  readonly selfContainerId?: string;
  /** What command upstream servers inherit (PATH, HOME, CA bundle, proxies); their environment is otherwise clean. */
  readonly commandEnv?: Readonly<Record<string, string | undefined>>;
  /** Where `{{secret:NAME}}` references in mcpServers resolve (main: MCP_GATEWAY_SECRET_<NAME> / MCP_GATEWAY_SECRETS_DIR). @default - none */
  readonly secrets?: SecretSource;
  /** Labels added to upstream containers (tests add their own label). */
  readonly upstreamContainerLabels?: Readonly<Record<string, string>>;
}

/** A running (or ready to run) gateway. */
export interface Gateway {
  /** Listens on config.server.host:port; resolves with the bound address. */
  start(): Promise<AddressInfo>;
  /** Stops accepting, closes sessions, flushes the audit log, removes what it started. Bounded. */
  close(): Promise<void>;
  /** Everything the stdio transport needs to serve one local client (loads the session side, see below). */
  stdioServer(principal: Principal): Promise<Server>;
  readonly metrics: GatewayMetrics;
  readonly pipeline: ToolPipeline;
  readonly catalog: ToolCatalog;
  readonly tools: ToolSource;
  /** Present when mcpServers are configured, once start() has created them. */
  readonly upstreams?: Upstreams;
  readiness(): Promise<Readiness>;
}

/** What serves MCP sessions: the SDK's Server per session and the Streamable HTTP and SSE adapters. */
interface SessionSide {
  newServer(fallbackPrincipal?: Principal): Server;
  readonly streamable: ReturnType<typeof createStreamableHttpAdapter>;
  readonly sse: ReturnType<typeof createSseAdapter>;
}

/**
 * Builds a gateway from a validated config.
 *
 * Two parts are loaded when first needed instead of at start, because an idle gateway (and one driven only through
 * /rpc) never uses them and they hold most of its memory beyond Node itself: the MCP session side (the SDK's server
 * and protocol schemas, ~11 MiB resident with the upstream client) on the first /mcp or /sse request or the stdio
 * server, which waits for the load once (~50 ms); and the upstream servers' module, imported by start() only when
 * mcpServers are configured.
 */
export function createGateway(config: GatewayConfig, deps: GatewayDeps): Gateway {
  const { logger } = deps;
  const metrics = createMetrics();
  const startedAt = Date.now();
  const instanceId = randomUUID();
  const circuitStates = ['closed', 'open', 'half-open'] as const;
  const showCircuit = (state: string) => { for (const st of circuitStates) metrics.dockerCircuitState.set({ state: st }, st === state ? 1 : 0); };
  showCircuit('closed');
  const docker = deps.docker ?? createEngineClient({
    ...config.docker,
    circuit: { failures: config.docker.circuitFailures, openMs: config.docker.circuitOpenMs },
    observe: (operation, seconds) => metrics.dockerLatency.observe({ operation }, seconds),
    events: {
      deadline: (operation) => metrics.dockerDeadlines.inc({ operation }),
      rejected: (operation) => metrics.dockerCircuitRejections.inc({ operation }),
      circuit: (state) => {
        showCircuit(state);
        logger.warn({ endpoint: config.docker.host, state }, 'Docker engine circuit changed state');
      },
    },
  });
  const security: Security = createSecurity(config.security, {
    fetch: deps.fetch,
    lookupContainer: (idOrName: string, signal: AbortSignal) => docker.findContainer(idOrName, signal),
    gatewayContainerId: deps.selfContainerId,
    instanceId,
    onAuditError: (err) => logger.error({ err: (err as Error)?.message }, 'audit log write failed'),
    onJwksError: (err) => logger.warn({ err: (err as Error)?.message }, 'could not fetch Cloudflare Access keys'),
  });
  const tools: ToolDefinition[] = builtinTools({
    docker, limits: config.tools, version: GATEWAY_VERSION, startedAt, defaultExecUser: config.security.exec.defaultUser,
    onBytes: (tool, n) => metrics.streamedBytes.inc({ tool }, n),
  });
  const catalog = createToolCatalog(tools);
  const upstreamsConfigured = Object.keys(config.upstreams.mcpServers).length > 0;
  let upstreams: Upstreams | undefined;
  const createUpstreamsNow = async (): Promise<Upstreams> => (await import('./core/upstreams/index.js')).createUpstreams(config.upstreams, {
    docker: loadDockerode(config.docker),
    // Upstream containers are managed with the same Engine API deadline as the tools' requests.
    engineDeadline: { endpoint: describeEndpoint(config.docker.host), timeoutMs: config.docker.timeoutMs },
    logger: logger.child({ component: 'upstreams' }),
    instanceId,
    // Replicas of one deployment share ownerId; the hostname (container id, pod name) tells their containers apart.
    replicaId: hostname(),
    reservedToolNames: tools.map((t) => t.name),
    extraContainerLabels: deps.upstreamContainerLabels,
    commandEnv: deps.commandEnv,
    secrets: deps.secrets,
    // Binds of image servers follow the container policy (no Docker socket, only allowlisted host paths).
    checkVolume: (_server, volume) => checkBindVolume(volume, config.security),
    // Defence in depth: the launcher's spec is fixed and hardened, but every create body still passes the policy.
    checkContainerSpec: (spec) => checkContainerSpec(spec, config.security),
    stateKey: config.stateKey,
    onRequestStateRefused: (e) => {
      // Nothing reached the upstream; the record says who tried what and why it was refused.
      void security.audit.append({
        time: new Date().toISOString(), traceId: e.traceId, principal: e.principal, authMethod: e.authMethod, sessionId: e.sessionId,
        tool: `${e.server}/${e.tool}`, phase: 'decision', decision: 'deny', ruleId: `request-state.${e.reason}`,
        reason: 'a 2026-07-28 retry carried a requestState that failed verification; the upstream was not called',
      }, { durable: false }).catch(() => metrics.auditFailures.inc());
    },
    onSecretsRedacted: (e) => {
      void security.audit.append({
        time: new Date().toISOString(), traceId: e.traceId, principal: 'gateway', authMethod: 'none', sessionId: e.sessionId,
        tool: `${e.server}${config.upstreams.upstreams.separator}${e.tool}`, phase: 'outcome', decision: 'allow',
        ruleId: `block-secrets.${e.direction}`, redactions: e.count,
      }, { durable: false }).catch(() => metrics.auditFailures.inc());
    },
  });
  // Upstream tools are asked for at call time: the upstreams exist once start() has created them.
  const toolSource = createToolSource(catalog, upstreamsConfigured ? {
    tools: async (sessionId) => (upstreams ? upstreams.tools(sessionId) : []),
    unavailableTool: (name) => upstreams?.unavailableTool?.(name),
  } : undefined, {
    mayCall: (principal, tool) => security.mayCall(principal, tool),
    switchedOff: (name) => switchedOffToolMessage(name, config.tools.enableLifecycle),
  });
  // Set by close(): new requests get 503, and calls aborted from then on are recorded as `shutdown`.
  let closing = false;
  const pipeline = createPipeline({
    authorizer: security.authorizer, limiter: security.limiter, audit: security.audit, redactor: security.redactor,
    metrics, logger, dryRun: config.dryRun,
    shuttingDown: () => closing,
  });
  const identity = { name: 'docker-mcp-gateway', version: GATEWAY_VERSION };

  const sessions = createSessionRegistry({ maxSessions: config.server.maxSessions, idleMs: config.server.sessionIdleMs, metrics });
  // Per-session upstream instances live exactly as long as the client session.
  if (upstreamsConfigured) sessions.onClosed((id) => { void upstreams?.closeSession(id); });
  const limits = { maxBodyBytes: config.server.maxBodyBytes, maxJsonDepth: config.server.maxJsonDepth };

  let sessionSide: Promise<SessionSide> | undefined;
  let sharedValidator: Promise<SharedSchemaValidator> | undefined;
  const schemaValidator = () => (sharedValidator ??= import('./core/shared-schema-validator.js').then((m) => new m.SharedSchemaValidator()));
  function loadSessionSide(): Promise<SessionSide> {
    sessionSide ??= Promise.all([import('./mcp/session-server.js'), import('./transports/streamable-http.js'), import('./transports/sse.js'), schemaValidator()])
      .then(([server, streamableHttp, sseHttp, validator]): SessionSide => {
        const newServer: SessionSide['newServer'] = server.createSessionServerFactory({ identity, tools: toolSource, pipeline, upstreams }, validator);
        return {
          newServer,
          streamable: streamableHttp.createStreamableHttpAdapter({ newServer: () => newServer(), sessions, limits, logger, heartbeatMs: config.server.sseHeartbeatMs }),
          sse: sseHttp.createSseAdapter({ newServer: () => newServer(), sessions, limits, heartbeatMs: config.server.sseHeartbeatMs, messagesPath: '/messages' }),
        };
      }, (err: unknown) => {
        sessionSide = undefined;
        throw err;
      });
    return sessionSide;
  }
  // The MCP 2026-07-28 side (SDK v2), loaded on the first modern request: a gateway only 2025 clients use never loads it.
  let modernSide: Promise<ReturnType<typeof createModernHttpAdapter>> | undefined;
  function loadModernSide(): Promise<ReturnType<typeof createModernHttpAdapter>> {
    modernSide ??= Promise.all([import('./mcp/modern-server.js'), import('./mcp/modern-fast-path.js'), import('./transports/modern-http.js'), schemaValidator()])
      .then(([server, fast, modernHttp, validator]) => {
        const newServer = server.createModernServerFactory({ identity, tools: toolSource, pipeline, upstreams, schemaValidator: validator as never });
        const fastPath = fast.createModernFastPath({ identity, tools: toolSource, pipeline });
        const adapter = modernHttp.createModernHttpAdapter({ newServer, fastPath, logger, heartbeatMs: config.server.sseHeartbeatMs });
        upstreams?.onToolsChanged(() => adapter.toolsChanged());
        return adapter;
      }, (err: unknown) => {
        modernSide = undefined;
        throw err;
      });
    return modernSide;
  }
  const mcpEndpoint = createMcpEndpoint({
    limits,
    legacy: async () => { const side = await loadSessionSide(); return (req, res, p, body) => side.streamable.handle(req, res, p, body); },
    modern: async () => { const side = await loadModernSide(); return (req, res, p, body) => side.handle(req, res, p, body); },
  });
  const rpc = createRpcAdapter({ tools: toolSource, pipeline, limits: { ...limits, requireJsonType: false }, identity });

  let lastEngineCheck: { at: number; result: { ok: boolean; detail?: string } } | undefined;
  async function readiness(): Promise<Readiness> {
    const now = Date.now();
    // One engine probe per second at most: /ready may be polled hard by orchestrators.
    if (!lastEngineCheck || now - lastEngineCheck.at > 1000) {
      try {
        const info = await docker.engineInfo(AbortSignal.timeout(3000));
        lastEngineCheck = { at: now, result: { ok: true, detail: `engine ${info.version} (API ${info.apiVersion})` } };
      } catch (err) {
        // The client's errors name the endpoint and the reason (unreachable, permission, deadline, circuit, not an engine).
        const message = (err as Error).message;
        lastEngineCheck = { at: now, result: { ok: false, detail: err instanceof EngineUnreachableError ? message : `Docker engine unreachable at ${docker.endpoint}: ${message}` } };
      }
    }
    // While unhealthy, try to reopen the audit log so /ready notices recovery without waiting for a tool call.
    if (!security.audit.healthy()) await security.audit.open?.().catch(() => undefined);
    const auditOk = security.audit.healthy();
    const checks: Readiness['checks'] = {
      docker: lastEngineCheck.result,
      audit: auditOk ? { ok: true } : { ok: false, detail: 'audit log cannot be written: mutating tools are refused' },
    };
    // With Cloudflare Access configured, its signing keys are a dependency: without them no Access user gets in.
    if (security.access) checks.access = await security.access.keyStatus();
    for (const s of upstreams?.status() ?? []) {
      // Not ready while a server cannot start, also during its background retries (state starting/backoff).
      const failing = s.instances === 0 && (s.state === 'failed' || s.lastStartFailed);
      checks[`upstream:${s.server}`] = failing ? { ok: false, detail: `${s.state}: ${s.lastError ?? 'start failed'}` } : { ok: true, detail: s.state };
    }
    return { ready: Object.values(checks).every((c) => c.ok), checks };
  }

  // Refusals at the edge are audited like policy denials, but an unauthenticated caller must not be able to fill
  // the disk: at most EDGE_AUDIT_PER_MINUTE records a minute, the rest only counted in /metrics.
  let edgeWindow = { start: Date.now(), count: 0 };
  function edgeAudit(r: EdgeRefusal): void {
    const now = Date.now();
    if (now - edgeWindow.start >= 60_000) edgeWindow = { start: now, count: 0 };
    edgeWindow.count += 1;
    if (edgeWindow.count > EDGE_AUDIT_PER_MINUTE) {
      metrics.policyDenials.inc({ rule: 'edge.audit-suppressed' });
      return;
    }
    void security.audit.append({
      time: new Date(now).toISOString(), traceId: r.requestId,
      principal: r.principal?.id ?? `unauthenticated@${r.remoteAddress ?? 'unknown'}`, authMethod: r.principal?.authMethod ?? 'none',
      tool: `http:${r.path}`, phase: 'decision', decision: 'deny', ruleId: r.ruleId, reason: r.reason,
      ...(r.body ? { bytes: r.body.bytes, declaredBytes: r.body.declaredBytes, sha256: r.body.sha256 } : {}),
    }, { durable: false }).catch(() => metrics.auditFailures.inc());
  }

  const http = createHttpServer({
    security: { checkOriginHost: (h) => security.checkOriginHost(h), corsHeaders: (h) => security.corsHeaders(h), authenticate: (h) => security.authenticate(h) },
    routes: {
      mcp: mcpEndpoint,
      sseOpen: async (req, res, p) => (await loadSessionSide()).sse.open(req, res, p),
      ssePost: async (req, res, p, url) => (await loadSessionSide()).sse.post(req, res, p, url),
      rpc,
    },
    ready: readiness,
    onRefused: edgeAudit,
    metrics, logger,
    timeouts: config.server,
    shuttingDown: () => closing,
  });
  // Probes and Prometheus (Kubernetes): unauthenticated ops routes on their own port, only when one is configured.
  const ops = config.server.opsPort === undefined ? undefined : createOpsServer({ ready: readiness, metrics, logger, shuttingDown: () => closing });
  let sweeper: NodeJS.Timeout | undefined;
  // Responses not yet written out, so close() can let their last bytes reach the client before it cuts connections.
  const openResponses = new Set<ServerResponse>();
  http.on('request', (_req: IncomingMessage, res: ServerResponse) => {
    openResponses.add(res);
    res.once('close', () => openResponses.delete(res));
  });

  return {
    metrics, pipeline, catalog, readiness, tools: toolSource,
    get upstreams() { return upstreams; },
    stdioServer: async (principal) => (await loadSessionSide()).newServer(principal),
    async start() {
      // Serving HTTP with no authentication is refused unless explicitly allowed AND on loopback only.
      try {
        assertAuthConfigured(config.security, config.server.host);
      } catch (err) {
        throw new ConfigError([(err as Error).message]);
      }
      if (!deps.docker && 'negotiate' in docker) {
        try {
          const info = await (docker as ReturnType<typeof createEngineClient>).negotiate(AbortSignal.timeout(5000));
          logger.info({ engine: info.version, api: info.apiVersion, endpoint: docker.endpoint }, 'Docker engine reachable');
        } catch (err) {
          // Start anyway: /ready reports 503 and tools answer "engine unreachable" until it is back.
          logger.warn({ err: (err as Error).message, endpoint: docker.endpoint }, 'Docker engine not reachable at start');
        }
      }
      for (const warning of configWarnings(config)) logger.warn({ warning }, 'configuration warning');
      // Fail fast on an unwritable audit directory rather than at the first mutating call.
      await security.audit.open?.();
      if (upstreamsConfigured && !upstreams) {
        upstreams = await createUpstreamsNow();
        registerUpstreamMetrics(metrics, upstreams);
      }
      await upstreams?.start();
      await new Promise<void>((resolve, reject) => {
        http.once('error', reject);
        http.listen(config.server.port, config.server.host, () => { http.off('error', reject); resolve(); });
      });
      if (ops) {
        await new Promise<void>((resolve, reject) => {
          ops.once('error', reject);
          ops.listen(config.server.opsPort, config.server.host, () => { ops.off('error', reject); resolve(); });
        });
        logger.info({ port: (ops.address() as AddressInfo).port }, 'ops routes listening (/health, /ready, /metrics; no authentication)');
      }
      sweeper = setInterval(() => { void sessions.sweep(); }, Math.min(config.server.sessionIdleMs, 60_000));
      sweeper.unref();
      const address = http.address() as AddressInfo;
      logger.info({ host: address.address, port: address.port, instance: instanceId }, 'gateway listening');
      return address;
    },
    async close() {
      if (closing) return;
      closing = true;
      clearInterval(sweeper);
      // Stop accepting (new requests on open connections get 503 SHUTTING_DOWN from the edge).
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      // Stop the running calls while their clients are still connected: each one stops its work (an exec is killed in
      // its container, a follow ends), sends the output it already has, records its outcome and answers with a result
      // that says the gateway is shutting down. Bounded: a call that ignores its abort does not keep the audit log
      // from being synced and closed.
      pipeline.shutdown();
      const opsClosed = ops?.listening ? new Promise<void>((resolve) => ops.close(() => resolve())) : undefined;
      ops?.closeAllConnections();
      const drained = await Promise.race([
        pipeline.idle().then(() => true),
        new Promise<false>((resolve) => setTimeout(() => resolve(false), CLOSE_DRAIN_MS).unref()),
      ]);
      if (!drained) logger.error({ waitedMs: CLOSE_DRAIN_MS }, 'tool calls still running at close; closing without their outcome records');
      // The answers of the calls that just ended are sent by promise continuations (the SDK's, /rpc's): let them run.
      await new Promise<void>((resolve) => setImmediate(resolve));
      const side = await sessionSide?.catch(() => undefined);
      const modern = await modernSide?.catch(() => undefined);
      await Promise.allSettled([side?.streamable.close(), side?.sse.close(), modern?.close(), sessions.closeAll()]);
      await responsesWritten(openResponses, CLOSE_FLUSH_MS);
      http.closeAllConnections();
      await closed;
      await opsClosed;
      await upstreams?.close();
      await security.close();
      docker.close();
    },
  };
}

/**
 * Resolves once every response in `open` has been written out (or its connection closed), or after `ms` at the
 * latest. A response emits 'close' once its end has been handed to the socket.
 */
function responsesWritten(open: ReadonlySet<ServerResponse>, ms: number): Promise<void> {
  const pending = [...open].filter((res) => !res.writableFinished);
  if (pending.length === 0) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    void Promise.all(pending.map((res) => new Promise<void>((done) => {
      if (res.writableFinished || res.destroyed) return done();
      res.once('finish', () => done());
      res.once('close', () => done());
    }))).then(() => { clearTimeout(timer); resolve(); });
  });
}

/**
 * dockerode (and its dependency tree, ~16 MiB resident) is loaded only when upstream servers are configured:
 * the built-in tools use the lean Engine API client.
 */
function loadDockerode(settings: GatewayConfig['docker']): Dockerode {
  const Docker = createRequire(import.meta.url)('dockerode') as typeof Dockerode;
  return new Docker(dockerOptionsFor(settings));
}

/** Upstream state in /metrics, read from upstreams.status() at scrape time. */
function registerUpstreamMetrics(metrics: GatewayMetrics, upstreams: Upstreams): void {
  const registers = [metrics.registry];
  const states = ['idle', 'starting', 'running', 'backoff', 'failed'] as const;
  new Gauge({
    name: 'mcp_upstream_instances', help: 'Running instances per upstream server', labelNames: ['server'], registers,
    collect() { for (const s of upstreams.status()) this.set({ server: s.server }, s.instances); },
  });
  new Gauge({
    name: 'mcp_upstream_state', help: 'Upstream server state (1 for the current state)', labelNames: ['server', 'state'], registers,
    collect() { for (const s of upstreams.status()) for (const st of states) this.set({ server: s.server, state: st }, s.state === st ? 1 : 0); },
  });
  new Gauge({
    name: 'mcp_upstream_calls', help: 'Calls, errors, starts and crashes per upstream server', labelNames: ['server', 'kind'], registers,
    collect() {
      for (const s of upstreams.status()) {
        this.set({ server: s.server, kind: 'calls' }, s.calls);
        this.set({ server: s.server, kind: 'errors' }, s.errors);
        this.set({ server: s.server, kind: 'starts' }, s.starts);
        this.set({ server: s.server, kind: 'crashes' }, s.crashes);
      }
    },
  });
}
