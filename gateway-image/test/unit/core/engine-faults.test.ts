/**
 * The Engine API client against a fault-injecting endpoint on a unix socket (no real engine): deadlines, the
 * circuit breaker, answers that do not come from a Docker engine, and a permission-denied socket's explanation.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEngineClient } from '../../../src/core/docker/engine-client.js';
import { EngineCircuitOpenError, EngineDeadlineError, NotAnEngineError } from '../../../src/core/docker/docker-client.js';
import { socketPermissionMessage } from '../../../src/core/docker/socket-access.js';
import { dockerErrorResult } from '../../../src/core/tools/tool-result.js';
import { answerPlain, startFaultEngine, type FaultEngine } from '../../e2e/helpers/fault-engine.js';

/** Answers as the engine does: JSON with the Api-Version header. */
function engineAnswer(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'api-version': '1.41', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

const VERSION = { Version: '20.10.24', ApiVersion: '1.41', Os: 'linux', Arch: 'amd64' };

let dir: string;
let fake: FaultEngine;
let clients: Array<{ close(): void }> = [];
beforeEach(async () => {
  now = 0;
  dir = mkdtempSync(join(tmpdir(), 'mcp-fault-engine-'));
  fake = await startFaultEngine(join(dir, 'docker.sock'));
});
afterEach(async () => {
  for (const c of clients) c.close();
  clients = [];
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});
/** The circuit's clock: tests move it instead of waiting. */
let now = 0;
function client(o: { timeoutMs?: number; failures?: number; openMs?: number } = {}) {
  const states: string[] = [];
  const deadlines: string[] = [];
  const rejected: string[] = [];
  const c = createEngineClient({
    host: fake.host, timeoutMs: o.timeoutMs ?? 200, circuit: { failures: o.failures ?? 2, openMs: o.openMs ?? 60_000, clock: () => now },
    events: { circuit: (s) => states.push(s), deadline: (op) => deadlines.push(op), rejected: (op) => rejected.push(op) },
  });
  clients.push(c);
  return { c, states, deadlines, rejected };
}

describe('deadlines and the circuit', () => {
  it('a hung engine fails the call at its deadline, naming the request and the time waited; the next call is not held by it', async () => {
    fake.intercept = (req) => req.url!.startsWith('/containers/json'); // never answered
    const { c, deadlines } = client({ failures: 5 });
    const err = await c.listContainers({}).then(() => undefined, (e: Error) => e);
    expect(err).toBeInstanceOf(EngineDeadlineError);
    expect(err!.message).toMatch(new RegExp(`^Docker engine at unix://${dir}/docker.sock did not answer GET /containers/json within its 200 ms deadline \\(gave up after \\d+ ms; MCP_GATEWAY_ENGINE_TIMEOUT_MS\\)$`));
    expect((err as EngineDeadlineError).elapsedMs).toBeGreaterThanOrEqual(200);
    expect(deadlines).toEqual(['container_list']);
    // The tool result carries the same words.
    expect(dockerErrorResult(err)).toMatchObject({ isError: true, content: [{ text: err!.message }] });
    // Another endpoint still answers: a hung request holds nothing else.
    fake.intercept = (req, res) => {
      if (req.url!.startsWith('/containers/json')) return true;
      if (req.url === '/images/json') { engineAnswer(res, 200, []); return true; }
      return false;
    };
    expect(await c.listImages()).toEqual([]);
  });

  it('repeated failures open the circuit: calls then fail at once with the reason, a probe after openMs closes it again', async () => {
    let hang = true;
    let probes = 0;
    fake.intercept = (req, res) => {
      if (req.url === '/version') probes += 1;
      if (hang) return true;
      engineAnswer(res, 200, req.url === '/version' ? VERSION : []);
      return true;
    };
    const { c, states, rejected } = client({ failures: 2, openMs: 300 });
    await expect(c.engineInfo()).rejects.toBeInstanceOf(EngineDeadlineError);
    await expect(c.engineInfo()).rejects.toBeInstanceOf(EngineDeadlineError);
    expect(states).toEqual(['open']);
    const seenBefore = fake.seen.length;
    const fast = await c.listContainers({}).then(() => undefined, (e: Error) => e);
    expect(fast).toBeInstanceOf(EngineCircuitOpenError);
    expect(fast!.message).toMatch(/^Docker engine at unix:\/\/\S+ is failing \(2 consecutive failures, the last: did not answer GET \/version within its 200 ms deadline .*\); calls fail fast until it answers again, next probe in [\d.]+ s$/);
    // Refused without a request reaching the endpoint.
    expect(fake.seen.length).toBe(seenBefore);
    expect(rejected).toEqual(['container_list']);

    // The engine recovers; before openMs has passed calls still fail fast, after it one call probes the engine.
    hang = false;
    const probesBefore = probes;
    now += 299;
    await expect(c.engineInfo()).rejects.toBeInstanceOf(EngineCircuitOpenError);
    expect(probes).toBe(probesBefore);
    now += 1;
    const info = await c.engineInfo();
    expect(info).toMatchObject({ apiVersion: '1.41' });
    expect(probes).toBe(probesBefore + 1);
    expect(states).toEqual(['open', 'half-open', 'closed']);
    expect(await c.listContainers({})).toEqual([]);
  });

  it('a failed probe opens the circuit again', async () => {
    fake.intercept = () => true;
    const { c, states } = client({ failures: 1, openMs: 100 });
    await expect(c.engineInfo()).rejects.toBeInstanceOf(EngineDeadlineError);
    now += 100;
    // The probe hangs too: while it runs, other calls fail fast; its failure opens the circuit again.
    const probe = c.engineInfo().then(() => undefined, (e: Error) => e);
    await expect(c.listImages()).rejects.toBeInstanceOf(EngineCircuitOpenError);
    expect(await probe).toBeInstanceOf(EngineDeadlineError);
    await expect(c.listImages()).rejects.toBeInstanceOf(EngineCircuitOpenError);
    expect(states.slice(0, 3)).toEqual(['open', 'half-open', 'open']);
  });

  it('the engine\'s own error answers keep the circuit closed (the engine is there)', async () => {
    fake.intercept = (_req, res) => { engineAnswer(res, 500, { message: 'boom' }); return true; };
    const { c, states } = client({ failures: 1 });
    await expect(c.listImages()).rejects.toThrow(/^listing images: boom$/);
    await expect(c.listImages()).rejects.toThrow(/^listing images: boom$/);
    expect(states).toEqual([]);
  });
});

describe('an endpoint that is not a Docker engine', () => {
  const cases: Array<[string, number, string, string, RegExp]> = [
    ['a web server\'s 404', 404, 'text/plain', '404 page not found', /HTTP 404 \(text\/plain: "404 page not found"\)/],
    ['a socket proxy\'s 403', 403, 'text/html', '<html><body><h1>403 Forbidden</h1>Request forbidden by administrative rules.</body></html>', /HTTP 403 \(text\/html: "<html><body><h1>403 Forbidden/],
    ['an HTML page with 200', 200, 'text/html', '<!doctype html><title>hi</title>', /HTTP 200 \(text\/html: "<!doctype html>/],
  ];
  for (const [what, status, type, body, detail] of cases) {
    it(`docker_ps gets an error naming the endpoint and the status for ${what}, never an empty list`, async () => {
      fake.intercept = (_req, res) => { answerPlain(res, status, type, body); return true; };
      const { c } = client();
      const err = await c.listContainers({}).then((rows) => rows, (e: Error) => e);
      expect(err).toBeInstanceOf(NotAnEngineError);
      expect((err as Error).message).toMatch(new RegExp(`^The endpoint unix://\\S+ answered GET /containers/json with `));
      expect((err as Error).message).toMatch(detail);
      expect((err as Error).message).toMatch(/not a Docker Engine API answer: is DOCKER_HOST a Docker engine, or is a socket proxy refusing this request\?$/);
      const result = dockerErrorResult(err);
      expect(result.isError).toBe(true);
      expect(result.content[0]).toMatchObject({ text: (err as Error).message });
      expect((err as Error).message).not.toMatch(/denied by policy/i);
    });
  }

  it('a container lookup answered by a non-engine 404 is an error, the engine\'s own 404 is "no such container"', async () => {
    fake.intercept = (req, res) => {
      if (req.url!.includes('/containers/ghost/')) engineAnswer(res, 404, { message: 'No such container: ghost' });
      else answerPlain(res, 404, 'text/plain', '404 page not found');
      return true;
    };
    const { c } = client();
    expect(await c.findContainer('ghost')).toBeNull();
    await expect(c.findContainer('web')).rejects.toBeInstanceOf(NotAnEngineError);
    await expect(c.inspect('image', 'alpine')).rejects.toBeInstanceOf(NotAnEngineError);
  });

  it('a /version answer without ApiVersion is not an engine', async () => {
    fake.intercept = (_req, res) => { answerPlain(res, 200, 'application/json', '{"status":"ok"}'); return true; };
    const { c } = client();
    await expect(c.engineInfo()).rejects.toThrow(/answered GET \/version with HTTP 200 \(no ApiVersion in the answer\)/);
  });
});

describe('a socket the gateway may not open', () => {
  it('names the path, the gateway\'s uid and groups, the socket\'s gid and the settings that fix it', () => {
    const msg = socketPermissionMessage('/var/run/docker.sock', { uid: 1000, gid: 1000, groups: [1000] }, () => ({ uid: 0, gid: 998, mode: 0o140660 }));
    expect(msg).toBe('permission denied on the Docker socket /var/run/docker.sock: the gateway runs as uid 1000 gid 1000 (groups 1000) ' +
      'and it is owned by uid 0 gid 998 with mode 660; give the gateway the socket\'s group: docker_socket_gid = 998 in the stack, or docker run --group-add 998');
  });
  it('still names the path and the fix when the socket cannot be read', () => {
    const msg = socketPermissionMessage('/run/d.sock', { uid: 1000, gid: 1000, groups: [] }, () => { throw new Error('EACCES'); });
    expect(msg).toMatch(/^permission denied on the Docker socket \/run\/d.sock: the gateway runs as uid 1000 gid 1000 \(groups none\) and its owner could not be read; .*--group-add <the socket's gid>$/);
  });
});
