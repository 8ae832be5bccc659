import { describe, expect, it } from 'vitest';
import { envArg } from '../../../src/core/tools/exec.js';
import { tailArg } from '../../../src/core/tools/logs.js';

describe('docker_logs tail: the shapes mcp-docker-exec users send', () => {
  it.each([
    [100, 100], ['100', 100], [' 25 ', 25], ['all', 'all'], ['ALL', 'all'], [0, 0],
  ])('%j is accepted as %j', (input, expected) => {
    expect(tailArg.parse(input)).toEqual(expected);
  });

  it.each([[-1], ['-5'], ['ten'], [1.5], [true], [null], [['100']]])('%j is refused, naming the accepted shapes', (input) => {
    const r = tailArg.safeParse(input);
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => i.message).join('; ')).toContain('a number of lines (100), the same as a string ("100"), or "all"');
  });
});

describe('docker_exec env: array or object', () => {
  it('keeps an array of NAME=value', () => {
    expect(envArg.parse(['A=1', 'B_2=x=y'])).toEqual(['A=1', 'B_2=x=y']);
  });

  it('turns an object into NAME=value entries', () => {
    expect(envArg.parse({ DEBUG: '1', EMPTY: '' })).toEqual(['DEBUG=1', 'EMPTY=']);
  });

  it.each([
    ['a string', 'A=1'],
    ['a number', 5],
    ['an object with a non-string value', { A: 1 }],
  ])('refuses %s, naming both accepted shapes', (_what, input) => {
    const r = envArg.safeParse(input);
    expect(r.success).toBe(false);
    const text = r.error!.issues.map((i) => i.message).join('; ');
    expect(text).toContain('an array of "NAME=value" strings');
    expect(text).toContain('an object of names to string values');
  });

  it.each([[['NOEQUALS']], [['1A=x']], [{ '1A': 'x' }], [{ 'A-B': 'x' }]])('refuses invalid names in %j and names them', (input) => {
    const r = envArg.safeParse(input);
    expect(r.success).toBe(false);
    expect(r.error!.issues[0].message).toMatch(/env entries "(NOEQUALS|1A=x|1A|A-B)" are not valid/);
  });
});
