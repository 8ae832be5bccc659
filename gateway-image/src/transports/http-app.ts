/**
 * The HTTP edge: one node:http server for every endpoint. In order, for each request:
 *   /health (no auth) -> Host and Origin allowlists (403 before the body is read) -> CORS preflight ->
 *   authentication (401 with WWW-Authenticate) -> route to a transport adapter.
 * Adapters only translate; limits (body size, nesting, batches) are applied by http-io before any parse.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Principal } from '../core/contracts.js';
import type { GatewayMetrics } from '../core/metrics.js';
import type { AuthResult, RequestHeaders } from '../core/security/authenticate.js';
import type { OriginHostResult } from '../core/security/origin-host.js';
import { GatewayError, toGatewayError } from '../errors.js';
import { credentialHeaders, onRefusal, refusalNote, refusalSent, refusedBody, sendError, sendJson, type RefusedBody } from './http-io.js';

/** What the edge needs from the security core. */
export interface EdgeSecurity {
  checkOriginHost(headers: RequestHeaders): OriginHostResult;
  corsHeaders(headers: RequestHeaders): Record<string, string>;
  authenticate(headers: RequestHeaders): Promise<AuthResult>;
}

/** Readiness as /ready reports it. */
export interface Readiness {
  ready: boolean;
  checks: Record<string, { ok: boolean; detail?: string }>;
}

/**
 * The failing checks in one line (`docker: ...; upstream:git: ...`), repeated at the top of a 503 /ready body so a
 * probe log or `curl` shows why without digging through `checks`.
 */
export function notReadyReason(r: Readiness): string {
  return Object.entries(r.checks).filter(([, c]) => !c.ok).map(([name, c]) => `${name}: ${c.detail ?? 'failing'}`).join('; ') || 'not ready';
}

/** Route handlers, each given the authenticated principal. */
export interface EdgeRoutes {
  mcp(req: IncomingMessage, res: ServerResponse, principal: Principal): Promise<void>;
  sseOpen(req: IncomingMessage, res: ServerResponse, principal: Principal): Promise<void>;
  ssePost(req: IncomingMessage, res: ServerResponse, principal: Principal, url: URL): Promise<void>;
  rpc(req: IncomingMessage, res: ServerResponse, principal: Principal): Promise<void>;
}

/** Dependencies of the edge. */
export interface HttpAppDeps {
  readonly security: EdgeSecurity;
  readonly routes: EdgeRoutes;
  readonly ready: () => Promise<Readiness>;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
  readonly timeouts: { headersTimeoutMs: number; requestTimeoutMs: number; keepAliveTimeoutMs: number };
  /** True once shutdown began: new requests get 503. */
  readonly shuttingDown: () => boolean;
  /** Told about every request refused before authentication succeeded (for the audit log). */
  readonly onRefused?: (refusal: EdgeRefusal) => void;
}

/** A request the edge refused: which check, on which path, from which address. */
export interface EdgeRefusal {
  readonly ruleId: string;
  readonly reason: string;
  readonly path: string;
  readonly remoteAddress?: string;
  readonly requestId: string;
  /** The authenticated principal, when the refusal came after authentication (a bad body, a bad header). */
  readonly principal?: Principal;
  /** The refused body's size and hash, when a body was refused. */
  readonly body?: RefusedBody;
}

/** Refusals the edge audits where they are decided (Host/Origin, authentication): not audited a second time. */
const AUDITED_AT_CHECK = new Set(['FORBIDDEN_ORIGIN', 'FORBIDDEN_HOST', 'UNAUTHORIZED', 'FORBIDDEN']);

/** Creates the HTTP server (not listening yet). */
export function createHttpServer(deps: HttpAppDeps): http.Server {
  const { logger, metrics } = deps;

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://gateway.invalid');
    const path = url.pathname;
    // Every other refusal answered on this request (by this edge or an adapter: bad JSON, batch, oversize body, wrong
    // content type, unknown session, ...) is audited here, with what was refused measured, never its content.
    let principal: Principal | undefined;
    const remoteAddress = req.socket.remoteAddress;
    onRefusal(res, (err) => {
      if (AUDITED_AT_CHECK.has(err.code) || err.code === 'INTERNAL') return;
      metrics.authFailures.inc({ reason: `edge_${err.code.toLowerCase()}` });
      deps.onRefused?.({
        ruleId: `edge.${err.code.toLowerCase()}`, reason: err.message, path, remoteAddress,
        requestId: String(res.getHeader('x-request-id')), principal, body: refusedBody(err),
      });
    });
    // Refusals an SDK or a session transport writes itself (an unknown or closed session, a 2026 header mismatch or
    // unsupported version, a refused preflight, ...) never pass sendError: any other 4xx answer is recorded here.
    res.once('finish', () => {
      if (res.statusCode < 400 || res.statusCode >= 500 || refusalSent(res)) return;
      const note = refusalNote(res);
      const rule = note?.rule ?? `http_${res.statusCode}`;
      metrics.authFailures.inc({ reason: `edge_${rule}` });
      deps.onRefused?.({
        ruleId: `edge.${rule}`, reason: note?.reason ?? `${req.method ?? 'request'} ${path} answered ${res.statusCode}`, path, remoteAddress,
        requestId: String(res.getHeader('x-request-id')), principal,
      });
    });
    if (path === '/health' && req.method === 'GET') return sendJson(res, 200, { status: 'ok' });
    if (deps.shuttingDown()) throw new GatewayError('SHUTTING_DOWN');

    const originHost = deps.security.checkOriginHost(req.headers);
    if (!originHost.ok) {
      metrics.authFailures.inc({ reason: originHost.code });
      deps.onRefused?.({ ruleId: `edge.${originHost.code}`, reason: originHost.reason, path, remoteAddress: req.socket.remoteAddress, requestId: String(res.getHeader('x-request-id')) });
      throw new GatewayError(originHost.code.startsWith('origin') ? 'FORBIDDEN_ORIGIN' : 'FORBIDDEN_HOST', originHost.reason);
    }
    const cors = deps.security.corsHeaders(req.headers);
    for (const [k, v] of Object.entries(cors)) res.setHeader(k, v);
    if (req.method === 'OPTIONS') {
      res.writeHead(Object.keys(cors).length ? 204 : 403).end();
      return;
    }

    const auth = await deps.security.authenticate(credentialHeaders(req));
    if (!auth.ok) {
      metrics.authFailures.inc({ reason: auth.code });
      deps.onRefused?.({ ruleId: `auth.${auth.code}`, reason: auth.reason, path, remoteAddress: req.socket.remoteAddress, requestId: String(res.getHeader('x-request-id')) });
      logger.info({ reqId: res.getHeader('x-request-id'), path, code: auth.code }, 'request refused by authentication');
      throw new GatewayError(auth.status === 403 ? 'FORBIDDEN' : 'UNAUTHORIZED', auth.reason, auth.wwwAuthenticate ? { 'www-authenticate': auth.wwwAuthenticate } : undefined);
    }
    principal = auth.principal;

    switch (path) {
      case '/mcp':
        return deps.routes.mcp(req, res, principal);
      case '/sse':
        if (req.method !== 'GET') throw new GatewayError('METHOD_NOT_ALLOWED', `${req.method} /sse`);
        return deps.routes.sseOpen(req, res, principal);
      case '/messages':
        if (req.method !== 'POST') throw new GatewayError('METHOD_NOT_ALLOWED', `${req.method} /messages`);
        return deps.routes.ssePost(req, res, principal, url);
      case '/rpc':
        if (req.method !== 'POST') throw new GatewayError('METHOD_NOT_ALLOWED', `${req.method} /rpc`);
        return deps.routes.rpc(req, res, principal);
      case '/ready': {
        const r = await deps.ready();
        return sendJson(res, r.ready ? 200 : 503, { status: r.ready ? 'ready' : 'not-ready', ...(r.ready ? {} : { reason: notReadyReason(r) }), checks: r.checks });
      }
      case '/metrics': {
        const text = await metrics.registry.metrics();
        res.writeHead(200, { 'content-type': metrics.registry.contentType });
        res.end(text);
        return;
      }
      default:
        throw new GatewayError('NOT_FOUND', path);
    }
  }

  const server = http.createServer((req, res) => {
    const reqId = (typeof req.headers['x-request-id'] === 'string' && /^[\w.-]{1,64}$/.test(req.headers['x-request-id'])) ? req.headers['x-request-id'] : randomUUID();
    res.setHeader('x-request-id', reqId);
    route(req, res).catch((err: unknown) => {
      const gerr = toGatewayError(err);
      if (gerr.status >= 500) logger.error({ err, reqId, path: req.url }, 'request failed');
      else logger.info({ reqId, path: req.url, code: gerr.code }, gerr.message);
      sendError(res, gerr);
    });
  });
  server.headersTimeout = deps.timeouts.headersTimeoutMs;
  server.requestTimeout = deps.timeouts.requestTimeoutMs;
  server.keepAliveTimeout = deps.timeouts.keepAliveTimeoutMs;
  return server;
}
