/**
 * A/B of gateway settings on the hot path: two in-process gateways (sources through tsx) that differ only by
 * environment, measured interleaved against one target container so drift on a shared machine hits both.
 *
 *   node --import tsx bench/ab.ts '{"MCP_DOCKER_AUDIT":"true"}' '{"MCP_DOCKER_AUDIT":"false"}' [rounds]
 */
import { E2E_TOKEN } from '../gateway-image/test/e2e/helpers/gateway-container.js';
import { BASE_IMAGE } from '../gateway-image/test/e2e/helpers/images.js';
import { createRpcClient, openSdkSession } from './clients.js';
import { BENCH_CONFIG, removeRunContainers, startTarget } from './containers.js';
import { startInProcessGateway } from './in-process-gateway.js';
import { createRawEngine } from './raw-engine.js';
import { sampleInterleaved } from './stats.js';

async function main(): Promise<void> {
  const [a = '{}', b = '{}', rounds = '150'] = process.argv.slice(2);
  const target = await startTarget(BASE_IMAGE);
  const gws = await Promise.all([a, b].map((env) => startInProcessGateway(BENCH_CONFIG, { MCP_GATEWAY_AUTH_TOKENS: `e2e=${E2E_TOKEN}`, ...(JSON.parse(env) as Record<string, string>) })));
  const raw = createRawEngine();
  try {
    const rpcs = gws.map((g) => createRpcClient(g.url, E2E_TOKEN));
    const sdks = await Promise.all(gws.map((g) => openSdkSession(g.url, { token: E2E_TOKEN })));
    const echo = { id: target.name, cmd: ['echo', 'hi'] };
    const names = ['raw exec', 'A sdk exec', 'B sdk exec', 'A rpc exec', 'B rpc exec', 'raw ps', 'A rpc ps', 'B rpc ps', 'A rpc ping', 'B rpc ping', 'A sdk ping', 'B sdk ping'];
    const fns = [
      () => raw.exec(target.name, ['echo', 'hi'], '1000:1000'),
      () => sdks[0].call('docker_exec', echo), () => sdks[1].call('docker_exec', echo),
      () => rpcs[0].call('docker_exec', echo), () => rpcs[1].call('docker_exec', echo),
      () => raw.listContainers(), () => rpcs[0].call('docker_ps'), () => rpcs[1].call('docker_ps'),
      () => rpcs[0].request('ping'), () => rpcs[1].request('ping'), () => sdks[0].client.ping(), () => sdks[1].client.ping(),
    ];
    const res = await sampleInterleaved(fns, { warmup: 10, count: Number(rounds), maxMs: 180_000 });
    res.forEach((r, i) => console.log(`${names[i].padEnd(12)} p50 ${r.p50.toFixed(3).padStart(8)}  p95 ${r.p95.toFixed(3).padStart(8)}  n ${r.n}`));
    rpcs.forEach((r) => r.close());
    await Promise.all(sdks.map((s) => s.close()));
  } finally {
    raw.close();
    await Promise.all(gws.map((g) => g.close()));
    await target.remove();
    await removeRunContainers();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`ab failed: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exitCode = 1;
});
