/**
 * A/B of gateway settings on the hot path: two in-process gateways (sources through tsx) that differ only by
 * environment, measured interleaved against one target container so drift on a shared machine hits both.
 *
 *   node --import tsx bench/ab.ts '{"env":{"MCP_DOCKER_AUDIT":"true"}}' '{"config":{"audit":{"fsync":false}}}' [rounds]
 *
 * A variant is `{ image?, network?, env?, config? }`: a gateway image run as a container (else the sources in-process),
 * environment, and config-file keys merged over the bench policy. The series' order rotates every round.
 */
import { E2E_TOKEN } from '../gateway-image/test/e2e/helpers/gateway-container.js';
import { BASE_IMAGE } from '../gateway-image/test/e2e/helpers/images.js';
import { createRpcClient, openSdkSession } from './clients.js';
import { BENCH_CONFIG, removeRunContainers, startGatewayContainer, startTarget, type GatewayNetwork } from './containers.js';
import { startInProcessGateway } from './in-process-gateway.js';
import { createRawEngine } from './raw-engine.js';
import { closedLoop, sampleInterleaved } from './stats.js';

interface Variant {
  /** Run this gateway image as a container (as `npm run bench` does) instead of the sources in-process. */
  readonly image?: string;
  /** With `image`: reach it through its published port (default) or share the host's network. */
  readonly network?: GatewayNetwork;
  readonly env?: Record<string, string>;
  readonly config?: Record<string, unknown>;
}

async function main(): Promise<void> {
  const [a = '{}', b = '{}', rounds = '150'] = process.argv.slice(2);
  const target = await startTarget(BASE_IMAGE);
  const variants = [a, b].map((v) => JSON.parse(v) as Variant);
  const gws = await Promise.all(variants.map(async (v) => {
    if (!v.image) return startInProcessGateway({ ...BENCH_CONFIG, ...v.config }, { MCP_GATEWAY_AUTH_TOKENS: `e2e=${E2E_TOKEN}`, ...v.env });
    const c = await startGatewayContainer(v.image, { ...v.env, ...(v.config ? { MCP_GATEWAY_CONFIG_JSON: JSON.stringify({ ...BENCH_CONFIG, ...v.config }) } : {}) }, v.network);
    return { url: c.url, close: () => c.remove() };
  }));
  const raw = createRawEngine();
  try {
    const rpcs = gws.map((g) => createRpcClient(g.url, E2E_TOKEN));
    const sdks = await Promise.all(gws.map((g) => openSdkSession(g.url, { token: E2E_TOKEN })));
    const echo = { id: target.name, cmd: ['echo', 'hi'] };
    const names = ['raw exec', 'A sdk exec', 'B sdk exec', 'A rpc exec', 'B rpc exec', 'raw ps', 'A rpc ps', 'B rpc ps', 'A sdk ps', 'B sdk ps', 'A rpc ping', 'B rpc ping', 'A sdk ping', 'B sdk ping'];
    const fns = [
      () => raw.exec(target.name, ['echo', 'hi'], '1000:1000'),
      () => sdks[0].call('docker_exec', echo), () => sdks[1].call('docker_exec', echo),
      () => rpcs[0].call('docker_exec', echo), () => rpcs[1].call('docker_exec', echo),
      () => raw.listContainers(), () => rpcs[0].call('docker_ps'), () => rpcs[1].call('docker_ps'),
      () => sdks[0].call('docker_ps'), () => sdks[1].call('docker_ps'),
      () => rpcs[0].request('ping'), () => rpcs[1].request('ping'), () => sdks[0].client.ping(), () => sdks[1].client.ping(),
    ];
    const res = await sampleInterleaved(fns, { warmup: 10, count: Number(rounds), maxMs: 180_000 });
    res.forEach((r, i) => console.log(`${names[i].padEnd(12)} p50 ${r.p50.toFixed(3).padStart(8)}  p95 ${r.p95.toFixed(3).padStart(8)}  n ${r.n}`));
    // docker_ps at 32 clients over /rpc, A and B alternating in short slices (3 each), plus raw.
    const pools = gws.map((g) => createRpcClient(g.url, E2E_TOKEN, 32));
    const perSecond: Record<string, number[]> = { raw: [], A: [], B: [] };
    for (let round = 0; round < 3; round += 1) {
      perSecond.raw.push((await closedLoop(Array.from({ length: 32 }, () => () => raw.listContainers()), { maxCalls: 3000, maxMs: 1500 })).perSecond);
      for (const [k, pool] of [['A', pools[0]], ['B', pools[1]]] as const) {
        perSecond[k].push((await closedLoop(Array.from({ length: 32 }, () => () => pool.call('docker_ps')), { maxCalls: 3000, maxMs: 1500 })).perSecond);
      }
    }
    for (const [k, v] of Object.entries(perSecond)) console.log(`ps x32 ${k.padEnd(4)} ${v.map((x) => x.toFixed(0)).join(' / ')} calls/s`);
    pools.forEach((p) => p.close());
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
