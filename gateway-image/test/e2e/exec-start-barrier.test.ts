/**
 * docker_exec overlaps the sync of its decision record with creating the exec (which runs nothing) and starts the
 * exec only once the record is on disk. The engine client's side of that, on the real engine: a held barrier holds
 * the start, a failed one means the command never runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngineClient } from '../../src/core/docker/engine-client.js';
import { docker, runTarget, uniq, type TestContainer } from './helpers/docker-cli.js';

const DOCKER_HOST = process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';

describe('engine client: an exec starts only after beforeStart settles (real engine)', () => {
  let target: TestContainer;
  let engine: ReturnType<typeof createEngineClient>;
  const files = async () => (await docker('exec', target.name, 'ls', '/tmp')).split('\n');

  beforeAll(async () => {
    target = await runTarget(uniq('barrier'));
    engine = createEngineClient({ host: DOCKER_HOST });
    await engine.negotiate();
  });
  afterAll(async () => {
    engine?.close();
    await target?.remove();
  });

  it('a failed barrier: execInContainer rejects with its reason and the command never runs', async () => {
    const reason = new Error('audit record could not be synced');
    const failed = Promise.reject(reason);
    failed.catch(() => undefined); // the engine client awaits it after the create round trip
    await expect(engine.execInContainer(target.name, { cmd: ['touch', '/tmp/never-ran'], beforeStart: failed })).rejects.toBe(reason);
    await new Promise((r) => setTimeout(r, 300));
    expect(await files()).not.toContain('never-ran');
  });

  it('a held barrier holds the start; the command runs once it settles', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    const pending = engine.execInContainer(target.name, { cmd: ['touch', '/tmp/ran-after-sync'], beforeStart: gate });
    await new Promise((r) => setTimeout(r, 500));
    expect(await files()).not.toContain('ran-after-sync');
    release();
    const handle = await pending;
    expect(handle).not.toBeNull();
    handle!.stdout.resume();
    handle!.stderr.resume();
    await handle!.done;
    expect(await handle!.exitCode()).toBe(0);
    expect(await files()).toContain('ran-after-sync');
  });
});
