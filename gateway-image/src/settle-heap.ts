/**
 * One full garbage collection when start-up is done, before the first request is served.
 *
 * Why: start-up leaves garbage behind (the config's parse, building the tools) and a young generation grown to hold
 * it. V8 gives that memory back only when its memory reducer decides the process is idle: a first GC ~8 s after
 * start-up and sometimes a second one up to ~16 s later. An idle gateway would hold ~3.5 MiB more than it needs for
 * up to ~25 s after every start (measured in the image under the stack's 512m limit: 59.3 MiB until the reducer ran,
 * then 57.9 and 55.5). Collected here, once, it starts at the settled figure; the cost is one GC pause at start-up.
 *
 * `gc` comes from a fresh vm context after `--expose-gc` is set at run time, the documented way to reach it
 * without starting node with the flag: the gateway's own global scope gets no `gc`.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Runs the collection; returns how long it took (ms), or undefined when this Node no longer lets `gc` be reached
 * this way (then nothing happens: an optimization must never stop the gateway from starting).
 */
export function settleHeap(): number | undefined {
  let gc: (options?: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;
  try {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as typeof gc;
    if (typeof gc !== 'function') return undefined;
  } catch {
    return undefined;
  }
  const started = performance.now();
  if (supportsGcOptions(process.versions.v8)) {
    // 'last-resort': V8's most thorough collection (also releases the young generation's spare pages).
    gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  } else {
    // Older V8 (Node 20, V8 11) accepts the options object but its sync major collection leaves weakly held
    // garbage in place; the plain call is a full collection there.
    gc();
  }
  return performance.now() - started;
}

/**
 * Whether this V8 honours `gc({ type, execution, flavor })` (V8 12+, Node 22, the image's Node). Exported for its test.
 */
export function supportsGcOptions(v8Version: string): boolean {
  return Number.parseInt(v8Version.split('.')[0], 10) >= 12;
}
