/**
 * Turns DOCKER_HOST (plus TLS settings) into dockerode connection options.
 * Supported: unix:///path, tcp://host:port (https when tlsVerify or certPath is set), ssh://user@host[:port].
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DockerOptions } from 'dockerode';

/** Connection settings as configured (config.docker). */
export interface DockerHostSettings {
  readonly host: string;
  readonly certPath?: string;
  readonly tlsVerify?: boolean;
}

/** Dockerode options for `settings`; throws with the field and the fix when the URL is unusable. */
export function dockerOptionsFor(settings: DockerHostSettings, readFile: (p: string) => Buffer = readFileSync): DockerOptions {
  const raw = settings.host;
  if (raw.startsWith('unix://')) return { socketPath: raw.slice('unix://'.length) || '/var/run/docker.sock' };
  if (raw.startsWith('/')) return { socketPath: raw };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`DOCKER_HOST=${JSON.stringify(raw)} is not a URL; use unix:///var/run/docker.sock, tcp://host:2376 or ssh://user@host`);
  }
  if (url.protocol === 'tcp:' || url.protocol === 'http:' || url.protocol === 'https:') {
    const tls = url.protocol === 'https:' || settings.tlsVerify === true || settings.certPath !== undefined;
    const opts: DockerOptions = { host: url.hostname, port: url.port ? Number(url.port) : tls ? 2376 : 2375, protocol: tls ? 'https' : 'http' };
    if (settings.certPath) {
      const certPath = settings.certPath;
      const unreadable: string[] = [];
      const read = (name: string): Buffer | undefined => {
        try {
          return readFile(join(certPath, name));
        } catch (err) {
          unreadable.push(`${name} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
          return undefined;
        }
      };
      const [ca, cert, key] = [read('ca.pem'), read('cert.pem'), read('key.pem')];
      if (unreadable.length > 0) {
        throw new Error(`DOCKER_CERT_PATH=${JSON.stringify(certPath)}: cannot read ${unreadable.join(', ')}; ` +
          "it must hold the engine's CA (ca.pem) and this client's certificate and key (cert.pem, key.pem), as `docker --tlsverify` expects");
      }
      Object.assign(opts, { ca, cert, key });
    }
    return opts;
  }
  if (url.protocol === 'ssh:') {
    return { protocol: 'ssh', host: url.hostname, port: url.port ? Number(url.port) : 22, username: url.username || undefined } as DockerOptions;
  }
  throw new Error(`DOCKER_HOST=${JSON.stringify(raw)} uses unsupported scheme ${url.protocol}; use unix://, tcp:// or ssh://`);
}

/** DOCKER_HOST without credentials, safe to show in messages. */
export function describeEndpoint(raw: string): string {
  try {
    const url = new URL(raw);
    url.username = '';
    url.password = '';
    return url.toString().replace(/\/$/, '');
  } catch {
    return raw;
  }
}
