import { describe, expect, it } from 'vitest';
import { settleHeap, supportsGcOptions } from '../../../src/settle-heap.js';

describe('settleHeap', () => {
  it('runs a full collection and reports its duration, leaving no gc() on the global scope', () => {
    const before = (globalThis as { gc?: unknown }).gc;
    const ms = settleHeap();
    expect(typeof ms).toBe('number');
    expect(ms).toBeGreaterThanOrEqual(0);
    expect((globalThis as { gc?: unknown }).gc).toBe(before);
  });

  it('frees what start-up left unreachable', async () => {
    // A weakly held object that nothing else references is gone after the collection. (A WeakRef keeps its target
    // until the job that made it ends, hence the turn of the event loop before collecting.)
    const ref = ((): WeakRef<object> => new WeakRef({ payload: new Array(10_000).fill('start-up garbage') }))();
    await new Promise((r) => setTimeout(r, 0));
    settleHeap();
    expect(ref.deref()).toBeUndefined();
  });

  it('uses the options form only where V8 honours it (Node 22 in the image; the e2e idle-footprint test measures it)', () => {
    expect(supportsGcOptions('12.4.254.21-node.33')).toBe(true);
    expect(supportsGcOptions('11.3.244.8-node.30')).toBe(false);
  });
});
