/**
 * DockerClient over the Engine API: plain HTTP requests on one keep-alive agent (unix socket, tcp, tcp+TLS, or
 * ssh through docker-modem's ssh agent), pinned to the engine's own API version (negotiated once at start:
 * this machine's engine speaks 1.41).
 *
 * Why not dockerode's request path: docker-modem runs `util.inspect(options, { depth: null })` on every request,
 * agent included, even with debugging off. That cost 0.2 ms per request on an idle gateway and grew with the
 * number of pooled sockets (several ms each at 32 concurrent clients), which made the gateway's docker_ps 10x
 * slower than the engine under load. The requests here are the same ones, built directly.
 *
 * Identical container listings that overlap are coalesced: a caller never joins a request that was sent before
 * it arrived (that answer could predate a change the caller just made); callers arriving while one is in flight
 * share the next request, sent as soon as that one ends. Under many concurrent docker_ps calls the engine then
 * sees at most two listings per distinct query at a time, and every caller still gets a listing taken after it
 * asked.
 *
 * Container facts (id, name, labels, user, tty) are cached for FACTS_TTL_MS per id-or-name, and in-flight
 * look-ups are shared: the authorizer's look-up, the logs tty check and the exec target resolution are then one
 * inspect instead of one each. These facts cannot change while a container exists (labels, Config.User and Tty
 * are fixed at creation); a name can move to another container, so exec and logs are sent to the full id the
 * facts came from (the container the policy judged), never re-resolved by name, and a 404 drops the entry.
 *
 * Every request has a deadline (quick reads, exec create/inspect and the wait for a stream or an exec to start: the
 * `timeoutMs` option; stop and restart: that plus the stop timeout). An expired one aborts the request and fails the
 * call naming the request and the time waited. Consecutive engine failures open a circuit (engine-circuit.ts) so a
 * hung engine costs callers nothing more than an immediate, explained error. A stream already running (exec output,
 * logs) is not cut by either: it keeps the deadline of the tool that reads it.
 *
 * Only the engine's own answers are believed: a 404 is "no such object" only when the engine said it (its answers
 * carry an Api-Version header); a 404/403/HTML page from something else (a socket proxy, a web server) is a
 * NotAnEngineError naming the endpoint and the status, never an empty list or a missing container.
 */
import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage } from 'node:http';
import type https from 'node:https';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { PassThrough, type Readable } from 'node:stream';
import type { DockerOptions } from 'dockerode';
import type { ContainerFacts } from '../contracts.js';
import { createEngineCircuit, type CircuitState } from './engine-circuit.js';
import { demuxStrict, forward } from './engine-stream.js';
import { socketPermissionMessage } from './socket-access.js';
import {
  DockerOperationError, EngineCircuitOpenError, EngineDeadlineError, EngineStreamError, EngineUnreachableError, NotAnEngineError,
  type ContainerSummary, type DockerClient, type EngineInfo, type ExecHandle, type ExecOptions,
  type ImageSummary, type InspectKind, type ListContainersOptions, type LogOptions,
} from './docker-client.js';
import { describeEndpoint, dockerOptionsFor, type DockerHostSettings } from './docker-host.js';
import { createExecExitWatcher } from './exec-exits.js';

/** Environment variable every exec carries so that kill() can find its processes. */
export const EXEC_MARKER_ENV = 'MCP_GATEWAY_EXEC_ID';

/**
 * How long a finished exec waits for its `exec_die` event before asking the engine (GET /exec/{id}/json) while the
 * events stream is live; the event keeps being accepted after that, whichever answers first wins.
 */
export const EXIT_EVENT_GRACE_MS = 3;

/** How long an exec cut off from its engine is tried to be killed, once a second, while the engine cannot be reached. */
export const KILL_RETRY_SECONDS = 120;

/** How long container facts from one inspect are reused. */
export const FACTS_TTL_MS = 2000;
const FACTS_MAX_ENTRIES = 1024;

// Runs inside the target container as the exec's user: signals every process whose environment carries the
// marker (the exec and all its descendants, which inherit it) and prints how many it signalled.
const KILL_SCRIPT =
  'n=0; for p in /proc/[0-9]*; do case "$(tr "\\000" "\\n" < "$p/environ" 2>/dev/null)" in ' +
  `*"${EXEC_MARKER_ENV}=$1"*) kill -9 "\${p#/proc/}" 2>/dev/null && n=$((n+1));; esac; done; echo "$n"`;

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOENT', 'EACCES', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE']);
// A TLS handshake that failed: certificate verification (node's OpenSSL codes) or the engine's alert (ERR_SSL_*,
// e.g. a client certificate it requires and did not get). The engine is as unusable as an unreachable one.
const TLS_FAILURE = /^(ERR_TLS_|ERR_SSL_|EPROTO$)|CERT|_SIGNED|SIGNATURE/;

/** Observes Engine API latency (seconds) per operation; wired to /metrics by the gateway. */
export type DockerLatencyObserver = (operation: string, seconds: number) => void;

/** Deadline of quick Engine API requests, and of the wait for a stream or an exec to start, by default. */
export const ENGINE_TIMEOUT_MS = 10_000;
/** Consecutive engine failures that open the circuit, by default. */
export const CIRCUIT_FAILURES = 3;
/** How long an open circuit fails calls fast before one probes the engine, by default. */
export const CIRCUIT_OPEN_MS = 5_000;

/** What the client tells /metrics about deadlines and the circuit. */
export interface EngineClientEvents {
  /** A request's deadline expired. */
  deadline?(operation: string): void;
  /** The circuit changed state. */
  circuit?(state: CircuitState): void;
  /** A call failed fast because the circuit is open. */
  rejected?(operation: string): void;
}

/** Options of {@link createEngineClient}. */
export interface EngineClientOptions extends DockerHostSettings {
  readonly observe?: DockerLatencyObserver;
  /** Keep-alive sockets kept open to the engine. */
  readonly maxSockets?: number;
  /** Deadline of quick requests and of stream/exec starts. @default ENGINE_TIMEOUT_MS */
  readonly timeoutMs?: number;
  /** Circuit breaker settings. @default CIRCUIT_FAILURES failures, open CIRCUIT_OPEN_MS */
  readonly circuit?: { readonly failures: number; readonly openMs: number; readonly clock?: () => number };
  readonly events?: EngineClientEvents;
}

/** An Engine API error answer: status code and the engine's message. */
class EngineHttpError extends Error {
  readonly json: { message?: string };
  constructor(readonly statusCode: number, message: string) {
    super(`(HTTP code ${statusCode}) ${message}`);
    this.json = { message };
  }
}

interface RequestOptions {
  readonly query?: Record<string, string | number | boolean | undefined>;
  /** Send without the negotiated /vX.Y prefix (the engine then answers in its own version). */
  readonly unversioned?: boolean;
  readonly body?: unknown;
  readonly signal?: AbortSignal;
}

/** A row of GET /containers/json, the fields we read. */
interface EngineContainerRow {
  Id: string; Names?: string[]; Image: string; State: string; Status: string; Created: number;
  Ports?: Array<{ IP?: string; PrivatePort: number; PublicPort?: number; Type: string }>; Labels?: Record<string, string> | null;
}

function toSummary(c: EngineContainerRow): ContainerSummary {
  return {
    id: c.Id.slice(0, 12),
    name: (c.Names?.[0] ?? '').replace(/^\//, ''),
    image: c.Image,
    state: c.State,
    status: c.Status,
    created: c.Created,
    ports: (c.Ports ?? []).map((p) => ({ ip: p.IP, privatePort: p.PrivatePort, publicPort: p.PublicPort, type: p.Type })),
    labels: c.Labels ?? {},
  };
}

/** Facts of one container, as the cache holds them. */
interface CachedFacts extends ContainerFacts {
  readonly tty: boolean;
}

/** Reads a response to the end. */
function readBody(res: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.once('end', () => resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks)));
    res.once('error', reject);
    res.once('aborted', () => reject(Object.assign(new Error('response aborted'), { code: 'ECONNRESET' })));
  });
}

/** True when the engine itself answered (every Engine API handler sets Api-Version; proxies' own pages do not). */
function fromEngine(res: IncomingMessage): boolean {
  return res.headers['api-version'] !== undefined;
}

/** A short description of a non-engine answer: its content type and the start of its body. */
async function answerDetail(res: IncomingMessage): Promise<string> {
  const text = (await readBody(res).catch(() => Buffer.alloc(0))).toString('utf8').replace(/\s+/g, ' ').trim().slice(0, 120);
  const type = String(res.headers['content-type'] ?? 'no content type').split(';')[0];
  return text ? `${type}: ${JSON.stringify(text)}` : type;
}

async function errorFrom(res: IncomingMessage): Promise<EngineHttpError> {
  const text = (await readBody(res).catch(() => Buffer.alloc(0))).toString('utf8');
  let message = text.trim() || (res.statusMessage ?? '');
  try {
    message = (JSON.parse(text) as { message?: string }).message ?? message;
  } catch { /* plain text answer */ }
  return new EngineHttpError(res.statusCode ?? 0, message);
}

/**
 * Runs `run` for `key` at most once at a time, where a call arriving while one is running shares the next run
 * (started when the running one settles) instead of the running one: every answer is fresh as of its arrival.
 */
function trailingSingleFlight<T>(): (key: string, run: () => Promise<T>) => Promise<T> {
  const flights = new Map<string, { running: Promise<T> | null; queued: Promise<T> | null }>();
  const start = (key: string, f: { running: Promise<T> | null; queued: Promise<T> | null }, run: () => Promise<T>) => {
    const p = run();
    f.running = p;
    const settle = () => {
      if (f.running === p) f.running = null;
      if (!f.running && !f.queued) flights.delete(key);
    };
    p.then(settle, settle);
    return p;
  };
  return (key, run) => {
    let f = flights.get(key);
    if (!f) flights.set(key, (f = { running: null, queued: null }));
    if (!f.running) return start(key, f, run);
    if (f.queued) return f.queued;
    const flight = f;
    const queued = flight.running!.then(() => undefined, () => undefined).then(() => {
      flight.queued = null;
      return start(key, flight, run);
    });
    flight.queued = queued;
    return queued;
  };
}

/** Creates the Engine API client; `negotiate()` pins the API version to the engine's. */
export function createEngineClient(options: EngineClientOptions): DockerClient & { negotiate(signal?: AbortSignal): Promise<EngineInfo> } {
  const endpoint = describeEndpoint(options.host);
  const base = dockerOptionsFor(options) as DockerOptions & { protocol?: string; username?: string };
  const observe = options.observe ?? (() => undefined);
  const maxSockets = options.maxSockets ?? 64;
  const isSsh = base.protocol === 'ssh';
  const isTls = base.protocol === 'https';
  // node:https only for tcp:// with TLS: loading it loads tls and sets up OpenSSL's TLS side, ~3 MiB of every
  // gateway's RSS (measured in the image) that a unix-socket or plain-tcp engine never uses.
  const httpsModule = isTls ? createRequire(import.meta.url)('node:https') as typeof https : undefined;
  const agent = httpsModule
    ? new httpsModule.Agent({ keepAlive: true, maxSockets, ca: base.ca as never, cert: base.cert as never, key: base.key as never })
    : new http.Agent({ keepAlive: true, maxSockets });
  let apiPrefix = '';
  // Only for ssh://, loaded on first use (docker-modem pulls in ssh2): docker-modem's ssh agent, one per request
  // as docker-modem does, with its ssh defaults (it reads SSH_AUTH_SOCK itself).
  let ssh: { agent: (o: unknown) => http.Agent; options: Record<string, unknown> } | undefined;
  function sshAgent(): http.Agent {
    if (!ssh) {
      // Resolved from dockerode's own location: docker-modem is its dependency, not ours.
      const load = createRequire(createRequire(import.meta.url).resolve('dockerode'));
      const Modem = load('docker-modem') as new (o: unknown) => { sshOptions?: Record<string, unknown> };
      ssh = { agent: load('docker-modem/lib/ssh.js') as (o: unknown) => http.Agent, options: new Modem(base).sshOptions ?? {} };
    }
    return ssh.agent({ ...ssh.options, host: base.host, port: base.port, username: base.username });
  }

  function connection(): http.RequestOptions {
    if (base.socketPath) return { socketPath: base.socketPath as string, agent };
    if (isSsh) return { host: base.host, agent: sshAgent() };
    return { host: base.host, port: base.port, agent };
  }

  function pathOf(path: string, query?: RequestOptions['query'], unversioned = false): string {
    let qs = '';
    if (query) {
      const parts: string[] = [];
      for (const [k, v] of Object.entries(query)) if (v !== undefined) parts.push(`${k}=${encodeURIComponent(String(v))}`);
      if (parts.length) qs = `?${parts.join('&')}`;
    }
    return `${unversioned ? '' : apiPrefix}${path}${qs}`;
  }

  /** Sends one request; resolves with the response head (body unread), rejects on connection errors. */
  function send(method: string, path: string, o: RequestOptions = {}, extraHeaders: Record<string, string> = {}): { req: http.ClientRequest; response: Promise<IncomingMessage> } {
    const payload = o.body === undefined ? undefined : JSON.stringify(o.body);
    const headers: Record<string, string | number> = { ...extraHeaders };
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = Buffer.byteLength(payload);
    }
    const req = (httpsModule ?? http).request({ ...connection(), method, path: pathOf(path, o.query, o.unversioned), headers, signal: o.signal });
    const response = new Promise<IncomingMessage>((resolve, reject) => {
      req.once('response', resolve);
      req.once('error', reject);
    });
    req.end(payload);
    return { req, response };
  }

  /** Throws NotAnEngineError when `res` is an error answer that did not come from the engine itself. */
  async function assertEngineError(method: string, path: string, res: IncomingMessage): Promise<void> {
    if (!fromEngine(res)) throw new NotAnEngineError(endpoint, `${method} ${path}`, res.statusCode ?? 0, await answerDetail(res));
  }

  /** A JSON request: 2xx answers parsed (undefined when empty), the engine's 404 as null, other statuses thrown. */
  async function json<T>(method: string, path: string, o: RequestOptions = {}): Promise<T | null> {
    const res = await send(method, path, o).response;
    const status = res.statusCode ?? 0;
    const sent = `${o.unversioned ? '' : apiPrefix}${path}`;
    if (status < 200 || status >= 300) await assertEngineError(method, sent, res);
    if (status === 404) {
      res.resume();
      return null;
    }
    if (status < 200 || status >= 300) throw await errorFrom(res);
    const type = String(res.headers['content-type'] ?? '');
    const body = await readBody(res);
    if (!body.length) return undefined as T;
    if (!/json/i.test(type)) throw new NotAnEngineError(endpoint, `${method} ${sent}`, status, `${type.split(';')[0] || 'no content type'}: ${JSON.stringify(body.toString('utf8', 0, 120).replace(/\s+/g, ' ').trim())}`);
    try {
      return JSON.parse(body.toString('utf8')) as T;
    } catch {
      throw new NotAnEngineError(endpoint, `${method} ${sent}`, status, `invalid JSON: ${JSON.stringify(body.toString('utf8', 0, 120))}`);
    }
  }

  /** A streamed answer (logs): the 2xx response itself, the engine's 404 as null. */
  async function stream(path: string, o: RequestOptions): Promise<IncomingMessage | null> {
    const res = await send('GET', path, o).response;
    if ((res.statusCode ?? 0) >= 300) await assertEngineError('GET', `${apiPrefix}${path}`, res);
    if (res.statusCode === 404) {
      res.resume();
      return null;
    }
    if ((res.statusCode ?? 0) >= 300) throw await errorFrom(res);
    return res;
  }

  /** Starts an exec attached, hijacking the connection (stdin needs it; the engine then streams on the socket). */
  function startAttached(execId: string, body: unknown, signal: AbortSignal): Promise<Readable & { write(b: string | Buffer): boolean; end(): void; destroy(): void }> {
    return new Promise((resolve, reject) => {
      const { req, response } = send('POST', `/exec/${execId}/start`, { body, signal }, { connection: 'Upgrade', upgrade: 'tcp' });
      req.once('upgrade', (_res: IncomingMessage, socket: Socket, head: Buffer) => {
        if (head.length) socket.unshift(head);
        resolve(socket);
      });
      response.then(async (res) => {
        // Engines that do not upgrade answer 200 and stream the output as the body.
        if (res.statusCode === 200) resolve(Object.assign(res, { write: () => false, end: () => undefined }) as never);
        else if (!fromEngine(res)) reject(new NotAnEngineError(endpoint, `POST ${apiPrefix}/exec/${execId}/start`, res.statusCode ?? 0, await answerDetail(res)));
        else reject(await errorFrom(res));
      }, reject);
    });
  }

  const timeoutMs = options.timeoutMs ?? ENGINE_TIMEOUT_MS;
  const events = options.events ?? {};
  const circuit = createEngineCircuit({
    failures: options.circuit?.failures ?? CIRCUIT_FAILURES, openMs: options.circuit?.openMs ?? CIRCUIT_OPEN_MS, clock: options.circuit?.clock,
    onState: (state) => events.circuit?.(state),
  });

  /** Maps a connection failure to the error tools show; undefined when `e` is not one. */
  function unreachable(e: Error & { code?: string }): EngineUnreachableError | undefined {
    if (e.code === 'EACCES' && base.socketPath) return new EngineUnreachableError(endpoint, e, socketPermissionMessage(String(base.socketPath)));
    if (e.code && UNREACHABLE_CODES.has(e.code)) return new EngineUnreachableError(endpoint, e);
    if (e.code && TLS_FAILURE.test(e.code)) {
      return new EngineUnreachableError(endpoint, new Error(`TLS handshake failed (${e.message}); DOCKER_CERT_PATH must hold the engine's CA (ca.pem) and this client's cert.pem and key.pem`));
    }
    return undefined;
  }

  /**
   * Runs one Engine API request under its deadline and the circuit: times it, maps the engine's 404 to null,
   * connection failures to EngineUnreachableError, an expired deadline to EngineDeadlineError. `fn` gets the signal
   * to send the request with (the caller's, and the deadline's). For a stream, the deadline covers reaching it;
   * the stream itself then runs under the caller's signal only.
   */
  async function call<T>(operation: string, action: string, request: string, fn: (signal: AbortSignal) => Promise<T | null>, o: { signal?: AbortSignal; deadlineMs?: number; unversioned?: boolean } = {}): Promise<T | null> {
    const refusal = circuit.admit();
    if (refusal) {
      events.rejected?.(operation);
      throw new EngineCircuitOpenError(endpoint, refusal.failures, refusal.lastFailure, refusal.retryInMs);
    }
    const deadlineMs = o.deadlineMs ?? timeoutMs;
    const started = performance.now();
    const deadline = new AbortController();
    const signal = o.signal ? AbortSignal.any([o.signal, deadline.signal]) : deadline.signal;
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        const shown = o.unversioned ? request : `${request.split(' ')[0]} ${apiPrefix}${request.slice(request.indexOf(' ') + 1)}`;
        const err = new EngineDeadlineError(endpoint, shown, deadlineMs, Math.round(performance.now() - started));
        events.deadline?.(operation);
        deadline.abort(err);
        reject(err);
      }, deadlineMs);
    });
    try {
      const result = await Promise.race([fn(signal), expired]);
      circuit.succeeded();
      return result;
    } catch (err) {
      const e = err as EngineHttpError & { code?: string; reason?: string };
      if (err instanceof EngineDeadlineError || deadline.signal.aborted) {
        const d = deadline.signal.reason as EngineDeadlineError;
        circuit.failed(d.message.replace(/^Docker engine at \S+ /, ''));
        throw d;
      }
      if (err instanceof NotAnEngineError) {
        // Something answered at once: not a hang, and not the engine either; the circuit is not the remedy.
        circuit.released();
        throw err;
      }
      const down = unreachable(e);
      if (down) {
        circuit.failed(`${request}: ${e.code ?? e.message}`);
        throw down;
      }
      if (e.name === 'AbortError') {
        circuit.released();
        throw err;
      }
      // The engine answered (an error status, or something our parsing refused): it is there.
      circuit.succeeded();
      if (e.statusCode === 404) return null;
      const detail = e.json?.message ?? e.message;
      throw new DockerOperationError(action, e.statusCode, String(detail).replace(/^\(HTTP code \d+\)\s*\S*\s*-\s*/, '').trim());
    } finally {
      clearTimeout(timer);
      expired.catch(() => undefined);
      observe(operation, (performance.now() - started) / 1000);
    }
  }

  /** Stop and restart wait for the container's own stop timeout (the engine's default is 10 s) before answering. */
  const lifecycleDeadline = (timeoutSeconds: number | undefined) => timeoutMs + (timeoutSeconds ?? 10) * 1000;

  const coalesceListings = trailingSingleFlight<EngineContainerRow[] | null>();

  const facts = new Map<string, { at: number; value: Promise<CachedFacts | null> }>();
  /** Container facts, from the cache when fresh; concurrent look-ups of one container share one inspect. */
  function containerFacts(idOrName: string, signal?: AbortSignal): Promise<CachedFacts | null> {
    const now = Date.now();
    const hit = facts.get(idOrName);
    if (hit && now - hit.at < FACTS_TTL_MS) return hit.value;
    // The shared inspect is not tied to one caller's signal: another caller may still want its answer.
    const path = `/containers/${encodeURIComponent(idOrName)}/json`;
    const value = call('container_inspect', `inspecting container ${idOrName}`, `GET ${path}`, (s) =>
      json<{ Id: string; Name: string; Config?: { Labels?: Record<string, string> | null; User?: string; Tty?: boolean } }>('GET', path, { signal: s }))
      .then((info): CachedFacts | null => info && {
        id: info.Id, name: info.Name.replace(/^\//, ''), labels: info.Config?.Labels ?? {}, user: info.Config?.User ?? '', tty: Boolean(info.Config?.Tty),
      });
    facts.delete(idOrName);
    facts.set(idOrName, { at: now, value });
    if (facts.size > FACTS_MAX_ENTRIES) facts.delete(facts.keys().next().value as string);
    // Only answers are kept: a failure or "no such container" is asked again next time.
    value.then((v) => { if (!v && facts.get(idOrName)?.value === value) facts.delete(idOrName); },
      () => { if (facts.get(idOrName)?.value === value) facts.delete(idOrName); });
    return signal ? raceAbort(value, signal) : value;
  }

  function forget(idOrName: string): void {
    facts.delete(idOrName);
  }

  /**
   * Splits a multiplexed (or raw tty) source into stdout and stderr streams. A framing violation ends both streams,
   * is kept as `fault()`, and calls `onFault` (the exec's kill; the log stream's close).
   */
  function demux(source: Readable, tty: boolean, onFault: () => void = () => source.destroy(), cut?: { signal?: AbortSignal }) {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let fault: EngineStreamError | undefined;
    let closedByUs = false;
    if (cut) {
      // An HTTP stream (logs) the engine cut before its end (the engine stopped or restarted) is a fault, not the end
      // of the logs; one that the caller cancelled or that we closed is not.
      let ended = false;
      source.once('end', () => { ended = true; });
      source.once('close', () => {
        if (!ended && !closedByUs && !cut.signal?.aborted && !fault) fault = new EngineStreamError(endpoint, 'the engine closed the stream before its end: stopped or restarted?');
      });
    }
    let finish = () => undefined as void;
    const done = new Promise<void>((resolve) => {
      // Once: 'end' is followed by 'close', and ending an ended stream again builds an error (stack and all) per exec.
      let finished = false;
      finish = () => {
        if (finished) return;
        finished = true;
        stdout.end();
        stderr.end();
        resolve();
      };
      source.once('end', finish);
      source.once('close', finish);
      source.once('error', finish);
    });
    if (tty) source.on('data', (chunk: Buffer) => forward(source, stdout, chunk));
    else {
      demuxStrict(source, stdout, stderr, (detail) => {
        fault = new EngineStreamError(endpoint, detail);
        // Nothing more is read: a paused source would otherwise hold the call until its own timeout.
        source.resume();
        finish();
        onFault();
      });
    }
    return { stdout, stderr, done, fault: () => fault, close: () => { closedByUs = true; source.destroy(); } };
  }

  async function engineInfo(signal?: AbortSignal): Promise<EngineInfo> {
    // Unversioned path: the engine answers in its own version, which is what negotiation needs.
    const v = await call('version', 'reading the engine version', 'GET /version', (s) =>
      json<{ Version: string; ApiVersion: string; Os: string; Arch: string }>('GET', '/version', { signal: s, unversioned: true }), { signal, unversioned: true });
    if (!v || typeof v.ApiVersion !== 'string') throw new NotAnEngineError(endpoint, 'GET /version', 200, 'no ApiVersion in the answer');
    return { version: v.Version, apiVersion: v.ApiVersion, os: v.Os, arch: v.Arch };
  }

  /**
   * Creates and starts an exec; null when the container does not exist. `onCreated` runs between the two and returns
   * how to undo itself; `beforeStart` (the call's decision record being synced) is awaited before the start.
   */
  async function createAndStart(containerId: string, spec: Record<string, unknown>, tty: boolean, signal?: AbortSignal, onCreated?: (execId: string) => () => void, beforeStart?: Promise<void>, onStartSent?: () => void) {
    const createPath = `/containers/${encodeURIComponent(containerId)}/exec`;
    const created = await call('exec_create', `creating exec in ${containerId}`, `POST ${createPath}`, (s) =>
      json<{ Id: string }>('POST', createPath, { body: spec, signal: s }), { signal });
    if (!created) return null;
    const undo = onCreated?.(created.Id);
    if (beforeStart) {
      // An exec that is created but never started runs nothing; the engine drops it with its container.
      try {
        await beforeStart;
        // A call cancelled while its record was synced does not start its command.
        signal?.throwIfAborted();
      } catch (err) {
        undo?.();
        throw err;
      }
    }
    const execId = created.Id;
    // A start that fails or finds the exec gone undoes onCreated too (else the exit watcher keeps the exec registered).
    const socket = await call('exec_start', `starting exec in ${containerId}`, `POST /exec/${execId}/start`, (s) => {
      onStartSent?.();
      return startAttached(execId, { Detach: false, Tty: tty }, s);
    })
      .catch((err: unknown) => { undo?.(); throw err; });
    if (!socket) {
      undo?.();
      return null;
    }
    return { execId, socket };
  }

  const inspectExec = (execId: string, what: string, signal?: AbortSignal) =>
    call('exec_inspect', `inspecting exec in ${what}`, `GET /exec/${execId}/json`, (s) => json<{ Running: boolean; ExitCode: number | null }>('GET', `/exec/${execId}/json`, { signal: s }), { signal });

  const exits = createExecExitWatcher((query) => send('GET', '/events', { query }).response);

  /** The exit code by inspect: the stream can end a moment before the engine records the exit, so poll briefly. */
  async function pollExitCode(execId: string, what: string, stop: { done: boolean }, signal?: AbortSignal): Promise<number | null> {
    for (let i = 0; i < 50 && !stop.done; i += 1) {
      const info = await inspectExec(execId, what, signal);
      if (!info) return null;
      if (!info.Running) return info.ExitCode ?? null;
      await new Promise((r) => setTimeout(r, Math.min(2 ** i, 50)));
    }
    return null;
  }

  /**
   * Signals every process of the exec tagged `marker` in `target` (a second exec, as the exec's own user: reading
   * another user's /proc/<pid>/environ needs CAP_SYS_PTRACE, which containers do not have, even as root).
   * `unreachable` says the engine could not be asked, so trying again later may work.
   */
  async function killByMarker(target: string, id: string, marker: string, user?: string): Promise<{ result: { killed: number } | { killed: 0; reason: string }; unreachable: boolean; reason?: string }> {
    try {
      const killer = await createAndStart(target, {
        Cmd: ['sh', '-c', KILL_SCRIPT, 'sh', marker], AttachStdout: true, AttachStderr: true, ...(user ? { User: user } : {}),
      }, false);
      if (!killer) return { result: { killed: 0, reason: `container ${id} no longer exists` }, unreachable: false };
      const out = demux(killer.socket, false);
      const chunks: Buffer[] = [];
      out.stdout.on('data', (c: Buffer) => chunks.push(c));
      out.stderr.resume();
      await out.done;
      const info = await inspectExec(killer.execId, id);
      const n = Number.parseInt(Buffer.concat(chunks).toString('utf8').trim(), 10);
      if (!info || info.ExitCode !== 0 || Number.isNaN(n)) {
        return { result: { killed: 0, reason: `could not signal the exec's processes (no sh/tr/kill in the container? exit ${info?.ExitCode})` }, unreachable: false };
      }
      return { result: { killed: n }, unreachable: false };
    } catch (err) {
      return { result: { killed: 0, reason: (err as Error).message }, unreachable: err instanceof EngineUnreachableError, reason: (err as Error).message };
    }
  }

  /** Retries `kill` once a second while the engine cannot be reached, KILL_RETRY_SECONDS at most. */
  async function killWhenEngineBack(kill: () => ReturnType<typeof killByMarker>): Promise<void> {
    for (let i = 0; i < KILL_RETRY_SECONDS && !closed; i += 1) {
      if (!(await kill()).unreachable) return;
      await new Promise((resolve) => setTimeout(resolve, 1000).unref());
    }
  }

  let closed = false;

  return {
    endpoint,

    async negotiate(signal) {
      const info = await engineInfo(signal);
      apiPrefix = `/v${info.apiVersion}`;
      return info;
    },

    engineInfo,

    async listContainers(o: ListContainersOptions, signal) {
      const filters: Record<string, string[]> = {};
      if (o.name) filters.name = [o.name];
      if (o.label?.length) filters.label = [...o.label];
      const query = { all: o.all ?? false, filters: JSON.stringify(filters) };
      // Not tied to one caller's signal (others may share the request); each caller stops waiting on its own.
      const rows = coalesceListings(`${query.all}|${query.filters}`, () => call('container_list', 'listing containers', 'GET /containers/json', (s) => json<EngineContainerRow[]>('GET', '/containers/json', { query, signal: s })))
        .then((r) => (r ?? []).map(toSummary));
      return signal ? raceAbort(rows, signal) : rows;
    },

    async findContainer(idOrName, signal): Promise<ContainerFacts | null> {
      const f = await containerFacts(idOrName, signal);
      return f && { id: f.id, name: f.name, labels: f.labels, user: f.user };
    },

    async inspect(kind: InspectKind, id, signal) {
      const enc = encodeURIComponent(id);
      const paths: Record<InspectKind, string> = { container: `/containers/${enc}/json`, image: `/images/${enc}/json`, network: `/networks/${enc}`, volume: `/volumes/${enc}` };
      return call(`${kind}_inspect`, `inspecting ${kind} ${id}`, `GET ${paths[kind]}`, (s) => json<Record<string, unknown>>('GET', paths[kind], { signal: s }), { signal });
    },

    async listImages(signal): Promise<ImageSummary[]> {
      const rows = await call('image_list', 'listing images', 'GET /images/json', (s) =>
        json<Array<{ Id: string; RepoTags?: string[] | null; Size: number; Created: number }>>('GET', '/images/json', { signal: s }), { signal });
      return (rows ?? []).map((i) => ({ id: i.Id.replace(/^sha256:/, '').slice(0, 12), tags: i.RepoTags ?? [], size: i.Size, created: i.Created }));
    },

    async streamLogs(id, o: LogOptions, signal) {
      const f = await containerFacts(id, signal);
      if (f === null) return null;
      const query = {
        stdout: true, stderr: true, follow: o.follow ?? false, timestamps: o.timestamps ?? false,
        tail: o.tail ?? 'all', since: o.since, until: o.until,
      };
      // Only reaching the stream is under the deadline: once open, it runs under the caller's signal (follow reads).
      const logsPath = `/containers/${f.id}/logs`;
      const source = await call('container_logs', `reading logs of ${id}`, `GET ${logsPath}`, (s) => stream(logsPath, { query, signal: s }), { signal });
      if (source === null) {
        forget(id);
        return null;
      }
      const { stdout, stderr, done, fault, close } = demux(source, f.tty, undefined, { signal });
      return { stdout, stderr, done, fault, close };
    },

    async execInContainer(id, o: ExecOptions, signal): Promise<ExecHandle | null> {
      // The container the authorizer judged (its full id), when it was just looked up.
      const target = (await containerFacts(id, signal))?.id;
      if (!target) return null;
      const marker = randomUUID();
      const withStdin = o.stdin !== undefined;
      const tty = o.tty ?? false;
      let startSent = false;
      const started = await createAndStart(target, {
        Cmd: [...o.cmd], AttachStdout: true, AttachStderr: true, AttachStdin: withStdin, Tty: tty,
        ...(o.user ? { User: o.user } : {}), ...(o.workdir ? { WorkingDir: o.workdir } : {}),
        Env: [...(o.env ?? []), `${EXEC_MARKER_ENV}=${marker}`],
      }, tty, signal, (execId) => { exits.expect(execId); return () => exits.forget(execId); }, o.beforeStart, () => { startSent = true; })
        .catch((err: unknown) => {
          // The start was sent but its answer never came (deadline, engine gone): the engine may have started the
          // command anyway, with nobody attached. It is killed by its marker once the engine answers (bounded).
          if (startSent && err instanceof EngineUnreachableError) void killWhenEngineBack(() => killByMarker(target, id, marker, o.user));
          throw err;
        });
      if (!started) {
        forget(id);
        return null;
      }
      const { execId, socket } = started;
      let handle: ExecHandle | undefined;
      // A broken stream kills the exec: the process must not run on unobserved.
      const { stdout, stderr, done, fault } = demux(socket, tty, () => { void handle?.kill(); });
      if (withStdin) {
        socket.write(o.stdin ?? '');
        socket.end();
      }
      let killed: Promise<{ killed: number } | { killed: 0; reason: string }> | undefined;
      let killRetryable = false;
      let killInFlight = false;
      return handle = {
        stdout, stderr, done, fault,
        async exitCode(sig) {
          const stop = { done: false };
          try {
            const early = await exits.wait(execId, EXIT_EVENT_GRACE_MS);
            if (early !== undefined) return early;
            // Ask the engine, and still take the event if it comes first.
            return await new Promise<number | null>((resolve, reject) => {
              pollExitCode(execId, id, stop, sig).then(resolve, reject);
              void exits.wait(execId, Number.POSITIVE_INFINITY).then((code) => { if (code !== undefined) resolve(code); });
            });
          } finally {
            stop.done = true;
            exits.forget(execId);
          }
        },
        kill() {
          // One kill at a time, and a kill that could not reach the engine may be tried again (the engine may be back).
          if (killed && !killRetryable) return killed;
          if (killed && killInFlight) return killed;
          killRetryable = false;
          killInFlight = true;
          killed = killByMarker(target, id, marker, o.user)
            .then((r) => {
              killRetryable = r.unreachable;
              return r.unreachable ? { killed: 0 as const, reason: r.reason! } : r.result;
            })
            .finally(() => {
              killInFlight = false;
              socket.destroy();
            });
          return killed;
        },
      };
    },

    async startContainer(id, signal) {
      try {
        const path = `/containers/${encodeURIComponent(id)}/start`;
        const r = await call('container_start', `starting container ${id}`, `POST ${path}`, (s) => json('POST', path, { signal: s }).then((v) => (v === null ? null : 'started' as const)), { signal });
        return r;
      } catch (err) {
        if (err instanceof DockerOperationError && err.statusCode === 304) return 'already-running';
        throw err;
      }
    },

    async stopContainer(id, timeoutSeconds, signal) {
      try {
        const path = `/containers/${encodeURIComponent(id)}/stop`;
        const r = await call('container_stop', `stopping container ${id}`, `POST ${path}`, (s) =>
          json('POST', path, { query: { t: timeoutSeconds }, signal: s }).then((v) => (v === null ? null : true)), { signal, deadlineMs: lifecycleDeadline(timeoutSeconds) });
        return r === null ? null : 'stopped';
      } catch (err) {
        if (err instanceof DockerOperationError && err.statusCode === 304) return 'already-stopped';
        throw err;
      }
    },

    async restartContainer(id, timeoutSeconds, signal) {
      const path = `/containers/${encodeURIComponent(id)}/restart`;
      const r = await call('container_restart', `restarting container ${id}`, `POST ${path}`, (s) =>
        json('POST', path, { query: { t: timeoutSeconds }, signal: s }).then((v) => (v === null ? null : true)), { signal, deadlineMs: lifecycleDeadline(timeoutSeconds) });
      return r === null ? null : 'restarted';
    },

    close() {
      closed = true;
      exits.close();
      agent.destroy();
      facts.clear();
    },
  };
}

/** `p`, or an AbortError as soon as `signal` aborts (the work behind `p` goes on for other callers). */
function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason ?? Object.assign(new Error('aborted'), { name: 'AbortError' }));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason ?? Object.assign(new Error('aborted'), { name: 'AbortError' }));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then((v) => { signal.removeEventListener('abort', onAbort); resolve(v); },
      (e: unknown) => { signal.removeEventListener('abort', onAbort); reject(e); });
  });
}
