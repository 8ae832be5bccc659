/**
 * The same image over every transport and edge path: SSE with the SDK client, /rpc with plain HTTP,
 * stdio with `docker run -i`, and the HTTP edge's answers to bad input, plus /ready and /metrics.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker, runTarget, uniq, type TestContainer } from './helpers/docker-cli.js';
import { E2E_CONFIG, rpcCall, startGateway, type GatewayUnderTest } from './helpers/gateway-container.js';
import { GATEWAY_IMAGE, TEST_LABEL } from './helpers/images.js';
import { connectClient, data } from './helpers/mcp-client.js';

describe('transports and the HTTP edge (built image, real engine)', () => {
  let gw: GatewayUnderTest;
  let target: TestContainer;

  beforeAll(async () => {
    target = await runTarget(uniq('target'));
    gw = await startGateway({ env: { MCP_GATEWAY_MAX_BODY_BYTES: '65536' } });
  });
  afterAll(async () => {
    await gw?.remove();
    await target?.remove();
  });

  it('SSE: the SDK client lists tools, runs ps and exec, and gets heartbeats-safe headers', async () => {
    const client = await connectClient(gw.url, 'sse');
    try {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain('docker_exec');
      const ps = data(await client.callTool({ name: 'docker_ps', arguments: { name: target.name } }));
      expect(ps.count).toBe(1);
      const ex = data(await client.callTool({ name: 'docker_exec', arguments: { id: target.name, cmd: ['echo', 'over sse'] } }));
      expect(ex.stdout).toBe('over sse\n');
    } finally {
      await client.close();
    }
    const res = await gw.fetch('/sse', { signal: AbortSignal.timeout(5000) });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    expect(res.headers.get('x-accel-buffering')).toBe('no');
    await res.body?.cancel();
  });

  it('/rpc: tools/list and tools/call without initialize, plain curl-style body', async () => {
    const list = await (await gw.fetch('/rpc', { method: 'POST', body: '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' })).json();
    expect(list.result.tools.map((t: { name: string }) => t.name)).toContain('docker_ps');
    const ps = await rpcCall(gw, 'docker_ps', { name: target.name });
    expect(ps.result?.structuredContent?.count).toBe(1);
    const ping = await (await gw.fetch('/rpc', { method: 'POST', body: '{"jsonrpc":"2.0","id":"p","method":"ping"}' })).json();
    expect(ping).toEqual({ jsonrpc: '2.0', id: 'p', result: {} });
  });

  it('/rpc: malformed JSON is -32700, batches and deep nesting are refused, over-limit bodies get 413', async () => {
    const bad = await gw.fetch('/rpc', { method: 'POST', body: '{"jsonrpc":' });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error.code).toBe(-32700);
    const batch = await gw.fetch('/rpc', { method: 'POST', body: '[{"jsonrpc":"2.0","id":1,"method":"ping"}]' });
    expect(batch.status).toBe(400);
    expect((await batch.json()).error.message).toMatch(/batch/i);
    const deep = await gw.fetch('/rpc', { method: 'POST', body: `{"a":${'['.repeat(200)}${']'.repeat(200)}}` });
    expect((await deep.json()).error.message).toMatch(/nesting/);
    const big = await gw.fetch('/rpc', { method: 'POST', body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', params: { pad: 'x'.repeat(70_000) } }) });
    expect(big.status).toBe(413);
    const unknownTool = await rpcCall(gw, 'docker_nope');
    expect(unknownTool.error?.code).toBe(-32602);
    const badParams = await rpcCall(gw, 'docker_logs', { id: target.name, tail: 'lots' });
    expect(badParams.error?.code).toBe(-32602);
    expect(badParams.error?.message).toMatch(/tail/);
    const unknownMethod = await (await gw.fetch('/rpc', { method: 'POST', body: '{"jsonrpc":"2.0","id":3,"method":"resources/nope"}' })).json();
    expect(unknownMethod.error.code).toBe(-32601);
  });

  it('authentication: every endpoint but /health needs a token; 401 carries WWW-Authenticate', async () => {
    expect((await gw.fetch('/health', { token: null })).status).toBe(200);
    for (const path of ['/rpc', '/mcp', '/ready', '/metrics', '/sse']) {
      const res = await gw.fetch(path, { method: path === '/rpc' || path === '/mcp' ? 'POST' : 'GET', token: null, body: path === '/rpc' || path === '/mcp' ? '{}' : undefined });
      expect(res.status, path).toBe(401);
      expect(res.headers.get('www-authenticate'), path).toMatch(/^Bearer realm=/);
    }
    expect((await gw.fetch('/ready', { token: 'wrong-token-0123456789' })).status).toBe(401);
    // Each refusal is an audit record with its rule id, and the presented token is not in it.
    const audit = await docker('exec', gw.id, 'sh', '-c', 'cat /var/lib/mcp-gateway/audit/*.log');
    const refusals = audit.split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((r) => r.ruleId?.startsWith('auth.'));
    expect(refusals.length).toBeGreaterThanOrEqual(6);
    expect(refusals.some((r) => r.tool === 'http:/ready' && r.decision === 'deny')).toBe(true);
    expect(audit).not.toContain('wrong-token-0123456789');
  });

  it('/ready reports the engine and the audit log; /metrics counts tool calls in Prometheus format', async () => {
    const ready = await gw.fetch('/ready');
    expect(ready.status).toBe(200);
    expect((await ready.json()).checks.docker.ok).toBe(true);
    await rpcCall(gw, 'docker_ps');
    const metrics = await (await gw.fetch('/metrics')).text();
    expect(metrics).toMatch(/mcp_tool_calls_total\{tool="docker_ps",outcome="ok"\} \d+/);
    expect(metrics).toMatch(/docker_api_duration_seconds_bucket\{le="[^"]+",operation="container_list"\}/);
    expect(metrics).toMatch(/mcp_active_sessions/);
  });

  it('stdio mode: `docker run -i IMAGE --stdio` serves the SDK client', async () => {
    const name = uniq('gw-stdio');
    const transport = new StdioClientTransport({
      command: 'docker',
      args: ['run', '-i', '--rm', '--name', name, '--label', TEST_LABEL, '-v', '/var/run/docker.sock:/var/run/docker.sock', '--user', '0',
        '-e', `MCP_GATEWAY_CONFIG_JSON=${JSON.stringify({ ...E2E_CONFIG, policy: { roles: E2E_CONFIG.policy.roles, bindings: [{ principals: ['stdio-user'], roles: ['operator'] }] } })}`,
        '-e', 'USER=stdio-user', GATEWAY_IMAGE, '--stdio'],
      stderr: 'pipe',
    });
    const client = new Client({ name: 'stdio-e2e', version: '1.0.0' });
    try {
      await client.connect(transport);
      const ps = data(await client.callTool({ name: 'docker_ps', arguments: { name: target.name } }));
      expect(ps.count).toBe(1);
      const ex = data(await client.callTool({ name: 'docker_exec', arguments: { id: target.name, cmd: ['echo', 'stdio'] } }));
      expect(ex.stdout).toBe('stdio\n');
      // Streaming over stdio: every byte arrives as progress (the send's own promise paces the producer).
      let streamed = 0;
      const st = data(await client.callTool({ name: 'docker_exec', arguments: { id: target.name, cmd: ['seq', '1', '200000'], stream: true, chunkBytes: 4096 } }, undefined, {
        onprogress: (p) => { streamed += (JSON.parse(p.message ?? '{}') as { data?: string }).data?.length ?? 0; },
      }));
      expect(st.exitCode).toBe(0);
      expect(st.bytes).toBe(1288895);
      expect(streamed).toBe(1288895);
    } finally {
      await client.close();
      await docker('rm', '-f', '-v', name).catch(() => undefined);
    }
  });
});

describe('start-up refusals', () => {
  async function runToExit(env: Record<string, string>): Promise<{ code: number; output: string }> {
    const name = uniq('gw-refuse');
    const envArgs = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    try {
      await docker('run', '--name', name, '--label', TEST_LABEL, ...envArgs, GATEWAY_IMAGE);
      return { code: 0, output: await docker('logs', name) };
    } catch (err) {
      const code = Number(await docker('inspect', '-f', '{{.State.ExitCode}}', name));
      return { code, output: (err as Error).message };
    } finally {
      await docker('rm', '-f', '-v', name).catch(() => undefined);
    }
  }

  it('no authentication configured: exits 2 saying how to configure it', async () => {
    const r = await runToExit({});
    expect(r.code).toBe(2);
    expect(r.output).toMatch(/no authentication is configured: set MCP_GATEWAY_AUTH_TOKEN/);
  });

  it('MCP_GATEWAY_ALLOW_UNAUTHENTICATED=true is refused when listening beyond loopback', async () => {
    const r = await runToExit({ MCP_GATEWAY_ALLOW_UNAUTHENTICATED: 'true' });
    expect(r.code).toBe(2);
    expect(r.output).toMatch(/only honoured on loopback, but the gateway listens on "0\.0\.0\.0"/);
  });

  it('bad configuration: exits 2 listing every problem', async () => {
    const r = await runToExit({ MCP_GATEWAY_AUTH_TOKEN: 'short', MCP_GATEWAY_PORT: 'http', MCP_DOCKER_COMMAND_POLICY_MODE: 'maybe' });
    expect(r.code).toBe(2);
    expect(r.output).toMatch(/MCP_GATEWAY_AUTH_TOKEN/);
    expect(r.output).toMatch(/MCP_GATEWAY_PORT="http"/);
    expect(r.output).toMatch(/MCP_DOCKER_COMMAND_POLICY_MODE|exec\.mode/);
  });
});

describe('engine down', () => {
  it('tools say "Docker engine unreachable at <DOCKER_HOST>: <reason>" and /ready is 503, the process keeps serving', async () => {
    const gw = await startGateway({ env: { DOCKER_HOST: 'unix:///tmp/no-engine-here.sock' } });
    try {
      const r = await rpcCall(gw, 'docker_ps');
      expect(r.result?.isError).toBe(true);
      // The reason is kept (README: `Docker engine unreachable at <DOCKER_HOST>: ...`).
      expect(r.result?.content[0].text).toMatch(/^Docker engine unreachable at unix:\/\/\/tmp\/no-engine-here\.sock: connect ENOENT \/tmp\/no-engine-here\.sock$/);
      const ready = await gw.fetch('/ready');
      expect(ready.status).toBe(503);
      expect((await ready.json()).checks.docker.detail).toMatch(/unreachable at unix:\/\/\/tmp\/no-engine-here.sock/);
      const health = await rpcCall(gw, 'health');
      expect(health.result?.structuredContent?.docker).toMatchObject({ reachable: false });
      expect((await gw.fetch('/health', { token: null })).status).toBe(200);
    } finally {
      await gw.remove();
    }
  });
});

describe('stream limit', () => {
  it('a streaming exec past MCP_DOCKER_MAX_STREAM_BYTES is stopped with a clear error and killed', async () => {
    const target = await runTarget(uniq('stream'));
    const gw = await startGateway({ env: { MCP_DOCKER_MAX_STREAM_BYTES: '65536' } });
    const client = await connectClient(gw.url);
    try {
      let streamed = 0;
      const r = await client.callTool(
        { name: 'docker_exec', arguments: { id: target.name, cmd: ['seq', '1', '100000000'], stream: true } },
        undefined, { onprogress: (p) => { streamed += JSON.parse(p.message ?? '{}').data?.length ?? 0; } },
      );
      expect(r.isError).toBe(true);
      expect((r.content as Array<{ text: string }>)[0].text).toMatch(/stopped after streaming 65536 bytes \(MCP_DOCKER_MAX_STREAM_BYTES\)/);
      expect((r.structuredContent as Record<string, unknown>).stopped).toBe('stream-limit');
      expect(streamed).toBeGreaterThan(0);
      expect(streamed).toBeLessThanOrEqual(65536);
      const ps = await docker('exec', target.name, 'ps', '-o', 'args');
      expect(ps).not.toContain('seq 1 100000000');
    } finally {
      await client.close().catch(() => undefined);
      await gw.remove();
      await target.remove();
    }
  });
});

describe('lifecycle tools', () => {
  it('are absent by default and, when enabled, stop, start and restart a container', async () => {
    const target = await runTarget(uniq('life'));
    const gw = await startGateway({ env: { MCP_DOCKER_ENABLE_LIFECYCLE: 'true' } });
    try {
      const stop = await rpcCall(gw, 'docker_stop', { id: target.name, timeoutSeconds: 0 });
      expect(stop.result?.structuredContent).toMatchObject({ outcome: 'stopped' });
      expect(await docker('inspect', '-f', '{{.State.Running}}', target.name)).toBe('false');
      const again = await rpcCall(gw, 'docker_stop', { id: target.name });
      expect(again.result?.structuredContent).toMatchObject({ outcome: 'already-stopped' });
      const start = await rpcCall(gw, 'docker_start', { id: target.name });
      expect(start.result?.structuredContent).toMatchObject({ outcome: 'started' });
      expect(await docker('inspect', '-f', '{{.State.Running}}', target.name)).toBe('true');
      const before = await docker('inspect', '-f', '{{.State.StartedAt}}', target.name);
      const restart = await rpcCall(gw, 'docker_restart', { id: target.name, timeoutSeconds: 0 });
      expect(restart.result?.structuredContent).toMatchObject({ outcome: 'restarted' });
      expect(await docker('inspect', '-f', '{{.State.StartedAt}}', target.name)).not.toBe(before);
      const missing = await rpcCall(gw, 'docker_start', { id: 'no-such-container-abc' });
      expect(missing.result?.isError).toBe(true);
    } finally {
      await gw.remove();
      await target.remove();
    }
  });
});
