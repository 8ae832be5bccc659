import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors.js';
import { closestKey, loadGatewayConfig, redactedConfig } from '../../../src/load-config.js';

const load = (env: Record<string, string>, file?: string) =>
  loadGatewayConfig({ env: { MCP_GATEWAY_AUTH_TOKEN: 'a-token-of-sixteen+chars', ...env, ...(file ? { MCP_GATEWAY_CONFIG: '/cfg.json' } : {}) }, readFile: () => file ?? '' });

function issuesOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return [...err.issues];
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadGatewayConfig', () => {
  it('checks the Docker endpoint with the rest: an unusable DOCKER_HOST is a problem listed with the others, not a crash', () => {
    const issues = issuesOf(() => load({ DOCKER_HOST: 'foo://engine', MCP_GATEWAY_PORT: 'x' }));
    expect(issues).toContain('DOCKER_HOST="foo://engine" uses unsupported scheme foo:; use unix://, tcp:// or ssh://');
    expect(issues.some((i) => i.includes('MCP_GATEWAY_PORT'))).toBe(true);
  });

  it('DOCKER_CERT_PATH must hold ca.pem, cert.pem and key.pem: the missing ones are named, with what the directory needs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mcp-certs-'));
    try {
      writeFileSync(join(dir, 'ca.pem'), 'ca');
      const issues = issuesOf(() => load({ DOCKER_HOST: 'tcp://10.0.0.1:2376', DOCKER_CERT_PATH: dir, DOCKER_TLS_VERIFY: '1' }));
      expect(issues).toEqual([`DOCKER_CERT_PATH=${JSON.stringify(dir)}: cannot read cert.pem (ENOENT), key.pem (ENOENT); ` +
        "it must hold the engine's CA (ca.pem) and this client's certificate and key (cert.pem, key.pem), as `docker --tlsverify` expects"]);
      writeFileSync(join(dir, 'cert.pem'), 'cert');
      writeFileSync(join(dir, 'key.pem'), 'key');
      expect(load({ DOCKER_HOST: 'tcp://10.0.0.1:2376', DOCKER_CERT_PATH: dir, DOCKER_TLS_VERIFY: '1' }).docker).toEqual({ host: 'tcp://10.0.0.1:2376', certPath: dir, tlsVerify: true, timeoutMs: 10_000, circuitFailures: 3, circuitOpenMs: 5_000 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('applies defaults: loopback, port 3000, 1 MiB caps, lifecycle off, read-only default role', () => {
    const c = load({});
    expect(c.server).toMatchObject({ host: '127.0.0.1', port: 3000, maxBodyBytes: 1048576, maxJsonDepth: 64 });
    expect(c.tools).toEqual({ maxBytes: 1048576, maxStreamBytes: 16777216, chunkBytes: 16384, flushMs: 20, timeoutMs: 30000, maxFollowSeconds: 300, enableLifecycle: false });
    expect(c.docker.host).toBe('unix:///var/run/docker.sock');
    expect(c.dryRun).toBe(false);
    expect(c.security.policy.defaultRole).toBe('reader');
    expect(c.upstreams.mcpServers).toEqual({});
    expect(Object.isFrozen(c.server)).toBe(true);
  });

  it('maps MCP_DOCKER_* and MCP_GATEWAY_* variables over the file', () => {
    const c = load({ MCP_GATEWAY_PORT: '8080', MCP_DOCKER_MAX_BYTES: '2048', MCP_DOCKER_DRY_RUN: 'true', DOCKER_HOST: 'tcp://10.0.0.1:2375', MCP_DOCKER_LOG_LEVEL: 'debug' },
      JSON.stringify({ server: { port: 9000, maxSessions: 5 }, tools: { enableLifecycle: true } }));
    expect(c.server.port).toBe(8080);
    expect(c.server.maxSessions).toBe(5);
    expect(c.tools.maxBytes).toBe(2048);
    expect(c.tools.enableLifecycle).toBe(true);
    expect(c.dryRun).toBe(true);
    expect(c.docker.host).toBe('tcp://10.0.0.1:2375');
    expect(c.logging.level).toBe('debug');
  });

  it('reports every problem at once, naming the variable or key, the value and the fix', () => {
    const issues = issuesOf(() => load({ MCP_GATEWAY_PORT: 'eighty', MCP_DOCKER_MAX_BYTES: '12', MCP_DOCKER_LOG_LEVEL: 'loud', MCP_DOCKER_EXEC_PER_MINUTE: '-1' },
      JSON.stringify({ sever: {}, tools: { maxByte: 5 } })));
    expect(issues.some((i) => i.startsWith('MCP_GATEWAY_PORT="eighty"') && /whole number/.test(i))).toBe(true);
    expect(issues.some((i) => i.includes('tools.maxBytes [MCP_DOCKER_MAX_BYTES]') && i.includes('(got 12)'))).toBe(true);
    expect(issues.some((i) => i.includes('logging.level [MCP_DOCKER_LOG_LEVEL]') && i.includes('"loud"'))).toBe(true);
    expect(issues.some((i) => i.includes('unknown key "sever"') && i.includes('did you mean "server"'))).toBe(true);
    expect(issues.some((i) => i.includes('tools') && i.includes('maxByte'))).toBe(true);
    expect(issues.some((i) => i.startsWith('MCP_DOCKER_EXEC_PER_MINUTE'))).toBe(true);
    expect(issues.length).toBeGreaterThanOrEqual(6);
  });

  it('MCP_DOCKER_STREAM_FLUSH_MS sets tools.flushMs (0 allowed); out of range is named with its value and bounds', () => {
    expect(load({ MCP_DOCKER_STREAM_FLUSH_MS: '0' }).tools.flushMs).toBe(0);
    expect(load({}, JSON.stringify({ tools: { flushMs: 50 } })).tools.flushMs).toBe(50);
    const issues = issuesOf(() => load({ MCP_DOCKER_STREAM_FLUSH_MS: '5000' }));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toContain('tools.flushMs [MCP_DOCKER_STREAM_FLUSH_MS]');
    expect(issues[0]).toContain('(got 5000)');
    expect(issues[0]).toMatch(/1000/);
    expect(issuesOf(() => load({ MCP_DOCKER_STREAM_FLUSH_MS: 'soon' }))[0]).toMatch(/^MCP_DOCKER_STREAM_FLUSH_MS="soon".*whole number/);
  });

  it('rejects a config file that is not a JSON object, or cannot be read', () => {
    expect(issuesOf(() => load({}, '[1,2]'))[0]).toMatch(/must be a JSON object, got an array/);
    expect(issuesOf(() => load({}, '{nope'))[0]).toMatch(/not valid JSON/);
    expect(issuesOf(() => loadGatewayConfig({ env: { MCP_GATEWAY_CONFIG: '/missing.json' }, readFile: () => { throw new Error('ENOENT'); } }))[0])
      .toMatch(/MCP_GATEWAY_CONFIG \(\/missing.json\): cannot read the file \(ENOENT\)/);
  });

  it('validates upstream servers in the same report', () => {
    const issues = issuesOf(() => load({ MCP_GATEWAY_PORT: 'x' }, JSON.stringify({ mcpServers: { empty: {}, fs: { command: 'npx', enabledTools: ['a'] } } })));
    expect(issues.some((i) => i.startsWith('MCP_GATEWAY_PORT'))).toBe(true);
    expect(issues.some((i) => i.startsWith('mcpServers.empty') && i.includes('no `image`, `command` or `url`'))).toBe(true);
    expect(issues.some((i) => i.startsWith('mcpServers.fs.enabledTools') && i.includes('enabled_tools'))).toBe(true);
  });

  it('redacts tokens and headers in the effective-config log form', () => {
    const c = load({}, JSON.stringify({ mcpServers: { remote: { url: 'http://127.0.0.1:1/mcp', headers: { Authorization: 'Bearer s3cret-value' } } } }));
    const text = JSON.stringify(redactedConfig(c));
    expect(text).not.toContain('a-token-of-sixteen+chars');
    expect(text).not.toContain('s3cret-value');
    expect(text).toContain('<redacted>');
  });

  it('suggests the closest known key only when it is close', () => {
    expect(closestKey('sever', ['server', 'docker'])).toBe('server');
    expect(closestKey('zzzzzzzz', ['server', 'docker'])).toBeUndefined();
  });
});

describe('/ready reason', () => {
  it('repeats the failing checks in one line', async () => {
    const { notReadyReason } = await import('../../../src/transports/http-app.js');
    expect(notReadyReason({ ready: false, checks: { docker: { ok: true }, audit: { ok: false, detail: 'audit log cannot be written' }, 'upstream:git': { ok: false } } }))
      .toBe('audit: audit log cannot be written; upstream:git: failing');
  });
});
