/**
 * The containers a benchmark run owns: the target the tools act on and the gateway under test (the built
 * image, run the way the e2e tests and the stack run it). Both carry the test label; `removeAll()` removes
 * them (and anything else this process labelled) even after a failure.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { E2E_CONFIG, startGateway, type GatewayUnderTest } from '../gateway-image/test/e2e/helpers/gateway-container.js';
import { runTarget, uniq, type TestContainer } from '../gateway-image/test/e2e/helpers/docker-cli.js';
import { TEST_LABEL } from '../gateway-image/test/e2e/helpers/images.js';

const run = promisify(execFile);

/** Label this run adds to its containers, so cleanup never touches another run's. */
export const RUN_LABEL = `mcp.gateway.bench.run=${process.pid}`;

/** `docker ...` with bounded time; returns trimmed stdout. */
export async function docker(args: string[], timeoutMs = 120_000): Promise<string> {
  const { stdout } = await run('docker', args, { maxBuffer: 16 << 20, timeout: timeoutMs });
  return stdout.trim();
}

/** Builds the gateway image from gateway-image/ with the local base, as the brief and the e2e setup do. */
export async function buildImage(tag: string, context: string, baseImage: string): Promise<void> {
  await docker(['build', '-q', '--network', 'host', '--build-arg', `BASE_IMAGE=${baseImage}`,
    '--build-arg', 'npm_config_cafile=/etc/ssl/certs/ca-certificates.crt', '--label', TEST_LABEL, '-t', tag, context], 900_000);
}

/**
 * The bench policy: the e2e operator policy, `seq` allowed for the 100 MB streaming run, and room for 32
 * concurrent calls (the default limit of 10 would turn the 32-client runs into a test of the limiter).
 */
export const BENCH_CONFIG = {
  ...E2E_CONFIG,
  exec: { ...E2E_CONFIG.exec, commandPatterns: [...E2E_CONFIG.exec.commandPatterns, 'seq'] },
  limits: { ...E2E_CONFIG.limits, maxConcurrent: 64 },
};

/** Starts the long-running target container. */
export function startTarget(): Promise<TestContainer> {
  return runTarget(uniq('bench-target'), { 'mcp.gateway.bench.run': String(process.pid) });
}

/** Starts the gateway container from `image` with info-level logs and room for the 100 MB run. */
export function startGatewayContainer(image: string, env: Record<string, string> = {}): Promise<GatewayUnderTest> {
  return startGateway({
    image,
    name: uniq('bench-gw'),
    config: BENCH_CONFIG,
    env: { MCP_DOCKER_LOG_LEVEL: 'info', MCP_DOCKER_MAX_BYTES: String(128 * 1024 * 1024), ...env },
    // The later --memory wins over the helper's 512m: buffering 100 MB of output needs more, and we measure it.
    args: ['--memory', '2g', '--label', RUN_LABEL],
  });
}

/** Removes every container this run labelled. */
export async function removeRunContainers(): Promise<void> {
  const ids = (await docker(['ps', '-aq', '--filter', `label=${RUN_LABEL}`]).catch(() => '')).split('\n').filter(Boolean);
  const targets = (await docker(['ps', '-aq', '--filter', `label=mcp.gateway.bench.run=${process.pid}`]).catch(() => '')).split('\n').filter(Boolean);
  const all = [...new Set([...ids, ...targets])];
  if (all.length) await docker(['rm', '-f', '-v', ...all]).catch(() => undefined);
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
