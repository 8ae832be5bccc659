import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createAuthenticate } from '../../../src/core/security/authenticate.js';
import { parseSecurityConfig } from '../../../src/core/security/security-config.js';
import { credentialHeaders } from '../../../src/transports/http-io.js';

const GOOD = 'good-token-0123456789abcdef';

/** What Node builds for repeated Authorization headers: req.headers keeps the first, headersDistinct keeps all. */
function request(authorization: string[]): IncomingMessage {
  return { headers: { host: 'localhost', authorization: authorization[0] }, headersDistinct: { host: ['localhost'], authorization } } as unknown as IncomingMessage;
}

describe('credentialHeaders', () => {
  const { authenticate } = createAuthenticate(parseSecurityConfig({ auth: { tokens: [{ name: 'ci', token: GOOD }] } }));

  it('one Authorization header authenticates as before', async () => {
    expect(await authenticate(credentialHeaders(request([`Bearer ${GOOD}`])))).toMatchObject({ ok: true, principal: { id: 'ci' } });
  });

  it('repeated Authorization headers are ambiguous, even when the first is valid', async () => {
    for (const copies of [[`Bearer ${GOOD}`, 'Bearer wrong-token-0123456789'], [`Bearer ${GOOD}`, `Bearer ${GOOD}`]]) {
      expect(await authenticate(credentialHeaders(request(copies)))).toMatchObject({ ok: false, status: 401, code: 'ambiguous_credentials' });
    }
  });
});
