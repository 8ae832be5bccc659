/**
 * The Docker half of docker_exec alone, in this process: the gateway's engine client (create + start + exit code
 * from the events stream) vs the raw client (create + start + inspect), interleaved, no HTTP and no pipeline.
 *
 *   node --import tsx bench/exec-micro.ts [rounds]
 */
import { createEngineClient } from '../gateway-image/src/core/docker/engine-client.js';
import { BASE_IMAGE } from '../gateway-image/test/e2e/helpers/images.js';
import { removeRunContainers, startTarget } from './containers.js';
import { createRawEngine } from './raw-engine.js';
import { sampleInterleaved } from './stats.js';

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 200);
  const target = await startTarget(BASE_IMAGE);
  const raw = createRawEngine();
  const engine = createEngineClient({ host: 'unix:///var/run/docker.sock' });
  try {
    await engine.negotiate();
    const gw = async () => {
      const h = await engine.execInContainer(target.name, { cmd: ['echo', 'hi'], user: '1000:1000' });
      if (!h) throw new Error('no container');
      h.stdout.resume();
      h.stderr.resume();
      await h.done;
      return h.exitCode();
    };
    const res = await sampleInterleaved([() => raw.exec(target.name, ['echo', 'hi'], '1000:1000'), gw], { warmup: 10, count: rounds, maxMs: 120_000 });
    for (const [i, r] of res.entries()) console.log(`${['raw', 'engine client'][i].padEnd(14)} p50 ${r.p50.toFixed(3)}  p95 ${r.p95.toFixed(3)}  n ${r.n}`);
  } finally {
    engine.close();
    raw.close();
    await removeRunContainers();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`exec-micro failed: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exitCode = 1;
});
