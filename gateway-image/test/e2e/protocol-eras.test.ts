/**
 * Both MCP protocol eras on one /mcp URL, against the built image on the real engine: 2026-07-28 requests served
 * statelessly (SDK v2 client, `auto` and `pin`), 2025 sessions kept (SDK 1.x client and SDK v2 in its default legacy
 * mode), the 2026 revision's errors for bad input (none of which reaches Docker), and the edge's chain (Origin,
 * authentication, body limit, policy, audit, metrics) applied to 2026 requests as to 2025 ones.
 */
import { Client as ClientV2, StreamableHTTPClientTransport as HttpTransportV2 } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTarget, uniq, type TestContainer } from './helpers/docker-cli.js';
import { E2E_TOKEN, VIEWER_TOKEN, startGateway, type GatewayUnderTest } from './helpers/gateway-container.js';
import { connectClient, data } from './helpers/mcp-client.js';
import { auditRecords } from './security/security-helpers.js';

const MODERN = '2026-07-28';

/** The per-request `_meta` envelope of a 2026-07-28 request. */
function envelope(version = MODERN, capabilities: Record<string, unknown> = {}) {
  return { 'io.modelcontextprotocol/protocolVersion': version, 'io.modelcontextprotocol/clientCapabilities': capabilities, 'io.modelcontextprotocol/clientInfo': { name: 'raw', version: '1' } };
}

/** Connects an SDK v2 client to /mcp with the given version negotiation. */
async function connectV2(url: string, mode: 'auto' | 'legacy' | 'pin', token = E2E_TOKEN): Promise<ClientV2> {
  const client = new ClientV2({ name: `e2e-v2-${mode}`, version: '1.0.0' }, {
    versionNegotiation: mode === 'pin' ? { mode: { pin: MODERN } } : { mode },
  });
  await client.connect(new HttpTransportV2(new URL(`${url}/mcp`), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  return client;
}

describe('/mcp serves MCP 2026-07-28 and 2025-11-25 on one URL (built image, real engine)', () => {
  let gw: GatewayUnderTest;
  let target: TestContainer;

  beforeAll(async () => {
    target = await runTarget(uniq('eras-target'));
    gw = await startGateway({ env: { MCP_GATEWAY_MAX_BODY_BYTES: '65536' } });
  });
  afterAll(async () => {
    await gw?.remove();
    await target?.remove();
  });

  /** A raw 2026-07-28 POST with the headers the revision requires (overridable) and the given body. */
  function modernPost(body: Record<string, unknown>, headers: Record<string, string> = {}, token: string | null = E2E_TOKEN): Promise<Response> {
    const params = body.params as { name?: string } | undefined;
    return gw.fetch('/mcp', {
      method: 'POST', token,
      headers: {
        'content-type': 'application/json', accept: 'application/json, text/event-stream',
        'mcp-protocol-version': MODERN, 'mcp-method': String(body.method),
        ...(params?.name !== undefined ? { 'mcp-name': params.name } : {}),
        ...headers,
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, ...body }),
    });
  }

  /** The sum of mcp_tool_calls_total over every tool and outcome. */
  async function toolCallsTotal(): Promise<number> {
    const text = await (await gw.fetch('/metrics')).text();
    return text.split('\n').filter((l) => l.startsWith('mcp_tool_calls_total{')).reduce((n, l) => n + Number(l.split(' ').pop()), 0);
  }

  it('the SDK v2 client in `auto` mode negotiates 2026-07-28 and lists and calls statelessly (no session id)', async () => {
    const client = await connectV2(gw.url, 'auto');
    try {
      expect(client.getProtocolEra()).toBe('modern');
      const list = await client.listTools();
      expect(list.tools.map((t) => t.name)).toEqual(expect.arrayContaining(['docker_ps', 'docker_exec']));
      // tools/list depends on the caller's role: a shared cache must not serve it to someone else.
      expect(list).toMatchObject({ ttlMs: 0, cacheScope: 'private' });
      const ps = data(await client.callTool({ name: 'docker_ps', arguments: { name: target.name } }));
      expect(ps.count).toBe(1);
      const ex = data(await client.callTool({ name: 'docker_exec', arguments: { id: target.name, cmd: ['echo', 'modern'] } }));
      expect(ex).toMatchObject({ exitCode: 0, stdout: 'modern\n' });
    } finally {
      await client.close();
    }
  });

  it('the SDK v2 client pinned to 2026-07-28 streams a call\'s progress on the call\'s own response', async () => {
    const client = await connectV2(gw.url, 'pin');
    try {
      expect(client.getProtocolEra()).toBe('modern');
      let streamed = 0;
      const st = data(await client.callTool({ name: 'docker_exec', arguments: { id: target.name, cmd: ['seq', '1', '20000'], stream: true, chunkBytes: 4096 } }, {
        onprogress: (p) => { streamed += (JSON.parse(p.message ?? '{}') as { data?: string }).data?.length ?? 0; },
      }));
      expect(st.exitCode).toBe(0);
      expect(st.bytes).toBe(108894);
      expect(streamed).toBe(108894);
    } finally {
      await client.close();
    }
  });

  it('2025 clients keep their sessions on the same URL: SDK 1.x and SDK v2 in its default (legacy) mode', async () => {
    const v1 = await connectClient(gw.url, 'streamable-http');
    const v2 = await connectV2(gw.url, 'legacy');
    try {
      expect((v1.transport as { sessionId?: string }).sessionId).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(v2.getProtocolEra()).toBe('legacy');
      expect(data(await v1.callTool({ name: 'docker_ps', arguments: { name: target.name } })).count).toBe(1);
      expect(data(await v2.callTool({ name: 'docker_ps', arguments: { name: target.name } })).count).toBe(1);
      // A 2026 request between two calls of a session changes nothing for the session.
      expect((await modernPost({ method: 'tools/list', params: { _meta: envelope() } })).status).toBe(200);
      expect(data(await v1.callTool({ name: 'health', arguments: {} }))).toHaveProperty('gateway');
    } finally {
      await v1.close();
      await v2.close();
    }
  });

  it('server/discover lists every version served, with ttlMs and cacheScope', async () => {
    const res = await modernPost({ method: 'server/discover', params: { _meta: envelope() } });
    expect(res.status).toBe(200);
    const { result } = await res.json();
    expect(result.supportedVersions).toEqual(expect.arrayContaining([MODERN, '2025-11-25', '2025-06-18']));
    expect(result).toMatchObject({ resultType: 'complete', cacheScope: 'public', capabilities: { tools: { listChanged: true } } });
    expect(typeof result.ttlMs).toBe('number');
    expect(result._meta['io.modelcontextprotocol/serverInfo'].name).toBe('docker-mcp-gateway');
  });

  it('bad 2026 input gets the revision\'s errors, and none of it runs a tool', async () => {
    const before = await toolCallsTotal();
    const exec = { name: 'docker_exec', arguments: { id: target.name, cmd: ['echo', 'must not run'] }, _meta: envelope() };

    const mismatch = await modernPost({ method: 'tools/call', params: exec }, { 'mcp-method': 'tools/list' });
    expect(mismatch.status).toBe(400);
    expect((await mismatch.json()).error.code).toBe(-32020);
    const wrongName = await modernPost({ method: 'tools/call', params: exec }, { 'mcp-name': 'docker_ps' });
    expect(wrongName.status).toBe(400);
    expect((await wrongName.json()).error.code).toBe(-32020);
    const versions = await modernPost({ method: 'tools/call', params: exec }, { 'mcp-protocol-version': '2025-11-25' });
    expect(versions.status).toBe(400);
    expect((await versions.json()).error.code).toBe(-32020);

    const unsupported = await modernPost({ method: 'tools/call', params: { ...exec, _meta: envelope('2099-01-01') } }, { 'mcp-protocol-version': '2099-01-01' });
    expect(unsupported.status).toBe(400);
    const u = await unsupported.json();
    expect(u.error.code).toBe(-32022);
    expect(u.error.data).toEqual({ supported: [MODERN], requested: '2099-01-01' });

    const unknown = await modernPost({ method: 'tools/destroy', params: { _meta: envelope() } });
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).error.code).toBe(-32601);
    // ping and initialize do not exist in 2026-07-28.
    const ping = await modernPost({ method: 'ping', params: { _meta: envelope() } });
    expect(ping.status).toBe(404);
    // A request naming no version and no session: the supported versions in the answer.
    const bare = await gw.fetch('/mcp', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: exec.name, arguments: exec.arguments } }) });
    expect(bare.status).toBe(400);
    expect((await bare.json()).error).toMatchObject({ code: -32022, data: { supported: [MODERN] } });

    for (const method of ['GET', 'DELETE']) {
      const r = await gw.fetch('/mcp', { method });
      expect(r.status, `${method} without a session`).toBe(405);
    }
    // Not JSON, a batch: the edge's own answers, before either era sees them.
    expect((await gw.fetch('/mcp', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"jsonrpc":' })).status).toBe(400);
    expect((await gw.fetch('/mcp', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([{ jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: envelope() } }]) })).status).toBe(400);

    expect(await toolCallsTotal()).toBe(before);
    // The gateway is still serving after all of it.
    expect((await modernPost({ method: 'tools/call', params: { name: 'docker_ps', arguments: { name: target.name }, _meta: envelope() } })).status).toBe(200);
  });

  it('the edge chain applies to 2026 requests: authentication, Origin, body limit', async () => {
    const list = { method: 'tools/list', params: { _meta: envelope() } };
    const noToken = await modernPost(list, {}, null);
    expect(noToken.status).toBe(401);
    expect(noToken.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await modernPost(list, { origin: 'https://evil.example' })).status).toBe(403);
    const big = await modernPost({ method: 'tools/call', params: { name: 'docker_ps', arguments: { name: 'x'.repeat(70_000) }, _meta: envelope() } });
    expect(big.status).toBe(413);
  });

  it('policy and audit apply to 2026 calls: a viewer\'s docker_exec is denied and both outcomes are audited', async () => {
    const viewer = await connectV2(gw.url, 'pin', VIEWER_TOKEN);
    const operator = await connectV2(gw.url, 'pin');
    try {
      const denied = await viewer.callTool({ name: 'docker_exec', arguments: { id: target.name, cmd: ['echo', 'viewer'] } });
      expect(denied.isError).toBe(true);
      const ok = data(await operator.callTool({ name: 'docker_exec', arguments: { id: target.name, cmd: ['echo', 'audited-modern'] } }));
      expect(ok.stdout).toBe('audited-modern\n');
    } finally {
      await viewer.close();
      await operator.close();
    }
    const records = await auditRecords(gw);
    expect(records.some((r) => r.principal === 'viewer' && r.tool === 'docker_exec' && r.decision === 'deny')).toBe(true);
    expect(records.some((r) => r.principal === 'e2e' && r.tool === 'docker_exec' && r.phase === 'outcome' && r.decision === 'allow')).toBe(true);
  });
});
