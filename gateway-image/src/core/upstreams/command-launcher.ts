/**
 * Command servers: child processes with a clean environment (only the declared variables plus PATH and HOME),
 * each in its own process group so closing kills the whole tree (npx -> node -> whatever it spawns).
 */
import { spawn } from 'node:child_process';
import type { Logger } from 'pino';
import { inheritedEnv } from './inherited-env.js';
import type { CommandServerConfig } from './upstreams-config.js';
import { type LaunchContext, type LaunchedUpstream, type UpstreamExit, TailBuffer } from './launcher.js';
import type { ProcessTracker } from './reaper.js';
import { StreamTransport } from './stream-transport.js';

/** Dependencies of {@link launchCommand}. */
export interface CommandLauncherDeps {
  readonly logger: Logger;
  /** Records process groups so they are killed even if the gateway exits without closing them. */
  readonly tracker: ProcessTracker;
  /** The inherited part of children's environment ({@link INHERITED_ENV}). @default - the gateway's own PATH and HOME */
  readonly baseEnv?: Readonly<Record<string, string | undefined>>;
  /** Grace period between SIGTERM and SIGKILL of the process group. @default 2000 */
  readonly killGraceMs?: number;
}

/** The environment a command server gets: the inherited variables, then its declared ones (which may override them). */
export function buildCommandEnv(server: CommandServerConfig, base: Readonly<Record<string, string | undefined>>): Record<string, string> {
  return { ...inheritedEnv(base), ...server.environment };
}

/** Spawns a command server; resolves once the process is running (not yet initialized). */
export async function launchCommand(server: CommandServerConfig, ctx: LaunchContext, deps: CommandLauncherDeps): Promise<LaunchedUpstream> {
  const base = deps.baseEnv ?? { PATH: process.env.PATH, HOME: process.env.HOME }; // lint-allow no-env: fallback for direct use; the gateway injects commandEnv
  const child = spawn(server.command, server.args, {
    cwd: server.cwd,
    env: buildCommandEnv(server, base),
    stdio: ['pipe', 'pipe', 'pipe'],
    // Own process group: one kill(-pgid) reaches grandchildren that npx/uvx start.
    detached: true,
  });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (err) => reject(new Error(`spawning ${server.command} for upstream "${ctx.server}": ${err.message}`)));
  });
  const pid = child.pid as number;
  deps.tracker.add(pid);
  const log = deps.logger.child({ upstream: ctx.server, pid });
  const stderr = new TailBuffer();
  child.stderr.on('data', (chunk: Buffer) => {
    stderr.push(chunk);
    log.debug({ stderr: chunk.toString().slice(0, 500) }, 'upstream stderr');
  });
  const exited = new Promise<UpstreamExit>((resolve) => {
    child.once('exit', (code, signal) => {
      deps.tracker.delete(pid);
      // The leader exited; make sure nothing it started survives it.
      killGroup(pid, 'SIGKILL');
      resolve({ code, signal });
    });
  });
  const grace = deps.killGraceMs ?? 2000;
  const transport = new StreamTransport({
    input: child.stdout,
    output: child.stdin,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.stdin.end();
      killGroup(pid, 'SIGTERM');
      const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), grace);
      await exited;
      clearTimeout(timer);
    },
  });
  // The process can die before its stdout ends (a grandchild holding it open): exit closes the transport too.
  // Give stdout a moment to deliver what was written before the exit, then close regardless.
  void exited.then(async () => {
    if (!child.stdout.closed) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 250);
        child.stdout.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    transport.markClosed();
  });
  return { transport, describe: `process ${pid} (${server.command})`, exited, stderrTail: () => stderr.toString(), stderrSummary: () => stderr.summary() };
}

/** Signals a whole process group; a group that is already gone is fine. */
export function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: already gone.
  }
}
