import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_KEYS } from '../constructs/config/config-keys';
import { chooseSocketGid } from '../constructs/config/socket-gid';
import { validateConfig } from '../constructs/config/validate-config';
import { ROOT } from './helpers';

const read = (file: string) => readFileSync(path.join(ROOT, file), 'utf8');
const stackDoc = read('docs/stack.md');
const readme = read('README.md');
const sectionStart = readme.indexOf('## Infrastructure stack');
const sectionEnd = readme.indexOf('\n## ', sectionStart + 1);
/** Only the README section this half owns. */
const readmeSection = sectionStart === -1 ? '' : readme.slice(sectionStart, sectionEnd === -1 ? undefined : sectionEnd);
const example = read('terraform.tfvars.example');

describe('documentation stays true to the code', () => {
  it('README has the Infrastructure stack section', () => {
    expect(readme).toContain('## Infrastructure stack');
  });

  it.each(CONFIG_KEYS.map((k) => [k.name, k] as const))('%s is documented in docs/stack.md, the README section and the example file', (name, key) => {
    expect(stackDoc).toContain(`| \`${name}\` | ${key.type} | ${key.defaultHcl ? `\`${key.defaultHcl}\`` : 'unset'} |`);
    expect(readmeSection).toContain(`\`${name}\``);
    expect(example).toMatch(new RegExp(`^#?\\s*${name}\\s*=`, 'm'));
  });

  it('every file path the stack doc mentions exists', () => {
    const paths = [...stackDoc.matchAll(/`((?:constructs|__tests__|\.github|docs|gateway-image)\/[\w./-]+)`/g)].map((m) => m[1]);
    expect(paths.length).toBeGreaterThan(10);
    for (const p of paths) expect(existsSync(path.join(ROOT, p)), p).toBe(true);
    for (const m of stackDoc.matchAll(/\| `([\w-]+\.ts)` \|/g)) expect(existsSync(path.join(ROOT, 'constructs', 'rules', m[1])), m[1]).toBe(true);
  });

  it('documents the synth time measurement', () => {
    expect(stackDoc).toMatch(/`npm run synth` takes [\d.]+–[\d.]+ s/);
  });

  it('the error and synth messages quoted in docs/stack.md are the real ones', () => {
    const messageOf = (raw: Record<string, unknown>) => {
      try {
        validateConfig(raw, '/path/terraform.tfvars');
      } catch (err) {
        return (err as Error).message;
      }
      throw new Error('expected a validation error');
    };
    expect(stackDoc).toContain(messageOf({ cloudflare_api_token: 'anything' }));
    expect(stackDoc).toContain(messageOf({ gatway_port: 3000, memory_limit: '32m', enable_cloudflare_tunnel: true, cloudflare_account_id: '0123456789abcdef0123456789abcdef', cloudflare_zone_id: 'fedcba9876543210fedcba9876543210', access_team_name: 'acme', allowed_emails: ['a@example.com'] }));
    expect(stackDoc).toContain(messageOf({ gateway_settings: { roles: { admin: ['*'] } } }).split('\n')[1]);
    expect(stackDoc).toContain(`mcp-gateway: ${chooseSocketGid(validateConfig({}), () => 105).note}`);
  });
});
