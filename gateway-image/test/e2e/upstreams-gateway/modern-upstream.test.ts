/**
 * A 2026-07-28 upstream (SDK v2 `serveStdio`, a command server inside the gateway container) behind the built image:
 * the gateway negotiates 2026-07-28 with it (`protocol: auto` and `modern`), and its `input_required` reaches
 * - a 2026 client (SDK v2 `auto`) as `input_required`: the client answers and retries with the gateway's sealed state,
 *   the upstream gets its own state back and completes;
 * - a 2025 session client (SDK v2 `legacy`) as a real elicitation request over its session.
 * `protocol: legacy` toward the same server speaks 2025 to it.
 */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { E2E_TOKEN, startGateway, type GatewayUnderTest } from '../helpers/gateway-container.js';
import { FIXTURES_MOUNT, gatewayConfig, ownerIdFor, removeOwned, upstreamMounts } from './harness.js';

const OWNER = ownerIdFor('modern');
const MODERN = `${FIXTURES_MOUNT}/modern-stdio.mjs`;

async function client(url: string, mode: 'auto' | 'legacy', asked: string[]): Promise<Client> {
  const c = new Client({ name: `e2e-${mode}`, version: '1.0.0' }, { versionNegotiation: { mode }, capabilities: { elicitation: { form: {} } } });
  c.setRequestHandler('elicitation/create', async (req) => {
    asked.push(String(req.params.message));
    return { action: 'accept', content: { ok: true } };
  });
  await c.connect(new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { requestInit: { headers: { Authorization: `Bearer ${E2E_TOKEN}` } } }));
  return c;
}

const text = (r: unknown) => ((r as { content?: Array<{ text?: string }> }).content?.[0]?.text ?? '');

describe('a 2026-07-28 upstream behind the built image', () => {
  let gw: GatewayUnderTest;

  beforeAll(async () => {
    gw = await startGateway({
      args: upstreamMounts(),
      env: { MCP_GATEWAY_STATE_KEY: 'e2e-modern-upstream-state-key-0123456789' },
      config: gatewayConfig(OWNER, {
        auto: { command: 'node', args: [MODERN], lifecycle: 'shared' },
        pinned: { command: 'node', args: [MODERN], lifecycle: 'shared', protocol: 'modern' },
        old: { command: 'node', args: [MODERN], lifecycle: 'shared', protocol: 'legacy' },
      }, { callTimeoutMs: 20_000, initTimeoutMs: 20_000 }),
    });
  });
  afterAll(async () => {
    await gw?.remove();
    await removeOwned(OWNER);
  });

  it('auto and modern negotiate 2026-07-28 with it; legacy speaks 2025 to it', async () => {
    const c = await client(gw.url, 'auto', []);
    try {
      expect(c.getProtocolEra()).toBe('modern');
      expect(text(await c.callTool({ name: 'auto__era', arguments: {} }))).toBe('era: modern');
      expect(text(await c.callTool({ name: 'pinned__era', arguments: {} }))).toBe('era: modern');
      expect(text(await c.callTool({ name: 'old__era', arguments: {} }))).toBe('era: legacy');
    } finally {
      await c.close();
    }
  });

  it('a 2026 client gets input_required, answers, and the retry completes upstream', async () => {
    const asked: string[] = [];
    const c = await client(gw.url, 'auto', asked);
    try {
      expect(c.getProtocolEra()).toBe('modern');
      expect(text(await c.callTool({ name: 'auto__confirm', arguments: {} }))).toBe('confirmed: {"ok":true} (modern)');
      // The SDK client fulfilled it from its elicitation handler: one round, asked once.
      expect(asked).toEqual(['Go ahead?']);
    } finally {
      await c.close();
    }
  });

  it('a 2025 session client is asked with a real elicitation request, and the call completes', async () => {
    const asked: string[] = [];
    const c = await client(gw.url, 'legacy', asked);
    try {
      expect(c.getProtocolEra()).toBe('legacy');
      expect(text(await c.callTool({ name: 'pinned__confirm', arguments: {} }))).toBe('confirmed: {"ok":true} (modern)');
      expect(asked).toEqual(['Go ahead?']);
    } finally {
      await c.close();
    }
  });
});
