/**
 * Every configuration example in the docs runs. Each fenced `json`/`hcl` block in README.md, docs/*.md, the module
 * READMEs and terraform.tfvars.example says what it is with a marker on the line before it:
 *   <!-- snippet: tfvars -->          parsed as tfvars, validated (gateway schema included) and synthesized
 *   <!-- snippet: gateway-config -->  loaded by the gateway's loadGatewayConfig, and synthesized as gateway_settings/mcp_servers
 *   <!-- snippet: not-run: <why> -->  says why it cannot run here
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Testing } from 'cdktf';
import { describe, expect, it } from 'vitest';
import { CONFIG_KEY_NAMES } from '../constructs/config/config-keys';
import { boundTokenNames } from '../constructs/config/gateway-config-check';
import { parseTfvars } from '../constructs/config/load-config';
import { secretReferences } from '../constructs/config/secret-references';
import type { JsonValue } from '../constructs/config/stack-config';
import { validateConfig } from '../constructs/config/validate-config';
import { loadGatewayConfig } from '../gateway-image/src/load-config';
import { buildStackFromConfig, ROOT } from './helpers';

/** Markdown files holding docs: the README, docs/, and every README.md of the source tree. */
function docFiles(): string[] {
  const found = ['README.md', ...readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      if (entry.name === 'node_modules' || entry.name.startsWith('.') || entry.name === 'dist' || entry.name === 'cdktf.out') continue;
      const rel = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(rel);
      else if (entry.name === 'README.md') found.push(rel);
    }
  };
  for (const dir of ['constructs', 'gateway-image', 'bench', 'scripts']) walk(dir);
  return found;
}

interface Snippet {
  readonly file: string;
  readonly line: number;
  readonly lang: string;
  readonly marker?: string;
  readonly text: string;
}

function snippetsOf(file: string): Snippet[] {
  const lines = readFileSync(path.join(ROOT, file), 'utf8').split('\n');
  const out: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w+)?\s*$/.exec(lines[i]);
    if (!open) continue;
    const end = lines.findIndex((l, j) => j > i && /^```\s*$/.test(l));
    const before = lines.slice(0, i).reverse().find((l) => l.trim() !== '') ?? '';
    const marker = /^<!-- snippet: (.+?) -->$/.exec(before.trim())?.[1];
    out.push({ file, line: i + 1, lang: open[1] ?? '', marker, text: lines.slice(i + 1, end).join('\n') });
    i = end;
  }
  return out;
}

const CONFIG_LANGS = ['json', 'jsonc', 'hcl', 'tfvars'];
const snippets = docFiles().flatMap(snippetsOf);
const configSnippets = snippets.filter((s) => CONFIG_LANGS.includes(s.lang) || s.marker !== undefined);
const name = (s: Snippet) => `${s.file}:${s.line} (${s.marker ?? 'no marker'})`;

/** Valid stand-ins for what exists only at run time, so a snippet loads as the deployed gateway would load it. */
function gatewayEnv(json: string): Record<string, string> {
  // Bearer tokens are supplied at run time (MCP_GATEWAY_AUTH_TOKENS): the names a snippet's bindings use stand in, as at synth.
  const bound = boundTokenNames(JSON.parse(json) as Record<string, JsonValue>).map((n) => `${n}=docs-snippet-placeholder-token`);
  const env: Record<string, string> = { MCP_GATEWAY_CONFIG_JSON: json, MCP_GATEWAY_AUTH_TOKENS: ['docs=docs-snippet-placeholder-token', ...bound].join(',') };
  for (const secret of secretReferences(json)) env[`MCP_GATEWAY_SECRET_${secret}`] = 'placeholder';
  return env;
}

/** Validates and synthesizes a raw tfvars object; returns the synthesized JSON text. */
function synthRaw(raw: Record<string, unknown>, where: string): string {
  return Testing.synth(buildStackFromConfig(validateConfig(raw, where)));
}

describe('every configuration snippet in the docs runs', () => {
  it('finds the snippets (README, docs/, module READMEs)', () => {
    expect(configSnippets.map((s) => s.file)).toEqual(expect.arrayContaining(['README.md', 'docs/stack.md', 'docs/interop.md', 'gateway-image/src/core/security/README.md']));
  });

  it.each(configSnippets.map((s) => [name(s), s] as const))('%s', async (_name, snippet) => {
    expect(snippet.marker, 'a json/hcl block needs <!-- snippet: tfvars | gateway-config | not-run: <why> --> on the line before it').toBeDefined();
    const marker = snippet.marker!;
    if (marker.startsWith('not-run: ')) {
      expect(marker.length, 'say why it cannot run').toBeGreaterThan('not-run: '.length + 15);
      return;
    }
    if (marker === 'tfvars') {
      const raw = await parseTfvars(snippet.text, `${snippet.file}:${snippet.line}`);
      expect(JSON.parse(synthRaw(raw, name(snippet)))).toHaveProperty('resource');
      return;
    }
    expect(marker).toBe('gateway-config');
    // The gateway loads it ...
    const config = loadGatewayConfig({ env: gatewayEnv(snippet.text) });
    expect(config).toBeDefined();
    // ... and the stack synthesizes it as gateway_settings + mcp_servers.
    const { mcpServers, ...settings } = JSON.parse(snippet.text) as Record<string, unknown>;
    expect(JSON.parse(synthRaw({ gateway_settings: settings, mcp_servers: mcpServers ?? {} }, name(snippet)))).toHaveProperty('resource');
  });
});

describe('terraform.tfvars.example', () => {
  const text = readFileSync(path.join(ROOT, 'terraform.tfvars.example'), 'utf8');
  const lines = text.split('\n');

  it('synthesizes as it is', async () => {
    expect(JSON.parse(synthRaw(await parseTfvars(text, 'terraform.tfvars.example'), 'terraform.tfvars.example'))).toHaveProperty('resource');
  });

  // `# key = value` for a known key, at the top level: each is enabled alone (replacing the active line of that key),
  // except inside `# [block: ...]` ... `# [end block]`: a block only makes sense whole (target = "kubernetes" and its
  // keys; socket_proxy_base_image with docker_socket_proxy), so its lines are enabled together, and the active keys
  // the block's header says to remove ("remove above: a, b") are removed.
  const exampleKey = (l: string) => {
    const key = /^# ([a-z_]+)\s*=/.exec(l)?.[1];
    return key !== undefined && CONFIG_KEY_NAMES.includes(key) ? key : undefined;
  };
  interface Block { readonly start: number; readonly end: number; readonly remove: readonly string[] }
  const blocks: Block[] = [];
  lines.forEach((l, i) => {
    const header = /^# \[block: (.*)\]$/.exec(l);
    if (!header) return;
    const end = lines.findIndex((e, j) => j > i && e === '# [end block]');
    const nested = lines.findIndex((e, j) => j > i && /^# \[block: /.test(e));
    if (end < 0 || (nested >= 0 && nested < end)) throw new Error(`terraform.tfvars.example:${i + 1}: "# [block: ...]" needs its "# [end block]" before the next block`);
    const remove = /remove above: ([a-z_, ]+)$/.exec(header[1])?.[1].split(/,\s*/) ?? [];
    for (const key of remove) if (!CONFIG_KEY_NAMES.includes(key)) throw new Error(`terraform.tfvars.example:${i + 1}: block removes unknown key "${key}"`);
    blocks.push({ start: i, end, remove });
  });
  const inBlock = (i: number) => blocks.some((b) => i > b.start && i < b.end);
  const topLevel = lines
    .map((l, i) => [i, exampleKey(l)] as const)
    .filter(([i, key]) => key !== undefined && !inBlock(i));
  /** The example with the commented lines at `indexes` enabled, replacing the active lines of their keys and of `remove`. */
  const enable = (indexes: readonly number[], remove: readonly string[] = []): string => {
    const drop = [...indexes.map((i) => exampleKey(lines[i])!), ...remove];
    // An active assignment of a dropped key goes with its body when it spans lines (`key = {` ... `}`).
    const dropped = new Set<number>();
    lines.forEach((l, i) => {
      if (indexes.includes(i) || !drop.some((key) => new RegExp(`^${key}\\s*=`).test(l))) return;
      const close = l.endsWith('{') ? '}' : l.endsWith('[') ? ']' : undefined;
      const last = close ? lines.findIndex((e, j) => j > i && e === close) : i;
      for (let k = i; k <= last; k++) dropped.add(k);
    });
    return lines
      .map((l, i) => (indexes.includes(i) ? l.slice(2) : l))
      .filter((_, i) => !dropped.has(i))
      .join('\n');
  };
  it('has commented examples to run', () => {
    expect(topLevel.map(([, key]) => key)).toEqual(expect.arrayContaining(['docker_image', 'base_image', 'docker_socket_gid', 'state_backend']));
    expect(blocks.length, 'the socket proxy and Kubernetes blocks').toBeGreaterThanOrEqual(2);
  });
  it.each(topLevel.map(([i, key]) => [`${key} (line ${i + 1})`, i, key!] as const))('with the commented %s enabled, it synthesizes', async (_label, index, key) => {
    const raw = await parseTfvars(enable([index]), 'terraform.tfvars.example');
    expect(JSON.parse(synthRaw(raw, `terraform.tfvars.example with ${key}`))).toHaveProperty('resource');
  });
  it.each(blocks.map((b) => [`lines ${b.start + 1}-${b.end + 1}`, b] as const))('with the commented block at %s enabled as a whole, it synthesizes', async (_label, block) => {
    const indexes = lines.map((_, i) => i).filter((i) => i > block.start && i < block.end && exampleKey(lines[i]) !== undefined);
    expect(indexes.length, 'a block holds commented examples').toBeGreaterThan(0);
    const raw = await parseTfvars(enable(indexes, block.remove), 'terraform.tfvars.example');
    for (const i of indexes) expect(raw, `line ${i + 1} is enabled`).toHaveProperty(exampleKey(lines[i])!);
    for (const key of block.remove) expect(raw, `${key} is removed`).not.toHaveProperty(key);
    expect(JSON.parse(synthRaw(raw, `terraform.tfvars.example with lines ${block.start + 1}-${block.end + 1}`))).toHaveProperty('resource');
  });

  it('with every commented example inside gateway_settings and mcp_servers enabled, the gateway loads it and it synthesizes', async () => {
    let inside = false;
    const enabled = lines.map((l) => {
      if (/^(gateway_settings|mcp_servers) = \{$/.test(l)) inside = true;
      else if (l === '}') inside = false;
      return inside ? l.replace(/^(\s+)# /, '$1') : l;
    });
    expect(enabled.join('\n')).not.toBe(text);
    const raw = await parseTfvars(enabled.join('\n'), 'terraform.tfvars.example');
    const config = validateConfig(raw, 'terraform.tfvars.example (examples enabled)');
    expect(Object.keys(config.mcpServers).sort()).toEqual(['everything', 'github', 'remote']);
    expect(config.mcpServerSecretNames).toEqual(['GITHUB_TOKEN', 'REMOTE_TOKEN']);
    expect(Object.keys(config.gatewaySettings).sort()).toEqual(['limits', 'policy', 'tools']);
    const json = JSON.stringify({ ...config.gatewaySettings, mcpServers: config.mcpServers });
    expect(loadGatewayConfig({ env: gatewayEnv(json) }).security.policy.roles).toHaveProperty('operator');
    expect(JSON.parse(Testing.synth(buildStackFromConfig(config)))).toHaveProperty('variable.mcp_server_secrets');
  });
});
