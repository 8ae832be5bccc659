/** The request-state key from the environment, and that it never prints. */
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadGatewayConfig, redactedConfig } from '../../../src/load-config.js';
import { readStateKey, RequestStateSealer, SecretValue } from '../../../src/core/upstreams/request-state.js';
import { ConfigError } from '../../../src/errors.js';

const KEY = 'a-shared-secret-of-forty-characters-000';
const noFile = (p: string): string => {
  throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
};

describe('readStateKey', () => {
  it('reads the value, or a file holding it (trimmed)', () => {
    const issues: string[] = [];
    expect(readStateKey({ MCP_GATEWAY_STATE_KEY: KEY }, noFile, issues)?.reveal()).toBe(KEY);
    expect(readStateKey({ MCP_GATEWAY_STATE_KEY_FILE: '/run/secrets/k' }, () => `${KEY}\n`, issues)?.reveal()).toBe(KEY);
    expect(readStateKey({}, noFile, issues)).toBeUndefined();
    expect(issues).toEqual([]);
  });

  it('names the variable and the fix for a short key, both set, or an unreadable file, and never the value', () => {
    const issues: string[] = [];
    readStateKey({ MCP_GATEWAY_STATE_KEY: 'short-secret' }, noFile, issues);
    readStateKey({ MCP_GATEWAY_STATE_KEY: KEY, MCP_GATEWAY_STATE_KEY_FILE: '/x' }, noFile, issues);
    readStateKey({ MCP_GATEWAY_STATE_KEY_FILE: '/nope' }, noFile, issues);
    expect(issues).toEqual([
      'MCP_GATEWAY_STATE_KEY: the key is 12 characters long; it needs at least 32 (e.g. openssl rand -base64 48), the same on every replica',
      'MCP_GATEWAY_STATE_KEY and MCP_GATEWAY_STATE_KEY_FILE are both set; keep one',
      'MCP_GATEWAY_STATE_KEY_FILE (/nope): cannot read the file (ENOENT); fix the path or unset the variable',
    ]);
    expect(issues.join('\n')).not.toContain('short-secret');
  });

  it('the gateway config refuses a bad key at start, and the loaded key prints as <redacted> everywhere', () => {
    expect(() => loadGatewayConfig({ env: { MCP_GATEWAY_STATE_KEY: 'short-secret' } })).toThrow(ConfigError);
    const config = loadGatewayConfig({ env: { MCP_GATEWAY_STATE_KEY: KEY } });
    expect(config.stateKey?.reveal()).toBe(KEY);
    expect(JSON.stringify(redactedConfig(config))).not.toContain(KEY);
    expect(JSON.stringify(config)).not.toContain(KEY);
    expect(inspect(config, { depth: 10 })).not.toContain(KEY);
    expect(String(new SecretValue(KEY))).toBe('<redacted>');
  });

  it('a sealed state opens with the same key on another sealer (another replica) and not with another key', () => {
    const a = new RequestStateSealer({ secret: new SecretValue(KEY) });
    const b = new RequestStateSealer({ secret: new SecretValue(KEY) });
    const c = new RequestStateSealer({ secret: new SecretValue(`${KEY}x`) });
    const sealed = a.seal({ server: 's', tool: 't', principal: 'p', upstreamState: 'u' });
    expect(b.open(sealed, { principal: 'p', server: 's', tool: 't' })).toEqual({ ok: true, claims: { server: 's', tool: 't', principal: 'p', upstreamState: 'u' } });
    expect(c.open(sealed, { principal: 'p', server: 's', tool: 't' })).toEqual({ ok: false, reason: 'tampered' });
    expect(() => new RequestStateSealer({ secret: new SecretValue('short') })).toThrow(/at least 32/);
    expect(new RequestStateSealer().ephemeral).toBe(true);
  });
});
