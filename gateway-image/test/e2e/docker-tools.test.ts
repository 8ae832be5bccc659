/**
 * The built gateway image, run as the stack runs it, driven by the official SDK client over Streamable HTTP
 * against the real engine: every Docker tool, streaming, caps, timeouts that kill, and bad input.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processes, runTarget, uniq, waitForProcess, type TestContainer } from './helpers/docker-cli.js';
import { E2E_TOKEN, startGateway, type GatewayUnderTest } from './helpers/gateway-container.js';
import { connectClient, data } from './helpers/mcp-client.js';

describe('Docker tools over Streamable HTTP (SDK client, real engine)', () => {
  let gw: GatewayUnderTest;
  let target: TestContainer;
  let client: Client;

  beforeAll(async () => {
    target = await runTarget(uniq('target'), { 'e2e.role': 'target' });
    gw = await startGateway();
    client = await connectClient(gw.url);
  });
  afterAll(async () => {
    await client?.close().catch(() => undefined);
    await gw?.remove();
    await target?.remove();
  });

  it('lists the Docker tools with strict schemas and annotations', async () => {
    const { tools } = await client.listTools();
    const names = tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['docker_ps', 'docker_container_list', 'docker_inspect', 'docker_logs', 'docker_exec', 'docker_images', 'health']));
    expect(names).not.toContain('docker_stop');
    const exec = tools.find((t) => t.name === 'docker_exec')!;
    expect(exec.inputSchema.additionalProperties).toBe(false);
    expect(exec.inputSchema.required).toEqual(['id', 'cmd']);
    expect(exec.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true });
    expect(tools.find((t) => t.name === 'docker_ps')!.annotations).toMatchObject({ readOnlyHint: true });
  });

  it('docker_ps finds the target by name and by label; docker_container_list is the same tool', async () => {
    const byName = data(await client.callTool({ name: 'docker_ps', arguments: { name: target.name } }));
    expect(byName.containers.map((c: { name: string }) => c.name)).toEqual([target.name]);
    const byLabel = data(await client.callTool({ name: 'docker_container_list', arguments: { label: 'e2e.role=target' } }));
    expect(byLabel.containers.map((c: { name: string }) => c.name)).toContain(target.name);
  });

  it('docker_inspect returns the container with environment values redacted', async () => {
    const info = data(await client.callTool({ name: 'docker_inspect', arguments: { kind: 'container', id: target.name } }));
    expect(info.Name).toBe(`/${target.name}`);
    const env: string[] = info.Config.Env;
    expect(env.some((e) => e.startsWith('PATH='))).toBe(true);
    expect(env.every((e) => !e.includes('/usr/local/bin'))).toBe(true);
    const image = data(await client.callTool({ name: 'docker_inspect', arguments: { kind: 'image', id: 'mcp-gateway-base:local' } }));
    expect(image.RepoTags).toContain('mcp-gateway-base:local');
  });

  it('docker_logs returns stdout and stderr, honours tail, and follows with progress', async () => {
    const logs = data(await client.callTool({ name: 'docker_logs', arguments: { id: target.name, tail: 2 } }));
    expect(logs.stdout).toMatch(/^line \d+\n/);
    expect(logs.stderr).toMatch(/err \d+/);
    const progress: string[] = [];
    const followed = data(await client.callTool(
      { name: 'docker_logs', arguments: { id: target.name, tail: 0, follow: true, followSeconds: 3, chunkBytes: 64 } },
      undefined, { onprogress: (p) => progress.push(p.message ?? ''), timeout: 20_000 },
    ));
    expect(followed.stopped).toBe('follow-ended');
    expect(followed.stdout).toMatch(/line \d+/);
    expect(progress.length).toBeGreaterThan(0);
    expect(JSON.parse(progress[0])).toHaveProperty('stream');
  });

  it('docker_exec runs buffered, separates streams and reports a non-zero exit', async () => {
    const ok = data(await client.callTool({ name: 'docker_exec', arguments: { id: target.name, cmd: ['echo', 'hello'] } }));
    expect(ok).toMatchObject({ exitCode: 0, stdout: 'hello\n', stderr: '', truncated: false });
    const failed = data(await client.callTool({ name: 'docker_exec', arguments: { id: target.name, cmd: ['ls', '/nonexistent'] } }));
    expect(failed.exitCode).not.toBe(0);
    expect(failed.stderr).toMatch(/nonexistent/);
    expect(failed.stdout).toBe('');
    const who = data(await client.callTool({ name: 'docker_exec', arguments: { id: target.name, cmd: ['id', '-u'] } }));
    expect(who.stdout.trim()).toBe('1000');
  });

  it('docker_exec passes stdin and allocates a tty when asked', async () => {
    const cat = data(await client.callTool({ name: 'docker_exec', arguments: { id: target.name, cmd: ['cat'], stdin: 'from stdin' } }));
    expect(cat.stdout).toBe('from stdin');
    const tty = data(await client.callTool({ name: 'docker_exec', arguments: { id: target.name, cmd: ['tty'], tty: true } }));
    expect(tty.stdout).toMatch(/\/dev\/pts\/\d+/);
  });

  it('docker_exec streams output as progress notifications', async () => {
    const chunks: string[] = [];
    const r = data(await client.callTool(
      { name: 'docker_exec', arguments: { id: target.name, cmd: ['seq', '1', '5000'], stream: true, chunkBytes: 1024 } },
      undefined, { onprogress: (p) => chunks.push(p.message ?? '') },
    ));
    expect(r.exitCode).toBe(0);
    expect(chunks.length).toBeGreaterThan(5);
    const streamed = chunks.map((c) => JSON.parse(c).data).join('');
    expect(streamed).toBe(r.stdout);
    expect(r.stdout.split('\n')[4999]).toBe('5000');
  });

  it('streaming past maxBytes: every byte reaches the client, the result is capped, the command runs to its end', async () => {
    const chunks: string[] = [];
    const r = data(await client.callTool(
      { name: 'docker_exec', arguments: { id: target.name, cmd: ['seq', '1', '20000'], stream: true, maxBytes: 1024, chunkBytes: 4096 } },
      undefined, { onprogress: (p) => chunks.push(p.message ?? '') },
    ));
    const streamed = chunks.map((c) => JSON.parse(c).data).join('');
    expect(streamed.split('\n')[19999]).toBe('20000');
    expect(r).toMatchObject({ exitCode: 0, truncated: true });
    expect(r.stopped).toBeUndefined();
    expect(r.stdout).toBe(streamed.slice(0, 1024));
  });

  it('a timed-out exec is killed: the process is gone from the container', async () => {
    const r = await client.callTool({ name: 'docker_exec', arguments: { id: target.name, cmd: ['sleep', '4321'], timeoutMs: 500 } });
    expect(r.isError).toBe(true);
    const sc = r.structuredContent as Record<string, any>;
    expect(sc.stopped).toBe('timeout');
    expect(sc.killed).toEqual({ killed: 1 });
    expect((await processes(target.name)).some((p) => p.includes('sleep 4321'))).toBe(false);
  });

  it('output over maxBytes is truncated, says so, and the producer is killed', async () => {
    const r = data(await client.callTool({ name: 'docker_exec', arguments: { id: target.name, cmd: ['seq', '1', '100000000'], maxBytes: 4096 } }));
    expect(r.truncated).toBe(true);
    expect(r.stdout.length).toBe(4096);
    expect(r.stopped).toBe('output-cap');
    expect((await processes(target.name)).some((p) => p.includes('seq 1 100000000'))).toBe(false);
  });

  it('a cancelled exec (client aborts) is killed', async () => {
    const abort = new AbortController();
    const call = client.callTool({ name: 'docker_exec', arguments: { id: target.name, cmd: ['sleep', '4322'] } }, undefined, { signal: abort.signal });
    // Wait until the process exists in the container, then cancel.
    await waitForProcess(target.name, 'sleep 4322');
    abort.abort();
    await expect(call).rejects.toThrow();
    await waitForProcess(target.name, 'sleep 4322', false);
  });

  it('an exec whose client disconnects (the POST is dropped, no cancel notification) is killed', async () => {
    const sessionId = (client.transport as StreamableHTTPClientTransport).sessionId!;
    const abort = new AbortController();
    const call = fetch(`${gw.url}/mcp`, {
      method: 'POST', signal: abort.signal,
      headers: { authorization: `Bearer ${E2E_TOKEN}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': sessionId },
      body: JSON.stringify({ jsonrpc: '2.0', id: 'dropped', method: 'tools/call', params: { name: 'docker_exec', arguments: { id: target.name, cmd: ['sleep', '4323'] } } }),
    });
    await waitForProcess(target.name, 'sleep 4323');
    abort.abort();
    await expect(call).rejects.toThrow();
    await waitForProcess(target.name, 'sleep 4323', false);
    // The session itself is unharmed.
    expect(data(await client.callTool({ name: 'health', arguments: {} })).docker.reachable).toBe(true);
  });

  it('docker_images and health answer', async () => {
    const images = data(await client.callTool({ name: 'docker_images', arguments: {} }));
    expect(images.images.some((i: { tags: string[] }) => i.tags.includes('mcp-gateway-base:local'))).toBe(true);
    const health = data(await client.callTool({ name: 'health', arguments: {} }));
    expect(health.docker).toMatchObject({ reachable: true, apiVersion: '1.41' });
    expect(health.gateway.version).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it('an unknown container is an isError result naming it; bad arguments are -32602 naming the field', async () => {
    const r = await client.callTool({ name: 'docker_exec', arguments: { id: 'no-such-container-xyz', cmd: ['echo'] } });
    expect(r.isError).toBe(true);
    expect((r.content as Array<{ text: string }>)[0].text).toContain('no-such-container-xyz');
    await expect(client.callTool({ name: 'docker_exec', arguments: { id: target.name, cmd: 'echo hi' } })).rejects.toThrow(/-32602[\s\S]*cmd/);
    await expect(client.callTool({ name: 'docker_ps', arguments: { bogus: true } })).rejects.toThrow(/-32602[\s\S]*bogus|unrecognized/i);
  });
});
