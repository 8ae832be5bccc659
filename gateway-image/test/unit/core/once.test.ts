/** once(): a value built on first use, then kept. */
import { describe, expect, it } from 'vitest';
import { once } from '../../../src/core/once.js';

describe('once', () => {
  it('builds nothing until first asked, then builds exactly once', () => {
    let builds = 0;
    const value = once(() => ({ n: ++builds }));
    expect(builds).toBe(0);
    const a = value();
    expect(value()).toBe(a);
    expect(builds).toBe(1);
  });

  it('keeps a falsy value instead of building it again', () => {
    let builds = 0;
    const value = once(() => { builds += 1; return undefined; });
    value();
    value();
    expect(builds).toBe(1);
  });

  it('a build that throws is tried again on the next call', () => {
    let calls = 0;
    const value = once(() => { calls += 1; if (calls === 1) throw new Error('first'); return 'ok'; });
    expect(() => value()).toThrow('first');
    expect(value()).toBe('ok');
  });
});
