/**
 * The 2026-07-28 side on a real node:http server on 127.0.0.1: the /mcp era router in front of the modern adapter
 * (SDK v2 createMcpHandler) with the gateway's per-request server, driven by the official SDK v2 client and by raw
 * fetch. The pipeline is a fake (what is under test is the transport's mapping): a tool's `inputRequired` becomes
 * `resultType: "input_required"`, the client's answers and echoed state reach the tool on the retry, an input request
 * the client cannot answer is -32021, and a dropped POST aborts the call.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { ProtocolErrorCode } from '@modelcontextprotocol/server';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Principal, ToolDefinition, ToolResult } from '../../../src/core/contracts.js';
import type { CallInput } from '../../../src/core/pipeline.js';
import type { ToolSource } from '../../../src/core/tool-source.js';
import { SharedSchemaValidator } from '../../../src/core/shared-schema-validator.js';
import { createModernServerFactory, toModernResult } from '../../../src/mcp/modern-server.js';
import { RPC } from '../../../src/errors.js';
import { createMcpEndpoint, isLegacyMcpRequest } from '../../../src/transports/mcp-endpoint.js';
import { createModernHttpAdapter } from '../../../src/transports/modern-http.js';

const principal: Principal = { id: 'tester', authMethod: 'bearer' };
const MODERN = '2026-07-28';

function tool(name: string): ToolDefinition {
  return { name, description: name, jsonSchema: { type: 'object' }, annotations: {}, mutating: false, run: async () => ({ content: [] }) };
}

/** What the fake pipeline saw per call. */
const calls: Array<{ tool: string; input: CallInput }> = [];
let aborted: (() => void) | undefined;

const pipeline = {
  async call(t: ToolDefinition, _args: unknown, input: CallInput): Promise<ToolResult> {
    calls.push({ tool: t.name, input });
    if (t.name === 'confirm') {
      const answer = input.inputResponses?.ok as { action?: string; content?: { ok?: boolean } } | undefined;
      if (!answer) {
        return { content: [], inputRequired: { inputRequests: { ok: { method: 'elicitation/create', params: { mode: 'form', message: 'Proceed?', requestedSchema: { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] } } } }, requestState: 'sealed-by-upstreams' } };
      }
      return { content: [{ type: 'text', text: `confirmed=${answer.content?.ok} state=${input.requestState}` }] };
    }
    if (t.name === 'sleep') {
      await new Promise<void>((resolve) => input.signal.addEventListener('abort', () => { aborted?.(); resolve(); }, { once: true }));
      return { content: [{ type: 'text', text: 'aborted' }] };
    }
    return { content: [{ type: 'text', text: 'ok' }] };
  },
};
const tools: ToolSource = {
  list: async () => [{ name: 'confirm', description: 'c', inputSchema: { type: 'object' }, annotations: {} }, { name: 'sleep', description: 's', inputSchema: { type: 'object' }, annotations: {} }] as never,
  get: async (name) => (['confirm', 'sleep', 'echo'].includes(name) ? tool(name) : undefined),
  unknownToolMessage: (name) => `Unknown tool: ${name}`,
};

let server: http.Server;
let url: string;
let legacyHits = 0;
let modernAdapter: ReturnType<typeof createModernHttpAdapter>;

beforeAll(async () => {
  const newServer = createModernServerFactory({ identity: { name: 'gw', version: '1' }, tools, pipeline, schemaValidator: new SharedSchemaValidator() as never });
  const modern = createModernHttpAdapter({ newServer, logger: pino({ level: 'silent' }), heartbeatMs: 15_000 });
  modernAdapter = modern;
  const endpoint = createMcpEndpoint({
    limits: { maxBodyBytes: 1 << 20, maxJsonDepth: 32 },
    legacy: async () => async (_req, res) => { legacyHits += 1; res.writeHead(418).end(); },
    modern: async () => (req, res, p, body) => modern.handle(req, res, p, body),
  });
  server = http.createServer((req, res) => { void endpoint(req, res, principal); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

function envelope(capabilities: Record<string, unknown> = {}) {
  return { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientCapabilities': capabilities };
}

function post(body: Record<string, unknown>, signal?: AbortSignal): Promise<Response> {
  const name = (body.params as { name?: string } | undefined)?.name;
  return fetch(url, {
    method: 'POST', signal,
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': MODERN, 'mcp-method': String(body.method), ...(name ? { 'mcp-name': name } : {}) },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, ...body }),
  });
}

describe('isLegacyMcpRequest: the one predicate that splits /mcp by era', () => {
  it('initialize without a 2026 envelope, or any Mcp-Session-Id, is 2025; everything else is 2026', () => {
    expect(isLegacyMcpRequest({}, { method: 'initialize', params: {} })).toBe(true);
    expect(isLegacyMcpRequest({ 'mcp-session-id': 'x' }, { method: 'tools/list' })).toBe(true);
    expect(isLegacyMcpRequest({ 'mcp-session-id': 'x' }, undefined)).toBe(true);
    expect(isLegacyMcpRequest({}, { method: 'initialize', params: { _meta: envelope() } })).toBe(false);
    expect(isLegacyMcpRequest({}, { method: 'tools/list', params: { _meta: envelope() } })).toBe(false);
    expect(isLegacyMcpRequest({}, { method: 'tools/list' })).toBe(false);
    expect(isLegacyMcpRequest({}, undefined)).toBe(false);
  });
});

describe('the 2026-07-28 side (SDK v2 createMcpHandler, per-request gateway server)', () => {
  it('relays a tool\'s input request to the client and the client\'s answer and echoed state back to the tool', async () => {
    calls.length = 0;
    const client = new Client({ name: 't', version: '1' }, { versionNegotiation: { mode: { pin: MODERN } }, capabilities: { elicitation: { form: {} } } });
    client.setRequestHandler('elicitation/create', async () => ({ action: 'accept', content: { ok: true } }));
    await client.connect(new StreamableHTTPClientTransport(new URL(url)));
    try {
      const r = await client.callTool({ name: 'confirm', arguments: {} });
      expect(r.content).toEqual([{ type: 'text', text: 'confirmed=true state=sealed-by-upstreams' }]);
    } finally {
      await client.close();
    }
    expect(calls.map((c) => c.tool)).toEqual(['confirm', 'confirm']);
    expect(calls[0].input).toMatchObject({ acceptsInputRequired: true, principal, clientCapabilities: { elicitation: { form: {} } } });
    expect(calls[0].input.inputResponses).toBeUndefined();
    expect(calls[1].input.requestState).toBe('sealed-by-upstreams');
  });

  it('answers input_required on the wire with the requests and the state', async () => {
    const res = await post({ method: 'tools/call', params: { name: 'confirm', arguments: {}, _meta: envelope({ elicitation: { form: {} } }) } });
    expect(res.status).toBe(200);
    const { result } = await res.json();
    expect(result).toMatchObject({ resultType: 'input_required', requestState: 'sealed-by-upstreams', inputRequests: { ok: { method: 'elicitation/create' } } });
  });

  it('an input request the client did not declare the capability for is -32021', async () => {
    const res = await post({ method: 'tools/call', params: { name: 'confirm', arguments: {}, _meta: envelope({}) } });
    const body = await res.json();
    expect(body.error.code).toBe(RPC.MISSING_CLIENT_CAPABILITY);
    expect(body.error.data.requiredCapabilities).toHaveProperty('elicitation');
  });

  it('the registry\'s 2026 codes are the ones on the wire (errors.ts lists what the SDK answers with)', async () => {
    expect(RPC.MISSING_CLIENT_CAPABILITY).toBe(ProtocolErrorCode.MissingRequiredClientCapability);
    expect(RPC.UNSUPPORTED_PROTOCOL_VERSION).toBe(ProtocolErrorCode.UnsupportedProtocolVersion);
    const mismatch = await fetch(url, {
      method: 'POST', headers: { 'content-type': 'application/json', 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/call' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: { _meta: envelope() } }),
    });
    expect(mismatch.status).toBe(400);
    expect((await mismatch.json()).error.code).toBe(RPC.HEADER_MISMATCH);
    const version = await fetch(url, {
      method: 'POST', headers: { 'content-type': 'application/json', 'mcp-protocol-version': '2099-01-01', 'mcp-method': 'tools/list' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/list', params: { _meta: { ...envelope(), 'io.modelcontextprotocol/protocolVersion': '2099-01-01' } } }),
    });
    expect(version.status).toBe(400);
    expect((await version.json()).error).toMatchObject({ code: RPC.UNSUPPORTED_PROTOCOL_VERSION, data: { supported: [MODERN] } });
  });

  it('a client that drops its POST aborts the running call', async () => {
    const stopped = new Promise<void>((resolve) => { aborted = resolve; });
    const abort = new AbortController();
    const started = calls.length;
    const pending = post({ method: 'tools/call', params: { name: 'sleep', arguments: {}, _meta: envelope() } }, abort.signal).catch(() => 'dropped');
    // The call has reached the pipeline once the fake recorded it; then the client goes away.
    for (let i = 0; i < 200 && calls.length === started; i += 1) await new Promise((r) => setImmediate(r));
    abort.abort();
    expect(await pending).toBe('dropped');
    await stopped;
  });

  it('subscriptions/listen: acknowledged first, then a tool-list change (an upstream\'s list_changed) on the stream', async () => {
    const abort = new AbortController();
    const res = await post({ method: 'subscriptions/listen', params: { notifications: { toolsListChanged: true }, _meta: envelope() } }, abort.signal);
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = res.body!.getReader();
    let text = '';
    const until = async (needle: string) => {
      while (!text.includes(needle)) {
        const { done, value } = await reader.read();
        if (done) throw new Error(`stream ended before ${needle}: ${text}`);
        text += new TextDecoder().decode(value);
      }
    };
    await until('notifications/subscriptions/acknowledged');
    // Sent only after the acknowledgement arrived: the change must reach the open stream.
    modernAdapter.toolsChanged();
    await until('notifications/tools/list_changed');
    abort.abort();
    await reader.cancel().catch(() => undefined);
  });

  it('2025 traffic never reaches the modern side', async () => {
    const before = legacyHits;
    await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'x', version: '1' } } }) });
    await fetch(url, { method: 'GET', headers: { 'mcp-session-id': 'abc' } });
    expect(legacyHits).toBe(before + 2);
  });
});

describe('toModernResult', () => {
  it('maps inputRequired to input_required and passes a complete result through without the field', () => {
    expect(toModernResult({ content: [], inputRequired: { inputRequests: { a: { method: 'roots/list' } } } })).toEqual({ resultType: 'input_required', inputRequests: { a: { method: 'roots/list' } } });
    expect(toModernResult({ content: [{ type: 'text', text: 'x' }], isError: true })).toEqual({ content: [{ type: 'text', text: 'x' }], isError: true });
  });
  it('turns a call refused as a protocol error (rejectRequest) into that JSON-RPC error', () => {
    const refused = { content: [{ type: 'text' as const, text: 'state tampered' }], rejectRequest: { code: -32602, message: 'Invalid or expired requestState' } };
    expect(() => toModernResult(refused)).toThrow(expect.objectContaining({ code: -32602, message: 'Invalid or expired requestState' }));
  });
});
