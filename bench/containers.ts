/**
 * The containers a benchmark run owns: the target the tools act on and the gateway under test (the built
 * image, run the way the e2e tests and the stack run it: socket mounted with its group, non-root, read-only
 * root, all capabilities dropped, published on 127.0.0.1 only). Both carry BENCH_LABEL and this run's label;
 * `removeRunContainers()` removes them even after a failure.
 *
 * Not the e2e label (mcp.gateway.test=1): the e2e global setup and teardown remove every container carrying it,
 * which killed benchmark runs whenever a test run started on the same engine.
 */
import { execFile } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { promisify } from 'node:util';
import { containerLogs, E2E_CONFIG, E2E_TOKEN, freePort, waitForHealth } from '../gateway-image/test/e2e/helpers/gateway-container.js';

const run = promisify(execFile);

/** Label on every container a benchmark run starts. */
export const BENCH_LABEL = 'mcp.gateway.bench=1';
/** Label this run adds to its containers, so cleanup never touches another run's. */
export const RUN_LABEL = `mcp.gateway.bench.run=${process.pid}`;

/** A container the run owns; `remove()` is idempotent. */
export interface BenchContainer {
  readonly id: string;
  readonly name: string;
  remove(): Promise<void>;
}

/** A started gateway container. */
export interface BenchGateway extends BenchContainer {
  /** http://127.0.0.1:<published port> */
  readonly url: string;
  /** Container logs so far. */
  logs(): Promise<string>;
}

/** `docker ...` with bounded time; returns trimmed stdout. */
export async function docker(args: string[], timeoutMs = 120_000): Promise<string> {
  const { stdout } = await run('docker', args, { maxBuffer: 16 << 20, timeout: timeoutMs });
  return stdout.trim();
}

/** Builds the gateway image from gateway-image/ with the local base, as the brief and the e2e setup do. */
export async function buildImage(tag: string, context: string, baseImage: string): Promise<void> {
  await docker(['build', '-q', '--force-rm', '--network', 'host', '--build-arg', `BASE_IMAGE=${baseImage}`,
    '--build-arg', 'npm_config_cafile=/etc/ssl/certs/ca-certificates.crt', '--label', BENCH_LABEL, '-t', tag, context], 900_000);
}

/**
 * The bench policy: the e2e operator policy, `seq` allowed for the 100 MB streaming run, `node -e` for the streaming
 * latency producer (bench/stream-latency.ts), and room for 32 concurrent calls (the default limit of 10 would turn the
 * 32-client runs into a test of the limiter).
 */
export const BENCH_CONFIG = {
  ...E2E_CONFIG,
  exec: { ...E2E_CONFIG.exec, commandPatterns: [...E2E_CONFIG.exec.commandPatterns, 'seq', 'node -e'] },
  limits: { ...E2E_CONFIG.limits, maxConcurrent: 64 },
};

const uniq = (prefix: string) => `${prefix}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;

async function runContainer(name: string, args: string[], image: string, cmd: string[] = []): Promise<BenchContainer> {
  const id = await docker(['run', '-d', '--name', name, '--label', BENCH_LABEL, '--label', RUN_LABEL, ...args, image, ...cmd]);
  let removed = false;
  return {
    id, name,
    async remove() {
      if (removed) return;
      removed = true;
      await docker(['rm', '-f', '-v', id]).catch(() => undefined);
    },
  };
}

/** Starts the long-running target container (busybox loop printing a line per second, as the e2e target). */
export function startTarget(image: string): Promise<BenchContainer> {
  return runContainer(uniq('bench-target'), [], image, ['sh', '-c', 'i=0; while true; do i=$((i+1)); echo "line $i"; sleep 1; done']);
}

/**
 * How the bench reaches the gateway container: `published` as the stack publishes it (127.0.0.1 port mapping, so
 * through docker-proxy, the path of clients on the host), or `host` (the container shares the host's network
 * namespace and listens on 127.0.0.1 itself: no proxy process in between, like cloudflared reaching the gateway
 * over the stack's private network).
 */
export type GatewayNetwork = 'published' | 'host';

/** Starts the gateway container from `image` (info-level logs, stream limit raised for the 100 MB run) and waits for /health. */
export async function startGatewayContainer(image: string, env: Record<string, string> = {}, network: GatewayNetwork = 'published'): Promise<BenchGateway> {
  const gid = statSync('/var/run/docker.sock').gid;
  const hostPort = network === 'host' ? await freePort() : undefined;
  const allEnv = {
    MCP_GATEWAY_AUTH_TOKENS: `e2e=${E2E_TOKEN}`,
    MCP_GATEWAY_CONFIG_JSON: JSON.stringify(BENCH_CONFIG),
    MCP_DOCKER_LOG_LEVEL: 'info',
    // The streaming measurement sends ~100 MB in one call: raised above the 16 MiB default for this run only. The
    // result cap (MCP_DOCKER_MAX_BYTES) stays at its 1 MiB default: streaming sends everything as progress, and a
    // 100 MB final result would measure JSON serialization of a 100 MB string, not streaming.
    MCP_DOCKER_MAX_STREAM_BYTES: String(128 * 1024 * 1024),
    ...(hostPort ? { MCP_GATEWAY_HOST: '127.0.0.1', MCP_GATEWAY_PORT: String(hostPort) } : {}),
    ...env,
  };
  const container = await runContainer(uniq('bench-gw'), [
    ...(hostPort ? ['--network', 'host'] : ['-p', '127.0.0.1::3000']), '-v', '/var/run/docker.sock:/var/run/docker.sock', '--group-add', String(gid),
    '--read-only', '--tmpfs', '/tmp', '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges',
    // The stack's default memory limit: streaming 100 MB must fit in it.
    '--memory', '512m',
    ...Object.entries(allEnv).flatMap(([k, v]) => ['-e', `${k}=${v}`]),
  ], image);
  const logs = () => containerLogs(container.id);
  try {
    const port = hostPort ?? Number((await docker(['port', container.id, '3000/tcp'])).split('\n')[0].split(':').pop());
    const url = `http://127.0.0.1:${port}`;
    await waitForHealth(url, container.id);
    return { ...container, url, logs };
  } catch (err) {
    await container.remove();
    throw err;
  }
}

/** Removes every container this run labelled. */
export async function removeRunContainers(): Promise<void> {
  const ids = (await docker(['ps', '-aq', '--filter', `label=${RUN_LABEL}`]).catch(() => '')).split('\n').filter(Boolean);
  if (ids.length) await docker(['rm', '-f', '-v', ...ids]).catch(() => undefined);
}

/** Host pid of the node process inside a container (PID 1 is tini; node is its child). */
export async function nodePidOf(containerId: string): Promise<number> {
  const pid = Number(await docker(['inspect', '-f', '{{.State.Pid}}', containerId]));
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  for (const c of [pid, ...children]) {
    const cmd = readFileSync(`/proc/${c}/cmdline`, 'utf8');
    if (cmd.startsWith('node')) return c;
  }
  throw new Error(`no node process under pid ${pid}`);
}

/** Resident set size (VmRSS) and its peak (VmHWM) of a host pid, in MiB. */
export function rssMiB(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

/**
 * VmRSS of a bare Node HTTP server (`http.createServer().listen()` in a CommonJS script, nothing else loaded) run
 * with `image`'s node, user and libraries under the gateway's memory limit: as soon as it listens (the gateway's
 * fresh figure is read as soon as it answers /health) and `settleMs` later. The floor every Node server starts from,
 * measured in the same run. (The same server as an ES module is ~11 MB more, pages a real app touches anyway.)
 */
export async function bareNodeRss(image: string, settleMs: number): Promise<{ freshMiB: number; settledMiB: number }> {
  const c = await runContainer(uniq('bench-bare-node'), ['--memory', '512m', '--network', 'none', '--entrypoint', 'node'], image,
    ['-e', "require('node:http').createServer((q, s) => s.end()).listen(3000, '127.0.0.1', () => console.log('listening'))"]);
  try {
    const deadline = Date.now() + 15_000;
    while (!(await containerLogs(c.id)).includes('listening')) {
      if (Date.now() > deadline) throw new Error(`bare node server in ${image} did not listen within 15 s: ${await containerLogs(c.id)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const pid = Number(await docker(['inspect', '-f', '{{.State.Pid}}', c.id]));
    const freshMiB = rssMiB(pid).rss;
    await new Promise((r) => setTimeout(r, settleMs));
    return { freshMiB, settledMiB: rssMiB(pid).rss };
  } finally {
    await c.remove();
  }
}

/** Samples VmRSS every `everyMs` until stopped; returns the peak seen. */
export function rssSampler(pid: number, everyMs = 50): { stop(): number } {
  let peak = rssMiB(pid).rss;
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, rssMiB(pid).rss);
    } catch { /* process gone */ }
  }, everyMs);
  return { stop() { clearInterval(timer); return peak; } };
}
