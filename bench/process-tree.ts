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
