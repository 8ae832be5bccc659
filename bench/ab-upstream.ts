/**
 * Interleaved A/B of two builds of the gateway on issue 4's path (server-everything's echo through the gateway
 * as its own process): both builds share every file but gateway-image/src/core/upstreams/, which variant A takes
 * from git revision BASE and variant B from the working tree (or from revision NEW). The rest of src/ comes from
 * TREE (default HEAD, so half-finished edits elsewhere in the working tree cannot skew or break the builds).
 * Per lifecycle and concurrency, A and B alternate in short slices; besides latency and calls/s it reports each
 * gateway process's CPU time per call (/proc/<pid>/stat), which a busy machine disturbs far less than wall time.
 *
 *   node --import tsx bench/ab-upstream.ts BASE [NEW|worktree] [--tree REV|worktree] [--slices 6] [--ms 6000]
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { openSdkSession, type SdkSession } from './clients.js';
import { startGatewayProcess, type GatewayProcess } from './gateway-process.js';
import { cpuMs } from './process-tree.js';
import { closedLoop, sampleInterleaved, summarize } from './stats.js';
import { issue4GatewayConfig } from './upstream-scenarios.js';

const root = resolve(__dirname, '..');
const gw = resolve(root, 'gateway-image');
// Under dist/ (git-ignored, skipped by lint and the image's build context) so packages resolve from gateway-image/.
const abDir = resolve(gw, 'dist/.ab');

/** Extracts `path` of `rev` (or copies it from the working tree) to `dest`. */
function checkout(rev: string, path: string, dest: string): void {
  rmSync(dest, { recursive: true, force: true });
  mkdirSync(dest, { recursive: true });
  if (rev === 'worktree') {
    cpSync(resolve(root, path), dest, { recursive: true });
    return;
  }
  const tar = execFileSync('git', ['archive', rev, path], { cwd: root, maxBuffer: 64 << 20 });
  const depth = path.split('/').length;
  execFileSync('tar', ['-x', `--strip-components=${depth}`, '-C', dest], { input: tar });
}

/** Builds one variant; returns its main.js. */
function build(name: string, tree: string, upstreamsRev: string): string {
  const dir = join(abDir, name);
  checkout(tree, 'gateway-image/src', join(dir, 'src'));
  checkout(upstreamsRev, 'gateway-image/src/core/upstreams', join(dir, 'src/core/upstreams'));
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
    extends: '../../../tsconfig.json',
    compilerOptions: { rootDir: 'src', outDir: 'out', sourceMap: false },
    include: ['src/**/*.ts'],
  }));
  execFileSync(resolve(gw, 'node_modules/.bin/tsc'), ['-p', join(dir, 'tsconfig.json')], { cwd: gw, stdio: 'inherit' });
  return join(dir, 'out/main.js');
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { tree: { type: 'string', default: 'HEAD' }, slices: { type: 'string', default: '6' }, ms: { type: 'string', default: '6000' } } });
  const [base, next = 'worktree'] = positionals;
  if (!base) throw new Error('usage: ab-upstream.ts BASE [NEW|worktree] [--tree REV|worktree]');
  const slices = Number(values.slices);
  const sliceMs = Number(values.ms) / slices;
  const mains = [build('a', values.tree!, base), build('b', values.tree!, next)];
  const label = [`A (upstreams ${base})`, `B (upstreams ${next})`];
  console.log(`tree ${values.tree}; node ${process.execPath} ${process.version}; load ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
  for (const lifecycle of ['per-session', 'shared'] as const) {
    const gws: GatewayProcess[] = [];
    try {
      for (const m of mains) gws.push(await startGatewayProcess(issue4GatewayConfig(lifecycle), { main: m }));
      const echo = (s: SdkSession) => () => s.call('everything__echo', { message: 'hi' });
      const one = await Promise.all(gws.map((g) => openSdkSession(g.url, { token: g.token })));
      const c0 = gws.map((g) => cpuMs(g.pid));
      const lat = await sampleInterleaved(one.map(echo), { warmup: 50, count: 1500, maxMs: 60_000 });
      const cpu = gws.map((g, k) => (cpuMs(g.pid) - c0[k]) / (lat[k].n + 50));
      await Promise.all(one.map((s) => s.close()));
      lat.forEach((l, k) => console.log(`${lifecycle.padEnd(11)} sequential ${label[k].padEnd(28)} p50 ${l.p50.toFixed(3)} p95 ${l.p95.toFixed(3)} ms; gateway CPU ${cpu[k].toFixed(3)} ms/call`));
      for (const c of [1, 8, 32]) {
        const pools = await Promise.all(gws.map((g) => Promise.all(Array.from({ length: c }, () => openSdkSession(g.url, { token: g.token })))));
        await Promise.all(pools.flat().map((s) => echo(s)()));
        const acc = gws.map(() => ({ calls: 0, s: 0, cpu: 0, samples: [] as number[], slices: [] as number[] }));
        for (let r = 0; r < slices; r++) {
          for (const k of r % 2 ? [1, 0] : [0, 1]) {
            const before = cpuMs(gws[k].pid);
            const res = await closedLoop(pools[k].map(echo), { maxCalls: 100_000, maxMs: sliceMs, samples: acc[k].samples });
            acc[k].cpu += cpuMs(gws[k].pid) - before;
            acc[k].calls += res.calls;
            acc[k].s += res.seconds;
            acc[k].slices.push(Math.round(res.perSecond));
          }
        }
        acc.forEach((a, k) => console.log(`${lifecycle.padEnd(11)} x${String(c).padEnd(3)} ${label[k].padEnd(28)} ${(a.calls / a.s).toFixed(0).padStart(5)} calls/s (${a.slices.join('/')}) p50 ${summarize(a.samples).p50.toFixed(2)} ms; gateway CPU ${(a.cpu / a.calls).toFixed(3)} ms/call`));
        await Promise.all(pools.flat().map((s) => s.close()));
      }
    } finally {
      for (const g of gws) await g.close();
    }
  }
  console.log(`load ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`ab-upstream failed: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exitCode = 1;
});
