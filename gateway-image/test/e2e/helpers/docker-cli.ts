/**
 * The docker CLI for test set-up and assertions (what a person would type), never for the code under test.
 */
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { RUN_LABEL, TEST_LABEL } from './images.js';

const run = promisify(execFile);

/** Runs `docker args...` and returns trimmed stdout; throws with stderr on failure. */
export async function docker(...args: string[]): Promise<string> {
  try {
    const { stdout } = await run('docker', args, { maxBuffer: 64 * 1024 * 1024, timeout: 120_000 });
    return stdout.trim();
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`docker ${args.join(' ')} failed: ${e.stderr?.trim() || e.message}`);
  }
}

/** Synchronous variant for teardown paths. */
export function dockerSync(...args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** A container the test owns; `remove()` is idempotent. */
export interface TestContainer {
  readonly id: string;
  readonly name: string;
  remove(): Promise<void>;
}

/** Starts a labelled container (`docker run -d`) and returns it. */
export async function runContainer(opts: { name: string; image: string; args?: string[]; cmd?: string[]; labels?: Record<string, string> }): Promise<TestContainer> {
  const labelArgs = Object.entries(opts.labels ?? {}).flatMap(([k, v]) => ['--label', `${k}=${v}`]);
  const run = process.env.MCP_TEST_RUN ? ['--label', `${RUN_LABEL}=${process.env.MCP_TEST_RUN}`] : [];
  const id = await docker('run', '-d', '--name', opts.name, '--label', TEST_LABEL, ...run, ...labelArgs, ...(opts.args ?? []), opts.image, ...(opts.cmd ?? []));
  let removed = false;
  return {
    id, name: opts.name,
    async remove() {
      if (removed) return;
      removed = true;
      await docker('rm', '-f', '-v', id).catch(() => undefined);
    },
  };
}

/** A long-running target container for tools to act on (busybox sh loop printing a line per second). */
export async function runTarget(name: string, labels: Record<string, string> = {}, image = process.env.MCP_TEST_BASE_IMAGE ?? 'mcp-gateway-base:local'): Promise<TestContainer> {
  return runContainer({ name, image, labels, cmd: ['sh', '-c', 'i=0; while true; do i=$((i+1)); echo "line $i"; echo "err $i" >&2; sleep 1; done'] });
}

/** Process list of a container (`ps -o pid,args` through docker exec), for proving an exec was killed. */
export async function processes(container: string): Promise<string[]> {
  return (await docker('exec', container, 'ps', '-o', 'pid,args')).split('\n').slice(1).map((l) => l.trim());
}

/**
 * Waits (bounded, 10 s) until a process whose command line contains `needle` is running in the container, or with
 * `present: false` until none is (an exec that was killed).
 */
export async function waitForProcess(container: string, needle: string, present = true): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await processes(container)).some((p) => p.includes(needle)) !== present) {
    if (Date.now() > deadline) throw new Error(present ? `${needle} never started in ${container}` : `${needle} still running in ${container}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A unique suffix for container names in this run. */
export function uniq(prefix: string): string {
  return `${prefix}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}
