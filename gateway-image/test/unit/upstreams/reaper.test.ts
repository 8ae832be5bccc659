/** Which containers start-up may reap, with replicas of one deployment sharing an owner id and an engine. */
import { describe, expect, it } from 'vitest';
import { isLeftover, LABELS } from '../../../src/core/upstreams/reaper.js';

const c = (instance: string, replica: string | undefined, State: string) => ({
  State,
  Labels: { [LABELS.role]: 'upstream', [LABELS.owner]: 'o', [LABELS.instance]: instance, ...(replica !== undefined ? { [LABELS.replica]: replica } : {}) },
});
const scope = { ownerId: 'o', instanceId: 'now', replicaId: 'a' };

describe('isLeftover', () => {
  it('never its own instance', () => {
    expect(isLeftover(c('now', 'a', 'running'), scope)).toBe(false);
  });
  it('an earlier run of the same replica, running or not', () => {
    expect(isLeftover(c('before', 'a', 'running'), scope)).toBe(true);
    expect(isLeftover(c('before', 'a', 'exited'), scope)).toBe(true);
  });
  it('another replica: only once its container no longer runs', () => {
    expect(isLeftover(c('b-run', 'b', 'running'), scope)).toBe(false);
    expect(isLeftover(c('b-run', 'b', 'exited'), scope)).toBe(true);
    expect(isLeftover(c('b-run', 'b', 'created'), scope)).toBe(true);
  });
  it('a container without a replica label (a gateway from before replicas) counts as this deployment\'s leftover', () => {
    expect(isLeftover(c('old', undefined, 'running'), scope)).toBe(true);
  });
  it('without a replica id of its own, every other instance is a leftover (one gateway per owner)', () => {
    expect(isLeftover(c('b-run', 'b', 'running'), { ownerId: 'o', instanceId: 'now' })).toBe(true);
  });
});
