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

describe('docker_exec failures the runtime reports as output', () => {
  it('recognizes a user or group missing from the container only on exit code 126', async () => {
    const { missingUser } = await import('../../../src/core/tools/exec.js');
    expect(missingUser(126, 'unable to find user nosuch: no matching entries in passwd file\n', '')).toBe('nosuch');
    expect(missingUser(126, '', 'unable to find group staff2: no matching entries in group file')).toBe('staff2');
    expect(missingUser(1, 'unable to find user nosuch: no matching entries in passwd file', '')).toBeUndefined();
    expect(missingUser(126, 'permission denied', '')).toBeUndefined();
  });

  it('an exec on a stopped container names it and what starts it', async () => {
    const { notRunningMessage } = await import('../../../src/core/tools/exec.js');
    expect(notRunningMessage('web-1', 'Container abc is not running', true)).toBe('Container web-1 is not running, so nothing can be executed in it. Start it with docker_start, then run the command again.');
    expect(notRunningMessage('web-1', 'Container abc is not running', false)).toContain('the docker_start tool is switched off (enable it with MCP_DOCKER_ENABLE_LIFECYCLE=true');
    expect(notRunningMessage('web-1', 'Container abc is paused, unpause the container before exec', true)).toContain('is paused');
  });
});
