/**
 * Upstreams in either era and the relay of a 2026-07-28 upstream's input requests. The 2026 upstream is the SDK v2
 * `createMcpHandler` served in memory (its fetch handler behind the client transport's `fetch` option), the 2025
 * upstream an SDK 1.x server over linked in-memory transports; no process or socket is involved.
 */
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { ElicitResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { McpServer as LegacyMcpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { acceptedContent, completable, createMcpHandler, inputRequired, McpServer } from '@modelcontextprotocol/server';
import type Dockerode from 'dockerode';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { AskClient, ToolContext, ToolResult } from '../../../src/core/contracts.js';
import type { RequestStateRefusedEvent } from '../../../src/core/upstreams/aggregator.js';
import { createUpstreams, parseUpstreamsConfig, UpstreamsConfigError, type Upstreams } from '../../../src/core/upstreams/index.js';
import type { Launcher, UpstreamExit } from '../../../src/core/upstreams/launcher.js';
import { RequestStateSealer, SecretValue } from '../../../src/core/upstreams/request-state.js';

const logger = pino({ level: 'silent' });
const KEY = new SecretValue('k'.repeat(40));
const alice = { id: 'alice', authMethod: 'bearer' } as const;
const ctx = (over: Partial<ToolContext> = {}): ToolContext => ({ principal: alice, traceId: 't', signal: new AbortController().signal, dryRun: false, ...over });
const text = (r: ToolResult) => r.content[0]?.text;

/** What the 2026 upstream saw, per tools/call. */
interface Seen {
  readonly era: string;
  readonly requestState?: string;
  readonly clientCapabilities?: unknown;
}

/** A 2026-capable upstream (createMcpHandler serves both eras) with a tool that needs a confirmation first. */
function modernUpstream(seen: Seen[]): { fetch: (url: string | URL, init?: RequestInit) => Promise<Response> } {
  const handler = createMcpHandler(({ era }) => {
    const s = new McpServer({ name: 'modern', version: '1.0.0' });
    s.registerTool('confirm', { inputSchema: z.object({ what: z.string() }) }, async ({ what }, c) => {
      const state = c.mcpReq.requestState();
      seen.push({ era, requestState: typeof state === 'string' ? state : undefined, clientCapabilities: (c.mcpReq.envelope as Record<string, unknown> | undefined)?.['io.modelcontextprotocol/clientCapabilities'] });
      const ok = acceptedContent(c.mcpReq.inputResponses, 'ok', z.object({ ok: z.boolean() }));
      if (!ok) {
        return inputRequired({
          inputRequests: { ok: inputRequired.elicit({ message: `really ${what}?`, requestedSchema: { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] } }) },
          requestState: `upstream-round-1:${what}`,
        });
      }
      return { content: [{ type: 'text', text: `${what}: ${ok.ok ? 'confirmed' : 'declined'} (${era})` }] };
    });
    s.registerTool('plain', {}, async () => ({ content: [{ type: 'text', text: `plain (${era})` }] }));
    s.registerPrompt('greet', { description: 'greets', argsSchema: z.object({ who: completable(z.string(), (v: string) => ['alice', 'albert', 'bob'].filter((n) => n.startsWith(v))) }) }, async ({ who }) => ({
      messages: [{ role: 'user', content: { type: 'text', text: `hi ${who}` } }],
    }));
    s.registerPrompt('topic', { description: 'needs a topic first' }, async (c) => {
      const got = acceptedContent(c.mcpReq.inputResponses, 'topic', z.object({ topic: z.string() }));
      if (got && c.mcpReq.requestState() === 'prompt-round-1') return { messages: [{ role: 'user', content: { type: 'text', text: `about ${got.topic}` } }] };
      return inputRequired({ inputRequests: { topic: inputRequired.elicit({ message: 'Topic?', requestedSchema: { type: 'object', properties: { topic: { type: 'string' } }, required: ['topic'] } }) }, requestState: 'prompt-round-1' }) as never;
    });
    return s;
  });
  return { fetch: (url, init) => handler.fetch(new Request(url, init)) };
}

/** A 2025-only upstream (SDK 1.x) with one tool. */
function legacyTransport(): InMemoryTransport {
  const [client, server] = InMemoryTransport.createLinkedPair();
  const mcp = new LegacyMcpServer({ name: 'legacy', version: '1' });
  mcp.registerTool('plain', {}, async () => ({ content: [{ type: 'text', text: 'plain (2025 server)' }] }));
  // A 2025 server asks the client of the call with a server-to-client request, and waits on the same connection.
  mcp.registerTool('confirm', {}, async (extra) => {
    const r = await extra.sendRequest({ method: 'elicitation/create', params: { message: 'sure?', requestedSchema: { type: 'object', properties: { ok: { type: 'boolean' } } } } }, ElicitResultSchema);
    return { content: [{ type: 'text', text: `2025 server got: ${r.action} ${JSON.stringify(r.content ?? {})}` }] };
  });
  void mcp.connect(server);
  return client;
}

function launcher(seen: Seen[], starts: string[]): Launcher {
  return async (cfg, lctx) => {
    starts.push(lctx.server);
    let resolveExit: (e: UpstreamExit) => void = () => undefined;
    const exited = new Promise<UpstreamExit>((r) => (resolveExit = r));
    const transport = cfg.kind === 'remote'
      ? new StreamableHTTPClientTransport(new URL(cfg.url), { fetch: modernUpstream(seen).fetch })
      : legacyTransport();
    const close = transport.close.bind(transport);
    transport.close = async () => {
      await close();
      resolveExit({ code: 0 });
    };
    return { transport, describe: lctx.server, exited, stderrTail: () => '' };
  };
}

let upstreams: Upstreams | undefined;
afterEach(async () => {
  await upstreams?.close();
  upstreams = undefined;
});

function build(mcpServers: Record<string, unknown>, over: { reserved?: string[]; refused?: RequestStateRefusedEvent[]; seen?: Seen[]; starts?: string[] } = {}): Upstreams {
  const { config, problems } = parseUpstreamsConfig({ mcpServers, upstreams: { idleTimeoutSeconds: 0 } });
  expect(problems).toEqual([]);
  upstreams = createUpstreams(config!, {
    docker: { listContainers: async () => [] } as unknown as Dockerode,
    logger,
    instanceId: 'i',
    launcher: launcher(over.seen ?? [], over.starts ?? []),
    reservedToolNames: over.reserved ?? [],
    stateKey: KEY,
    onRequestStateRefused: (e) => over.refused?.push(e),
  });
  return upstreams;
}

async function tool(u: Upstreams, name: string) {
  const t = (await u.tools()).find((d) => d.name === name);
  expect(t, `tool ${name}`).toBeDefined();
  return t!;
}

describe('upstream eras', () => {
  it('auto negotiates 2026-07-28 with a modern server and 2025 with a legacy one, and keeps the verdict per server', async () => {
    const seen: Seen[] = [];
    const starts: string[] = [];
    const u = build({
      m: { url: 'http://modern.test/mcp', lifecycle: 'per-call' },
      l: { command: '/bin/sh', lifecycle: 'per-call' },
    }, { seen, starts });
    await u.start();
    expect(text(await (await tool(u, 'm__plain')).run({}, ctx()))).toBe('plain (modern)');
    expect(text(await (await tool(u, 'l__plain')).run({}, ctx()))).toBe('plain (2025 server)');
    expect(Object.fromEntries(u.status().map((s) => [s.server, s.era]))).toEqual({ m: 'modern', l: 'legacy' });
    // A later start of the same server reuses the verdict (the in-memory 1.x server would be probed again otherwise,
    // which it survives; what shows the cache is the modern server: its calls still arrive in the modern era).
    expect(text(await (await tool(u, 'm__plain')).run({}, ctx()))).toBe('plain (modern)');
  });

  it('legacy never probes: a 2026-capable server is spoken to in 2025', async () => {
    const u = build({ m: { url: 'http://modern.test/mcp', protocol: 'legacy', lifecycle: 'shared' } });
    await u.start();
    expect(text(await (await tool(u, 'm__plain')).run({}, ctx()))).toBe('plain (legacy)');
    expect(u.status()[0].era).toBe('legacy');
  });

  it('modern refuses to start against a 2025-only server, saying so', async () => {
    const u = build({ l: { command: '/bin/sh', protocol: 'modern', lifecycle: 'shared' } });
    await u.start();
    expect(await u.tools()).toEqual([]);
    expect(u.status()[0].lastError).toMatch(/upstream "l" failed to start: .*/);
    expect(u.status()[0].lastStartFailed).toBe(true);
  });
});

describe('input requests of a 2026 upstream', () => {
  it('reach a 2026 client as input_required with a sealed state; the retry reaches the upstream with its own state', async () => {
    const seen: Seen[] = [];
    const u = build({ m: { url: 'http://modern.test/mcp', lifecycle: 'per-call' } }, { seen });
    await u.start();
    const confirm = await tool(u, 'm__confirm');
    const caps = { elicitation: { form: {} } };
    const first = await confirm.run({ what: 'deploy' }, ctx({ acceptsInputRequired: true, clientCapabilities: caps }));
    expect(first.inputRequired?.inputRequests.ok.method).toBe('elicitation/create');
    const sealed = first.inputRequired!.requestState!;
    // Sealed: the upstream's own state is not readable by the client.
    expect(sealed).not.toContain('upstream-round-1');
    expect(seen[0].clientCapabilities).toEqual(caps);
    const second = await confirm.run({ what: 'deploy' }, ctx({ acceptsInputRequired: true, clientCapabilities: caps, requestState: sealed, inputResponses: { ok: { action: 'accept', content: { ok: true } } } }));
    expect(text(second)).toBe('deploy: confirmed (modern)');
    expect(seen[1].requestState).toBe('upstream-round-1:deploy');
  });

  it('a tampered, expired, other-principal or other-tool state is refused as invalid params, audited, and never reaches the upstream', async () => {
    const seen: Seen[] = [];
    const refused: RequestStateRefusedEvent[] = [];
    const u = build({ m: { url: 'http://modern.test/mcp', lifecycle: 'per-call' } }, { seen, refused });
    await u.start();
    const confirm = await tool(u, 'm__confirm');
    const first = await confirm.run({ what: 'x' }, ctx({ acceptsInputRequired: true, clientCapabilities: { elicitation: {} } }));
    const sealed = first.inputRequired!.requestState!;
    const answers = { ok: { action: 'accept', content: { ok: true } } };
    const calls = seen.length;
    const flip = `${sealed.slice(0, -2)}${sealed.endsWith('AA') ? 'BB' : 'AA'}`;
    const past = new RequestStateSealer({ secret: KEY, ttlMs: 1, now: () => 0 }).seal({ server: 'm', tool: 'confirm', principal: 'alice' });
    const otherKey = new RequestStateSealer({ secret: new SecretValue('z'.repeat(40)) }).seal({ server: 'm', tool: 'confirm', principal: 'alice' });
    const otherTool = new RequestStateSealer({ secret: KEY }).seal({ server: 'm', tool: 'plain', principal: 'alice' });
    const cases: Array<[string, Partial<ToolContext>, string]> = [
      [flip, {}, 'tampered'],
      [otherKey, {}, 'tampered'],
      ['not-a-state', {}, 'malformed'],
      [past, {}, 'expired'],
      [sealed, { principal: { id: 'mallory', authMethod: 'bearer' } }, 'other-principal'],
      [otherTool, {}, 'other-route'],
    ];
    for (const [state, over, reason] of cases) {
      const r = await confirm.run({ what: 'x' }, ctx({ acceptsInputRequired: true, requestState: state, inputResponses: answers, ...over }));
      expect(r.rejectRequest?.code, reason).toBe(-32602);
      expect(r.isError).toBe(true);
      expect(text(r)).toContain('was not called');
      expect(refused.at(-1)?.reason).toBe(reason);
    }
    expect(seen.length).toBe(calls);
    expect(refused.map((e) => e.principal)).toContain('mallory');
  });

  it('reach a 2025 session client as a real elicitation request, and the call completes with its answer', async () => {
    const seen: Seen[] = [];
    const u = build({ m: { url: 'http://modern.test/mcp', lifecycle: 'per-call' } }, { seen });
    await u.start();
    const asked: Array<[string, Record<string, unknown>]> = [];
    const askClient: AskClient = async (method, params) => {
      asked.push([method, params]);
      return { action: 'accept', content: { ok: false } };
    };
    const r = await (await tool(u, 'm__confirm')).run({ what: 'drop' }, ctx({ askClient, sessionId: 's1' }));
    expect(text(r)).toBe('drop: declined (modern)');
    expect(asked).toEqual([['elicitation/create', expect.objectContaining({ message: 'really drop?' })]]);
    // The upstream asked only for what a 2025 client behind askClient can answer, and got its own state back.
    expect(seen[0].clientCapabilities).toMatchObject({ elicitation: {} });
    expect(seen[1].requestState).toBe('upstream-round-1:drop');
  });

  it('through /rpc (no way back to the client) the upstream is told the client can answer nothing, and the call fails naming why', async () => {
    const u = build({ m: { url: 'http://modern.test/mcp', lifecycle: 'per-call' } });
    await u.start();
    const r = await (await tool(u, 'm__confirm')).run({ what: 'x' }, ctx());
    expect(r.isError).toBe(true);
    // /rpc declares no client capability (it can answer nothing), so the upstream refuses to ask, and says so.
    expect(text(r)).toMatch(/^upstream "m" returned an error while calling confirm: .*elicitation/);
  });
});

describe('completion/complete', () => {
  it('is routed to the upstream owning the exposed prompt, under its own name', async () => {
    const u = build({ m: { url: 'http://modern.test/mcp', lifecycle: 'shared' } });
    await u.start();
    expect((await u.complete({ ref: { type: 'ref/prompt', name: 'm__greet' }, argument: { name: 'who', value: 'al' } })).completion.values).toEqual(['alice', 'albert']);
    await expect(u.complete({ ref: { type: 'ref/prompt', name: 'nope__greet' }, argument: { name: 'who', value: 'a' } })).rejects.toThrow(/unknown upstream name "nope__greet"/);
  });
});

describe('input requests on prompts/get of a 2026 upstream', () => {
  it('come back sealed when the request allows it, the retry completes, and a tool call\'s state cannot continue a prompt', async () => {
    const u = build({ m: { url: 'http://modern.test/mcp', lifecycle: 'shared' } });
    await u.start();
    const input = { principal: alice, clientCapabilities: { elicitation: {} } };
    const first = await u.getPrompt('m__topic', undefined, { input });
    expect(first.inputRequired?.inputRequests.topic.method).toBe('elicitation/create');
    const done = await u.getPrompt('m__topic', undefined, { input: { ...input, requestState: first.inputRequired!.requestState, inputResponses: { topic: { action: 'accept', content: { topic: 'tides' } } } } });
    expect(done.messages).toEqual([{ role: 'user', content: { type: 'text', text: 'about tides' } }]);
    const toolState = new RequestStateSealer({ secret: KEY }).seal({ server: 'm', tool: 'topic', principal: 'alice' });
    const crossed = await u.getPrompt('m__topic', undefined, { input: { ...input, requestState: toolState } });
    expect(crossed.rejectRequest?.code).toBe(-32602);
    // Without `input` (a 2025 session), an upstream's input_required is a failure, not a prompt.
    await expect(u.getPrompt('m__topic', undefined, {})).rejects.toThrow(/input_required|Unsupported result type/);
  });
});

describe('input requests of a 2025 upstream, for a 2026 client', () => {
  it('reach the client as input_required while the upstream call is held; the retry answers it and the call completes', async () => {
    const u = build({ l: { command: '/bin/sh', lifecycle: 'shared' } });
    await u.start();
    const confirm = await tool(u, 'l__confirm');
    const first = await confirm.run({}, ctx({ acceptsInputRequired: true, clientCapabilities: { elicitation: {} }, traceId: 't1' }));
    expect(first.inputRequired?.inputRequests.input).toEqual({ method: 'elicitation/create', params: expect.objectContaining({ message: 'sure?' }) });
    const state = first.inputRequired!.requestState!;
    // Another principal cannot continue it.
    const stolen = await confirm.run({}, ctx({ acceptsInputRequired: true, principal: { id: 'mallory', authMethod: 'bearer' }, requestState: state, inputResponses: { input: { action: 'accept', content: { ok: false } } } }));
    expect(stolen.rejectRequest?.code).toBe(-32602);
    const done = await confirm.run({}, ctx({ acceptsInputRequired: true, requestState: state, inputResponses: { input: { action: 'accept', content: { ok: true } } }, traceId: 't2' }));
    expect(text(done)).toBe('2025 server got: accept {"ok":true}');
    // The held call is used up: the same state again finds nothing held.
    const again = await confirm.run({}, ctx({ acceptsInputRequired: true, requestState: state, inputResponses: { input: { action: 'accept', content: { ok: true } } } }));
    expect(again.isError).toBe(true);
    expect(text(again)).toContain('is not held on this gateway replica');
  });

  it('a retry on another replica (same key, nothing held there) is told the call waits where it started', async () => {
    const first = build({ l: { command: '/bin/sh', lifecycle: 'shared' } });
    await first.start();
    const r1 = await (await tool(first, 'l__confirm')).run({}, ctx({ acceptsInputRequired: true, traceId: 'a' }));
    const state = r1.inputRequired!.requestState!;
    const { config } = parseUpstreamsConfig({ mcpServers: { l: { command: '/bin/sh', lifecycle: 'shared' } } });
    const other = createUpstreams(config!, { docker: { listContainers: async () => [] } as unknown as Dockerode, logger, instanceId: 'j', launcher: launcher([], []), stateKey: KEY });
    try {
      await other.start();
      const r2 = await (await tool(other, 'l__confirm')).run({}, ctx({ acceptsInputRequired: true, requestState: state, inputResponses: { input: { action: 'accept' } } }));
      expect(r2.isError).toBe(true);
      expect(text(r2)).toContain('is not held on this gateway replica');
    } finally {
      await other.close();
    }
  });
});

describe('prefix: false', () => {
  it('exposes the upstream names as they are, and refuses a collision with a built-in or another server at start, naming both', async () => {
    const u = build({ m: { url: 'http://modern.test/mcp', prefix: false, lifecycle: 'shared', eager: true } });
    await u.start();
    expect((await u.tools()).map((t) => t.name).sort()).toEqual(['confirm', 'plain']);
    await u.close();

    const clash = build({
      m: { url: 'http://modern.test/mcp', prefix: false, lifecycle: 'shared', eager: true },
      l: { command: '/bin/sh', prefix: false, lifecycle: 'shared', eager: true },
    }, { reserved: ['confirm'] });
    const err = await clash.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UpstreamsConfigError);
    const msg = (err as Error).message;
    expect(msg).toContain('tool "confirm" of upstream "m" collides with a built-in tool of the gateway');
    expect(msg).toContain('tool "plain" of upstream "l" collides with the tool of the same name of upstream "m"');
  });
});
