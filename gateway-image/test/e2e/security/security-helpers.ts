/**
 * Helpers of the negative security suite: reading the audit log from inside a gateway container, proving that no
 * Docker call reached a target (its exec ids), asserting denials, raw HTTP requests, and a gateway on the host's
 * network namespace (so it can reach a JWKS server the test runs on 127.0.0.1).
 */
import { request } from 'node:http';
import { statSync } from 'node:fs';
import { expect } from 'vitest';
import { docker, uniq } from '../helpers/docker-cli.js';
import { containerLogs, E2E_TOKEN, freePort, startGateway, type GatewayUnderTest } from '../helpers/gateway-container.js';

export { containerLogs, freePort };
import { GATEWAY_IMAGE } from '../helpers/images.js';

/** Where the image writes its audit log (MCP_DOCKER_AUDIT_FILE in the Dockerfile): daily `audit-YYYY-MM-DD.log` files. */
export const AUDIT_DIR = '/var/lib/mcp-gateway/audit';

/** One audit record as the gateway writes it. */
export interface AuditLine {
  seq: number;
  hash: string;
  prevHash: string;
  time: string;
  traceId: string;
  principal: string;
  authMethod: string;
  tool: string;
  target?: string;
  phase: 'decision' | 'outcome';
  decision: 'allow' | 'deny';
  ruleId: string;
  reason?: string;
  args?: Record<string, unknown>;
  dryRun?: boolean;
  exitCode?: number;
  [k: string]: unknown;
}

/** The raw text of every audit file in the gateway container (read with `docker exec`, as an operator would). */
export async function auditText(gw: { id: string }): Promise<string> {
  return docker('exec', gw.id, 'sh', '-c', `cat ${AUDIT_DIR}/audit-*.log 2>/dev/null || true`);
}

/** Every audit record, oldest first. */
export async function auditRecords(gw: { id: string }): Promise<AuditLine[]> {
  return (await auditText(gw)).split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as AuditLine);
}

/**
 * Waits (bounded) for an audit record matching `match` and returns it. A tool call's records are in the file before
 * its answer; the gateway's edge denials (authentication, Origin/Host) are written as the request is refused, and
 * the wait also covers them.
 */
export async function waitForAudit(gw: { id: string }, match: (r: AuditLine) => boolean, timeoutMs = 10_000): Promise<AuditLine> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hit = (await auditRecords(gw)).find(match);
    if (hit) return hit;
    if (Date.now() > deadline) throw new Error(`no matching audit record within ${timeoutMs} ms; log:\n${await auditText(gw)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits for the denial record of `tool` with `ruleId` (optionally for one principal / after a seq). */
export function waitForDenial(gw: { id: string }, tool: string, ruleId: string, opts: { principal?: string; afterSeq?: number } = {}): Promise<AuditLine> {
  return waitForAudit(gw, (r) => r.tool === tool && r.decision === 'deny' && r.ruleId === ruleId
    && (opts.principal === undefined || r.principal === opts.principal) && r.seq > (opts.afterSeq ?? 0));
}

/** Highest seq written so far (0 when the log is empty). */
export async function lastSeq(gw: { id: string }): Promise<number> {
  const recs = await auditRecords(gw);
  return recs.length ? recs[recs.length - 1].seq : 0;
}

/**
 * Records after `seq` that came from the tool pipeline (a tool call was decided), leaving out the edge's own
 * refusal records (`tool` = `http:<path>`), which the gateway writes for requests it refuses before any tool.
 */
export async function toolRecordsAfter(gw: { id: string }, seq: number): Promise<AuditLine[]> {
  return (await auditRecords(gw)).filter((r) => r.seq > seq && !r.tool.startsWith('http:'));
}

/** The exec instances a container lists right now (Docker drops finished ones, so this shows running execs). */
export async function execIds(container: string): Promise<string[]> {
  const out = await docker('inspect', '-f', '{{json .ExecIDs}}', container);
  return (JSON.parse(out) as string[] | null) ?? [];
}

/**
 * A point in time for {@link execsSince}, in the engine's event clock (seconds since the epoch; the engine shares
 * this machine's clock). The margin covers millisecond rounding only: an exec of the test before, answered just
 * before this moment, was created at least its own run time (~40 ms) earlier and must stay outside the window.
 */
export function eventClock(): string {
  return (Date.now() / 1000 - 0.005).toFixed(3);
}

/**
 * The execs Docker created in `container` since `since` (from the engine's event log, `exec_create: <cmd>`), so even
 * an exec that already finished is seen. A denied call must leave this empty. The test's own audit reads
 * (`docker exec <gateway> sh -c 'cat .../audit-*.log'`) are left out.
 */
export async function execsSince(container: string, since: string): Promise<string[]> {
  const until = (Date.now() / 1000 + 0.5).toFixed(3);
  const out = await docker('events', '--since', since, '--until', until, '--filter', `container=${container}`, '--filter', 'type=container', '--format', '{{.Action}}');
  // Leaves out the tests' own probes: audit reads and the process listing of processes() (`ps -o pid,args`), which
  // may land inside the window because `since` starts a few ms early.
  return out.split('\n').filter((a) => a.startsWith('exec_create') && !a.includes(AUDIT_DIR) && a.trim() !== 'exec_create: ps -o pid,args');
}

/** Running state of a container (`true`/`false`). */
export async function isRunning(container: string): Promise<boolean> {
  return (await docker('inspect', '-f', '{{.State.Running}}', container)) === 'true';
}

/** A tools/call result as /rpc returns it. */
export type RpcResponse = { result?: { isError?: boolean; structuredContent?: Record<string, unknown>; content: Array<{ text: string }> }; error?: { code: number; message: string } };

/** Asserts an `isError` denial result naming the rule id (text `Denied (<rule>): ...`, structured `{denied, ruleId}`). */
export function expectDenied(r: RpcResponse, ruleId: string): void {
  expect(r.error, JSON.stringify(r)).toBeUndefined();
  expect(r.result?.isError, JSON.stringify(r)).toBe(true);
  expect(r.result?.content[0].text).toMatch(new RegExp(`^Denied \\(${ruleId.replace(/\./g, '\\.')}\\): `));
  expect(r.result?.structuredContent).toMatchObject({ denied: true, ruleId });
}

/** POSTs a raw body to `path` (default: with the e2e bearer token and JSON content type). */
export function postRaw(gw: { url: string }, path: string, body: string, headers: Record<string, string> = {}, token: string | null = E2E_TOKEN): Promise<Response> {
  return fetch(`${gw.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body,
    signal: AbortSignal.timeout(15_000),
  });
}

/**
 * Sends only the request head (with a large Content-Length) and never the body, and resolves with the status as
 * soon as the gateway answers: proves a refusal happens before the body is read.
 */
export function headOnlyRequest(url: string, path: string, headers: Record<string, string>, timeoutMs = 5_000): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = request({ host: u.hostname, port: u.port, path, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': '500000', ...headers }, setHost: !('host' in headers) });
    const timer = setTimeout(() => { req.destroy(); reject(new Error(`no answer within ${timeoutMs} ms while the body was withheld`)); }, timeoutMs);
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => { clearTimeout(timer); req.destroy(); resolve({ status: res.statusCode ?? 0, headers: res.headers, body }); });
    });
    req.on('error', (err) => { clearTimeout(timer); reject(err); });
    req.flushHeaders();
  });
}

/** The gateway image in the host's network namespace on 127.0.0.1:<free port> (see startGateway's hostNetwork). */
export function startHostNetworkGateway(opts: { env?: Record<string, string>; config?: unknown; args?: string[] } = {}): Promise<GatewayUnderTest> {
  return startGateway({ ...opts, hostNetwork: true });
}

/**
 * Streams an endless chunked JSON body (with the e2e token) and reports the answer and whether the gateway closed
 * the connection while the client still had data to send (it gives up after `maxSeconds`).
 */
export function streamUntilClosed(url: string, path: string, limitBytes: number, maxSeconds = 10): Promise<{ status: number; connection?: string; closed: boolean; sentBytes: number }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = request({ host: u.hostname, port: u.port, path, method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${E2E_TOKEN}`, accept: 'application/json, text/event-stream' } });
    const chunk = Buffer.from(`{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"${'z'.repeat(8192)}`);
    let sent = 0;
    let status = 0;
    let connection: string | undefined;
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearInterval(pump);
      clearTimeout(timer);
      req.destroy();
      if (status === 0) reject(new Error(`no answer; sent ${sent} bytes (limit ${limitBytes})`));
      else resolve({ status, connection, closed, sentBytes: sent });
    };
    // Keep writing well past the limit; stop only when the gateway closes the socket or time runs out.
    const pump = setInterval(() => {
      if (!req.destroyed && req.writable) { req.write(chunk); sent += chunk.length; }
    }, 2);
    const timer = setTimeout(() => finish(false), maxSeconds * 1000);
    req.on('response', (res) => {
      status = res.statusCode ?? 0;
      connection = res.headers.connection;
      res.resume();
    });
    req.on('close', () => finish(true));
    req.on('error', () => finish(true));
  });
}

/**
 * Runs the gateway image in the foreground (hardened as startGateway does) and waits for it to exit: for configs
 * the gateway must refuse at start-up. Resolves with the exit code and stdout+stderr; a gateway still running after
 * `timeoutMs` is removed and reported with code `'running'`.
 */
export async function runGatewayToExit(env: Record<string, string>, timeoutMs = 45_000): Promise<{ code: number | 'running'; output: string }> {
  const { execFile } = await import('node:child_process');
  const { RUN_LABEL, TEST_LABEL } = await import('../helpers/images.js');
  const name = uniq('gw-refuse');
  const gid = statSync('/var/run/docker.sock').gid;
  const args = ['run', '--rm', '--name', name, '--label', TEST_LABEL, ...(process.env.MCP_TEST_RUN ? ['--label', `${RUN_LABEL}=${process.env.MCP_TEST_RUN}`] : []),
    '-v', '/var/run/docker.sock:/var/run/docker.sock', '--group-add', String(gid), '--read-only', '--tmpfs', '/tmp', '--cap-drop', 'ALL',
    '--security-opt', 'no-new-privileges', '--network', 'none',
    '-e', `MCP_GATEWAY_AUTH_TOKENS=e2e=${E2E_TOKEN}`, ...Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]), GATEWAY_IMAGE];
  return new Promise((resolve) => {
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; void docker('rm', '-f', '-v', name).catch(() => undefined); }, timeoutMs);
    execFile('docker', args, { maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      clearTimeout(timer);
      const code = timedOut ? 'running' as const : err ? Number((err as { code?: unknown }).code ?? -1) : 0;
      resolve({ code, output: `${stdout}${stderr}` });
    });
  });
}
