/**
 * Reliability under faults and hostile input, on the built image run as the stack runs it. The engine faults come
 * from a fault-injecting endpoint on 127.0.0.1 (helpers/fault-engine.ts) that relays to the real engine unless told
 * to hang, to answer like a socket proxy or a web server, or to corrupt an exec's multiplexed stream; the gateway
 * shares the host's network namespace to reach it (DOCKER_HOST=tcp://127.0.0.1:<port>).
 */
import { chmodSync, chownSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker, processes, runTarget, uniq, waitForProcess, type TestContainer } from './helpers/docker-cli.js';
import { answerPlain, startFaultEngine, type FaultEngine } from './helpers/fault-engine.js';
import { E2E_CONFIG, E2E_TOKEN, rpcCall, startGateway, type GatewayUnderTest } from './helpers/gateway-container.js';
import { AUDIT_DIR, auditRecords } from './security/security-helpers.js';

const ENGINE_SOCKET = '/var/run/docker.sock';

describe('a hung, failing or foreign engine endpoint', () => {
  let fault: FaultEngine;
  let gw: GatewayUnderTest;
  let target: TestContainer;

  beforeAll(async () => {
    target = await runTarget(uniq('rel-target'));
    fault = await startFaultEngine(0, ENGINE_SOCKET);
    gw = await startGateway({
      hostNetwork: true,
      env: {
        DOCKER_HOST: fault.host, MCP_GATEWAY_ENGINE_TIMEOUT_MS: '1000',
        MCP_GATEWAY_ENGINE_CIRCUIT_FAILURES: '2', MCP_GATEWAY_ENGINE_CIRCUIT_OPEN_MS: '2000',
      },
      config: { ...E2E_CONFIG, exec: { ...E2E_CONFIG.exec, commandPatterns: [...E2E_CONFIG.exec.commandPatterns, 'sh'] } },
    });
  });
  afterAll(async () => {
    await gw?.remove();
    await target?.remove();
    await fault?.close();
  });
  const metric = async (name: string) => (await (await gw.fetch('/metrics')).text()).split('\n').filter((l) => l.startsWith(name));

  it('a hung engine: docker_ps ends at its deadline naming the request and the time waited, then the circuit fails calls fast; the engine back, calls work again', async () => {
    expect((await rpcCall(gw, 'docker_ps')).result?.isError).toBeFalsy();
    fault.intercept = (req) => req.url!.includes('/containers/json') || req.url!.includes('/version');
    const first = await rpcCall(gw, 'docker_ps');
    expect(first.result?.isError).toBe(true);
    expect(first.result?.content[0].text).toMatch(new RegExp(`^Docker engine at ${fault.host.replace(/[.:/]/g, '\\$&')} did not answer GET /v1\\.\\d+/containers/json within its 1000 ms deadline \\(gave up after \\d+ ms; MCP_GATEWAY_ENGINE_TIMEOUT_MS\\)$`));
    const second = await rpcCall(gw, 'docker_ps');
    expect(second.result?.content[0].text).toMatch(/did not answer GET .*within its 1000 ms deadline/);
    // Two failures opened the circuit: the next call is refused without reaching the endpoint, with the reason.
    const seen = fault.seen.length;
    const fast = await rpcCall(gw, 'docker_ps');
    expect(fast.result?.content[0].text).toMatch(/^Docker engine at \S+ is failing \(2 consecutive failures, the last: did not answer GET \S+ within its 1000 ms deadline .*\); calls fail fast until it answers again, next probe in [\d.]+ s$/);
    expect(fault.seen.length).toBe(seen);
    expect(await metric('docker_engine_circuit_state{state="open"}')).toEqual(['docker_engine_circuit_state{state="open"} 1']);
    expect((await metric('docker_api_deadline_exceeded_total{operation="container_list"}'))[0]).toMatch(/ 2$/);
    expect((await metric('docker_engine_circuit_rejected_total{operation="container_list"}'))[0]).toMatch(/ [1-9]\d*$/);
    const ready = await gw.fetch('/ready');
    expect(ready.status).toBe(503);
    expect((await ready.json()).checks.docker.detail).toMatch(/is failing \(\d+ consecutive failures/);

    // The engine answers again: after the open period one call probes it and the gateway serves, without a restart.
    fault.intercept = undefined;
    const deadline = Date.now() + 15_000;
    let ok = false;
    while (!ok && Date.now() < deadline) {
      const r = await rpcCall(gw, 'docker_ps', { name: target.name });
      ok = !r.result?.isError;
      if (!ok) expect(r.result?.content[0].text).toMatch(/is failing/);
      else expect((r.result?.structuredContent as { containers: Array<{ name: string }> }).containers.map((c) => c.name)).toEqual([target.name]);
      if (!ok) await new Promise((res) => setTimeout(res, 200));
    }
    expect(ok).toBe(true);
    expect(await metric('docker_engine_circuit_state{state="closed"}')).toEqual(['docker_engine_circuit_state{state="closed"} 1']);
    expect((await gw.fetch('/ready')).status).toBe(200);
  });

  it('a socket proxy refusing (403 HTML) or a web server (404): docker_ps and docker_images are errors naming the endpoint and the status, never an empty list', async () => {
    fault.intercept = (req, res) => {
      if (req.url!.includes('/containers/json')) answerPlain(res, 403, 'text/html', '<html><body><h1>403 Forbidden</h1>Request forbidden by administrative rules.</body></html>');
      else if (req.url!.includes('/images/json')) answerPlain(res, 404, 'text/plain', '404 page not found');
      else return false;
      return true;
    };
    try {
      const ps = await rpcCall(gw, 'docker_ps');
      expect(ps.result?.isError).toBe(true);
      expect(ps.result?.structuredContent?.count).toBeUndefined();
      expect(ps.result?.content[0].text).toMatch(new RegExp(`^The endpoint ${fault.host.replace(/[.:/]/g, '\\$&')} answered GET /v1\\.\\d+/containers/json with HTTP 403 \\(text/html: "<html><body><h1>403 Forbidden.*not a Docker Engine API answer`));
      expect(ps.result?.content[0].text).not.toMatch(/denied|policy/i);
      const images = await rpcCall(gw, 'docker_images');
      expect(images.result?.content[0].text).toMatch(/answered GET \/v1\.\d+\/images\/json with HTTP 404 \(text\/plain: "404 page not found"\)/);
    } finally {
      fault.intercept = undefined;
    }
  });

  it('an exec start whose answer never comes: the call ends at its deadline, and the command the engine started anyway is killed', async () => {
    const marker = `sleep ${1000 + Math.floor(Math.random() * 8000)}`;
    const ran = `/tmp/ran-${marker.split(' ')[1]}`;
    let hold = true;
    fault.holdStart = () => {
      const h = hold;
      hold = false;
      return h;
    };
    try {
      const r = await rpcCall(gw, 'docker_exec', { id: target.name, cmd: ['sh', '-c', `touch ${ran}; exec ${marker}`], timeoutMs: 120_000 });
      expect(r.result?.isError).toBe(true);
      expect(r.result?.content[0].text).toMatch(/^Docker engine at \S+ did not answer POST \/v1\.\d+\/exec\/[0-9a-f]{64}\/start within its 1000 ms deadline \(gave up after \d+ ms; MCP_GATEWAY_ENGINE_TIMEOUT_MS\)$/);
      // The engine did start the command (it left its file), and the gateway killed it by its marker.
      expect(await docker('exec', target.name, 'ls', ran)).toBe(ran);
      await waitForProcess(target.name, marker, false);
    } finally {
      fault.holdStart = undefined;
    }
  });

  const badFrames: Array<[string, Buffer, RegExp]> = [
    ['an unknown stream type', Buffer.concat([Buffer.from([9, 0, 0, 0, 0, 0, 0, 5]), Buffer.from('GHOST')]),
      /\(frame header 0900000000000005: stream type 9 is not stdin\/stdout\/stderr\/error, or padding is not zero\)/],
    ['a 4 GiB frame length', Buffer.concat([Buffer.from([1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]), Buffer.from('GHOST')]),
      /\(frame of 4294967295 bytes announced, more than the 1048576 accepted\)/],
  ];
  it.each(badFrames)('a malformed exec stream (%s) aborts the call with a clear error and kills the exec; nothing reaches stdout', async (_what, frame, detail) => {
    // A duration no other test uses: its process line is how the test finds the command in the target.
    const marker = `sleep ${1000 + Math.floor(Math.random() * 8000)}`;
    // The next exec start relayed gets the bad frame ahead of the engine's own output; the kill exec after it does not.
    let corrupt = true;
    fault.corruptStart = () => {
      if (!corrupt) return undefined;
      corrupt = false;
      return frame;
    };
    const call = rpcCall(gw, 'docker_exec', { id: target.name, cmd: ['sh', '-c', `echo started; exec ${marker}`], timeoutMs: 120_000 });
    const r = await call;
    expect(r.result?.isError).toBe(true);
    expect(r.result?.content[0].text).toMatch(/^Docker engine at \S+ sent a malformed output stream \(.+\); the call was aborted$/);
    expect(r.result?.content[0].text).toMatch(detail);
    expect(r.result?.structuredContent).toMatchObject({ stopped: 'stream-fault', killed: { killed: expect.any(Number) } });
    // The exec's process was alive when the malformed frame came, and the kill found it.
    expect((r.result?.structuredContent as { killed: { killed: number } }).killed.killed).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify(r.result)).not.toContain('GHOST');
    await waitForProcess(target.name, marker, false);
    expect((await processes(target.name)).some((p) => p.includes(marker))).toBe(false);
  });
});

describe('a Docker socket the gateway may not open', () => {
  it('docker_ps names the path, the gateway\'s uid and groups, the socket\'s owner and the setting that fixes it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcp-rel-sock-'));
    chmodSync(dir, 0o755);
    const socket = join(dir, 'docker.sock');
    const fake = await startFaultEngine(socket);
    // Owned by root:root, 0660: the gateway (uid 1000, its groups) may not connect.
    chownSync(socket, 0, 0);
    chmodSync(socket, 0o660);
    const gw = await startGateway({ env: { DOCKER_HOST: 'unix:///var/run/denied/docker.sock' }, args: ['-v', `${dir}:/var/run/denied`] });
    try {
      const r = await rpcCall(gw, 'docker_ps');
      expect(r.result?.isError).toBe(true);
      expect(r.result?.content[0].text).toMatch(/^permission denied on the Docker socket \/var\/run\/denied\/docker\.sock: the gateway runs as uid 1000 gid 1000 \(groups [\d,]+\) and it is owned by uid 0 gid 0 with mode 660; give the gateway the socket's group: docker_socket_gid = 0 in the stack, or docker run --group-add 0$/);
      expect(r.result?.content[0].text).not.toMatch(/unreachable/);
      expect((await (await gw.fetch('/ready')).json()).checks.docker.detail).toMatch(/^permission denied on the Docker socket/);
    } finally {
      await gw.remove();
      await fake.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the HTTP edge', () => {
  let gw: GatewayUnderTest;
  beforeAll(async () => {
    gw = await startGateway({ env: { MCP_GATEWAY_MAX_BODY_BYTES: '65536' } });
  });
  afterAll(async () => {
    await gw?.remove();
  });

  it('a declared oversize body gets its 413 (naming MCP_GATEWAY_MAX_BODY_BYTES) even when the client reads only after uploading it all', async () => {
    const size = 8 * 1024 * 1024;
    const r = await new Promise<{ response: string; error?: string }>((resolve) => {
      const s = net.connect(gw.port, '127.0.0.1');
      const got: Buffer[] = [];
      let error: string | undefined;
      s.pause();
      s.on('error', (e: NodeJS.ErrnoException) => { error ??= e.code; });
      s.on('close', () => resolve({ response: Buffer.concat(got).toString('latin1'), error }));
      s.once('connect', () => {
        s.write(`POST /rpc HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${E2E_TOKEN}\r\ncontent-type: application/json\r\ncontent-length: ${size}\r\n\r\n`);
        s.write(Buffer.alloc(size, 0x20), () => {
          s.end();
          s.on('data', (c: Buffer) => got.push(c));
          s.resume();
        });
      });
    });
    expect(r.error).toBeUndefined();
    expect(r.response).toMatch(/^HTTP\/1\.1 413 /);
    expect(r.response).toContain(`${size} > 65536 bytes (MCP_GATEWAY_MAX_BODY_BYTES)`);
  });

  it('refusals of malformed JSON and batches are audited with the size and SHA-256 of the body, never its content', async () => {
    const bad = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"docker_ps","secret":"do-not-log-me"';
    const res = await gw.fetch('/rpc', { method: 'POST', body: bad, headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
    const batch = await gw.fetch('/mcp', { method: 'POST', body: '[{"jsonrpc":"2.0","id":1,"method":"ping"}]', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' } });
    expect(batch.status).toBe(400);
    const deadline = Date.now() + 10_000;
    let records = await auditRecords(gw);
    while (records.filter((x) => x.tool.startsWith('http:')).length < 2 && Date.now() < deadline) records = await auditRecords(gw);
    const edge = records.filter((x) => x.tool.startsWith('http:')) as Array<Record<string, unknown>>;
    expect(edge).toEqual(expect.arrayContaining([
      expect.objectContaining({ tool: 'http:/rpc', ruleId: 'edge.parse_error', principal: 'e2e', decision: 'deny', bytes: bad.length, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }),
      expect.objectContaining({ tool: 'http:/mcp', ruleId: 'edge.batch_rejected', principal: 'e2e', decision: 'deny' }),
    ]));
    expect(JSON.stringify(records)).not.toContain('do-not-log-me');
  });

  it('refusals the session transport and the 2026 SDK answer themselves are audited too: an unknown session, a header mismatch', async () => {
    const unknown = await gw.fetch('/mcp', {
      method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': 'no-such-session' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(unknown.status).toBe(404);
    await unknown.body?.cancel();
    const meta = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientCapabilities': {}, 'io.modelcontextprotocol/clientInfo': { name: 'rel', version: '1' } };
    const mismatch = await gw.fetch('/mcp', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/list', 'mcp-name': 'docker_ps' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'docker_ps', arguments: { note: 'do-not-log-me-2026' }, _meta: meta } }),
    });
    expect(mismatch.status).toBe(400);
    expect((await mismatch.json()).error.code).toBe(-32020);
    const wanted = (x: { ruleId?: string }) => x.ruleId === 'edge.session_not_found' || x.ruleId === 'edge.rpc_32020';
    const deadline = Date.now() + 10_000;
    let records = await auditRecords(gw);
    while (records.filter(wanted).length < 2 && Date.now() < deadline) records = await auditRecords(gw);
    expect(records.filter(wanted) as Array<Record<string, unknown>>).toEqual(expect.arrayContaining([
      expect.objectContaining({ tool: 'http:/mcp', ruleId: 'edge.session_not_found', principal: 'e2e', decision: 'deny' }),
      expect.objectContaining({ tool: 'http:/mcp', ruleId: 'edge.rpc_32020', principal: 'e2e', decision: 'deny', reason: expect.stringMatching(/^MCP 2026-07-28: /) }),
    ]));
    expect(JSON.stringify(records)).not.toContain('do-not-log-me-2026');
  });

  it('session ids carry at least 128 random bits (Streamable HTTP and SSE)', async () => {
    const init = await gw.fetch('/mcp', {
      method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'rel', version: '1' } } }),
    });
    const id = init.headers.get('mcp-session-id') ?? '';
    await init.body?.cancel();
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(id, 'base64url').length * 8).toBeGreaterThanOrEqual(128);
    const ac = new AbortController();
    const sse = await gw.fetch('/sse', { headers: { accept: 'text/event-stream' }, signal: ac.signal });
    const reader = sse.body!.getReader();
    let text = '';
    while (!/sessionId=[^\s&]+/.test(text)) text += new TextDecoder().decode((await reader.read()).value);
    ac.abort();
    const sseId = /sessionId=([^\s&]+)/.exec(text)![1];
    expect(sseId).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

describe('one gateway per audit directory', () => {
  it('a second gateway on the same audit volume refuses to start naming the first; the first, killed and restarted in its container, starts at once', async () => {
    const volume = uniq('rel-audit');
    await docker('volume', 'create', '--label', 'mcp.gateway.test=1', volume);
    let first: GatewayUnderTest | undefined;
    let second: TestContainer | undefined;
    try {
      first = await startGateway({ args: ['-v', `${volume}:${AUDIT_DIR}`] });
      expect((await rpcCall(first, 'docker_ps')).result?.isError).toBeFalsy();
      const name = uniq('rel-gw2');
      const err = await startGateway({ name, args: ['-v', `${volume}:${AUDIT_DIR}`] }).then(() => undefined, (e: Error) => e);
      second = { id: name, name, remove: async () => { await docker('rm', '-f', '-v', name).catch(() => undefined); } };
      expect(err?.message).toMatch(/gateway container exited/);
      expect(err?.message).toMatch(new RegExp(`audit directory is in use by another gateway \\(instance [0-9a-f-]{36}, pid \\d+ on host ${first.id.slice(0, 12)}`));
      // SIGKILL leaves the lock behind; the same container started again (same host name, pid 1) takes it over.
      await docker('kill', '-s', 'KILL', first.id);
      await docker('start', first.id);
      const port = Number((await docker('port', first.id, '3000/tcp')).split('\n')[0].split(':').pop());
      const deadline = Date.now() + 30_000;
      let status = 0;
      while (status !== 200 && Date.now() < deadline) {
        status = await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.status, () => 0);
        if (status !== 200) await new Promise((r) => setTimeout(r, 100));
      }
      expect(status).toBe(200);
    } finally {
      await second?.remove();
      await first?.remove();
      await docker('volume', 'rm', '-f', volume).catch(() => undefined);
    }
  });
});

describe('readiness with Cloudflare Access', () => {
  it('/ready is 503 naming the Access keys while the JWKS endpoint is unreachable and no key set is cached', async () => {
    // A port nothing listens on: connection refused at once.
    const closed = await new Promise<number>((resolve) => {
      const srv = net.createServer().listen(0, '127.0.0.1', () => {
        const { port } = srv.address() as net.AddressInfo;
        srv.close(() => resolve(port));
      });
    });
    const gw = await startGateway({
      hostNetwork: true,
      config: { ...E2E_CONFIG, auth: { access: { teamDomain: 'team.example.test', aud: 'aud-0123456789', certsUrl: `http://127.0.0.1:${closed}/cdn-cgi/access/certs` } } },
    });
    try {
      const ready = await gw.fetch('/ready');
      expect(ready.status).toBe(503);
      const body = await ready.json();
      expect(body.checks.docker.ok).toBe(true);
      expect(body.checks.access).toEqual({ ok: false, detail: expect.stringMatching(/^no Access signing keys: every request with an Access JWT is refused \(.+\)$/) });
    } finally {
      await gw.remove();
    }
  });
});

