import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadStackConfig, parseTfvars, resolveConfigSource } from '../constructs/config/load-config';
import { StackConfigError } from '../constructs/errors';
import { validateConfig } from '../constructs/config/validate-config';
import { FIXTURES, ROOT } from './helpers';

function tempDir(files: Record<string, string> = {}): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'mcp-stack-config-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

describe('resolveConfigSource', () => {
  it('uses the embedded default when nothing is named and ./terraform.tfvars is absent', () => {
    expect(resolveConfigSource({ env: {}, context: {}, cwd: tempDir() })).toEqual({ origin: 'embedded-default' });
  });
  it('uses ./terraform.tfvars when it exists', () => {
    const cwd = tempDir({ 'terraform.tfvars': 'gateway_port = 3001\n' });
    expect(resolveConfigSource({ env: {}, context: {}, cwd })).toEqual({ origin: 'default-file', path: path.join(cwd, 'terraform.tfvars') });
  });
  it('prefers the cdktf.json context key over ./terraform.tfvars', () => {
    const cwd = tempDir({ 'terraform.tfvars': '', 'other.tfvars': '' });
    expect(resolveConfigSource({ env: {}, context: { tfvarsPath: 'other.tfvars' }, cwd })).toEqual({ origin: 'context', path: path.join(cwd, 'other.tfvars') });
  });
  it('prefers MCP_STACK_TFVARS over the context key', () => {
    const cwd = tempDir({ 'a.tfvars': '', 'b.tfvars': '' });
    expect(resolveConfigSource({ env: { MCP_STACK_TFVARS: 'a.tfvars' }, context: { tfvarsPath: 'b.tfvars' }, cwd })).toEqual({ origin: 'env', path: path.join(cwd, 'a.tfvars') });
  });
  it('fails when an explicitly named file does not exist', () => {
    const cwd = tempDir();
    expect(() => resolveConfigSource({ env: { MCP_STACK_TFVARS: 'missing.tfvars' }, context: {}, cwd })).toThrow(
      `MCP_STACK_TFVARS: names a file that does not exist (${path.join(cwd, 'missing.tfvars')}); fix the path or unset MCP_STACK_TFVARS (got "missing.tfvars")`,
    );
  });
  it('fails when the context key is not a string', () => {
    expect(() => resolveConfigSource({ env: {}, context: { tfvarsPath: 3 }, cwd: tempDir() })).toThrow(
      'cdktf.json context.tfvarsPath: must be a path string to a tfvars file (got 3)',
    );
  });
});

describe('parseTfvars / loadStackConfig', () => {
  it('parses HCL literals, lists and maps', async () => {
    const raw = await parseTfvars('a = true\nb = "x"\nc = [1, 2]\nd = { e = { f = "g" } }\n', 't.tfvars');
    expect(raw).toEqual({ a: true, b: 'x', c: [1, 2], d: { e: { f: 'g' } } });
  });
  it('reports a syntax error as a StackConfigError naming the file', async () => {
    await expect(parseTfvars('gateway_port = = 3', 'broken.tfvars')).rejects.toBeInstanceOf(StackConfigError);
    await expect(parseTfvars('gateway_port = = 3', 'broken.tfvars')).rejects.toThrow(/broken\.tfvars: is not valid HCL: .*fix the syntax \(key = value, one per line\)$/);
    await expect(parseTfvars('gateway_port = = 3', 'broken.tfvars')).rejects.not.toThrow(/\(got/);
  });
  it('loads the embedded default as the local-only stack', async () => {
    const { config, source } = await loadStackConfig({ env: {}, context: {}, cwd: tempDir() });
    expect(source.origin).toBe('embedded-default');
    expect(config.enableGateway).toBe(true);
    expect(config.enableTunnel).toBe(false);
  });
  it('loads and validates the full sample', async () => {
    const { config } = await loadStackConfig({ env: { MCP_STACK_TFVARS: path.join(FIXTURES, 'full.tfvars') }, context: {}, cwd: FIXTURES });
    expect(config).toMatchObject({ enableTunnel: true, gatewayPort: 3100, memoryMiB: 1024, serviceTokens: ['ci', 'claude-desktop'], logLevel: 'debug' });
  });
  it('terraform.tfvars.example is valid as shipped (local-only) and with the tunnel switched on', async () => {
    const text = readFileSync(path.join(ROOT, 'terraform.tfvars.example'), 'utf8');
    const raw = await parseTfvars(text, 'terraform.tfvars.example');
    expect(validateConfig(raw).enableTunnel).toBe(false);
    expect(validateConfig({ ...raw, enable_cloudflare_tunnel: true }).enableTunnel).toBe(true);
  });
  it('reports every problem of the invalid sample, naming the file', async () => {
    const file = path.join(FIXTURES, 'invalid.tfvars');
    const error = await loadStackConfig({ env: { MCP_STACK_TFVARS: file }, context: {}, cwd: FIXTURES }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StackConfigError);
    expect((error as StackConfigError).message).toContain(`in ${file}:`);
    expect((error as StackConfigError).problems.map((p) => p.key)).toEqual([
      'gatway_port',
      'cloudflare_account_id',
      'allowed_emails',
      'gateway_port',
      'memory_limit',
      'domain_suffix',
    ]);
  });
});
