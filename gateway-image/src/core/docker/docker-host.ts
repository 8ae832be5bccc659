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
      opts.ca = readFile(join(settings.certPath, 'ca.pem'));
      opts.cert = readFile(join(settings.certPath, 'cert.pem'));
      opts.key = readFile(join(settings.certPath, 'key.pem'));
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
