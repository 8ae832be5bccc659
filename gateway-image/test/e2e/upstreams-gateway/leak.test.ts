/**
 * Leak test through the gateway container (issue 4): 1,000 tool calls across 50 SDK sessions with mixed
 * upstream lifecycles (image servers per-session, shared and per-call; command servers shared and per-session),
 * then every session ends; then new sessions leave containers and processes running, the gateway is killed with
 * SIGKILL and started again with the same upstreams.ownerId; at the end zero containers or processes of ours remain.
 *
 * Call weighting: an image server start costs 1-4 s of this shared 2-core machine, so the 1,000 calls lean on the
 * shared image server and the command servers: every other session starts its own per-session container (25),
 * every fifth makes one per-call call (10 containers) and every fifth starts a per-session command server (10).
 * With a per-session container in every session and a per-call one in every other (75 starts) the test took
 * 70-180 s depending on the machine's load. The numbers are printed as [leak] lines.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker } from '../helpers/docker-cli.js';
import { startGateway, type GatewayUnderTest } from '../helpers/gateway-container.js';
import { TEST_LABEL } from '../helpers/images.js';
import { connectClient } from '../helpers/mcp-client.js';
import { buildEverythingImage } from '../upstreams/harness.js';
import { EVERYTHING_IN_GATEWAY, REPO_ROOT, firstText, gatewayConfig, ownedContainers, ownerIdFor, removeOwned, topArgs, upstreamMounts, waitFor } from './harness.js';

const OWNER = ownerIdFor('leak');
const IMAGE = `mcp-upstream-everything:leak-${process.pid}`;
const STUBBORN_IMAGE = `mcp-upstream-everything-ignores-eof:leak-${process.pid}`;
const SESSIONS = 50;
const CALLS_PER_SESSION = 20;
const CONCURRENCY = 6;
const EVERYTHING_PROCESS = 'server-everything/dist/index.js';

function config(): unknown {
  return gatewayConfig(OWNER, {
    sess: { image: IMAGE, lifecycle: 'per-session', enabled_tools: ['echo'], memory: '128m', cpus: 0.5 },
    shared: { image: IMAGE, lifecycle: 'shared', enabled_tools: ['echo', 'get-sum'] },
    percall: { image: IMAGE, lifecycle: 'per-call', enabled_tools: ['echo', 'trigger-long-running-operation'], memory: '128m', cpus: 0.5 },
    // Ignores stdin EOF: survives the gateway's SIGKILL, so only the next start's reaping can remove it.
    stubborn: { image: STUBBORN_IMAGE, lifecycle: 'shared', enabled_tools: ['echo'], memory: '128m' },
    cmd: { command: 'node', args: [EVERYTHING_IN_GATEWAY], lifecycle: 'shared', enabled_tools: ['echo', 'get-sum'] },
    cmdsess: { command: 'node', args: [EVERYTHING_IN_GATEWAY], lifecycle: 'per-session', enabled_tools: ['echo'] },
  }, { callTimeoutMs: 60_000, initTimeoutMs: 30_000, maxInstancesPerServer: 32 }, { maxConcurrent: 32 });
}

/** Per-session command servers are children of the gateway's node; a session's process is gone when it ends. */
async function everythingProcesses(container: string): Promise<Array<{ pid: number; args: string }>> {
  return (await topArgs(container)).filter((l) => l.includes(EVERYTHING_PROCESS)).map((l) => ({ pid: Number(l.split(/\s+/)[0]), args: l }));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** One session's calls: which exposed tool and arguments, with the text the result must have. */
function plan(session: number): Array<{ name: string; args: Record<string, unknown>; expect: string }> {
  const calls: Array<{ name: string; args: Record<string, unknown>; expect: string }> = [];
  const echo = (server: string, i: number) => ({ name: `${server}__echo`, args: { message: `${session}-${i}` }, expect: `Echo: ${session}-${i}` });
  if (session % 2 === 0) calls.push(echo('sess', 0), echo('sess', 1));
  if (session % 5 === 1) calls.push(echo('percall', 2));
  if (session % 5 === 3) calls.push(echo('cmdsess', 3));
  for (let i = calls.length; i < CALLS_PER_SESSION; i++) {
    if (i % 2 === 0) calls.push(echo(i % 4 === 0 ? 'shared' : 'cmd', i));
    else calls.push({ name: `${i % 3 === 0 ? 'shared' : 'cmd'}__get-sum`, args: { a: session, b: i }, expect: `${session + i}` });
  }
  return calls;
}

/** Ends a session the way its transport does: Streamable HTTP sends DELETE, SSE closes the stream. */
async function endSession(client: Client, kind: 'streamable-http' | 'sse'): Promise<void> {
  if (kind === 'streamable-http') await (client.transport as StreamableHTTPClientTransport).terminateSession();
  await client.close();
}

describe('leak test through the gateway: 1,000 calls, 50 sessions, mixed lifecycles, SIGKILL and restart', () => {
  let gw: GatewayUnderTest | undefined;
  let gw2: GatewayUnderTest | undefined;
  const open: Client[] = [];

  beforeAll(async () => {
    await buildEverythingImage(IMAGE);
    await docker('build', '-q', '--force-rm', '--label', TEST_LABEL, '--build-arg', `EVERYTHING_IMAGE=${IMAGE}`, '-t', STUBBORN_IMAGE,
      '-f', path.join(REPO_ROOT, 'gateway-image/test/fixtures/upstreams-gateway/Dockerfile.ignores-eof'),
      path.join(REPO_ROOT, 'gateway-image/test/fixtures/upstreams-gateway'));
  });
  afterAll(async () => {
    for (const c of open) await c.close().catch(() => undefined);
    await gw?.remove();
    await gw2?.remove();
    await removeOwned(OWNER);
    await docker('rmi', '-f', STUBBORN_IMAGE, IMAGE).catch(() => undefined);
  });

  it('leaves nothing behind: session ends, then kill -9 and restart with the same owner id', { timeout: 300_000 }, async () => {
    const t0 = Date.now();
    // More memory than the e2e default: up to CONCURRENCY per-session command servers run next to the gateway.
    gw = await startGateway({ args: [...upstreamMounts(), '--memory', '1g'], config: config() });
    const gateway = gw;

    // Phase 1: 50 sessions, 20 calls each, CONCURRENCY sessions at a time; every result is checked.
    let next = 0;
    let calls = 0;
    let failures: string[] = [];
    let peakContainers = 0;
    const sampler = setInterval(() => {
      void ownedContainers(OWNER).then((ids) => { peakContainers = Math.max(peakContainers, ids.length); }, () => undefined);
    }, 1_000);
    const worker = async () => {
      for (let s = next++; s < SESSIONS; s = next++) {
        const kind = s % 3 === 2 ? 'sse' : 'streamable-http';
        const client = await connectClient(gateway.url, kind);
        try {
          await client.listTools();
          for (const call of plan(s)) {
            const r = await client.callTool({ name: call.name, arguments: call.args }, undefined, { timeout: 60_000 });
            calls++;
            if (r.isError || !firstText(r).includes(call.expect)) failures.push(`${call.name}: ${firstText(r).slice(0, 200)}`);
          }
        } finally {
          await endSession(client, kind);
        }
      }
    };
    const p1 = Date.now();
    try {
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    } finally {
      clearInterval(sampler);
    }
    const callsMs = Date.now() - p1;
    expect(failures).toEqual([]);
    failures = [];
    expect(calls).toBe(SESSIONS * CALLS_PER_SESSION);

    // Every session ended: per-session and per-call containers go, the shared ones stay; per-session command
    // servers are gone from the gateway container, the shared one is still there.
    const p2 = Date.now();
    const drained = await waitFor(async () => (await ownedContainers(OWNER, 'mcp.gateway.upstream=sess')).length === 0 &&
      (await ownedContainers(OWNER, 'mcp.gateway.upstream=percall')).length === 0, 30_000, 250);
    const drainMs = Date.now() - p2;
    expect(drained).toBe(true);
    expect(await ownedContainers(OWNER, 'mcp.gateway.upstream=shared')).toHaveLength(1);
    expect(await waitFor(async () => (await everythingProcesses(gateway.id)).length === 1, 10_000, 250)).toBe(true);
    const status = await (await gateway.fetch('/metrics')).text();
    const starts = (server: string) => Number(new RegExp(`mcp_upstream_calls\\{server="${server}",kind="starts"\\} (\\d+)`).exec(status)?.[1]);
    // One instance per session or call plus one throwaway to list: no extra starts caused by the list_changed
    // that every fresh server-everything instance sends after initialize.
    expect(starts('sess')).toBeLessThanOrEqual(SESSIONS / 2 + 2);
    expect(starts('percall')).toBeLessThanOrEqual(SESSIONS / 5 + 2);
    expect(starts('cmdsess')).toBeLessThanOrEqual(SESSIONS / 5 + 2);
    expect(starts('shared')).toBe(1);
    console.info(`[leak] phase 1: ${calls} calls in ${SESSIONS} sessions (concurrency ${CONCURRENCY}) in ${callsMs} ms; ` +
      `upstream starts: sess ${starts('sess')}, percall ${starts('percall')}, cmdsess ${starts('cmdsess')}, shared ${starts('shared')}, cmd ${starts('cmd')}; ` +
      `peak containers ${peakContainers}; per-session/per-call containers gone ${drainMs} ms after the last session ended`);

    // Phase 2: sessions that stay open, a per-call call in flight, then SIGKILL.
    const marks: string[] = [];
    let last = Date.now();
    const mark = (what: string) => { marks.push(`${what} ${Date.now() - last} ms`); last = Date.now(); };
    for (let i = 0; i < 3; i++) {
      const client = await connectClient(gateway.url);
      open.push(client);
      expect(firstText(await client.callTool({ name: 'sess__echo', arguments: { message: 'k' } }))).toBe('Echo: k');
      expect(firstText(await client.callTool({ name: 'cmdsess__echo', arguments: { message: 'k' } }))).toBe('Echo: k');
    }
    expect(firstText(await open[0].callTool({ name: 'stubborn__echo', arguments: { message: 'k' } }))).toBe('Echo: k');
    const inFlight = open[0].callTool({ name: 'percall__trigger-long-running-operation', arguments: { duration: 60, steps: 60 } }, undefined, { timeout: 90_000 }).catch((e: Error) => e);
    expect(await waitFor(async () => (await ownedContainers(OWNER, 'mcp.gateway.upstream=percall')).length === 1, 20_000, 250)).toBe(true);
    const beforeKill = await ownedContainers(OWNER);
    // shared + stubborn + 3 per-session + 1 per-call
    expect(beforeKill).toHaveLength(6);
    mark('open sessions');
    const processes = await everythingProcesses(gateway.id);
    // the shared command server + 3 per-session ones, all inside the gateway container
    expect(processes).toHaveLength(4);
    expect(processes.every((p) => alive(p.pid))).toBe(true);

    await docker('kill', '-s', 'KILL', gateway.id);
    mark('kill');
    // Through docker-proxy the client does not see the dead container's connection drop until its own timeout;
    // closing the client ends the pending call at once.
    await Promise.all(open.splice(0).map((c) => c.close().catch(() => undefined)));
    expect(await inFlight).toBeInstanceOf(Error);
    expect(await docker('inspect', '-f', '{{.State.Running}}', gateway.id)).toBe('false');
    // The kernel ended every process of the gateway container: the command servers died with it.
    expect(processes.filter((p) => alive(p.pid))).toEqual([]);
    // Servers that exit on stdin EOF end and are auto-removed; the stubborn one cannot.
    await waitFor(async () => (await ownedContainers(OWNER)).length <= 1, 15_000, 250);
    const afterKill = await ownedContainers(OWNER);
    mark('EOF-exited containers gone');
    expect(await ownedContainers(OWNER, 'mcp.gateway.upstream=stubborn')).toHaveLength(1);
    await gateway.remove();

    // Phase 3: the same config (same ownerId) starts again and reaps what the killed instance left.
    const p3 = Date.now();
    gw2 = await startGateway({ args: [...upstreamMounts(), '--memory', '1g'], config: config() });
    const restartMs = Date.now() - p3;
    expect(await ownedContainers(OWNER)).toEqual([]);
    expect(await gw2.logs()).toMatch(/removed upstream containers left behind by a previous gateway run/);
    // It works, then a graceful stop removes what it started.
    const client = await connectClient(gw2.url);
    open.push(client);
    expect(firstText(await client.callTool({ name: 'shared__echo', arguments: { message: 'again' } }))).toBe('Echo: again');
    expect(firstText(await client.callTool({ name: 'sess__echo', arguments: { message: 'again' } }))).toBe('Echo: again');
    expect(firstText(await client.callTool({ name: 'stubborn__echo', arguments: { message: 'again' } }))).toBe('Echo: again');
    expect(await ownedContainers(OWNER)).toHaveLength(3);
    mark('calls on the new gateway');
    await docker('stop', '-t', '20', gw2.id);
    mark('graceful stop');
    const finalContainers = await ownedContainers(OWNER);
    expect(finalContainers).toEqual([]);
    await gw2.remove();
    console.info(`[leak] phase 2: ${beforeKill.length} upstream containers and ${processes.length} command-server processes before SIGKILL, ` +
      `${afterKill.length} container(s) left after it; restart with reaping ${restartMs} ms; phase 3: ${finalContainers.length} left after a graceful stop; total ${Date.now() - t0} ms; steps: ${marks.join(', ')}`);
  });
});
