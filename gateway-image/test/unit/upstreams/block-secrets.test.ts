import { describe, expect, it } from 'vitest';
import { redactDeep, redactText } from '../../../src/core/upstreams/block-secrets.js';

describe('block_secrets redaction (security core scanner)', () => {
  it.each([
    ['AKIAABCDEFGHIJKLMNOP', '<redacted>'],
    [`ghp_${'x'.repeat(36)}`, '<redacted>'],
    ['Authorization: Bearer abcdefghijklmnopqrstuvwxyz012345', 'Authorization: Bearer <redacted>'],
    ['password=hunter2hunter2', 'password=<redacted>'],
    ['-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----', '<redacted>'],
  ])('redacts %s', (input, expected) => {
    expect(redactText(input)).toEqual({ value: expected, redactions: 1 });
  });

  it('leaves ordinary text alone', () => {
    expect(redactText('docker ps shows 3 containers')).toEqual({ value: 'docker ps shows 3 containers', redactions: 0 });
  });

  it('walks nested values, counts every replacement, skips binary data, and does not modify the input', () => {
    const input = { a: ['AKIAABCDEFGHIJKLMNOP', { b: 'api_key: abcdefgh12345' }], n: 3, data: 'AKIAABCDEFGHIJKLMNOP' };
    const r = redactDeep(input);
    expect(r).toEqual({
      value: { a: ['<redacted>', { b: 'api_key: <redacted>' }], n: 3, data: 'AKIAABCDEFGHIJKLMNOP' },
      redactions: 2,
    });
    expect(input.a[0]).toBe('AKIAABCDEFGHIJKLMNOP');
  });
});
