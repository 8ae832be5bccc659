/**
 * DOCKER_HOST=tcp://… with TLS (DOCKER_TLS_VERIFY, DOCKER_CERT_PATH), on the real engine: dockerd here listens on
 * its unix socket only, so a TLS front that demands a client certificate signed by a test CA relays each connection
 * to the socket, the way dockerd's own `--tlsverify` listener would serve it. Certificates are made with the
 * machine's openssl for this run and removed afterwards.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngineClient } from '../../src/core/docker/engine-client.js';
import { runTarget, uniq, type TestContainer } from './helpers/docker-cli.js';

const openssl = (args: string[], cwd: string) =>
  promisify(execFile)('openssl', args, { cwd, timeout: 60_000 }).catch((err: Error) => {
    throw new Error(`openssl ${args[0]} failed (the TLS engine test makes its certificates with the machine's openssl): ${err.message}`);
  });

/** A CA, a server certificate for 127.0.0.1 and a client certificate, as DOCKER_CERT_PATH holds them. */
async function makeCertificates(dir: string): Promise<void> {
  const key = (name: string) => openssl(['ecparam', '-genkey', '-name', 'prime256v1', '-noout', '-out', name], dir);
  await key('ca-key.pem');
  await openssl(['req', '-x509', '-new', '-key', 'ca-key.pem', '-subj', '/CN=mcp-gateway test CA', '-days', '1', '-out', 'ca.pem'], dir);
  for (const [name, cn, ext] of [['server', '127.0.0.1', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth'], ['client', 'gateway', 'extendedKeyUsage=clientAuth']] as const) {
    await key(`${name}-key.pem`);
    await openssl(['req', '-new', '-key', `${name}-key.pem`, '-subj', `/CN=${cn}`, '-out', `${name}.csr`], dir);
    writeFileSync(join(dir, `${name}.ext`), `${ext}\n`);
    await openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-days', '1', '-extfile', `${name}.ext`, '-out', `${name}.pem`], dir);
  }
}

describe('engine client over tcp:// with TLS (real engine behind a TLS front)', () => {
  let dir: string;
  let front: tls.Server;
  let target: TestContainer;
  let engine: ReturnType<typeof createEngineClient>;
  const verifiedPeers: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mcp-engine-tls-'));
    await makeCertificates(dir);
    // DOCKER_CERT_PATH as the docker CLI lays it out: ca.pem, and the client's cert.pem and key.pem.
    const certPath = join(dir, 'client-dir');
    mkdirSync(certPath);
    writeFileSync(join(certPath, 'ca.pem'), readFileSync(join(dir, 'ca.pem')));
    writeFileSync(join(certPath, 'cert.pem'), readFileSync(join(dir, 'client.pem')));
    writeFileSync(join(certPath, 'key.pem'), readFileSync(join(dir, 'client-key.pem')));

    front = tls.createServer({
      key: readFileSync(join(dir, 'server-key.pem')), cert: readFileSync(join(dir, 'server.pem')), ca: readFileSync(join(dir, 'ca.pem')),
      requestCert: true, rejectUnauthorized: true,
    }, (conn) => {
      verifiedPeers.push(String(conn.getPeerCertificate().subject?.CN));
      const up = net.connect('/var/run/docker.sock');
      conn.pipe(up).pipe(conn);
      const drop = () => { conn.destroy(); up.destroy(); };
      conn.on('error', drop);
      up.on('error', drop);
    });
    await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
    const port = (front.address() as AddressInfo).port;

    target = await runTarget(uniq('tls'));
    engine = createEngineClient({ host: `tcp://127.0.0.1:${port}`, tlsVerify: true, certPath });
  }, 120_000);

  afterAll(async () => {
    engine?.close();
    await new Promise<void>((resolve) => (front ? front.close(() => resolve()) : resolve()));
    await target?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('negotiates the API version, lists containers and runs an exec (hijacked stream over TLS) with its exit code', async () => {
    const info = await engine.negotiate();
    expect(info.apiVersion).toMatch(/^1\.\d+$/);
    const rows = await engine.listContainers({ name: target.name });
    expect(rows.map((r) => r.name)).toContain(target.name);

    const handle = await engine.execInContainer(target.name, { cmd: ['sh', '-c', 'echo over-tls; echo err >&2; exit 3'] });
    expect(handle).not.toBeNull();
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    handle!.stdout.on('data', (c: Buffer) => out.push(c));
    handle!.stderr.on('data', (c: Buffer) => err.push(c));
    await handle!.done;
    expect(Buffer.concat(out).toString()).toBe('over-tls\n');
    expect(Buffer.concat(err).toString()).toBe('err\n');
    expect(await handle!.exitCode()).toBe(3);
    // Every connection the client made presented the client certificate the CA signed.
    expect(verifiedPeers.length).toBeGreaterThan(0);
    expect(new Set(verifiedPeers)).toEqual(new Set(['gateway']));
  });

  it('without DOCKER_CERT_PATH (no CA to trust the engine, no client certificate) it fails with an error naming the endpoint', async () => {
    const port = (front.address() as AddressInfo).port;
    const anonymous = createEngineClient({ host: `tcp://127.0.0.1:${port}`, tlsVerify: true });
    try {
      const err = await anonymous.negotiate().then(() => undefined, (e: Error) => e);
      expect(err?.message).toMatch(new RegExp(`^Docker engine unreachable at tcp://127\\.0\\.0\\.1:${port}: TLS handshake failed \\(.+\\); DOCKER_CERT_PATH must hold`));
    } finally {
      anonymous.close();
    }
  });
});
