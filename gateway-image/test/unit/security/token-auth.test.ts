import { createHash } from 'node:crypto';
import { beforeEach, describe, expect, it, vi } from 'vitest';

// Count timingSafeEqual calls to show every configured digest is compared, whatever the input.
const calls = vi.hoisted(() => ({ n: 0, lengths: [] as Array<[number, number]> }));
vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:crypto')>();
  return {
    ...real,
    timingSafeEqual: (a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
      calls.n++;
      calls.lengths.push([a.byteLength, b.byteLength]);
      return real.timingSafeEqual(a, b);
    },
  };
});

const { createTokenAuthenticator } = await import('../../../src/core/security/token-auth.js');

const A = 'alice-token-0123456789abcdef';
const B = 'ci-token-0123456789abcdef-xyz';

describe('createTokenAuthenticator', () => {
  beforeEach(() => {
    calls.n = 0;
    calls.lengths = [];
  });
  const auth = createTokenAuthenticator([
    { name: 'alice', token: A },
    { name: 'ci', sha256: createHash('sha256').update(B).digest('hex') },
    { name: 'other', token: 'other-token-0123456789abcdef' },
  ]);
  it('accepts a clear token and a digest-configured token', () => {
    expect(auth.verify(A)).toBe('alice');
    expect(auth.verify(B)).toBe('ci');
  });
  it('rejects wrong, prefix, suffix, empty and case-changed tokens', () => {
    for (const t of ['', 'x', A.slice(0, -1), `${A}x`, A.toUpperCase(), ` ${A}`]) expect(auth.verify(t)).toBeUndefined();
  });
  it('compares every digest, 32 bytes each, for any input length (constant-time path)', () => {
    auth.verify('x');
    expect(calls.n).toBe(3);
    auth.verify('y'.repeat(10_000));
    expect(calls.n).toBe(6);
    auth.verify(A); // a match on the first entry still compares the rest
    expect(calls.n).toBe(9);
    expect(calls.lengths.every(([a, b]) => a === 32 && b === 32)).toBe(true);
  });
  it('rejects a malformed digest at construction', () => {
    expect(() => createTokenAuthenticator([{ name: 'x', sha256: 'abcd' }])).toThrow(/64 hex/);
  });
  it('does not keep the clear token', () => {
    expect(JSON.stringify(auth)).not.toContain(A);
  });
});
