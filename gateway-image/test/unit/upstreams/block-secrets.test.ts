import { describe, expect, it } from 'vitest';
import { redactDeep, redactText } from '../../../src/core/upstreams/block-secrets.js';

describe('block_secrets redaction', () => {
  it.each([
    ['AKIAABCDEFGHIJKLMNOP', '[REDACTED:aws-access-key]'],
    [`ghp_${'x'.repeat(36)}`, '[REDACTED:github-token]'],
    ['Authorization: Bearer abcdefghijklmnopqrstuvwxyz012345', 'Authorization: Bearer [REDACTED:bearer-token]'],
    ['password=hunter2hunter2', 'password=[REDACTED:password-assignment]'],
    ['-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----', '[REDACTED:private-key]'],
    ['eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U', '[REDACTED:jwt]'],
  ])('redacts %s', (input, expected) => {
    expect(redactText(input)).toEqual({ value: expected, redactions: 1 });
  });

  it('leaves ordinary text alone', () => {
    expect(redactText('docker ps shows 3 containers; token count 12')).toEqual({ value: 'docker ps shows 3 containers; token count 12', redactions: 0 });
  });

  it('walks nested values, counts every replacement, skips binary data, and does not modify the input', () => {
    const input = { a: ['AKIAABCDEFGHIJKLMNOP', { b: 'api_key: abcdefgh12345' }], n: 3, data: 'AKIAABCDEFGHIJKLMNOP' };
    const r = redactDeep(input);
    expect(r).toEqual({
      value: { a: ['[REDACTED:aws-access-key]', { b: 'api_key: [REDACTED:password-assignment]' }], n: 3, data: 'AKIAABCDEFGHIJKLMNOP' },
      redactions: 2,
    });
    expect(input.a[0]).toBe('AKIAABCDEFGHIJKLMNOP');
  });
});
