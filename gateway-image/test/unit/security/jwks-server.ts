/** Test helper: a JWKS endpoint on 127.0.0.1:0 that counts fetches, and RS256 key pairs. */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload } from 'jose';

export interface TestKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
  publicKey: CryptoKey;
}

export async function makeKey(kid: string): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  return { kid, privateKey, publicKey, publicJwk };
}

export interface JwksServer {
  url: string;
  hits(): number;
  setKeys(keys: JWK[]): void;
  close(): Promise<void>;
}

export async function startJwksServer(keys: JWK[]): Promise<JwksServer> {
  let current = keys;
  let hits = 0;
  const server: Server = createServer((req, res) => {
    if (req.url === '/cdn-cgi/access/certs') {
      hits++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: current, public_cert: {}, public_certs: [] }));
    } else {
      res.statusCode = 404;
      res.end();
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/cdn-cgi/access/certs`,
    hits: () => hits,
    setKeys: (k) => {
      current = k;
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
}

export const TEAM = 'team.cloudflareaccess.com';
export const AUD = 'aud-tag-0123456789';
/** A fixed clock for the tests, in ms. */
export const NOW = 1_800_000_000_000;

export async function sign(
  key: { kid: string; privateKey: CryptoKey },
  claims: JWTPayload,
  opts: { iss?: string; aud?: string | string[]; iat?: number; exp?: number; nbf?: number; alg?: string } = {},
): Promise<string> {
  const t = Math.floor(NOW / 1000);
  let jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: opts.alg ?? 'RS256', kid: key.kid })
    .setIssuer(opts.iss ?? `https://${TEAM}`)
    .setAudience(opts.aud ?? [AUD])
    .setIssuedAt(opts.iat ?? t);
  if (opts.exp !== 0) jwt = jwt.setExpirationTime(opts.exp ?? t + 3600);
  if (opts.nbf !== undefined) jwt = jwt.setNotBefore(opts.nbf);
  return jwt.sign(key.privateKey);
}

export const b64url = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
