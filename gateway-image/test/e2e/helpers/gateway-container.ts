/**
 * Runs the built gateway image the way the stack does: Docker socket mounted with its group added,
 * non-root, read-only root filesystem with a tmpfs /tmp, published on 127.0.0.1 only (random port),
 * then waits for /health to answer (a readiness signal, bounded in time).
 */
import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { docker, runContainer, uniq, type TestContainer } from './docker-cli.js';
import { GATEWAY_IMAGE } from './images.js';

/** Bearer token the e2e gateways accept for the principal `e2e` (operator role). */
export const E2E_TOKEN = 'e2e-token-0123456789abcdef';
/** Bearer token for the principal `viewer`, which gets only the default read-only role. */
export const VIEWER_TOKEN = 'viewer-token-0123456789abcdef';

/** The policy most e2e gateways run with: `e2e` may use every Docker tool; exec as uid 1000. */
export const E2E_CONFIG = {
  policy: {
    roles: { operator: { tools: ['docker_*', 'health'] } },
    bindings: [{ tokens: ['e2e'], roles: ['operator'] }],
  },
  exec: { commandPatterns: ['echo', 'cat', 'ls', 'sleep', 'seq', 'tty', 'id', 'ps', 'printf', 'true', 'false'], defaultUser: '1000:1000' },
  limits: { execPerMinute: 100_000, logsPerMinute: 100_000, perMinute: {} },
};

/** A gateway container under test. */
export interface GatewayUnderTest extends TestContainer {
  /** http://127.0.0.1:<published port> */
  readonly url: string;
  readonly port: number;
  /** Container logs so far (stdout+stderr). */
  logs(): Promise<string>;
  /** GET/POST helper with the e2e bearer token. */
  fetch(path: string, init?: RequestInit & { token?: string | null }): Promise<Response>;
}

/**
 * Polls `${url}/health` until it answers 200 (bounded: 30 s), failing early with the logs when the container exits.
 * This is the readiness signal; nothing sleeps for a fixed time.
 */
export async function waitForHealth(url: string, containerId: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  // AbortSignal.timeout's timer does not keep the process alive, and while docker-proxy holds an accepted connection
  // for a gateway that is not listening yet nothing else does: a script (not vitest) would exit silently mid-wait.
  const keepAlive = setInterval(() => undefined, 1000);
  try {
    for (;;) {
      try {
        if ((await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) })).ok) return;
      } catch { /* not listening yet */ }
      if (Date.now() > deadline) throw new Error(`gateway did not answer /health within ${timeoutMs / 1000} s; logs:\n${await containerLogs(containerId)}`);
      const state = await docker('inspect', '-f', '{{.State.Running}}', containerId);
      if (state !== 'true') throw new Error(`gateway container exited; logs:\n${await containerLogs(containerId)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    clearInterval(keepAlive);
  }
}

/** A free TCP port on 127.0.0.1, for gateways sharing the host's network namespace. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** `docker logs` of a container, stdout and stderr together (docker() alone returns stdout only). */
export function containerLogs(id: string): Promise<string> {
  return new Promise((resolve) => execFile('docker', ['logs', id], { maxBuffer: 64 << 20 }, (_e, out, err) => resolve(`${out}${err}`)));
}

/**
 * Starts a gateway container and waits until /health answers. By default it publishes port 3000 on a random
 * 127.0.0.1 port; with `hostNetwork` it shares the host's network namespace and listens on 127.0.0.1:<free port>
 * only, so it can reach servers the test runs on the host's loopback (same hardening either way).
 */
export async function startGateway(opts: {
  env?: Record<string, string>;
  config?: unknown;
  name?: string;
  args?: string[];
  image?: string;
  hostNetwork?: boolean;
} = {}): Promise<GatewayUnderTest> {
  const gid = statSync('/var/run/docker.sock').gid;
  const hostPort = opts.hostNetwork ? await freePort() : undefined;
  const env = {
    MCP_GATEWAY_AUTH_TOKENS: `e2e=${E2E_TOKEN},viewer=${VIEWER_TOKEN}`,
    MCP_GATEWAY_CONFIG_JSON: JSON.stringify(opts.config ?? E2E_CONFIG),
    MCP_DOCKER_LOG_LEVEL: 'debug',
    ...(hostPort ? { MCP_GATEWAY_HOST: '127.0.0.1', MCP_GATEWAY_PORT: String(hostPort) } : {}),
    ...opts.env,
  };
  const envArgs = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  const container = await runContainer({
    name: opts.name ?? uniq(hostPort ? 'gw-host' : 'gw'),
    image: opts.image ?? GATEWAY_IMAGE,
    args: [
      ...(hostPort ? ['--network', 'host'] : ['-p', '127.0.0.1::3000']),
      '-v', '/var/run/docker.sock:/var/run/docker.sock', '--group-add', String(gid),
      '--read-only', '--tmpfs', '/tmp', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges', '--memory', '512m',
      ...envArgs, ...(opts.args ?? []),
    ],
  });
  try {
    const port = hostPort ?? Number((await docker('port', container.id, '3000/tcp')).split('\n')[0].split(':').pop());
    const url = `http://127.0.0.1:${port}`;
    await waitForHealth(url, container.id);
    return {
      ...container, url, port,
      logs: () => containerLogs(container.id),
      fetch: (path, init = {}) => {
        const headers = new Headers(init.headers);
        const token = init.token === undefined ? E2E_TOKEN : init.token;
        if (token !== null) headers.set('authorization', `Bearer ${token}`);
        return fetch(`${url}${path}`, { ...init, headers });
      },
    };
  } catch (err) {
    await container.remove();
    throw err;
  }
}

/** Calls a tool over /rpc and returns the JSON-RPC response body. */
export async function rpcCall(gw: GatewayUnderTest, name: string, args: Record<string, unknown> = {}, token?: string | null): Promise<{ result?: { isError?: boolean; structuredContent?: Record<string, unknown>; content: Array<{ text: string }> }; error?: { code: number; message: string } }> {
  const res = await gw.fetch('/rpc', { method: 'POST', token, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } }) });
  return res.json() as never;
}
