/**
 * Image servers on the real engine: server-everything in an image built from the local base image, hardened
 * container settings as Docker reports them, block_network, the leak test and start-up reaping.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import Dockerode from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LABELS, createUpstreams, parseUpstreamsConfig, type Upstreams } from '../../../src/core/upstreams/index.js';
import { EVERYTHING, FIXTURES, REPO_ROOT, TEST_LABEL, alive, buildEverythingImage, connectClient, containersWithLabel, docker, firstText, testLogger, toolContext, waitFor } from './harness.js';

const IMAGE = `mcp-upstream-everything:test-${process.pid}`;
const SUITE = `upstreams-image-${process.pid}`;
const SUITE_LABEL = `${TEST_LABEL}.suite`;
const extraContainerLabels = { [TEST_LABEL]: '1', [SUITE_LABEL]: SUITE };
const engine = new Dockerode();

function config(mcpServers: Record<string, unknown>, upstreams: Record<string, unknown> = {}) {
  const { config: c, problems } = parseUpstreamsConfig({ mcpServers, upstreams: { ownerId: SUITE, ...upstreams } });
  if (!c) throw new Error(problems.map((p) => p.message).join('\n'));
  return c;
}

async function suiteContainers(): Promise<string[]> {
  return containersWithLabel(`${SUITE_LABEL}=${SUITE}`);
}

describe('image servers', () => {
  let buildMs = 0;
  beforeAll(async () => {
    buildMs = await buildEverythingImage(IMAGE);
  });
  afterAll(async () => {
    const left = await suiteContainers();
    if (left.length > 0) await docker('rm', '-f', '-v', ...left);
    await docker('rmi', '-f', IMAGE).catch(() => undefined);
  });

  describe('server-everything as an image server', () => {
    let upstreams: Upstreams;
    beforeAll(async () => {
      upstreams = createUpstreams(
        config(
          { everything: { image: IMAGE, lifecycle: 'shared', memory: '256m', cpus: 0.5, pids_limit: 128 }, cmd: { command: process.execPath, args: [EVERYTHING, 'stdio'], lifecycle: 'shared' } },
          { callTimeoutMs: 10_000, initTimeoutMs: 20_000 },
        ),
        { docker: engine, logger: testLogger, instanceId: `img-${process.pid}`, extraContainerLabels },
      );
      await upstreams.start();
    });
    afterAll(async () => {
      await upstreams?.close();
    });

    it('lists, calls, streams progress, cancels, reads resources and gets prompts through the SDK client', async () => {
      const { client, close } = await connectClient(upstreams, 'img-1');
      try {
        const { tools } = await client.listTools();
        expect(tools.map((t) => t.name)).toEqual(expect.arrayContaining(['everything__echo', 'everything__get-sum', 'everything__trigger-long-running-operation']));
        expect(firstText(await client.callTool({ name: 'everything__echo', arguments: { message: 'from a container' } }))).toBe('Echo: from a container');
        expect(firstText(await client.callTool({ name: 'everything__get-sum', arguments: { a: 40, b: 2 } }))).toContain('42');
        const seen: number[] = [];
        await client.callTool({ name: 'everything__trigger-long-running-operation', arguments: { duration: 0.6, steps: 3 } }, undefined, { onprogress: (p) => seen.push(p.progress) });
        expect(seen).toEqual([1, 2, 3]);
        const ac = new AbortController();
        const began = Date.now();
        await expect(
          client.callTool({ name: 'everything__trigger-long-running-operation', arguments: { duration: 20, steps: 20 } }, undefined, { signal: ac.signal, onprogress: () => ac.abort() }),
        ).rejects.toThrow();
        expect(Date.now() - began).toBeLessThan(5_000);
        const { resources } = await client.listResources();
        const res = resources.find((r) => r.uri.startsWith('mcp-upstream://everything/'))!;
        expect((await client.readResource({ uri: res.uri })).contents.length).toBeGreaterThan(0);
        const got = await client.getPrompt({ name: 'everything__simple-prompt' });
        expect(got.messages.length).toBeGreaterThan(0);
      } finally {
        await close();
      }
    });

    it('runs the container hardened, with the limits from the config, as Docker reports them', async () => {
      const [id] = await containersWithLabel(`${LABELS.upstream}=everything`).then((ids) => ids.filter(Boolean));
      expect(id).toBeDefined();
      const info = await engine.getContainer(id).inspect();
      expect(info.HostConfig.Memory).toBe(256 * 1024 * 1024);
      expect(info.HostConfig.NanoCpus).toBe(500_000_000);
      expect(info.HostConfig.PidsLimit).toBe(128);
      expect(info.HostConfig.CapDrop).toEqual(['ALL']);
      expect(info.HostConfig.SecurityOpt).toEqual(['no-new-privileges']);
      expect(info.HostConfig.Init).toBe(true);
      expect(info.HostConfig.AutoRemove).toBe(true);
      expect(info.HostConfig.NetworkMode).toBe('bridge');
      expect(info.HostConfig.ExtraHosts).toEqual(['host.docker.internal:host-gateway']);
      expect(info.Config.Labels).toMatchObject({ [LABELS.role]: 'upstream', [LABELS.owner]: SUITE, [LABELS.instance]: `img-${process.pid}`, [LABELS.upstream]: 'everything' });
      expect(info.Config.User).toBe('node');
    });

    it('reports start timings: image vs command server', async () => {
      const st = upstreams.status();
      const img = st.find((s) => s.server === 'everything')!;
      await upstreams.tools();
      const cmd = upstreams.status().find((s) => s.server === 'cmd')!;
      expect(img.lastStartMs).toBeGreaterThan(0);
      expect(cmd.lastStartMs).toBeGreaterThan(0);
      console.info(`[timings] image build ${buildMs} ms; start+initialize: image server ${img.lastStartMs} ms, command server ${cmd.lastStartMs} ms`);
    });
  });

  it('block_network: the upstream container has no network, while an unblocked one reaches the host', async () => {
    const u = createUpstreams(
      config({ sealed: { image: IMAGE, block_network: true, lifecycle: 'shared' }, open: { image: IMAGE, lifecycle: 'shared' } }, { initTimeoutMs: 20_000 }),
      { docker: engine, logger: testLogger, instanceId: `net-${process.pid}`, extraContainerLabels },
    );
    await u.start();
    try {
      await u.tools();
      const find = (server: string) => docker('ps', '-q', '--filter', `label=${LABELS.instance}=net-${process.pid}`, '--filter', `label=${LABELS.upstream}=${server}`);
      const sealed = await find('sealed');
      const open = await find('open');
      expect((await engine.getContainer(sealed!).inspect()).HostConfig.NetworkMode).toBe('none');
      // 172.17.0.1 is the default bridge gateway: refused (reached the host) when networked, unreachable when sealed.
      const probe = async (id: string, host: string, port: string) => JSON.parse(await docker('exec', id, 'node', '/app/probe.mjs', host, port)) as { outcome: string; detail?: string };
      const sealedGateway = await probe(sealed!, '172.17.0.1', '1');
      const sealedPublic = await probe(sealed!, '1.1.1.1', '53');
      const sealedName = await probe(sealed!, 'host.docker.internal', '1');
      const openGateway = await probe(open!, '172.17.0.1', '1');
      expect(sealedGateway).toEqual({ outcome: 'error', detail: 'ENETUNREACH' });
      expect(sealedPublic).toEqual({ outcome: 'error', detail: 'ENETUNREACH' });
      expect(sealedName.outcome).toBe('error');
      expect(openGateway).toEqual({ outcome: 'error', detail: 'ECONNREFUSED' });
      expect(await docker('exec', open!, 'cat', '/etc/hosts')).toMatch(/host\.docker\.internal/);
    } finally {
      await u.close();
    }
  });

  it('leak test: many calls across sessions with mixed lifecycles leave no container or process behind', async () => {
    const instanceId = `leak-${process.pid}`;
    const u = createUpstreams(
      config(
        {
          'img-session': { image: IMAGE, lifecycle: 'per-session', enabled_tools: ['echo'] },
          'img-call': { image: IMAGE, lifecycle: 'per-call', enabled_tools: ['echo'] },
          'img-shared': { image: IMAGE, lifecycle: 'shared', enabled_tools: ['echo'] },
          'cmd-session': { command: process.execPath, args: [`${FIXTURES}/faulty-server.mjs`, 'ok'], lifecycle: 'per-session', enabled_tools: ['echo', 'whoami'] },
          'cmd-call': { command: process.execPath, args: [`${FIXTURES}/faulty-server.mjs`, 'ok'], lifecycle: 'per-call', enabled_tools: ['echo', 'whoami'] },
        },
        { initTimeoutMs: 30_000, callTimeoutMs: 60_000, maxInstancesPerServer: 10 },
      ),
      { docker: engine, logger: testLogger, instanceId, extraContainerLabels },
    );
    await u.start();
    const pids = new Set<number>();
    const SESSIONS = 8;
    const ROUNDS = 3;
    let ok = 0;
    try {
      await Promise.all(
        Array.from({ length: SESSIONS }, async (_, s) => {
          const sessionId = `leak-${s}`;
          u.openSession(sessionId);
          const tools = await u.tools(sessionId);
          const byName = new Map(tools.map((t) => [t.name, t]));
          for (let r = 0; r < ROUNDS; r++) {
            const calls = ['img-session__echo', 'img-shared__echo', 'cmd-session__echo', 'cmd-call__echo', ...(r === 0 ? ['img-call__echo'] : [])];
            const results = await Promise.all(calls.map((n) => byName.get(n)!.run({ message: `${s}-${r}` }, toolContext({ sessionId }))));
            for (const res of results) {
              expect(res.isError, firstText(res)).toBeFalsy();
              ok++;
            }
            for (const who of ['cmd-session__whoami', 'cmd-call__whoami']) {
              pids.add((JSON.parse(firstText(await byName.get(who)!.run({}, toolContext({ sessionId })))) as { pid: number }).pid);
            }
          }
          await u.closeSession(sessionId);
        }),
      );
      expect(ok).toBe(SESSIONS * (ROUNDS * 4 + 1));
      // Sessions ended: only the shared image instance may remain.
      const remaining = await docker('ps', '-aq', '--filter', `label=${LABELS.instance}=${instanceId}`);
      const upstreamsLeft = await Promise.all(remaining.split('\n').filter(Boolean).map(async (id) => (await engine.getContainer(id).inspect()).Config.Labels[LABELS.upstream]));
      expect(upstreamsLeft).toEqual(['img-shared']);
      expect(await waitFor(() => alive([...pids]).length === 0, 5_000)).toBe(true);
      expect(pids.size).toBeGreaterThan(SESSIONS);
    } finally {
      await u.close();
    }
    expect(await waitFor(async () => (await docker('ps', '-aq', '--filter', `label=${LABELS.instance}=${instanceId}`)) === '', 10_000)).toBe(true);
    expect(alive([...pids])).toEqual([]);
  });

  it('start() reaps containers left behind by a dead previous instance and leaves a sibling gateway alone', async () => {
    const run = (owner: string, instance: string) =>
      docker(
        'run', '-d', '--label', `${TEST_LABEL}=1`, '--label', `${SUITE_LABEL}=${SUITE}`,
        '--label', `${LABELS.role}=upstream`, '--label', `${LABELS.owner}=${owner}`, '--label', `${LABELS.instance}=${instance}`,
        '--entrypoint', 'sleep', IMAGE, '300',
      );
    const dead1 = await run(SUITE, 'dead-previous-1');
    const dead2 = await run(SUITE, 'dead-previous-2');
    const sibling = await run(`${SUITE}-sibling`, 'sibling-live');
    const u = createUpstreams(config({ everything: { image: IMAGE } }), { docker: engine, logger: testLogger, instanceId: `reaper-${process.pid}`, extraContainerLabels });
    try {
      await u.start();
      const ids = await suiteContainers();
      expect(ids.some((id) => dead1.startsWith(id) || dead2.startsWith(id))).toBe(false);
      expect(ids.some((id) => sibling.startsWith(id))).toBe(true);
    } finally {
      await u.close();
      await docker('rm', '-f', '-v', sibling);
    }
  });

  it('replicas sharing owner and engine: start() reaps its own replica\'s leftovers and stopped ones of others, never a running sibling replica\'s', async () => {
    const run = (instance: string, replica: string, cmd: string[]) =>
      docker(
        'run', '-d', '--label', `${TEST_LABEL}=1`, '--label', `${SUITE_LABEL}=${SUITE}`,
        '--label', `${LABELS.role}=upstream`, '--label', `${LABELS.owner}=${SUITE}`, '--label', `${LABELS.instance}=${instance}`,
        '--label', `${LABELS.replica}=${replica}`, '--entrypoint', cmd[0], IMAGE, ...cmd.slice(1),
      );
    const mineEarlier = await run('replica-a-run-1', 'replica-a', ['sleep', '300']);
    const siblingLive = await run('replica-b-run-1', 'replica-b', ['sleep', '300']);
    const siblingStopped = await run('replica-b-run-0', 'replica-b', ['true']);
    expect(await waitFor(async () => (await docker('inspect', '-f', '{{.State.Status}}', siblingStopped)) === 'exited', 10_000)).toBe(true);
    const u = createUpstreams(config({ everything: { image: IMAGE } }), { docker: engine, logger: testLogger, instanceId: `replica-a-run-2-${process.pid}`, replicaId: 'replica-a', extraContainerLabels });
    try {
      await u.start();
      const ids = await suiteContainers();
      const has = (full: string) => ids.some((id) => full.startsWith(id));
      expect(has(mineEarlier)).toBe(false);
      expect(has(siblingStopped)).toBe(false);
      expect(has(siblingLive)).toBe(true);
      // The containers it starts carry its replica id, so a sibling leaves them alone the same way.
      const r = await (await u.tools()).find((t) => t.name === 'everything__echo')!.run({ message: 'hi' }, toolContext({ sessionId: 'replica-s' }));
      expect(firstText(r)).toContain('hi');
      expect((await containersWithLabel(`${LABELS.replica}=replica-a`)).length).toBeGreaterThan(0);
    } finally {
      await u.close();
      await docker('rm', '-f', '-v', siblingLive);
    }
  });

  it('kill -9 of the gateway: its command server ends with it, and after a restart none of its containers remain', async () => {
    const dead = `killed-${process.pid}`;
    const gw = spawn(process.execPath, ['--import', 'tsx', `${FIXTURES}/mini-gateway.ts`, IMAGE, SUITE, dead, SUITE], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const [line] = (await Promise.race([
        once(gw.stdout!, 'data'),
        new Promise((_, reject) => setTimeout(() => reject(new Error('mini gateway did not start within 60 s')), 60_000)),
      ])) as [Buffer];
      const { commandPid } = JSON.parse(line.toString()) as { pid: number; commandPid: number };
      expect(alive([commandPid])).toEqual([commandPid]);
      expect(await containersWithLabel(`${LABELS.instance}=${dead}`)).toHaveLength(1);
      gw.kill('SIGKILL');
      await once(gw, 'exit');
      // stdin EOF ends the stdio server process. The container's stdin closes too (StdinOnce), so a server that
      // exits on EOF ends and is auto-removed; one that ignores EOF stays until the restarted gateway (same owner,
      // new instance id) reaps it at start (the reaper test above proves that case with containers that ignore EOF).
      expect(await waitFor(() => alive([commandPid]).length === 0, 10_000)).toBe(true);
      const restarted = createUpstreams(config({ img: { image: IMAGE } }), { docker: engine, logger: testLogger, instanceId: `restarted-${process.pid}`, extraContainerLabels });
      await restarted.start();
      await restarted.close();
      expect(await containersWithLabel(`${LABELS.instance}=${dead}`)).toEqual([]);
    } finally {
      if (gw.exitCode === null && gw.signalCode === null) gw.kill('SIGKILL');
    }
  });
});
