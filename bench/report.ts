/**
 * Turns a run's figures into the console table and bench/RESULTS.md: p50/p95, ratios to raw, the gateway's
 * own handler cost, throughput, RSS, each compared with issue 5's targets (and issue 4's), optionally next to
 * a baseline run (before/after an optimization).
 */
import type { Issue5Results, StreamVolume } from './scenarios.js';
import type { StreamLatencyResults } from './stream-latency.js';
import type { UpstreamResult } from './upstream-scenarios.js';
import { issue14Markdown, type EraResults } from './era-scenarios.js';

/** Everything one run produced, as saved to bench/results/<label>.json. */
export interface RunRecord {
  readonly label: string;
  readonly date: string;
  readonly command: string;
  readonly machine: Record<string, string>;
  readonly gitCommit: string;
  readonly issue5?: Issue5Results;
  readonly issue4?: UpstreamResult[];
  readonly issue14?: EraResults;
  readonly issue12?: Issue12Results;
}

/** Issue 12 (streaming streams): line latency, and the 100 MB run when it was measured on its own (`--only issue12`). */
export interface Issue12Results {
  readonly latency: StreamLatencyResults;
  readonly volume?: StreamVolume;
}

const f = (n: number | undefined, d = 2) => (n === undefined || Number.isNaN(n) ? 'n/a' : n.toFixed(d));
const ok = (met: boolean | undefined) => (met === undefined ? 'n/a' : met ? 'met' : 'NOT met');

/** One checked target. */
export interface TargetCheck {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean | undefined;
}

/** Issue 5's derived figures. */
export function derive(r: Issue5Results) {
  const L = r.latency;
  const tp = (op: 'exec' | 'ps', path: 'raw' | 'sdk' | 'rpc', c: number) => r.throughput.find((t) => t.op === op && t.path === path && t.result.concurrency === c)?.result;
  // Each call against the floor measured in its own interleaved group (runs before session 5: the quiet floor only).
  const handler = {
    sdkExec: L.sdkExec.p50 - L.rawExec.p50 - (L.sdkFloorExec ?? L.sdkFloor).p50,
    sdkPs: L.sdkPs.p50 - L.rawPs.p50 - L.sdkFloor.p50,
    rpcExec: L.rpcExec.p50 - L.rawExec.p50 - (L.rpcFloorExec ?? L.rpcFloor).p50,
    rpcPs: L.rpcPs.p50 - L.rawPs.p50 - L.rpcFloor.p50,
  };
  // What the protocol alone costs around an exec: raw + the no-op round trip between execs, over raw. No gateway on
  // this client does better than this ratio (undefined for runs without the exec-group floor).
  const sdkExecBound = L.sdkFloorExec ? (L.rawExec.p50 + L.sdkFloorExec.p50) / L.rawExec.p50 : undefined;
  const tpRatio = (op: 'exec' | 'ps', path: 'sdk' | 'rpc', c: number) => {
    const g = tp(op, path, c);
    const raw = tp(op, 'raw', c);
    return g && raw ? g.perSecond / raw.perSecond : Number.NaN;
  };
  return { handler, tp, tpRatio, sdkExecBound };
}

/** Issue 5's targets, checked. */
export function checkIssue5(r: Issue5Results): TargetCheck[] {
  const L = r.latency;
  const { handler, tpRatio, sdkExecBound } = derive(r);
  const maxHandler = Math.max(...Object.values(handler));
  const minTp32 = Math.min(tpRatio('exec', 'sdk', 32), tpRatio('exec', 'rpc', 32), tpRatio('ps', 'sdk', 32), tpRatio('ps', 'rpc', 32));
  return [
    {
      target: 'SDK exec p50 <= 1.05x raw',
      measured: `${f(L.sdkExec.p50 / L.rawExec.p50, 3)}x${sdkExecBound ? ` (raw + the SDK's no-op round trip between execs: ${f(sdkExecBound, 3)}x)` : ''}`,
      met: L.sdkExec.p50 / L.rawExec.p50 <= 1.05,
    },
    { target: '/rpc docker_ps p50 <= raw + 1 ms', measured: `+${f(L.rpcPs.p50 - L.rawPs.p50)} ms`, met: L.rpcPs.p50 - L.rawPs.p50 <= 1 },
    { target: 'gateway handler cost (tool - raw - floor, p50) <= 0.5 ms', measured: `max ${f(maxHandler)} ms (sdk exec ${f(handler.sdkExec)}, sdk ps ${f(handler.sdkPs)}, rpc exec ${f(handler.rpcExec)}, rpc ps ${f(handler.rpcPs)})`, met: maxHandler <= 0.5 },
    { target: 'throughput at 32 clients >= 0.8x raw', measured: `min ${f(minTp32)}x (exec sdk ${f(tpRatio('exec', 'sdk', 32))}, rpc ${f(tpRatio('exec', 'rpc', 32))}; ps sdk ${f(tpRatio('ps', 'sdk', 32))}, rpc ${f(tpRatio('ps', 'rpc', 32))})`, met: minTp32 >= 0.8 },
    {
      target: 'RSS idle <= 60 MB',
      // MiB, the bench's unit since session 1; the decimal MB beside it, as the target may be read either way.
      measured: `${f(r.rss.idleSettledMiB ?? r.rss.idleMiB, 1)} MiB settled (${f((r.rss.idleSettledMiB ?? r.rss.idleMiB) * 1.048576, 1)} MB), ` +
        `${f(r.rss.idleMiB, 1)} MiB fresh (${f(r.rss.idleMiB * 1.048576, 1)} MB)` +
        `${r.rss.bareNodeMiB ? ` (bare node HTTP server ${f(r.rss.bareNodeSettledMiB ?? r.rss.bareNodeMiB, 1)} MiB)` : ''}`,
      // Held to the stricter reading: 60 decimal MB (57.2 MiB).
      met: (r.rss.idleSettledMiB ?? r.rss.idleMiB) * 1.048576 <= 60,
    },
    { target: 'RSS while streaming 100 MB <= 150 MB', measured: `${f(r.rss.streamPeakMiB, 1)} MiB peak`, met: r.rss.streamPeakMiB <= 150 },
  ];
}

/**
 * Issue 4's targets, checked for each gateway lifecycle measured (n/a while the gateway side is not available).
 * The default lifecycle (per-session) comes first. Like for like: supergateway --stateful runs one child per
 * session as per-session does; mcp-proxy runs one child for all sessions as `shared` does.
 */
export function checkIssue4(results: UpstreamResult[]): TargetCheck[] {
  const gws = results.filter((r) => r.name.startsWith('mcp-gateway'));
  const others = results.filter((r) => !r.name.startsWith('mcp-gateway') && r.available);
  if (!gws.some((g) => g.available) || others.length === 0) {
    return [{ target: 'issue 4: gateway >= 1.3x throughput of supergateway and mcp-proxy, p50 no higher', measured: `not available: ${gws[0]?.reason ?? 'no contenders'}`, met: undefined }];
  }
  const checks: TargetCheck[] = [];
  for (const gw of gws.filter((g) => g.available)) {
    for (const t of gw.throughput ?? []) {
      const ratios = others.map((o) => t.perSecond / (o.throughput?.find((x) => x.concurrency === t.concurrency)?.perSecond ?? Number.NaN));
      checks.push({ target: `issue 4: ${gw.name} throughput x${t.concurrency} >= 1.3x both`, measured: others.map((o, k) => `${f(ratios[k])}x ${o.name}`).join(', '), met: ratios.every((x) => x >= 1.3) });
    }
    const p50s = others.map((o) => o.latency!.p50);
    checks.push({ target: `issue 4: ${gw.name} p50 no higher than either`, measured: `${f(gw.latency!.p50)} ms vs ${others.map((o) => `${o.name} ${f(o.latency!.p50)}`).join(', ')}`, met: p50s.every((p) => gw.latency!.p50 <= p) });
  }
  return checks;
}

function table(headers: string[], rows: string[][]): string {
  return [`| ${headers.join(' | ')} |`, `|${headers.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** Markdown for issue 5 (with baseline columns when given). */
export function issue5Markdown(r: Issue5Results, base?: Issue5Results): string {
  const L = r.latency;
  const B = base?.latency;
  type Series = keyof Issue5Results['latency'];
  const lat = (k: Series, rawKey?: Series) => {
    const x = L[k]!;
    const b = B?.[k];
    return [
      k, f(x.p50), f(x.p95), rawKey ? `${f(x.p50 / L[rawKey]!.p50, 3)}x` : '', `${x.n}${x.errors ? ` (${x.errors} failed: ${x.firstError})` : ''}`,
      ...(B ? (b ? [f(b.p50), f(b.p95), rawKey ? `${f(b.p50 / B[rawKey]!.p50, 3)}x` : ''] : ['n/a', 'n/a', '']) : []),
    ];
  };
  const latHead = ['series', 'p50 ms', 'p95 ms', 'p50 / raw', 'n', ...(B ? ['before p50', 'before p95', 'before /raw'] : [])];
  const d = derive(r);
  const db = base ? derive(base) : undefined;
  const handlerRows = (Object.keys(d.handler) as Array<keyof typeof d.handler>).map((k) => [k, f(d.handler[k]), ...(db ? [f(db.handler[k])] : [])]);
  const tpRows: string[][] = [];
  for (const t of r.throughput) {
    const raw = d.tp(t.op, 'raw', t.result.concurrency)!;
    const b = db?.tp(t.op, t.path, t.result.concurrency);
    const braw = db?.tp(t.op, 'raw', t.result.concurrency);
    tpRows.push([t.op, t.path, String(t.result.concurrency), f(t.result.perSecond, 0), t.path === 'raw' ? '' : `${f(t.result.perSecond / raw.perSecond)}x`,
      f(t.result.latency.p50), f(t.result.latency.p95), `${t.result.calls}${t.result.errors ? ` (${t.result.errors} err)` : ''}`,
      t.path === 'raw' ? '' : f(t.gatewayCpuMsPerCall, 3), f(t.clientCpuMsPerCall, 3),
      ...(db ? [b ? f(b.perSecond, 0) : 'n/a', b && braw && t.path !== 'raw' ? `${f(b.perSecond / braw.perSecond)}x` : ''] : [])]);
  }
  const rss = r.rss;
  const checks = checkIssue5(r);
  const bchecks = base ? checkIssue5(base) : undefined;
  return [
    '### Latency (sequential, one client, series interleaved)',
    table(latHead, [lat('rawExec'), lat('sdkExec', 'rawExec'), lat('rpcExec', 'rawExec'), ...(L.sdkFloorExec ? [lat('sdkFloorExec'), lat('rpcFloorExec')] : []),
      lat('rawPs'), lat('sdkPs', 'rawPs'), lat('rpcPs', 'rawPs'), lat('sdkFloor'), lat('rpcFloor')]),
    '',
    'The exec group (raw, SDK and /rpc exec, and the floors `*FloorExec`) and the ps group (ps and the floors) are two',
    'interleaved loops; each handler cost below subtracts the floor measured in its own group.',
    '',
    '### Gateway handler cost = tool p50 - raw p50 - floor p50, floor from the same group (ms)',
    table(['call', 'ms', ...(db ? ['before'] : [])], handlerRows),
    '',
    ...(r.gatewayDurations ? [
      '### Inside the gateway during the latency loops (its /metrics: mean ms per Engine API operation and per tool)',
      table(['operation', 'mean ms', 'count', ...(base?.gatewayDurations ? ['before mean ms', 'before count'] : [])],
        Object.entries(r.gatewayDurations).map(([k, v]) => [k, f(v.meanMs, 3), String(v.count),
          ...(base?.gatewayDurations ? [f(base.gatewayDurations[k]?.meanMs, 3), String(base.gatewayDurations[k]?.count ?? 'n/a')] : [])])),
      '',
    ] : []),
    '### Throughput (closed loop; SDK: one session per client; /rpc: one keep-alive socket per client)',
    'CPU ms per call from /proc (gateway node process, 10 ms ticks) and process.cpuUsage (the bench process: its clients).',
    table(['op', 'path', 'clients', 'calls/s', 'vs raw', 'p50 ms', 'p95 ms', 'calls', 'gateway CPU ms/call', 'client CPU ms/call', ...(db ? ['before calls/s', 'before vs raw'] : [])], tpRows),
    '',
    '### Gateway RSS (node process in the container, /proc VmRSS)',
    table(['state', 'MiB', ...(base ? ['before'] : [])], [
      ['idle (fresh)', f(rss.idleMiB, 1), ...(base ? [f(base.rss.idleMiB, 1)] : [])],
      ['idle, settled (after the idle wait: V8 has freed start-up garbage)', rss.idleSettledMiB ? f(rss.idleSettledMiB, 1) : 'n/a', ...(base ? [base.rss.idleSettledMiB ? f(base.rss.idleSettledMiB, 1) : 'n/a'] : [])],
      ['reference: bare Node HTTP server (CommonJS), same image and limit, fresh / settled', rss.bareNodeMiB ? `${f(rss.bareNodeMiB, 1)} / ${f(rss.bareNodeSettledMiB, 1)}` : 'n/a', ...(base ? [base.rss.bareNodeMiB ? f(base.rss.bareNodeMiB, 1) : 'n/a'] : [])],
      ['peak under 32 SDK sessions (load)', f(rss.sessions32PeakMiB, 1), ...(base ? [f(base.rss.sessions32PeakMiB, 1)] : [])],
      ['32 sessions open, idle', f(rss.sessions32AfterMiB, 1), ...(base ? [f(base.rss.sessions32AfterMiB, 1)] : [])],
      [`peak while streaming ${rss.streamBytes} B (${f(rss.streamSeconds, 1)} s, ${rss.streamProgressEvents} progress events)`, f(rss.streamPeakMiB, 1), ...(base ? [f(base.rss.streamPeakMiB, 1)] : [])],
      ['after streaming', f(rss.afterMiB, 1), ...(base ? [f(base.rss.afterMiB, 1)] : [])],
    ]),
    '',
    '### Targets (issue 5)',
    table(['target', 'measured', 'status', ...(bchecks ? ['before'] : [])], checks.map((c, i) => [c.target, c.measured, ok(c.met), ...(bchecks ? [`${bchecks[i].measured} (${ok(bchecks[i].met)})`] : [])])),
  ].join('\n');
}

/** Markdown for issue 4. */
export function issue4Markdown(results: UpstreamResult[]): string {
  const rows: string[][] = [];
  for (const r of results) {
    if (!r.available) {
      rows.push([r.name, 'not available', '', '', '', '', '', '', r.reason ?? '']);
      continue;
    }
    const tps = r.throughput ?? [];
    rows.push([r.name, f(r.latency!.p50), f(r.latency!.p95), f(r.coldLatency?.p50), f(r.sessionStart?.p50, 1), ...[1, 8, 32].map((c) => f(tps.find((t) => t.concurrency === c)?.perSecond, 0)), tps.some((t) => t.errors) ? `errors: ${tps.map((t) => t.errors).join('/')}` : '']);
  }
  const cpuRows = results.filter((r) => r.available).map((r) => [r.name,
    ...[r.latency, ...[1, 8, 32].map((c) => r.throughput?.find((t) => t.concurrency === c))].map((x) => `${f(x?.cpuMsPerCall, 3)} (${f(x?.treeCpuMsPerCall, 3)})`)]);
  const sliceRows = results.filter((r) => r.available && r.throughput?.some((t) => t.slices)).map((r) => [r.name, ...[1, 8, 32].map((c) => r.throughput!.find((t) => t.concurrency === c)?.slices?.join(' / ') ?? 'n/a')]);
  const runtimes = [...new Set(results.flatMap((r) => (r.runtime ? [r.runtime] : [])))];
  const checks = checkIssue4(results);
  return [
    '### Upstream echo (server-everything over stdio) through each bridge, SDK client over Streamable HTTP',
    ...(runtimes.length ? [`Every contender: ${runtimes.join('; ')}. Latency (p50, p95): sequential calls in blocks of 100 per contender, order rotating; cold p50: calls alternating between contenders one by one; session start: initialize + first echo of a new session; throughput: slices interleaved, order rotating.`, ''] : []),
    table(['bridge', 'p50 ms', 'p95 ms', 'cold p50 ms', 'session start p50 ms', 'calls/s x1', 'calls/s x8', 'calls/s x32', 'note'], rows),
    '',
    ...(sliceRows.length ? ['calls/s of each slice, in the order they ran:', '', table(['bridge', 'x1', 'x8', 'x32'], sliceRows), ''] : []),
    ...(cpuRows.some((r) => r.slice(1).some((c) => !c.startsWith('n/a'))) ? [
      'CPU time per call of each bridge\'s own process, ms (in parentheses: with the stdio servers it runs), from /proc:', '',
      table(['bridge', 'sequential', 'x1', 'x8', 'x32'], cpuRows), '',
    ] : []),
    'Like for like: supergateway (--stateful) runs one stdio child per session, as the per-session lifecycle does; mcp-proxy runs one child for all sessions, as `shared` does.',
    '',
    table(['target', 'measured', 'status'], checks.map((c) => [c.target, c.measured, ok(c.met)])),
  ].join('\n');
}

/** Issue 12's targets; the 100 MB figures come from its own run or from issue 5's. */
export function checkIssue12(r: Issue12Results, issue5?: Issue5Results): TargetCheck[] {
  const g = r.latency.gateway;
  const volume = r.volume ?? issue5?.rss;
  return [
    { target: `streamed line latency p50 <= 10 ms (a line every ${r.latency.intervalMs} ms, /mcp)`, measured: `${f(g.p50)} ms (Engine API floor ${f(r.latency.raw.p50)} ms)`, met: g.p50 <= 10 },
    { target: 'streamed line latency p99 <= 100 ms', measured: `${f(g.p99)} ms (floor ${f(r.latency.raw.p99)} ms)`, met: g.p99 <= 100 },
    ...(r.volume ? [{ target: 'RSS while streaming 100 MB <= 150 MB', measured: `${f(r.volume.streamPeakMiB, 1)} MiB peak (${r.volume.streamBytes} B)`, met: r.volume.streamBytes >= 100_000_000 ? r.volume.streamPeakMiB <= 150 : undefined }] : []),
    ...(volume ? [] : [{ target: 'RSS while streaming 100 MB <= 150 MB', measured: 'not measured in this run', met: undefined }]),
  ];
}

/** Markdown for issue 12. */
export function issue12Markdown(r: Issue12Results, issue5?: Issue5Results): string {
  const row = (name: string, s: Issue12Results['latency']['gateway']) => [name, f(s.p50), f(s.p99), f(s.max), f(s.mean), String(s.n)];
  const v = r.volume;
  return [
    `### Streamed line latency: Docker emitting a line -> the client receiving it (a line every ${r.latency.intervalMs} ms)`,
    'Producer: `node -e` in the target printing its wall-clock time per line; the receiver subtracts it from its own (same kernel clock).',
    'Gateway: `docker_exec` `stream: true`, official SDK client over /mcp, lines from progress notifications. Engine API: exec start',
    'attached, frames demultiplexed as they arrive (the floor Docker\'s relay sets). Calls alternate between the two.',
    '',
    table(['path', 'p50 ms', 'p99 ms', 'max ms', 'mean ms', 'lines'], [row('gateway (/mcp)', r.latency.gateway), row('Engine API (floor)', r.latency.raw)]),
    '',
    ...(v ? [`Streaming run alone: ${v.streamBytes} B in ${f(v.streamSeconds, 1)} s (${f(v.streamBytes / 1e6 / v.streamSeconds, 1)} MB/s), ${v.streamProgressEvents} progress events, gateway RSS peak ${f(v.streamPeakMiB, 1)} MiB.`, ''] : []),
    table(['target', 'measured', 'status'], checkIssue12(r, issue5).map((c) => [c.target, c.measured, ok(c.met)])),
  ].join('\n');
}

/** The whole report for one run. */
export function runMarkdown(run: RunRecord, baseline?: RunRecord): string {
  return [
    `## Run "${run.label}" (${run.date})`,
    '',
    `Command: \`${run.command}\`  `,
    `Commit: ${run.gitCommit}  `,
    `Machine: ${Object.entries(run.machine).map(([k, v]) => `${k} ${v}`).join('; ')}`,
    ...(baseline ? ['', `"before" columns: run "${baseline.label}" (${baseline.date}, commit ${baseline.gitCommit}).`] : []),
    '',
    ...(run.issue5 ? ['## Issue 5: Docker tools vs raw Engine API', '', issue5Markdown(run.issue5, baseline?.issue5), ''] : []),
    ...(run.issue4 ? ['## Issue 4: upstream bridging vs supergateway and mcp-proxy', '', issue4Markdown(run.issue4), ''] : []),
    ...(run.issue12 ? ['## Issue 12: streaming latency', '', issue12Markdown(run.issue12, run.issue5), ''] : []),
    ...(run.issue14 ? ['## Issue 14: MCP 2026-07-28 (stateless) vs 2025 sessions, and vs mcp-proxy', '', issue14Markdown(run.issue14), ''] : []),
  ].join('\n');
}
