import { describe, expect, it } from 'vitest';
import { compileGlob, globMatcher, hasWildcard } from '../../../src/core/security/glob.js';

describe('glob', () => {
  const cases: Array<[string, string, boolean]> = [
    ['docker_*', 'docker_ps', true], ['docker_*', 'docker_', true], ['docker_*', 'dockerps', false],
    ['filesystem__*', 'filesystem__read_file', true], ['filesystem__*', 'filesystem_read', false],
    ['web-?', 'web-1', true], ['web-?', 'web-12', false], ['*', '', true], ['', '', true], ['', 'x', false],
    ['a*b*c', 'aXXbYYc', true], ['a*b*c', 'aXXbYY', false], ['*.log', 'x.log', true], ['x.log', 'xylog', false],
    ['/app/*', '/app/a/b', true], ['/app/*', '/apps', false], ['*a', 'bbba', true], ['a**b', 'ab', true],
    ['[abc]', '[abc]', true], ['[abc]', 'a', false], ['(x)+', '(x)+', true], ['\u00e9*', '\u00e9t\u00e9', true],
  ];
  it.each(cases)('%s vs %s -> %s', (g, v, want) => expect(compileGlob(g)(v)).toBe(want));
  it('matches any of several', () => {
    const m = globMatcher(['docker_ps', 'health']);
    expect(m('health')).toBe(true);
    expect(m('docker_exec')).toBe(false);
    expect(globMatcher([])('x')).toBe(false);
  });
  it('hasWildcard', () => {
    expect(hasWildcard('a*')).toBe(true);
    expect(hasWildcard('a?')).toBe(true);
    expect(hasWildcard('abc')).toBe(false);
  });
  it('many stars against a long hostile value stays fast', () => {
    const m = compileGlob('*a*a*a*a*a*a*b');
    const t = performance.now();
    expect(m('a'.repeat(200_000))).toBe(false);
    expect(performance.now() - t).toBeLessThan(3000);
  });
});
