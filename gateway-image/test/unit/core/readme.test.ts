/** The README's configuration table names every environment variable the gateway reads, and nothing it does not. */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENV_VARS } from '../../../src/config.js';

const root = resolve(__dirname, '../../../..');
const readme = readFileSync(resolve(root, 'README.md'), 'utf8');
const securityConfig = readFileSync(resolve(root, 'gateway-image/src/core/security/security-config.ts'), 'utf8');
const loadConfig = readFileSync(resolve(root, 'gateway-image/src/config.ts'), 'utf8');
const requestState = readFileSync(resolve(root, 'gateway-image/src/core/upstreams/request-state.ts'), 'utf8');

describe('README gateway configuration', () => {
  const section = readme.slice(readme.indexOf('### Configuration'), readme.indexOf('### Security'));
  const read = new Set([
    ...ENV_VARS.map(([name]) => name),
    ...[...securityConfig.matchAll(/'(MCP_[A-Z_]+)'/g)].map((m) => m[1]),
    ...[...loadConfig.matchAll(/env\.(MCP_[A-Z_]+)/g)].map((m) => m[1]),
    ...[...requestState.matchAll(/env\.(MCP_[A-Z_]+)/g)].map((m) => m[1]),
  ]);

  it('documents every variable the gateway reads', () => {
    expect(read.size).toBeGreaterThan(30);
    const missing = [...read].filter((name) => !section.includes(`\`${name}\``));
    expect(missing).toEqual([]);
  });

  it('documents no variable the gateway does not read', () => {
    const documented = [...section.matchAll(/`((?:MCP|DOCKER)_[A-Z_]+)`/g)].map((m) => m[1]);
    expect(documented.filter((name) => !read.has(name))).toEqual([]);
  });
});
