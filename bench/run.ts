/**
 * npm run bench [-- options]
 *
 *   --label NAME        name of this run (results saved to bench/results/NAME.json)     default: latest
 *   --baseline FILE     a saved run to show as "before" columns
 *   --image TAG         use this gateway image instead of building mcp-gateway:bench from gateway-image/
 *   --only issue5|issue4|issue12|issue14   issue12: the streaming latency run and the 100 MB streaming run alone
 *   --quick             small bounds (smoke run), RESULTS.md is not rewritten
 *   --keep-results-md   full bounds, but RESULTS.md is not rewritten (figures only in bench/results/NAME.json)
 *   --network host|published   how issue 5 reaches the gateway container: sharing the host network and listening on
 *                       127.0.0.1 (default: the gateway's own cost), or through the published port and docker-proxy
 *
 * Issue 5: starts a target container and the gateway image as a container (both labelled
 * mcp.gateway.bench=1 and removed at the end, also on failure or Ctrl-C), then compares raw Engine API calls with
 * the same work through the gateway. Issue 4: server-everything's echo through the gateway (built from
 * gateway-image/ and run as its own process), supergateway and mcp-proxy, measured interleaved. Issue 12: the latency
 * from a command printing a line to the SDK client receiving it as progress, for a line every 100 ms, against the
 * Engine API's own (bench/stream-latency.ts), on issue 5's target and gateway container. Every loop is bounded in count and time; everything listens on 127.0.0.1 or the unix socket.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { E2E_TOKEN } from '../gateway-image/test/e2e/helpers/gateway-container.js';
import { BASE_IMAGE } from '../gateway-image/test/e2e/helpers/images.js';
import { bareNodeRss, buildImage, docker, nodePidOf, removeRunContainers, startGatewayContainer, startTarget, BENCH_CONFIG, type GatewayNetwork } from './containers.js';
import { killGatewayProcessesSync } from './gateway-process.js';
import { createRawEngine } from './raw-engine.js';
import { openSdkSession } from './clients.js';
import { checkIssue12, checkIssue4, checkIssue5, runMarkdown, type RunRecord } from './report.js';
import { DEFAULT_BOUNDS, runIssue5, streamVolume, type Issue5Bounds } from './scenarios.js';
import { DEFAULT_STREAM_LATENCY, runStreamLatency, type StreamLatencyBounds } from './stream-latency.js';
import { DEFAULT_UPSTREAM_BOUNDS, runIssue4, type UpstreamBounds } from './upstream-scenarios.js';
import { DEFAULT_ERA_BOUNDS, QUICK_ERA_BOUNDS, runIssue14 } from './era-scenarios.js';

const here = __dirname;
const root = resolve(here, '..');
const MARK_START = '<!-- bench:generated:start -->';
const MARK_END = '<!-- bench:generated:end -->';

const QUICK: Issue5Bounds = { idleSettleMs: 0, latency: { warmup: 3, count: 20, maxMs: 10_000 }, throughput: { execCalls: 60, psCalls: 200, maxMs: 1000 }, concurrency: [1, 8, 32], streamBytes: 10_000_000 };
const QUICK_STREAM_LATENCY: StreamLatencyBounds = { calls: 1, linesPerCall: 30, intervalMs: 100 };
const QUICK_UPSTREAM: UpstreamBounds = { latency: { warmup: 5, count: 50, maxMs: 3000 }, concurrency: [1, 8, 32], maxCalls: 500, maxMs: 1000, slices: 2, sessionStarts: 3 };

function machine(): Record<string, string> {
  const sh = (cmd: string, args: string[]) => { try { return execFileSync(cmd, args, { encoding: 'utf8', timeout: 15_000 }).trim(); } catch { return 'unknown'; } };
  return {
    cpu: `${cpus().length} x ${cpus()[0]?.model ?? 'unknown'}`,
    memory: `${Math.round(totalmem() / 2 ** 30)} GiB`,
    kernel: release(),
    node: process.version,
    docker: sh('docker', ['version', '--format', 'engine {{.Server.Version}} (API {{.Server.APIVersion}})']),
    'load average at start': loadavg().map((x) => x.toFixed(2)).join(' '),
  };
}

function writeResults(md: string): void {
  const file = resolve(here, 'RESULTS.md');
  const generated = `${MARK_START}\n${md}\n${MARK_END}`;
  const current = existsSync(file) ? readFileSync(file, 'utf8') : `# Benchmark results\n\n${MARK_START}\n${MARK_END}\n`;
  const next = current.includes(MARK_START) && current.includes(MARK_END)
    ? current.slice(0, current.indexOf(MARK_START)) + generated + current.slice(current.indexOf(MARK_END) + MARK_END.length)
    : `${current}\n${generated}\n`;
  writeFileSync(file, next);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      label: { type: 'string', default: 'latest' }, baseline: { type: 'string' }, image: { type: 'string' },
      only: { type: 'string' }, quick: { type: 'boolean', default: false }, 'keep-results-md': { type: 'boolean', default: false },
      network: { type: 'string', default: 'host' },
    },
  });
  const log = (l: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${l}\n`);
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  const record: { -readonly [K in keyof RunRecord]: RunRecord[K] } = {
    label: values.label!, date: new Date().toISOString(), command, machine: machine(),
    gitCommit: (() => { try { return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim(); } catch { return 'unknown'; } })(),
  };

  let cleaning: Promise<void> | undefined;
  const cleanup = () => (cleaning ??= removeRunContainers());
  const onSignal = (sig: NodeJS.Signals) => {
    log(`${sig}: stopping the run's gateway processes, removing its containers`);
    killGatewayProcessesSync();
    void cleanup().finally(() => process.kill(process.pid, sig));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    const only = values.only;
    if (only !== undefined && !['issue5', 'issue4', 'issue12', 'issue14'].includes(only)) throw new Error(`--only ${only}: use issue5, issue4, issue12 or issue14`);
    if (only === undefined || only === 'issue5' || only === 'issue12') {
      let image = values.image;
      if (!image) {
        image = 'mcp-gateway:bench';
        log(`building ${image} from gateway-image/ (BASE_IMAGE=${BASE_IMAGE}) ...`);
        await buildImage(image, resolve(root, 'gateway-image'), BASE_IMAGE);
      }
      const network = values.network as GatewayNetwork;
      if (network !== 'host' && network !== 'published') throw new Error(`--network ${values.network}: use host or published`);
      record.machine['issue 5 gateway network'] = network === 'host'
        ? 'host: the container shares the host network namespace and listens on 127.0.0.1 (no proxy process; cloudflared reaches the deployed gateway over the stack network the same way)'
        : 'published: 127.0.0.1 port mapping through docker-proxy, as the stack publishes it for clients on the host';
      log(`starting the target container and the gateway container (network: ${network}) ...`);
      const bounds = values.quick ? QUICK : DEFAULT_BOUNDS;
      const bareNode = only === 'issue12' ? undefined : await bareNodeRss(image, bounds.idleSettleMs);
      const target = await startTarget(BASE_IMAGE);
      const gw = await startGatewayContainer(image, {}, network);
      const apiVersion = `v${await docker(['version', '--format', '{{.Server.APIVersion}}'])}`;
      const raw = createRawEngine({ apiVersion });
      try {
        const gatewayPid = await nodePidOf(gw.id);
        if (only !== 'issue12') {
          record.issue5 = await runIssue5({
            raw, target: target.name, url: gw.url, token: E2E_TOKEN, gatewayPid, execUser: BENCH_CONFIG.exec.defaultUser, bareNode, log,
          }, bounds);
        }
        if (only !== 'issue5') {
          log('issue 12: streamed line latency, gateway vs Engine API ...');
          const session = await openSdkSession(gw.url, { token: E2E_TOKEN });
          try {
            const latency = await runStreamLatency({ session, target: target.name, apiVersion, execUser: BENCH_CONFIG.exec.defaultUser, log }, values.quick ? QUICK_STREAM_LATENCY : DEFAULT_STREAM_LATENCY);
            // Run alone, issue 12 also streams the 100 MB (issue 5's run measures it otherwise).
            const volume = only === 'issue12' ? await streamVolume({ url: gw.url, token: E2E_TOKEN, target: target.name, gatewayPid, log }, bounds.streamBytes) : undefined;
            record.issue12 = { latency, ...(volume ? { volume } : {}) };
          } finally {
            await session.close();
          }
        }
      } catch (err) {
        const logFile = resolve(here, 'results', `${values.label}-gateway.log`);
        mkdirSync(dirname(logFile), { recursive: true });
        writeFileSync(logFile, await gw.logs());
        log(`gateway logs saved to ${logFile}`);
        throw err;
      } finally {
        raw.close();
        await gw.remove();
        await target.remove();
      }
    }
    if (only === undefined || only === 'issue4') {
      log('issue 4: upstream echo through the gateway, supergateway and mcp-proxy ...');
      record.machine['issue 4 contenders'] = `each its own process under ${process.execPath} (${process.version})`;
      record.issue4 = await runIssue4(log, values.quick ? QUICK_UPSTREAM : DEFAULT_UPSTREAM_BOUNDS);
    }
    if (only === undefined || only === 'issue14') {
      log('issue 14: MCP 2026-07-28 vs 2025 sessions, and vs mcp-proxy\'s 2026 leg ...');
      record.issue14 = await runIssue14(log, values.quick ? QUICK_ERA_BOUNDS : DEFAULT_ERA_BOUNDS);
    }
  } finally {
    await cleanup();
  }

  record.machine['load average at end'] = loadavg().map((x) => x.toFixed(2)).join(' ');
  const baseline = values.baseline ? JSON.parse(readFileSync(resolve(values.baseline), 'utf8')) as RunRecord : undefined;
  const md = runMarkdown(record, baseline);
  process.stdout.write(`${md}\n`);
  mkdirSync(resolve(here, 'results'), { recursive: true });
  writeFileSync(resolve(here, 'results', `${record.label}.json`), `${JSON.stringify(record, null, 2)}\n`);
  if (!values.quick && !values['keep-results-md']) writeResults(md);
  const checks = [...(record.issue5 ? checkIssue5(record.issue5) : []), ...(record.issue4 ? checkIssue4(record.issue4) : []), ...(record.issue12 ? checkIssue12(record.issue12, record.issue5) : [])];
  log(`targets: ${checks.filter((c) => c.met).length} met, ${checks.filter((c) => c.met === false).length} not met, ${checks.filter((c) => c.met === undefined).length} n/a`);
  return 0;
}

main().then((code) => { process.exitCode = code; }, (err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error)?.stack ?? String(err)}\n`);
  process.exitCode = 1;
});
