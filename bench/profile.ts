/**
 * Where the time goes on the hot path: an in-process gateway (sources through tsx) driven by /rpc docker_ps
 * and SDK docker_exec calls against a target container, under `node --cpu-prof`; prints the gateway's own
 * per-operation Engine API latency (from /metrics) and the tool durations next to the client-side p50.
 *
 *   node --cpu-prof --cpu-prof-dir=bench/profiles --import tsx bench/profile.ts [calls]
 *   node --import tsx bench/profile-summary.ts bench/profiles/<file>.cpuprofile
 */
import { E2E_TOKEN } from '../gateway-image/test/e2e/helpers/gateway-container.js';
import { BASE_IMAGE } from '../gateway-image/test/e2e/helpers/images.js';
import { createRpcClient, openSdkSession } from './clients.js';
import { BENCH_CONFIG, removeRunContainers, startTarget } from './containers.js';
import { startInProcessGateway } from './in-process-gateway.js';
import { createRawEngine } from './raw-engine.js';
import { sampleLatency } from './stats.js';

async function main(): Promise<void> {
  const calls = Number(process.argv[2] ?? 300);
  const target = await startTarget(BASE_IMAGE);
  const gw = await startInProcessGateway(BENCH_CONFIG, { MCP_GATEWAY_AUTH_TOKENS: `e2e=${E2E_TOKEN}`, ...(process.env.BENCH_GATEWAY_ENV ? JSON.parse(process.env.BENCH_GATEWAY_ENV) as Record<string, string> : {}) });
  const raw = createRawEngine();
  try {
    const rpc = createRpcClient(gw.url, E2E_TOKEN);
    const sdk = await openSdkSession(gw.url, { token: E2E_TOKEN });
    const bounds = { warmup: 20, count: calls, maxMs: 120_000 };
    const out: Record<string, unknown> = {};
    out.rawPs = await sampleLatency(() => raw.listContainers(), bounds);
    out.rpcPs = await sampleLatency(() => rpc.call('docker_ps'), bounds);
    out.rpcPing = await sampleLatency(() => rpc.request('ping'), bounds);
    out.rawExec = await sampleLatency(() => raw.exec(target.name, ['echo', 'hi'], '1000:1000'), { ...bounds, count: Math.ceil(calls / 3) });
    out.sdkExec = await sampleLatency(() => sdk.call('docker_exec', { id: target.name, cmd: ['echo', 'hi'] }), { ...bounds, count: Math.ceil(calls / 3) });
    out.sdkPing = await sampleLatency(() => sdk.client.ping(), bounds);
    for (const [k, v] of Object.entries(out)) console.log(k.padEnd(8), JSON.stringify(v, (_k, x: unknown) => (typeof x === 'number' ? Math.round(x * 1000) / 1000 : x)));
    const metrics = await (await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${E2E_TOKEN}` } })).text();
    const sums = new Map<string, { sum: number; count: number }>();
    for (const line of metrics.split('\n')) {
      const m = /^(docker_api_duration_seconds|mcp_tool_duration_seconds)_(sum|count)\{(?:operation|tool)="([^"]+)"\} (\S+)/.exec(line);
      if (!m) continue;
      const key = `${m[1] === 'docker_api_duration_seconds' ? 'engine' : 'tool'} ${m[3]}`;
      const e = sums.get(key) ?? { sum: 0, count: 0 };
      if (m[2] === 'sum') e.sum = Number(m[4]); else e.count = Number(m[4]);
      sums.set(key, e);
    }
    for (const [k, v] of sums) console.log(`${k.padEnd(28)} mean ${(1000 * v.sum / v.count).toFixed(3)} ms over ${v.count}`);
    rpc.close();
    await sdk.close();
  } finally {
    raw.close();
    await gw.close();
    await target.remove();
    await removeRunContainers();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`profile failed: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exitCode = 1;
});
