/**
 * A Docker engine of the test's own, to restart in fault drills: the shared engine must never be restarted. It runs
 * in a network namespace of its own (`unshare --net`): a second dockerd in the host's namespace manages the host's
 * bridge too, and one started with --bridge=none deletes the host's docker0, which the shared engine uses. Its data
 * root, exec root, pid file and socket live in a temporary directory, removed by close() (containers first), which
 * the tests call in afterAll so a failed drill leaves nothing behind. With --live-restore, containers survive the
 * restart, as on a production engine, so an exec the engine lost can outlive the call that started it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { docker } from './docker-cli.js';

/** A running drill engine. */
export interface DrillEngine {
  /** Directory holding the socket (mount it into the gateway: the socket file is recreated by each start). */
  readonly runDir: string;
  /** DOCKER_HOST of the engine from this machine. */
  readonly host: string;
  /** The docker CLI against this engine. */
  cli(...args: string[]): Promise<string>;
  /** Stops the engine (SIGTERM, as a service manager does) and starts it again; resolves once it answers. */
  restart(): Promise<void>;
  /** Removes its containers, stops it and removes its directories. */
  close(): Promise<void>;
}

/** Starts the engine; its socket's group is the shared engine's socket's group, so the gateway's --group-add fits. */
export async function startDrillEngine(): Promise<DrillEngine> {
  const dir = mkdtempSync('/tmp/mcp-drill-');
  const runDir = join(dir, 'run');
  mkdirSync(runDir, { mode: 0o755 });
  const socket = join(runDir, 'docker.sock');
  const host = `unix://${socket}`;
  const gid = String(statSync('/var/run/docker.sock').gid);
  const log = join(dir, 'dockerd.log');
  let child: ChildProcess | undefined;

  const cli = (...args: string[]) => docker('-H', host, ...args);
  const logTail = () => { try { return readFileSync(log, 'utf8').split('\n').slice(-15).join('\n'); } catch { return ''; } };

  async function start(): Promise<void> {
    const fd = openSync(log, 'a');
    // unshare execs dockerd: child.pid is dockerd's own pid.
    child = spawn('unshare', ['--net', '--', 'dockerd',
      '--data-root', join(dir, 'data'), '--exec-root', join(dir, 'exec'), '--pidfile', join(dir, 'docker.pid'),
      '--host', host, '--group', gid, '--bridge=none', '--iptables=false', '--ip-masq=false',
      '--live-restore', '--shutdown-timeout', '1'], { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    const exited = new Promise<never>((_r, reject) => child!.once('exit', (code) => reject(new Error(`drill dockerd exited (${code}):\n${logTail()}`))));
    exited.catch(() => undefined);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const up = await Promise.race([cli('version', '--format', '{{.Server.Version}}').then(() => true, () => false), exited]);
      if (up) return;
      if (Date.now() > deadline) throw new Error(`drill dockerd did not answer within 60 s:\n${logTail()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  async function stop(): Promise<void> {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    c.kill('SIGTERM');
    const killer = setTimeout(() => c.kill('SIGKILL'), 60_000);
    await gone;
    clearTimeout(killer);
  }

  try {
    await start();
  } catch (err) {
    await stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    runDir, host, cli,
    async restart() {
      await stop();
      await start();
    },
    async close() {
      try {
        const ids = (await cli('ps', '-aq').catch(() => '')).split('\n').filter(Boolean);
        if (ids.length) await cli('rm', '-f', '-v', ...ids).catch(() => undefined);
      } finally {
        await stop();
        // With --live-restore the engine leaves its containerd running: stop ours (its pid file is in our exec root).
        await stopOwnContainerd(join(dir, 'exec', 'containerd', 'containerd.pid'), dir);
        // Mounts the engine left (it unmounts its own on a clean stop): never delete through a mounted filesystem.
        const mounts = readFileSync('/proc/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1]).filter((m) => m?.startsWith(`${dir}/`));
        for (const m of mounts.reverse()) await new Promise<void>((resolve) => spawn('umount', ['-l', m]).once('exit', () => resolve()));
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** Stops the containerd whose pid file is `pidFile`, if its command line names `dir` (never another's). */
async function stopOwnContainerd(pidFile: string, dir: string): Promise<void> {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile, 'utf8').trim());
    if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir)) return;
  } catch {
    return;
  }
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  process.kill(pid, 'SIGKILL');
}
