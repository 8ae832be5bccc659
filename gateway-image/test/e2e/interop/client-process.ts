/**
 * Running MCP clients nobody here wrote, as child processes, from the packages installed at the repository
 * root (never fetched at run time): a bounded run that is always killed, a sandboxed HOME so nothing lands in
 * the real one, and the Node 22 binary that the Inspector and the conformance runner require.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root: its node_modules holds the clients. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');

/** The Inspector's launcher (`mcp-inspector` bin); `--cli` selects the CLI client. */
export const INSPECTOR_BIN = join(REPO_ROOT, 'node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js');
/** The conformance runner's CLI (`conformance` bin). */
export const CONFORMANCE_BIN = join(REPO_ROOT, 'node_modules/@modelcontextprotocol/conformance/dist/index.js');
/** mcp-remote's stdio proxy (`mcp-remote` bin). */
export const MCP_REMOTE_BIN = join(REPO_ROOT, 'node_modules/mcp-remote/dist/proxy.js');

/** Oldest Node the Inspector (engines >=22.19.0) and the conformance runner accept. */
const MIN_NODE: readonly [number, number] = [22, 19];

/**
 * Path of a Node 22 binary from scripts/node22.sh (fetched once into a cache outside node_modules, so it never
 * shadows the user's node), new enough for the Inspector and the conformance runner; throws with what to do
 * otherwise (the test then fails, it is not skipped).
 */
export function node22(): string {
  const script = join(REPO_ROOT, 'scripts/node22.sh');
  try {
    return execFileSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 }).trim();
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr?.trim();
    throw new Error(`no Node 22 binary: the Inspector CLI and the conformance runner need Node >= ${MIN_NODE.join('.')}; ` +
      `bash scripts/node22.sh failed${stderr ? `: ${stderr}` : ''}`);
  }
}

/** Fails with the reason when a client package is not installed. */
export function requireInstalled(path: string, pkg: string): string {
  if (!existsSync(path)) throw new Error(`${pkg} is not installed (${path} missing); run \`npm ci\` at the repository root`);
  return path;
}

/** A throwaway HOME (and XDG dirs) for one client run, so nothing is written to the real home directory. */
export interface Sandbox {
  readonly dir: string;
  /** Environment for the child: the parent's PATH etc., with HOME and XDG_* pointing into `dir`. */
  readonly env: NodeJS.ProcessEnv;
  remove(): void;
}

/** Creates a {@link Sandbox}; `extra` is merged into its environment. */
export function sandbox(prefix: string, extra: Record<string, string> = {}): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: dir,
    XDG_CONFIG_HOME: join(dir, '.config'),
    XDG_DATA_HOME: join(dir, '.local/share'),
    XDG_CACHE_HOME: join(dir, '.cache'),
    XDG_STATE_HOME: join(dir, '.local/state'),
    // Clients must not open a browser or prompt: this is CI.
    CI: 'true',
    BROWSER: 'none',
    ...extra,
  };
  return { dir, env, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** What a bounded run produced. */
export interface ClientRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
  readonly durationMs: number;
}

/** Children still alive; {@link killAll} ends them (afterEach/afterAll), whatever happened in the test. */
const live = new Set<ChildProcess>();

/** Runs `command args` with stdin closed, killing it (SIGKILL) after `timeoutMs`; never rejects on exit code. */
export function runClient(command: string, args: readonly string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs: number }): Promise<ClientRun> {
  const started = Date.now();
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(child);
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, opts.timeoutMs);
    child.once('error', (err) => { clearTimeout(timer); live.delete(child); reject(err); });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      live.delete(child);
      resolvePromise({ code, signal, stdout, stderr, timedOut, durationMs: Date.now() - started });
    });
  });
}

/** SIGKILLs every child still running (only the ones this module started or was told about). */
export function killAll(): void {
  for (const child of live) {
    try {
      if (child.exitCode === null && child.pid) process.kill(child.pid, 'SIGKILL');
    } catch { /* already gone */ }
    live.delete(child);
  }
}

/** A failure message with everything needed to see why a client run went wrong. */
export function describeRun(what: string, run: ClientRun): string {
  return `${what}: exit ${run.code}${run.signal ? ` (${run.signal})` : ''}${run.timedOut ? ' after timing out' : ''} in ${run.durationMs} ms\n` +
    `--- stdout ---\n${run.stdout.slice(-4000)}\n--- stderr ---\n${run.stderr.slice(-4000)}`;
}
