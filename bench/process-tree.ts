/**
 * Stopping a benchmark's child process together with everything it started: the processes below it are
 * noted first, the child gets SIGTERM (SIGKILL after a bound), and whatever it started that is still alive
 * afterwards is killed and returned, so the caller can fail or warn.
 */
import type { ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** A process found below another. */
export interface ProcessInfo {
  readonly pid: number;
  /** Its command line, NUL-separated as in /proc (also tells a reused pid apart). */
  readonly cmdline: string;
}

/** Every process below `pid` (children of all its threads, recursively), read from /proc. */
export function descendants(pid: number): ProcessInfo[] {
  const out: ProcessInfo[] = [];
  const walk = (p: number) => {
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${p}/task`);
    } catch {
      return; // gone
    }
    for (const tid of tids) {
      let kids: number[] = [];
      try {
        kids = readFileSync(`/proc/${p}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
      } catch { /* thread gone */ }
      for (const k of kids) {
        try {
          out.push({ pid: k, cmdline: readFileSync(`/proc/${k}/cmdline`, 'utf8') });
        } catch { /* gone meanwhile */ }
        walk(k);
      }
    }
  };
  walk(pid);
  return out;
}

/** Whether the same process (pid and command line) still runs (zombies count as gone). */
export function stillRunning(p: ProcessInfo): boolean {
  try {
    return readFileSync(`/proc/${p.pid}/cmdline`, 'utf8') === p.cmdline && !/^State:\s+Z/m.test(readFileSync(`/proc/${p.pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

/** How a left-over process reads in a message. */
export function describeProcess(p: ProcessInfo): string {
  return `${p.pid} ${p.cmdline.replace(/\0/g, ' ').trim()}`;
}

/**
 * Stops `child` (SIGTERM, SIGKILL after `graceMs`) and returns the processes it had started that outlived it,
 * after killing them with SIGKILL.
 */
export async function stopProcessTree(child: ChildProcess, graceMs: number): Promise<ProcessInfo[]> {
  const below = child.pid === undefined ? [] : descendants(child.pid);
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
  const survivors = below.filter(stillRunning);
  for (const p of survivors) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch { /* gone meanwhile */ }
  }
  return survivors;
}

/** Fields of /proc/<pid>/stat after the command name (field 3 onwards), or undefined when the process is gone. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** Clock ticks per second of /proc's CPU times (USER_HZ, 100 on Linux). */
const TICK_MS = 10;

/** User + system CPU time of a process so far, in ms (10 ms resolution). */
export function cpuMs(pid: number): number {
  const f = statFields(pid);
  return f ? (Number(f[11]) + Number(f[12])) * TICK_MS : Number.NaN;
}

/**
 * CPU time of a process and everything below it, in ms: its own, its waited-for children's (cutime, cstime),
 * and that of every live descendant.
 */
export function treeCpuMs(pid: number): number {
  const f = statFields(pid);
  if (!f) return Number.NaN;
  let ticks = Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  for (const d of descendants(pid)) {
    const g = statFields(d.pid);
    if (g) ticks += Number(g[11]) + Number(g[12]);
  }
  return ticks * TICK_MS;
}
