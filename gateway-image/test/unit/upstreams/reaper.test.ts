/** Which containers start-up may reap, with replicas of one deployment sharing an owner id and an engine. */
import { describe, expect, it } from 'vitest';
import { isLeftover, LABELS } from '../../../src/core/upstreams/reaper.js';

const c = (instance: string, replica: string | undefined, State: string, replicaIsContainer = false) => ({
  State,
  Labels: {
    [LABELS.role]: 'upstream', [LABELS.owner]: 'o', [LABELS.instance]: instance,
    ...(replica !== undefined ? { [LABELS.replica]: replica } : {}),
    ...(replicaIsContainer ? { [LABELS.replicaContainer]: '1' } : {}),
  },
});
const scope = { ownerId: 'o', instanceId: 'now', replicaId: 'a' };
const asked: string[] = [];
const alive = (live: string[]) => async (id: string) => {
  asked.push(id);
  return live.includes(id);
};

describe('isLeftover', () => {
  it('never its own instance', async () => {
    expect(await isLeftover(c('now', 'a', 'running'), scope)).toBe(false);
  });
  it('an earlier run of the same replica, running or not', async () => {
    expect(await isLeftover(c('before', 'a', 'running'), scope)).toBe(true);
    expect(await isLeftover(c('before', 'a', 'exited'), scope)).toBe(true);
  });
  it('another replica: once its container no longer runs', async () => {
    expect(await isLeftover(c('b-run', 'b', 'running'), scope)).toBe(false);
    expect(await isLeftover(c('b-run', 'b', 'exited'), scope)).toBe(true);
    expect(await isLeftover(c('b-run', 'b', 'created'), scope)).toBe(true);
  });
  it('another replica that is a container on the engine: a running upstream of it is reaped only when that replica is dead', async () => {
    expect(await isLeftover(c('b-run', 'b', 'running', true), scope, alive(['b']))).toBe(false);
    expect(await isLeftover(c('b-run', 'b', 'running', true), scope, alive([]))).toBe(true);
    // A replica that is not a container here is never asked about (its absence from the engine says nothing).
    asked.length = 0;
    expect(await isLeftover(c('h-run', 'host-1', 'running', false), scope, alive([]))).toBe(false);
    expect(asked).toEqual([]);
  });
  it('a container without a replica label (a gateway from before replicas) counts as this deployment\'s leftover', async () => {
    expect(await isLeftover(c('old', undefined, 'running'), scope)).toBe(true);
  });
  it('without a replica id of its own, every other instance is a leftover (one gateway per owner)', async () => {
    expect(await isLeftover(c('b-run', 'b', 'running'), { ownerId: 'o', instanceId: 'now' })).toBe(true);
  });
});
