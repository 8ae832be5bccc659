/**
 * Negative suite, authentication at start-up and at the edge: the image refuses to start without authentication
 * (and refuses MCP_GATEWAY_ALLOW_UNAUTHENTICATED=true unless it listens on loopback) or with a guessable token;
 * malformed, repeated or unknown bearer credentials get 401 with a challenge and never reach a tool.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from 'node:net';
import { runTarget, uniq, type TestContainer } from '../helpers/docker-cli.js';
import { E2E_TOKEN, startGateway, type GatewayUnderTest } from '../helpers/gateway-container.js';
import { eventClock, execsSince, lastSeq, runGatewayToExit, toolRecordsAfter, waitForAudit } from './security-helpers.js';

describe('security: authentication required from start-up to every request (built image, real engine)', () => {
  it('no authentication configured: the gateway refuses to start and says how to fix it', async () => {
    const { code, output } = await runGatewayToExit({ MCP_GATEWAY_AUTH_TOKENS: '' });
    expect(code).not.toBe('running');
    expect(code).not.toBe(0);
    expect(output).toMatch(/no authentication is configured/);
    expect(output).toMatch(/MCP_GATEWAY_AUTH_TOKEN/);
  });

  it('MCP_GATEWAY_ALLOW_UNAUTHENTICATED=true is refused when listening on 0.0.0.0 (the image default)', async () => {
    const { code, output } = await runGatewayToExit({ MCP_GATEWAY_AUTH_TOKENS: '', MCP_GATEWAY_ALLOW_UNAUTHENTICATED: 'true' });
    expect(code).not.toBe('running');
    expect(code).not.toBe(0);
    expect(output).toMatch(/only honoured on loopback[\s\S]*0\.0\.0\.0/);
  });

  it('a guessable (short) token is a configuration error naming the variable, never echoing the token', async () => {
    const { code, output } = await runGatewayToExit({ MCP_GATEWAY_AUTH_TOKENS: 'ci=short-secret' });
    expect(code).toBe(2);
    expect(output).toMatch(/MCP_GATEWAY_AUTH_TOKENS: token "ci" has 12 characters; use at least 16/);
    expect(output).not.toContain('short-secret');
  });

  describe('bearer edge cases on a running gateway', () => {
    let gw: GatewayUnderTest;
    let target: TestContainer;
    beforeAll(async () => {
      target = await runTarget(uniq('sec-auth-target'));
      gw = await startGateway();
    });
    afterAll(async () => {
      await gw?.remove();
      await target?.remove();
    });

    /** Sends a raw tools/call (an exec) over a plain socket with exactly these header lines (repeats kept). */
    function rawCall(headers: Array<[string, string]>, query = ''): Promise<{ status: number; challenge?: string }> {
      return new Promise((resolve, reject) => {
        const u = new URL(gw.url);
        const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'docker_exec', arguments: { id: target.name, cmd: ['echo', 'x'] } } });
        const head = [`POST /rpc${query} HTTP/1.1`, `Host: ${u.host}`, 'Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`, 'Connection: close',
          ...headers.map(([k, v]) => `${k}: ${v}`)].join('\r\n');
        const sock = connect(Number(u.port), u.hostname, () => sock.end(`${head}\r\n\r\n${body}`));
        let text = '';
        sock.setEncoding('utf8');
        sock.setTimeout(10_000, () => sock.destroy(new Error('no answer within 10 s')));
        sock.on('data', (c: string) => { text += c; });
        sock.on('error', reject);
        sock.on('close', () => resolve({
          status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0),
          challenge: /^www-authenticate: (.*)$/im.exec(text)?.[1]?.trim(),
        }));
      });
    }

    it.each([
      ['a wrong token', [['authorization', 'Bearer wrong-token-0123456789abcdef']]],
      ['the right token with another scheme', [['authorization', `Basic ${E2E_TOKEN}`]]],
      ['the right token with a suffix', [['authorization', `Bearer ${E2E_TOKEN}x`]]],
      ['a prefix of the right token', [['authorization', `Bearer ${E2E_TOKEN.slice(0, -1)}`]]],
      ['the right token twice (repeated header)', [['authorization', `Bearer ${E2E_TOKEN}`], ['authorization', `Bearer ${E2E_TOKEN}`]]],
      ['the right token, then a wrong one (Node alone would keep the first)', [['authorization', `Bearer ${E2E_TOKEN}`], ['authorization', 'Bearer wrong-token-0123456789abcdef']]],
      ['the token in the query string only', [], `?access_token=${E2E_TOKEN}`],
      ['the token in a cookie only', [['cookie', `token=${E2E_TOKEN}; authorization=Bearer ${E2E_TOKEN}`]]],
    ] as Array<[string, Array<[string, string]>, string?]>)('%s: 401 with a Bearer challenge, nothing runs', async (_label, headers, query) => {
      const since = eventClock();
      const seq = await lastSeq(gw);
      const r = await rawCall(headers, query);
      expect(r.status).toBe(401);
      expect(r.challenge).toMatch(/^Bearer realm="mcp-gateway"/);
      expect(await execsSince(target.name, since)).toEqual([]);
      // The refusal itself is audited at the edge, with its rule id and no credential; no tool call was decided.
      const refusal = await waitForAudit(gw, (rec) => rec.seq > seq && rec.tool === 'http:/rpc' && rec.ruleId.startsWith('auth.'));
      expect(refusal).toMatchObject({ decision: 'deny', authMethod: 'none' });
      expect(JSON.stringify(refusal)).not.toContain(E2E_TOKEN.slice(0, 12));
      expect(await toolRecordsAfter(gw, seq)).toEqual([]);
    });
  });
});
