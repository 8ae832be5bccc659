import { describe, expect, it } from 'vitest';
import type { Principal, ToolResult } from '../../../src/core/contracts.js';
import { createRedactor } from '../../../src/core/security/redactor.js';
import { containsSecret, REDACTED, scanSecrets } from '../../../src/core/security/secret-patterns.js';
import { parseSecurityConfig } from '../../../src/core/security/security-config.js';
import { ctx, GATEWAY_ID } from './fixtures.js';

const TUNNEL = `eyJhIjoi${'QWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXo'.repeat(3)}`;
const JWT = 'eyJhbGciOiJSUzI1NiJ9.eyJlbWFpbCI6ImFAYi5jbyJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ';

describe('scanSecrets', () => {
  const cases: Array<[string, string, string]> = [
    ['private key block', '-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----', 'private-key'],
    ['openssh key', '-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\n-----END OPENSSH PRIVATE KEY-----', 'private-key'],
    ['cloudflare tunnel token', `cloudflared tunnel run --token ${TUNNEL}`, 'cloudflare-tunnel-token'],
    ['jwt', `cookie ${JWT}`, 'jwt'],
    ['github token', `ghp_${'a'.repeat(36)}`, 'github-token'],
    ['github fine-grained', `github_pat_${'A1'.repeat(20)}`, 'github-token'],
    ['aws key id', 'AKIAIOSFODNN7EXAMPLE', 'aws-access-key-id'],
    ['slack', 'xoxb-123456789012-abcdefghij', 'slack-token'],
    ['stripe', `sk_live_${'a'.repeat(24)}`, 'stripe-key'],
    ['google', `AIza${'b'.repeat(35)}`, 'google-api-key'],
    ['anthropic', `sk-ant-api03-${'c'.repeat(30)}`, 'anthropic-key'],
    ['openai', `sk-proj-${'d'.repeat(30)}`, 'openai-key'],
    ['bearer header', 'Authorization: Bearer abcdefghijklmnop', 'bearer'],
    ['url credentials', 'postgres://app:hunter22@db:5432/x', 'url-credentials'],
    ['password assignment', 'DB_PASSWORD=hunter22', 'secret-assignment'],
    ['aws secret assignment', 'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'secret-assignment'],
    ['json api key', '{"api_key": "abcd1234efgh"}', 'secret-assignment'],
  ];
  it.each(cases)('finds %s', (_n, text, kind) => {
    const r = scanSecrets(text);
    expect(r.count).toBeGreaterThanOrEqual(1);
    expect(r.kinds).toContain(kind);
    expect(r.text).toContain(REDACTED);
    expect(containsSecret(text)).toBe(true);
  });
  it('keeps names and schemes', () => {
    expect(scanSecrets('DB_PASSWORD=hunter22').text).toBe(`DB_PASSWORD=${REDACTED}`);
    expect(scanSecrets('Authorization: Bearer abcdefghijklmnop').text).toBe(`Authorization: Bearer ${REDACTED}`);
    expect(scanSecrets('postgres://app:hunter22@db/x').text).toBe(`postgres://app:${REDACTED}@db/x`);
  });
  it('stays linear on adversarial output (no catastrophic backtracking)', () => {
    const inputs = ['a.'.repeat(250_000), 'a-'.repeat(250_000), 'ab+'.repeat(150_000), '-----BEGIN RSA PRIVATE KEY-----\n'.repeat(10_000), 'eyJaaaaaa.'.repeat(50_000), 'x://a:'.repeat(80_000), 'password'.repeat(60_000)];
    for (const text of inputs) {
      const t = performance.now();
      scanSecrets(text);
      expect(performance.now() - t).toBeLessThan(3000);
    }
  });
  it('does not treat author= as a secret', () => {
    expect(scanSecrets('author=John').count).toBe(0);
    expect(scanSecrets('auth=abcd1234').count).toBe(1);
  });
  it('leaves ordinary text alone', () => {
    for (const t of ['hello world', 'total 48\ndrwxr-xr-x 2 root root', 'GET /health 200', 'token_count: 5', 'PATH=/usr/bin', 'sha256:0123abcd', 'password reset email sent']) {
      expect(scanSecrets(t)).toEqual({ text: t, count: 0, kinds: [] });
    }
  });
});

const config = parseSecurityConfig({
  policy: { roles: { admin: { tools: ['*'], allowSecrets: true } }, bindings: [{ tokens: ['boss'], roles: ['admin'] }] },
  redaction: { scanOutputTools: ['docker_logs'] },
});
const redactor = createRedactor(config, { gatewayContainerId: GATEWAY_ID });
const reader: Principal = { id: 'r', authMethod: 'bearer' };
const boss: Principal = { id: 'boss', authMethod: 'bearer' };

const inspectOf = (id: string, labels: Record<string, string> = {}) => ({
  Id: id,
  Name: '/x',
  Config: { Env: [`TUNNEL_TOKEN=${TUNNEL}`, 'PATH=/usr/bin', 'DB_PASSWORD=hunter22', 'NOVALUE'], Labels: { ...labels, 'app.api-token': 'abc123' }, Cmd: ['node', 'x'] },
  HostConfig: { Binds: ['/a:/b'] },
});
const asResult = (o: unknown, pretty = true): ToolResult => ({ content: [{ type: 'text', text: JSON.stringify(o, null, pretty ? 2 : undefined) }], structuredContent: { container: o } as Record<string, unknown> });

describe('redactResult: docker_inspect', () => {
  it('hides env values (keeping names), secret-named labels, in text and structured content', () => {
    const { result, redactions } = redactor.redactResult('docker_inspect', asResult(inspectOf('d'.repeat(64))), ctx(reader));
    const parsed = JSON.parse(result.content[0].text);
    expect(parsed.Config.Env).toEqual([`TUNNEL_TOKEN=${REDACTED}`, `PATH=${REDACTED}`, `DB_PASSWORD=${REDACTED}`, 'NOVALUE']);
    expect(parsed.Config.Labels['app.api-token']).toBe(REDACTED);
    expect(parsed.Config.Cmd).toEqual(['node', 'x']);
    expect(result.content[0].text.startsWith('{\n  "Id"')).toBe(true);
    const sc = result.structuredContent as { container: { Config: { Env: string[] } } };
    expect(sc.container.Config.Env[0]).toBe(`TUNNEL_TOKEN=${REDACTED}`);
    expect(JSON.stringify(result)).not.toContain(TUNNEL);
    expect(JSON.stringify(result)).not.toContain('hunter22');
    expect(redactions).toBeGreaterThanOrEqual(8);
  });
  it('shows secrets to a role that allows them', () => {
    const input = asResult(inspectOf('d'.repeat(64)));
    const { result, redactions } = redactor.redactResult('docker_inspect', input, ctx(boss));
    expect(result).toBe(input);
    expect(redactions).toBe(0);
  });
  it('never shows secrets of the connector or the gateway, whatever the role', () => {
    for (const o of [inspectOf('c'.repeat(64), { 'mcp.gateway.role': 'connector' }), inspectOf(GATEWAY_ID)]) {
      const { result } = redactor.redactResult('docker_inspect', asResult(o), ctx(boss));
      expect(JSON.stringify(result)).not.toContain(TUNNEL);
    }
  });
  it('secrets need a secret-allowing role whose scope covers the container', () => {
    const cfg = parseSecurityConfig({
      policy: {
        roles: { webSecrets: { tools: ['docker_inspect'], containers: { names: ['web-*'] }, allowSecrets: true } },
        bindings: [{ tokens: ['dev'], roles: ['webSecrets', 'reader'] }],
      },
    });
    const r = createRedactor(cfg);
    const dev: Principal = { id: 'dev', authMethod: 'bearer' };
    const web = { ...inspectOf('1'.repeat(64)), Name: '/web-1' };
    const db = { ...inspectOf('2'.repeat(64)), Name: '/db-1' };
    expect(r.redactResult('docker_inspect', asResult(web), ctx(dev)).redactions).toBe(0);
    expect(JSON.stringify(r.redactResult('docker_inspect', asResult(db), ctx(dev)).result)).not.toContain(TUNNEL);
  });
  it('handles non-JSON text by pattern scanning', () => {
    const { result, redactions } = redactor.redactResult('docker_inspect', { content: [{ type: 'text', text: `token ${TUNNEL}` }] }, ctx(reader));
    expect(result.content[0].text).toBe(`token ${REDACTED}`);
    expect(redactions).toBe(1);
  });
});

describe('redactResult: other tools', () => {
  it('passes through tools not configured for scanning', () => {
    const r: ToolResult = { content: [{ type: 'text', text: `AKIAIOSFODNN7EXAMPLE` }] };
    expect(redactor.redactResult('docker_exec', r, ctx(reader))).toEqual({ result: r, redactions: 0 });
  });
  it('scans configured tools (logs)', () => {
    const r: ToolResult = { content: [{ type: 'text', text: `line1\nAKIAIOSFODNN7EXAMPLE\nBearer abcdefghijkl` }] };
    const out = redactor.redactResult('docker_logs', r, ctx(reader));
    expect(out.redactions).toBe(2);
    expect(out.result.content[0].text).toBe(`line1\n${REDACTED}\nBearer ${REDACTED}`);
  });
});

describe('redactArgs', () => {
  it('hides exec env values, secret-named keys and secret-looking strings', () => {
    const args = { id: 'web-1', cmd: ['curl', '-H', 'Authorization: Bearer abcdefghijklmnop', 'https://x'], env: ['API_KEY=abc', 'MODE=prod'], user: 'app', password: 'p4ss', nested: { apiKey: 'zzz', Token: { a: 1 }, ok: 'fine' } };
    const out = redactor.redactArgs('docker_exec', args);
    expect(out).toEqual({
      id: 'web-1',
      cmd: ['curl', '-H', `Authorization: Bearer ${REDACTED}`, 'https://x'],
      env: [`API_KEY=${REDACTED}`, `MODE=${REDACTED}`],
      user: 'app',
      password: REDACTED,
      nested: { apiKey: REDACTED, Token: REDACTED, ok: 'fine' },
    });
    // The input is not modified.
    expect(args.env[0]).toBe('API_KEY=abc');
  });
  it('configured extra key names', () => {
    const r = createRedactor(parseSecurityConfig({ redaction: { secretKeyNames: ['pin'] } }));
    expect(r.redactArgs('x', { pinCode: '1234', name: 'n' })).toEqual({ pinCode: REDACTED, name: 'n' });
  });
});
