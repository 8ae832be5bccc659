/**
 * server-everything as a COMMAND server inside the gateway container (spawned by the gateway from the mounted,
 * read-only node_modules), driven by the official SDK client over Streamable HTTP: its tools next to the Docker
 * tools, calls, progress, cancellation, resources, prompts, and enabled_tools.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CreateMessageRequestSchema, ElicitRequestSchema, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker } from '../helpers/docker-cli.js';
import { E2E_TOKEN, rpcCall, startGateway, type GatewayUnderTest } from '../helpers/gateway-container.js';
import { connectClient, data } from '../helpers/mcp-client.js';
import { EVERYTHING_IN_GATEWAY, FAULTY_IN_GATEWAY, firstText, gatewayConfig, ownerIdFor, removeOwned, topArgs, upstreamMounts, waitFor } from './harness.js';

const OWNER = ownerIdFor('cmd');

describe('server-everything as a command server, through the gateway (SDK client, Streamable HTTP)', () => {
  let gw: GatewayUnderTest;
  let client: Client;

  beforeAll(async () => {
    gw = await startGateway({
      args: upstreamMounts(),
      config: gatewayConfig(OWNER, {
        everything: { command: 'node', args: [EVERYTHING_IN_GATEWAY], lifecycle: 'shared' },
        // The same server again, filtered: only two of its tools are exposed.
        filtered: { command: 'node', args: [EVERYTHING_IN_GATEWAY], lifecycle: 'shared', enabled_tools: ['echo', 'get-sum'] },
        // Registers tools at run time (tools/list_changed).
        faulty: { command: 'node', args: [FAULTY_IN_GATEWAY, 'ok'], lifecycle: 'shared' },
        // The default lifecycle, for the relay of sampling from an instance of the client's own.
        mine: { command: 'node', args: [EVERYTHING_IN_GATEWAY], enabled_tools: ['trigger-sampling-request'] },
      }, { callTimeoutMs: 20_000, initTimeoutMs: 20_000 }),
    });
    client = await connectClient(gw.url);
  });
  afterAll(async () => {
    await client?.close().catch(() => undefined);
    await gw?.remove();
    await removeOwned(OWNER);
  });

  it('lists everything__* tools next to docker_ps; enabled_tools filters the other server to exactly its list', async () => {
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['docker_ps', 'health', 'everything__echo', 'everything__get-sum', 'everything__trigger-long-running-operation']));
    expect(names.filter((n) => n.startsWith('filtered__')).sort()).toEqual(['filtered__echo', 'filtered__get-sum']);
    // The upstream runs inside the gateway container, as a child of the gateway's node.
    expect((await topArgs(gw.id)).some((p) => p.includes('server-everything/dist/index.js'))).toBe(true);
  });

  it('calls echo and get-sum, and the built-in docker_ps still works', async () => {
    expect(firstText(await client.callTool({ name: 'everything__echo', arguments: { message: 'through the gateway' } }))).toBe('Echo: through the gateway');
    const sum = await client.callTool({ name: 'everything__get-sum', arguments: { a: 40, b: 2 } });
    expect(sum.isError).toBeFalsy();
    expect(firstText(sum)).toContain('42');
    expect(firstText(await client.callTool({ name: 'filtered__echo', arguments: { message: 'f' } }))).toBe('Echo: f');
    expect(data(await client.callTool({ name: 'docker_ps', arguments: { name: gw.name } })).containers.map((c: { name: string }) => c.name)).toEqual([gw.name]);
  });

  it('a filtered-out tool cannot be called: it is an unknown tool (invalid params)', async () => {
    await expect(client.callTool({ name: 'filtered__trigger-long-running-operation', arguments: { duration: 1, steps: 1 } }))
      .rejects.toThrow(/-32602.*Unknown tool: filtered__trigger-long-running-operation/);
  });

  it('forwards progress from the long-running operation tool', async () => {
    const seen: Array<{ progress: number; total?: number }> = [];
    const r = await client.callTool({ name: 'everything__trigger-long-running-operation', arguments: { duration: 1, steps: 4 } }, undefined, {
      onprogress: (p) => seen.push(p), timeout: 20_000,
    });
    expect(r.isError).toBeFalsy();
    expect(seen.map((p) => p.progress)).toEqual([1, 2, 3, 4]);
    expect(seen.every((p) => p.total === 4)).toBe(true);
  });

  it('cancels a call: the client abort rejects it promptly and the gateway and upstream keep serving', async () => {
    const ac = new AbortController();
    const began = Date.now();
    const call = client.callTool({ name: 'everything__trigger-long-running-operation', arguments: { duration: 30, steps: 30 } }, undefined, {
      signal: ac.signal, onprogress: () => ac.abort('user cancelled'), timeout: 40_000,
    });
    await expect(call).rejects.toThrow();
    expect(Date.now() - began).toBeLessThan(10_000);
    // The same upstream instance (shared) answers the next call at once: it was not left busy or broken.
    expect(firstText(await client.callTool({ name: 'everything__echo', arguments: { message: 'after cancel' } }))).toBe('Echo: after cancel');
    expect((await client.callTool({ name: 'docker_ps', arguments: {} })).isError).toBeFalsy();
    // The gateway's side ended with the cancellation (its audit outcome), not after the tool's 30 s: the client's
    // notifications/cancelled aborted the upstream request, which the SDK forwards as notifications/cancelled.
    const audit = (await docker('exec', gw.id, 'sh', '-c', 'cat /var/lib/mcp-gateway/audit/*')).split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    const outcome = audit.filter((r) => r.tool === 'everything__trigger-long-running-operation' && r.phase === 'outcome').pop();
    expect(outcome).toMatchObject({ isError: true });
    expect(outcome!.durationMs as number).toBeLessThan(10_000);
    // The gateway counted no crash of the upstream.
    const metrics = await (await gw.fetch('/metrics')).text();
    expect(metrics).toMatch(/mcp_upstream_calls\{server="everything",kind="crashes"\} 0/);
  });

  it('reads a resource and gets a prompt, both routed back to the upstream by their exposed names', async () => {
    const { resources } = await client.listResources();
    const mine = resources.filter((r) => r.uri.startsWith('mcp-upstream://everything/'));
    expect(mine.length).toBeGreaterThan(0);
    const read = await client.readResource({ uri: mine[0].uri });
    expect(read.contents.length).toBeGreaterThan(0);
    const { prompts } = await client.listPrompts();
    expect(prompts.map((p) => p.name)).toContain('everything__simple-prompt');
    const got = await client.getPrompt({ name: 'everything__simple-prompt' });
    expect(got.messages.length).toBeGreaterThan(0);
  });

  it('an upstream tools/list_changed reaches the client, and the new tool is listed and callable', async () => {
    let changed = 0;
    client.setNotificationHandler(ToolListChangedNotificationSchema, async () => { changed++; });
    expect((await client.listTools()).tools.map((t) => t.name)).not.toContain('faulty__fresh');
    expect(firstText(await client.callTool({ name: 'faulty__add-tool', arguments: { name: 'fresh' } }))).toBe('added fresh');
    expect(await waitFor(() => changed > 0, 10_000)).toBe(true);
    expect((await client.listTools()).tools.map((t) => t.name)).toContain('faulty__fresh');
    expect(firstText(await client.callTool({ name: 'faulty__fresh', arguments: {} }))).toBe('fresh');
  });

  it('relays the upstream\'s sampling and elicitation to the client of the call, over the call\'s own stream', async () => {
    // A client that can answer both, as an LLM host would (here: canned answers, recording what it was asked).
    const asked: string[] = [];
    const host = new Client({ name: 'sampling-host', version: '1.0.0' }, { capabilities: { sampling: {}, elicitation: {} } });
    host.setRequestHandler(CreateMessageRequestSchema, async (req) => {
      asked.push(`sampling: ${JSON.stringify(req.params.messages[0].content)}`);
      return { model: 'e2e-model', role: 'assistant', content: { type: 'text', text: 'sampled through the gateway' } };
    });
    host.setRequestHandler(ElicitRequestSchema, async (req) => {
      asked.push(`elicitation: ${req.params.message}`);
      return { action: 'accept', content: { name: 'Ada Lovelace' } };
    });
    await host.connect(new StreamableHTTPClientTransport(new URL(`${gw.url}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${E2E_TOKEN}` } } }));
    try {
      const names = (await host.listTools()).tools.map((t) => t.name);
      expect(names).toEqual(expect.arrayContaining(['everything__trigger-sampling-request', 'everything__trigger-elicitation-request']));
      const sampled = await host.callTool({ name: 'everything__trigger-sampling-request', arguments: { prompt: 'say hi', maxTokens: 20 } });
      expect(sampled.isError).toBeFalsy();
      expect(firstText(sampled)).toContain('sampled through the gateway');
      // From a per-session instance (started for this client's session) the same way.
      const own = await host.callTool({ name: 'mine__trigger-sampling-request', arguments: { prompt: 'again', maxTokens: 20 } });
      expect(own.isError).toBeFalsy();
      expect(firstText(own)).toContain('sampled through the gateway');
      const elicited = await host.callTool({ name: 'everything__trigger-elicitation-request', arguments: {} });
      expect(elicited.isError).toBeFalsy();
      expect(JSON.stringify(elicited.content)).toContain('Ada Lovelace');
      expect(asked).toEqual([expect.stringMatching(/^sampling: .*say hi/), expect.stringMatching(/^sampling: .*again/), expect.stringMatching(/^elicitation: /)]);
    } finally {
      await host.close();
    }
  });

  it('a client without sampling, and a call through /rpc, get an error that says why instead of a hang', async () => {
    const r = await client.callTool({ name: 'everything__trigger-sampling-request', arguments: { prompt: 'x', maxTokens: 5 } });
    expect(r.isError).toBe(true);
    expect(firstText(r)).toMatch(/e2e-test \(the client of this call\) does not support sampling/);
    const viaRpc = await rpcCall(gw, 'everything__trigger-sampling-request', { prompt: 'x', maxTokens: 5 });
    expect(viaRpc.result?.isError).toBe(true);
    expect(viaRpc.result?.content[0].text).toMatch(/through \/rpc, which has no channel back to its client/);
  });

  it('reports the upstream in /ready and /metrics', async () => {
    const ready = await (await gw.fetch('/ready')).json() as { checks: Record<string, { ok: boolean }> };
    expect(ready.checks['upstream:everything']).toMatchObject({ ok: true });
    const metrics = await (await gw.fetch('/metrics')).text();
    expect(metrics).toMatch(/mcp_upstream_instances\{server="everything"\} 1/);
  });
});
