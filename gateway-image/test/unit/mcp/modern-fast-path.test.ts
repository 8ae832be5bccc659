/**
 * The 2026-07-28 fast path answers exactly what the SDK's path answers, and only for what it may serve: two /mcp
 * servers on 127.0.0.1 with the same (fake) tools and pipeline, one with the fast path and one without, get the same
 * requests; their statuses and bodies must be equal, and counters show which path answered (the fast path's answers,
 * the SDK servers built).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Principal, ToolDefinition, ToolResult } from '../../../src/core/contracts.js';
import { ToolArgumentsError, type CallInput } from '../../../src/core/pipeline.js';
import type { ToolSource } from '../../../src/core/tool-source.js';
import { SharedSchemaValidator } from '../../../src/core/shared-schema-validator.js';
import { createModernFastPath, type ModernFastPath } from '../../../src/mcp/modern-fast-path.js';
import { createModernServerFactory } from '../../../src/mcp/modern-server.js';
import { createModernHttpAdapter } from '../../../src/transports/modern-http.js';

const principal: Principal = { id: 'tester', authMethod: 'bearer' };
const MODERN = '2026-07-28';
const identity = { name: 'gw', version: '1.2.3' };

const builtin: ToolDefinition = { name: 'docker_ps', description: 'b', inputSchema: z.object({ name: z.string().optional() }).strict() as never, annotations: {}, mutating: false, run: async () => ({ content: [] }) };
const upstreamTool = (name: string): ToolDefinition => ({ name, description: 'u', jsonSchema: { type: 'object' }, annotations: {}, mutating: false, run: async () => ({ content: [] }) });
const calls: Array<{ tool: string; input: CallInput }> = [];
let aborted: (() => void) | undefined;

const pipeline = {
  async call(t: ToolDefinition, args: unknown, input: CallInput): Promise<ToolResult> {
    calls.push({ tool: t.name, input });
    if (t.name === 'up__confirm') {
      return { content: [], inputRequired: { inputRequests: { ok: { method: 'elicitation/create', params: { mode: 'form', message: 'Proceed?', requestedSchema: { type: 'object', properties: { ok: { type: 'boolean' } } } } } }, requestState: 'sealed' } };
    }
    if (t.name === 'up__reject') return { content: [{ type: 'text', text: 'refused' }], isError: true, rejectRequest: { code: -32602, message: 'Invalid or expired requestState' } };
    const a = (args ?? {}) as { name?: unknown; sleep?: boolean };
    if (a.sleep) {
      await new Promise<void>((resolve) => input.signal.addEventListener('abort', () => { aborted?.(); resolve(); }, { once: true }));
      return { content: [{ type: 'text', text: 'aborted' }] };
    }
    if (a.name !== undefined && typeof a.name !== 'string') throw new ToolArgumentsError(t.name, ['name: expected string']);
    if (a.name === 'fail') return { content: [{ type: 'text', text: 'no such container' }], isError: true };
    return { content: [{ type: 'text', text: '{"count":1}' }], structuredContent: { count: 1, name: a.name ?? null } };
  },
};
const tools: ToolSource = { list: async () => [], unknownToolMessage: (name) => `Unknown tool: ${name}`, get: async (name) => ({ docker_ps: builtin, up__echo: upstreamTool('up__echo'), up__confirm: upstreamTool('up__confirm'), up__reject: upstreamTool('up__reject') } as Record<string, ToolDefinition>)[name] };

let built = 0;
let fastAnswers = 0;
const servers: http.Server[] = [];
let fastUrl: string;
let sdkUrl: string;

function countAnswers(fast: ModernFastPath): ModernFastPath {
  return async (...args) => {
    const answer = await fast(...args);
    if (answer) fastAnswers += 1;
    return answer;
  };
}

async function serve(withFastPath: boolean): Promise<string> {
  const factory = createModernServerFactory({ identity, tools, pipeline, schemaValidator: new SharedSchemaValidator() as never });
  const adapter = createModernHttpAdapter({
    newServer: (precomputed) => { built += 1; return factory(precomputed); },
    fastPath: withFastPath ? countAnswers(createModernFastPath({ identity, tools, pipeline })) : undefined,
    logger: pino({ level: 'silent' }), heartbeatMs: 15_000,
  });
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => { void adapter.handle(req, res, principal, JSON.parse(Buffer.concat(chunks).toString('utf8'))); });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
}

beforeAll(async () => {
  fastUrl = await serve(true);
  sdkUrl = await serve(false);
});
afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

function envelope(extra: Record<string, unknown> = {}) {
  return { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientCapabilities': {}, 'io.modelcontextprotocol/clientInfo': { name: 'c', version: '1' }, ...extra };
}

function call(url: string, params: Record<string, unknown>, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Response> {
  return fetch(url, {
    method: 'POST', signal,
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/call', 'mcp-name': String(params.name), ...headers },
    body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params }),
  });
}

/** Sends the same request to both servers; returns both answers and whether the fast one built an SDK server. */
async function both(params: Record<string, unknown>, headers: Record<string, string> = {}) {
  const before = fastAnswers;
  const built0 = built;
  const fast = await call(fastUrl, params, headers);
  const usedSdk = fastAnswers === before;
  const builtSdkServer = built > built0;
  const sdk = await call(sdkUrl, params, headers);
  const read = async (r: Response) => ({ status: r.status, type: r.headers.get('content-type'), body: r.headers.get('content-type')?.startsWith('application/json') ? await r.json() : await r.text() });
  return { fast: await read(fast), sdk: await read(sdk), usedSdk, builtSdkServer };
}

describe('the 2026-07-28 fast path', () => {
  it('answers a built-in or upstream call exactly as the SDK does, without building an SDK server', async () => {
    for (const [name, args] of [['docker_ps', {}], ['docker_ps', { name: 'web' }], ['docker_ps', { name: 'fail' }], ['up__echo', { name: 'x' }]] as const) {
      const r = await both({ name, arguments: args, _meta: envelope() });
      expect(r.usedSdk).toBe(false);
      expect(r.builtSdkServer).toBe(false);
      expect(r.fast).toEqual(r.sdk);
    }
  });

  it('leaves a result needing input, or refused, to the SDK to answer (same answers, the pipeline runs once)', async () => {
    const cases: Array<[string, Record<string, unknown>]> = [
      ['up__confirm', { elicitation: { form: {} } }],
      ['up__confirm', {}],
      ['up__reject', {}],
    ];
    for (const [name, capabilities] of cases) {
      calls.length = 0;
      const r = await both({ name, arguments: {}, _meta: envelope({ 'io.modelcontextprotocol/clientCapabilities': capabilities }) });
      expect(r.builtSdkServer, name).toBe(true);
      expect(r.fast, `${name} ${JSON.stringify(capabilities)}`).toEqual(r.sdk);
      expect(calls.map((c) => c.tool), `${name} ${JSON.stringify(capabilities)} ${JSON.stringify(calls.map((c) => c.input.inputResponses ?? null))}`).toEqual([name, name]); // once per server
    }
    const asked = await call(fastUrl, { name: 'up__confirm', arguments: {}, _meta: envelope({ 'io.modelcontextprotocol/clientCapabilities': { elicitation: { form: {} } } }) });
    expect((await asked.json()).result).toMatchObject({ resultType: 'input_required', requestState: 'sealed' });
    const missing = await call(fastUrl, { name: 'up__confirm', arguments: {}, _meta: envelope() });
    expect((await missing.json()).error.code).toBe(-32021);
  });

  it('answers invalid arguments with the same -32602 as the SDK', async () => {
    const r = await both({ name: 'docker_ps', arguments: { name: 42 }, _meta: envelope() });
    expect(r.usedSdk).toBe(false);
    expect(r.fast).toEqual(r.sdk);
    expect((r.fast.body as { error: { code: number } }).error.code).toBe(-32602);
  });

  it('passes what the tool context needs (principal, capabilities, input requests possible)', async () => {
    calls.length = 0;
    await call(fastUrl, { name: 'docker_ps', arguments: {}, _meta: envelope({ 'io.modelcontextprotocol/clientCapabilities': { elicitation: {} } }) });
    expect(calls[0].input).toMatchObject({ principal, acceptsInputRequired: true, clientCapabilities: { elicitation: {} } });
  });

  it('leaves everything else to the SDK (same answers): mismatched or missing headers, progress, retries, unknown tools', async () => {
    const cases: Array<[Record<string, unknown>, Record<string, string>]> = [
      [{ name: 'docker_ps', arguments: {}, _meta: envelope() }, { 'mcp-name': 'docker_inspect' }],
      [{ name: 'docker_ps', arguments: {}, _meta: envelope() }, { 'mcp-protocol-version': '2025-11-25' }],
      [{ name: 'docker_ps', arguments: {}, _meta: envelope({ 'io.modelcontextprotocol/protocolVersion': '2099-01-01' }) }, { 'mcp-protocol-version': '2099-01-01' }],
      [{ name: 'docker_ps', arguments: {}, _meta: envelope({ progressToken: 1 }) }, {}],
      [{ name: 'docker_ps', arguments: {}, _meta: { 'io.modelcontextprotocol/protocolVersion': MODERN } }, {}],
      [{ name: 'docker_ps', arguments: {}, _meta: envelope(), inputResponses: {} }, {}],
      [{ name: 'nope', arguments: {}, _meta: envelope() }, {}],
      [{ name: 'docker_ps', arguments: {}, _meta: envelope() }, { accept: 'application/json' }],
      [{ name: 'docker_ps', arguments: {}, _meta: envelope() }, { accept: 'text/html' }],
    ];
    for (const [params, headers] of cases) {
      const r = await both(params, headers);
      expect(r.usedSdk, JSON.stringify({ params, headers })).toBe(true);
      expect(r.fast).toEqual(r.sdk);
    }
  });

  it('a client that drops its POST aborts the call', async () => {
    const stopped = new Promise<void>((resolve) => { aborted = resolve; });
    const abort = new AbortController();
    const started = calls.length;
    const pending = call(fastUrl, { name: 'docker_ps', arguments: { sleep: true }, _meta: envelope() }, {}, abort.signal).catch(() => 'dropped');
    for (let i = 0; i < 200 && calls.length === started; i += 1) await new Promise((r) => setImmediate(r));
    abort.abort();
    expect(await pending).toBe('dropped');
    await stopped;
  });
});
