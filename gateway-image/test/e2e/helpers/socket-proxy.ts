/**
 * The Docker socket proxy (socket-proxy/ at the repository root) for e2e tests: its local base built without a
 * registry (scripts/build-socket-proxy-base.sh) and its image built from its Dockerfile, as the stack builds it.
 */
import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { docker, runContainer, type TestContainer } from './docker-cli.js';
import { GATEWAY_IMAGE, gatewayContext, TEST_LABEL } from './images.js';

const run = promisify(execFile);
/** The repository root. */
const projectRoot = resolve(gatewayContext, '..');
/** Local base of the proxy image (this host's haproxy, no registry). */
export const SOCKET_PROXY_BASE = process.env.MCP_TEST_SOCKET_PROXY_BASE ?? 'mcp-socket-proxy-base:local';
/** The proxy image under test, named after the gateway image's tag so checkouts sharing an engine keep their own. */
export const SOCKET_PROXY_IMAGE = GATEWAY_IMAGE.replace(/^[^:]*/, 'mcp-socket-proxy');

/** Builds the base (if missing) and the proxy image from socket-proxy/Dockerfile. Bounded. */
export async function buildSocketProxyImage(): Promise<void> {
  await run('bash', [resolve(projectRoot, 'scripts/build-socket-proxy-base.sh'), SOCKET_PROXY_BASE], { timeout: 300_000 });
  await docker('build', '-q', '--force-rm', '--network', 'host', '--build-arg', `BASE_IMAGE=${SOCKET_PROXY_BASE}`,
    '--label', TEST_LABEL, '-t', SOCKET_PROXY_IMAGE, resolve(projectRoot, 'socket-proxy'));
}

/**
 * Runs the proxy as the stack does: the socket mounted read-only (into the proxy only), the socket's group added,
 * read-only root, capabilities dropped, no-new-privileges, on `network` under `name`.
 */
export async function startSocketProxy(opts: { name: string; network: string; env?: Record<string, string> }): Promise<TestContainer> {
  const gid = statSync('/var/run/docker.sock').gid;
  const env = Object.entries(opts.env ?? {}).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  return runContainer({
    name: opts.name,
    image: SOCKET_PROXY_IMAGE,
    args: ['--network', opts.network, '-v', '/var/run/docker.sock:/var/run/docker.sock:ro', '--group-add', String(gid),
      '--read-only', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges', '--memory', '64m', ...env],
  });
}

/** An HTTP request from inside a container (its node), as the gateway would make it; returns the status code. */
export async function statusFromInside(container: string, method: string, url: string): Promise<number> {
  const script = `fetch(${JSON.stringify(url)},{method:${JSON.stringify(method)},headers:{'content-type':'application/json'},body:${method === 'GET' ? 'undefined' : "'{}'"}}).then(r=>console.log(r.status),e=>{console.log('ERR '+e.cause?.code);})`;
  return Number(await docker('exec', container, 'node', '-e', script));
}
