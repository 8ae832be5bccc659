/**
 * The ops listener: a second port serving only `GET /health`, `/ready` and `/metrics`, with no authentication and
 * no Host/Origin check, because a kubelet probe carries no token and sends the pod IP as Host, and Prometheus scrapes
 * by pod IP. It shares nothing with the MCP edge but the readiness function and the metrics registry; it must stay
 * unreachable from outside (the Kubernetes Service exposes it to the cluster only, no ingress routes it).
 */
import http from 'node:http';
import type { Logger } from 'pino';
import type { GatewayMetrics } from '../core/metrics.js';
import type { Readiness } from './http-app.js';
import { sendJson } from './http-io.js';

/** Dependencies of the ops listener. */
export interface OpsAppDeps {
  readonly ready: () => Promise<Readiness>;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
  /** True once shutdown began: /ready answers 503 so the pod leaves the Service's endpoints. */
  readonly shuttingDown: () => boolean;
}

/** Creates the ops HTTP server (not listening yet). */
export function createOpsServer(deps: OpsAppDeps): http.Server {
  async function route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://ops.invalid').pathname;
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendJson(res, 405, { error: 'method not allowed' }, { allow: 'GET, HEAD' });
    switch (path) {
      case '/health':
        return sendJson(res, 200, { status: 'ok' });
      case '/ready': {
        if (deps.shuttingDown()) return sendJson(res, 503, { status: 'not-ready', checks: { shutdown: { ok: false, detail: 'shutting down' } } });
        const r = await deps.ready();
        return sendJson(res, r.ready ? 200 : 503, { status: r.ready ? 'ready' : 'not-ready', checks: r.checks });
      }
      case '/metrics': {
        const text = await deps.metrics.registry.metrics();
        res.writeHead(200, { 'content-type': deps.metrics.registry.contentType });
        res.end(text);
        return;
      }
      default:
        return sendJson(res, 404, { error: 'not found' });
    }
  }
  const server = http.createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      deps.logger.error({ err, path: req.url }, 'ops request failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  });
  server.headersTimeout = 5_000;
  server.requestTimeout = 10_000;
  return server;
}
