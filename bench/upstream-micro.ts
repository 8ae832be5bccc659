/**
 * CPU cost of the upstream core alone (Aggregator -> UpstreamPool -> UpstreamInstance -> SDK Client ->
 * StreamTransport over stdio), without HTTP, the SDK Server or the pipeline: `createUpstreams` in this process
 * with server-everything as a command server, its echo tool's `run()` called back to back. Prints this process's
 * CPU time per call (process.cpuUsage: the upstream child's CPU is not in it) and wall-clock latency, for one
 * sequential caller and for 8 and 32 concurrent sessions. Rounds of each variant alternate so drift hits all.
 *
 *   [BENCH_UPSTREAMS_DIR=/abs/copy/of/core/upstreams] node --import tsx bench/upstream-micro.ts [calls=4000] [rounds=3] [per-session|shared]
 */
import pino from 'pino';
import type { ToolContext, ToolDefinition } from '../gateway-image/src/core/contracts.js';
import type { UpstreamsDeps } from '../gateway-image/src/core/upstreams/index.js';
import { everythingUpstreamConfig } from './bridges.js';
import { summarize } from './stats.js';

async function main(): Promise<void> {
  const [callsArg = '4000', roundsArg = '3', lifecycle = 'per-session'] = process.argv.slice(2);
  // Another copy of core/upstreams (an A/B), else the sources in gateway-image/.
  const dir = process.env.BENCH_UPSTREAMS_DIR ?? '../gateway-image/src/core/upstreams';
  const { createUpstreams, parseUpstreamsConfig } = await import(`${dir}/index.js`) as typeof import('../gateway-image/src/core/upstreams/index.js');
  const calls = Number(callsArg);
  const servers = everythingUpstreamConfig() as Record<string, Record<string, unknown>>;
  const { config, problems } = parseUpstreamsConfig({ mcpServers: { everything: { ...servers.everything, lifecycle } }, upstreams: { maxInstancesPerServer: 64 } });
  if (!config) throw new Error(JSON.stringify(problems));
  const up = createUpstreams(config, { docker: {} as UpstreamsDeps['docker'], logger: pino({ level: 'warn' }), instanceId: 'micro', commandEnv: { PATH: process.env.PATH, HOME: process.env.HOME } });
  await up.start();
  const principal = { id: 'bench', authMethod: 'none' as const };
  // One signal per call, as the SDK Server gives each request its own.
  const ctxFor = (sessionId: string): ToolContext => ({ principal, sessionId, traceId: 't', signal: new AbortController().signal, dryRun: false });
  // What the gateway does per call: look the tool up for the session, then run it.
  const call = async (sessionId: string) => {
    const tool = (await up.tools(sessionId)).find((t) => t.name === 'everything__echo') as ToolDefinition;
    const r = await tool.run({ message: 'hi' }, ctxFor(sessionId));
    if (r.isError) throw new Error(JSON.stringify(r.content));
  };
  try {
    if (lifecycle === 'per-session') {
      // Session start: a new session's first call starts its instance (spawn, initialize, list_changed re-list).
      const cpu: number[] = [];
      const wall: number[] = [];
      for (let i = 0; i < 24; i++) {
        const sid = `start-${i}`;
        up.openSession(sid);
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        await call(sid);
        wall.push(performance.now() - t0);
        // The re-list after the fresh instance's list_changed runs right after its first call.
        await new Promise((r) => setTimeout(r, 100));
        const c = process.cpuUsage(c0);
        cpu.push((c.user + c.system) / 1000);
        await up.closeSession(sid);
      }
      const w = summarize(wall.slice(4));
      const cp = summarize(cpu.slice(4));
      console.log(`session start (first call, 20 after 4 warm-up): wall p50 ${w.p50.toFixed(1)} ms, this process's CPU p50 ${cp.p50.toFixed(2)} ms (mean ${cp.mean.toFixed(2)})`);
    }
    for (const clients of [1, 8, 32]) {
      const sids = Array.from({ length: clients }, (_, i) => `s${clients}-${i}`);
      sids.forEach((s) => up.openSession(s));
      for (let i = 0; i < 50; i++) await Promise.all(sids.map(call));
      const cpu: number[] = [];
      const lat: number[] = [];
      let t = 0;
      for (let round = 0; round < Number(roundsArg); round++) {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        let left = calls;
        await Promise.all(sids.map(async (sid) => {
          while (left-- > 0) {
            const s = performance.now();
            await call(sid);
            lat.push(performance.now() - s);
          }
        }));
        const c = process.cpuUsage(c0);
        t += performance.now() - t0;
        cpu.push((c.user + c.system) / 1000 / calls);
      }
      const l = summarize(lat);
      console.log(`x${String(clients).padEnd(3)} cpu ms/call ${cpu.map((x) => x.toFixed(3)).join(' / ')}  p50 ${l.p50.toFixed(3)} ms  calls/s ${(lat.length / (t / 1000)).toFixed(0)}`);
      await Promise.all(sids.map((s) => up.closeSession(s)));
    }
  } finally {
    await up.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`upstream-micro failed: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exitCode = 1;
});
