/**
 * createGateway wires the core (Docker client, tools, security, pipeline, metrics, upstreams) to the
 * transports. It returns an object with start() and close(); nothing runs at import time and nothing is
 * global, so tests can run several gateways in one process.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { Principal, ToolDefinition } from './core/contracts.js';
import { createEngineClient } from './core/docker/engine-client.js';
import type { DockerClient } from './core/docker/docker-client.js';
import { createMetrics, type GatewayMetrics } from './core/metrics.js';
import { createPipeline, type ToolPipeline } from './core/pipeline.js';
import { createSecurity, type Security } from './core/security/create-security.js';
import { createToolCatalog, type ToolCatalog } from './core/tool-catalog.js';
import { builtinTools } from './core/tools/builtin-tools.js';
import type { GatewayConfig } from './load-config.js';
import { createSessionServer } from './mcp/session-server.js';
import { createHttpServer, type Readiness } from './transports/http-app.js';
import { createRpcAdapter } from './transports/rpc.js';
import { createSessionRegistry } from './transports/session-registry.js';
import { createSseAdapter } from './transports/sse.js';
import { createStreamableHttpAdapter } from './transports/streamable-http.js';

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
}

/** A running (or ready to run) gateway. */
export interface Gateway {
  /** Listens on config.server.host:port; resolves with the bound address. */
  start(): Promise<AddressInfo>;
  /** Stops accepting, closes sessions, flushes the audit log, removes what it started. Bounded. */
  close(): Promise<void>;
  /** Everything the stdio transport needs to serve one local client. */
  stdioServer(principal: Principal): Server;
  readonly metrics: GatewayMetrics;
  readonly pipeline: ToolPipeline;
  readonly catalog: ToolCatalog;
  readiness(): Promise<Readiness>;
}

/** Builds a gateway from a validated config. */
export function createGateway(config: GatewayConfig, deps: GatewayDeps): Gateway {
  const { logger } = deps;
  const metrics = createMetrics();
  const startedAt = Date.now();
  const docker = deps.docker ?? createEngineClient({
    ...config.docker,
    observe: (operation, seconds) => metrics.dockerLatency.observe({ operation }, seconds),
  });
  const security: Security = createSecurity(config.security, {
    fetch: deps.fetch,
    lookupContainer: (idOrName: string, signal: AbortSignal) => docker.findContainer(idOrName, signal),
    gatewayContainerId: deps.selfContainerId,
    onAuditError: (err) => logger.error({ err: (err as Error)?.message }, 'audit log write failed'),
    onJwksError: (err) => logger.warn({ err: (err as Error)?.message }, 'could not fetch Cloudflare Access keys'),
  });
  const tools: ToolDefinition[] = builtinTools({
    docker, limits: config.tools, version: GATEWAY_VERSION, startedAt, defaultExecUser: config.security.exec.defaultUser,
    onBytes: (tool, n) => metrics.streamedBytes.inc({ tool }, n),
  });
  const catalog = createToolCatalog(tools);
  const pipeline = createPipeline({
    authorizer: security.authorizer, limiter: security.limiter, audit: security.audit, redactor: security.redactor,
    metrics, logger, dryRun: config.dryRun,
  });
  const identity = { name: 'docker-mcp-gateway', version: GATEWAY_VERSION };
  const newServer = (fallbackPrincipal?: Principal) => createSessionServer({ identity, catalog: () => catalog, pipeline, fallbackPrincipal });

  const sessions = createSessionRegistry({ maxSessions: config.server.maxSessions, idleMs: config.server.sessionIdleMs, metrics });
  const limits = { maxBodyBytes: config.server.maxBodyBytes, maxJsonDepth: config.server.maxJsonDepth };
  const streamable = createStreamableHttpAdapter({ newServer: () => newServer(), sessions, limits, logger, heartbeatMs: config.server.sseHeartbeatMs });
  const sse = createSseAdapter({ newServer: () => newServer(), sessions, limits, heartbeatMs: config.server.sseHeartbeatMs, messagesPath: '/messages' });
  const rpc = createRpcAdapter({ catalog: () => catalog, pipeline, limits: { ...limits, requireJsonType: false }, identity });

  let lastEngineCheck: { at: number; result: { ok: boolean; detail?: string } } | undefined;
  async function readiness(): Promise<Readiness> {
    const now = Date.now();
    // One engine probe per second at most: /ready may be polled hard by orchestrators.
    if (!lastEngineCheck || now - lastEngineCheck.at > 1000) {
      try {
        const info = await docker.engineInfo(AbortSignal.timeout(3000));
        lastEngineCheck = { at: now, result: { ok: true, detail: `engine ${info.version} (API ${info.apiVersion})` } };
      } catch (err) {
        lastEngineCheck = { at: now, result: { ok: false, detail: `Docker engine unreachable at ${docker.endpoint}: ${(err as Error).message}` } };
      }
    }
    const auditOk = security.audit.healthy();
    const checks: Readiness['checks'] = {
      docker: lastEngineCheck.result,
      audit: auditOk ? { ok: true } : { ok: false, detail: 'audit log cannot be written: mutating tools are refused' },
    };
    return { ready: Object.values(checks).every((c) => c.ok), checks };
  }

  let closing = false;
  const http = createHttpServer({
    security: { checkOriginHost: (h) => security.checkOriginHost(h), corsHeaders: (h) => security.corsHeaders(h), authenticate: (h) => security.authenticate(h) },
    routes: {
      mcp: (req, res, p) => streamable.handle(req, res, p),
      sseOpen: (req, res, p) => sse.open(req, res, p),
      ssePost: (req, res, p, url) => sse.post(req, res, p, url),
      rpc,
    },
    ready: readiness,
    metrics, logger,
    timeouts: config.server,
    shuttingDown: () => closing,
  });
  let sweeper: NodeJS.Timeout | undefined;

  return {
    metrics, pipeline, catalog, readiness,
    stdioServer: (principal) => newServer(principal),
    async start() {
      if (!deps.docker && 'negotiate' in docker) {
        try {
          const info = await (docker as ReturnType<typeof createEngineClient>).negotiate(AbortSignal.timeout(5000));
          logger.info({ engine: info.version, api: info.apiVersion, endpoint: docker.endpoint }, 'Docker engine reachable');
        } catch (err) {
          // Start anyway: /ready reports 503 and tools answer "engine unreachable" until it is back.
          logger.warn({ err: (err as Error).message, endpoint: docker.endpoint }, 'Docker engine not reachable at start');
        }
      }
      await new Promise<void>((resolve, reject) => {
        http.once('error', reject);
        http.listen(config.server.port, config.server.host, () => { http.off('error', reject); resolve(); });
      });
      sweeper = setInterval(() => { void sessions.sweep(); }, Math.min(config.server.sessionIdleMs, 60_000));
      sweeper.unref();
      const address = http.address() as AddressInfo;
      logger.info({ host: address.address, port: address.port, instance: randomUUID().slice(0, 8) }, 'gateway listening');
      return address;
    },
    async close() {
      if (closing) return;
      closing = true;
      clearInterval(sweeper);
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      await Promise.allSettled([streamable.close(), sse.close(), sessions.closeAll()]);
      http.closeAllConnections();
      await closed;
      await security.close();
      docker.close();
    },
  };
}
