import { describe, expect, it } from 'vitest';
import { readCommandPattern } from '../../../src/core/security/command-patterns.js';
import { createExecPolicy } from '../../../src/core/security/exec-policy.js';
import { loadGatewayConfig } from '../../../src/load-config.js';

const load = (env: Record<string, string>) => loadGatewayConfig({ env: { MCP_GATEWAY_AUTH_TOKEN: 'a-token-of-sixteen+chars', ...env } });
const problems = (env: Record<string, string>): string[] => {
  try {
    load(env);
    return [];
  } catch (err) {
    return (err as { issues: string[] }).issues;
  }
};

describe('MCP_DOCKER_COMMAND_PATTERNS written as mcp-docker-exec regexes', () => {
  it('keeps plain globs as they are', () => {
    expect(readCommandPattern('ls', 'allowlist')).toEqual({ pattern: 'ls' });
    expect(readCommandPattern('cat /app/*', 'allowlist')).toEqual({ pattern: 'cat /app/*' });
  });

  it('understands a leading ^ in allowlist mode (the glob is narrower than the regex, so it is safe)', () => {
    expect(readCommandPattern('^ls', 'allowlist')).toEqual({ pattern: 'ls' });
    expect(readCommandPattern('^git status', 'allowlist')).toEqual({ pattern: 'git status' });
  });

  it('refuses ^ in denylist mode, offering both readings', () => {
    const r = readCommandPattern('^rm', 'denylist');
    expect(r).toEqual({ problem: expect.stringContaining('write "rm" to deny exactly that command, or "rm*"') });
  });

  it.each([
    ['^ls$', 'write e.g. "ls"'],
    ['^git (status|log)', 'write e.g. "git status"'],
    ['cat .*', 'write e.g. "cat *"'],
    ['^echo\\s+hi', 'regular-expression syntax'],
    ['[a-z]+', 'regular-expression syntax'],
  ])('refuses other regex syntax in %j with the glob to write', (raw, expected) => {
    const r = readCommandPattern(raw, 'allowlist');
    expect('problem' in r && r.problem).toContain(expected);
  });

  it('through the env: ^ls is understood and allows ls (and not lsblk)', () => {
    const config = load({ MCP_DOCKER_COMMAND_PATTERNS: '^ls,^cat' });
    expect(config.security.exec.commandPatterns).toEqual(['ls', 'cat']);
    const policy = createExecPolicy(config.security.exec);
    expect(policy.check({ cmd: ['ls', '-la'], user: '1000' }).allow).toBe(true);
    expect(policy.check({ cmd: ['lsblk'], user: '1000' }).allow).toBe(false);
  });

  it('through the env: a pattern that cannot be understood is a config error naming the setting, not a policy that denies everything', () => {
    const issues = problems({ MCP_DOCKER_COMMAND_PATTERNS: '^ls$,echo', MCP_DOCKER_COMMAND_POLICY_MODE: 'allowlist' });
    expect(issues).toEqual([expect.stringMatching(/^exec\.commandPatterns\.0: "\^ls\$" is regular-expression syntax.*write e\.g\. "ls".*MCP_DOCKER_COMMAND_PATTERNS/)]);
    expect(problems({ MCP_DOCKER_COMMAND_PATTERNS: '^rm', MCP_DOCKER_COMMAND_POLICY_MODE: 'denylist' })[0]).toContain('ambiguous');
  });
});
