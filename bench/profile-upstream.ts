/**
 * Where the gateway's time goes on the upstream path (client -> Streamable HTTP -> SDK Server -> pipeline ->
 * upstream SDK Client over stdio -> server-everything): the built gateway as its own process under
 * `node --cpu-prof`, driven with server-everything's echo by 1 sequential session, then 8 and 32 concurrent
 * sessions. Prints client-side latency and throughput and the gateway process's CPU time per call (from
 * /proc/<pid>/stat, so it does not depend on how busy the machine is), then writes the profile on exit. With
 * `shared`, the same call over POST /rpc too (no SDK Server, no Streamable HTTP), for comparison.
 *
 *   [BENCH_GATEWAY_ENV='{"MCP_DOCKER_AUDIT":"false"}'] node --import tsx bench/profile-upstream.ts [calls=3000] [per-session|shared] [--no-prof]
 *   node --import tsx bench/profile-summary.ts bench/profiles/<file>.cpuprofile
 */
import { resolve } from 'node:path';
import { createRpcClient, openSdkSession, readDurationMeans, type SdkSession } from './clients.js';
import { buildGatewayDist, startGatewayProcess } from './gateway-process.js';
import { cpuMs } from './process-tree.js';
import { closedLoop, sampleLatency } from './stats.js';
import { issue4GatewayConfig } from './upstream-scenarios.js';

async function main(): Promise<void> {
  const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
  const calls = Number(args[0] ?? 3000);
  const lifecycle = (args[1] ?? 'per-session') as 'per-session' | 'shared';
  const prof = !process.argv.includes('--no-prof');
  await buildGatewayDist();
  const dir = resolve(__dirname, 'profiles');
  const gw = await startGatewayProcess(issue4GatewayConfig(lifecycle), {
    env: process.env.BENCH_GATEWAY_ENV ? JSON.parse(process.env.BENCH_GATEWAY_ENV) as Record<string, string> : {},
    nodeArgs: prof ? ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=upstream-${lifecycle}-${Date.now()}.cpuprofile`] : [],
  });
  try {
    const open = () => openSdkSession(gw.url, { token: gw.token });
    const echo = (s: SdkSession) => () => s.call('everything__echo', { message: 'hi' });
    const phase = async (name: string, clients: number) => {
      const sessions = await Promise.all(Array.from({ length: clients }, open));
      await Promise.all(sessions.map((s) => echo(s)()));
      const c0 = cpuMs(gw.pid);
      let n: number;
      let line: string;
      if (clients === 1) {
        const l = await sampleLatency(echo(sessions[0]), { warmup: 50, count: calls, maxMs: 120_000 });
        n = l.n + 50;
        line = `p50 ${l.p50.toFixed(3)} ms p95 ${l.p95.toFixed(3)} ms mean ${l.mean.toFixed(3)} ms`;
      } else {
        const r = await closedLoop(sessions.map(echo), { maxCalls: calls * 2, maxMs: 10_000 });
        n = r.calls;
        line = `${r.perSecond.toFixed(0)} calls/s p50 ${r.latency.p50.toFixed(2)} ms${r.errors ? ` ${r.errors} errors: ${r.firstError}` : ''}`;
      }
      const cpu = cpuMs(gw.pid) - c0;
      console.log(`${name.padEnd(12)} ${line}; gateway CPU ${(cpu / n).toFixed(3)} ms/call over ${n} calls`);
      await Promise.all(sessions.map((s) => s.close()));
    };
    await phase('x1 seq', 1);
    await phase('x8', 8);
    await phase('x32', 32);
    if (lifecycle === 'shared') {
      // The same call over POST /rpc (no SDK Server, no Streamable HTTP session): the difference is their share.
      const rpc = createRpcClient(gw.url, gw.token, 8);
      for (const clients of [1, 8]) {
        const c0 = cpuMs(gw.pid);
        const r = await closedLoop(Array.from({ length: clients }, () => () => rpc.call('everything__echo', { message: 'hi' })), { maxCalls: calls, maxMs: 10_000 });
        console.log(`${`rpc x${clients}`.padEnd(12)} ${r.perSecond.toFixed(0)} calls/s p50 ${r.latency.p50.toFixed(2)} ms; gateway CPU ${((cpuMs(gw.pid) - c0) / r.calls).toFixed(3)} ms/call over ${r.calls} calls`);
      }
      rpc.close();
    }
    for (const [k, v] of Object.entries(await readDurationMeans(gw.url, gw.token))) console.log(`${k.padEnd(28)} mean ${v.meanMs.toFixed(3)} ms over ${v.count}`);
  } finally {
    await gw.close();
  }
  if (prof) console.log(`profile written to ${dir}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`profile-upstream failed: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exitCode = 1;
});
