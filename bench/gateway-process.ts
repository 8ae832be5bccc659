/**
 * The gateway as its own process, the way issue 4's peers (supergateway, mcp-proxy) run: the built
 * `gateway-image/dist/main.js` under the same node binary as everything else (`process.execPath`), configured
 * through its environment only (MCP_GATEWAY_CONFIG_JSON, MCP_GATEWAY_AUTH_TOKENS, 127.0.0.1 on a free port,
 * an audit file in a temporary directory removed by close()). `close()` stops it with SIGTERM (SIGKILL after a
 * bound) and fails when a process it started (an upstream server) outlives it; those are killed.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './bridges.js';
import { describeProcess, stopProcessTree } from './process-tree.js';

const root = resolve(__dirname, '..');
/** The built entry point `npm run build --prefix gateway-image` writes. */
export const GATEWAY_MAIN = resolve(root, 'gateway-image/dist/main.js');
/** Bearer token of the principal `e2e` in the gateways this module starts. */
export const PROCESS_GATEWAY_TOKEN = 'bench-token-0123456789abcdef';
/** Graceful close bound before SIGKILL: main.ts's own bound (15 s) plus a margin. */
const CLOSE_TIMEOUT_MS = 20_000;

/** A started gateway process. */
export interface GatewayProcess {
  readonly url: string;
  readonly token: string;
  readonly pid: number;
  /** The last lines the gateway wrote (stdout and stderr). */
  output(): string;
  /** Stops it; rejects when processes it started were left behind (after killing them). Idempotent. */
  close(): Promise<void>;
}

let building: Promise<void> | undefined;
/** Builds gateway-image/ (tsc -> dist/), once per bench process. */
export function buildGatewayDist(): Promise<void> {
  building ??= promisify(execFile)('npm', ['run', 'build', '--prefix', resolve(root, 'gateway-image')], { cwd: root, timeout: 300_000, maxBuffer: 16 << 20 })
    .then(() => undefined, (err: Error & { stdout?: string; stderr?: string }) => {
      building = undefined;
      throw new Error(`building gateway-image failed: ${err.message}\n${err.stdout ?? ''}${err.stderr ?? ''}`);
    });
  return building;
}

const open = new Set<GatewayProcess>();
/** Kills every gateway process still running synchronously (for the bench's exit and signal paths). */
export function killGatewayProcessesSync(): void {
  for (const g of open) {
    try {
      process.kill(g.pid, 'SIGKILL');
    } catch { /* already gone */ }
  }
}
process.once('exit', killGatewayProcessesSync);

/**
 * Starts `node gateway-image/dist/main.js` with `config` (the config file's JSON) and `env` on top of the bench
 * defaults, and waits (bounded) for /health. `nodeArgs` go before the script (e.g. `--cpu-prof`); `main` replaces
 * the built entry point (an A/B build).
 */
export async function startGatewayProcess(config: unknown, opts: { env?: Record<string, string>; nodeArgs?: string[]; main?: string } = {}): Promise<GatewayProcess> {
  const main = opts.main ?? GATEWAY_MAIN;
  if (!existsSync(main)) throw new Error(`${main} is missing: run npm run build --prefix gateway-image`);
  const port = await freePort();
  const auditDir = mkdtempSync(join(tmpdir(), 'mcp-bench-audit-'));
  const env = {
    // What main.ts hands command upstreams: PATH and HOME only.
    PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '',
    MCP_GATEWAY_HOST: '127.0.0.1', MCP_GATEWAY_PORT: String(port),
    MCP_GATEWAY_AUTH_TOKENS: `e2e=${PROCESS_GATEWAY_TOKEN}`,
    MCP_GATEWAY_CONFIG_JSON: JSON.stringify(config),
    MCP_DOCKER_AUDIT_FILE: join(auditDir, 'audit.log'),
    MCP_DOCKER_LOG_LEVEL: 'warn',
    ...opts.env,
  };
  let child: ChildProcess;
  try {
    child = spawn(process.execPath, [...(opts.nodeArgs ?? []), main], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    rmSync(auditDir, { recursive: true, force: true });
    throw err;
  }
  let out = '';
  const keep = (c: Buffer) => { out = (out + c.toString('utf8')).slice(-8000); };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  let closing: Promise<void> | undefined;
  const gw: GatewayProcess = {
    url, token: PROCESS_GATEWAY_TOKEN, pid: child.pid!,
    output: () => out,
    close() {
      closing ??= (async () => {
        const survivors = await stopProcessTree(child, CLOSE_TIMEOUT_MS);
        open.delete(gw);
        rmSync(auditDir, { recursive: true, force: true });
        // Upstream children run in their own process groups; after a graceful close none may be left.
        if (survivors.length > 0) {
          throw new Error(`the gateway left ${survivors.length} child process(es) running (killed now): ${survivors.map(describeProcess).join('; ')}`);
        }
      })();
      return closing;
    },
  };
  open.add(gw);
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`gateway exited (${child.exitCode ?? child.signalCode}): ${out}`);
      try {
        if ((await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) })).ok) break;
      } catch { /* not listening yet */ }
      if (Date.now() > deadline) throw new Error(`gateway did not answer /health within 30 s: ${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (err) {
    await gw.close().catch(() => undefined);
    throw err;
  }
  return gw;
}
