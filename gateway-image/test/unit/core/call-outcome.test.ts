/** Outcome records say what ended a call, not only isError (an exec killed for any reason exits 137). */
import { describe, expect, it } from 'vitest';
import type { ToolResult } from '../../../src/core/contracts.js';
import { callOutcome } from '../../../src/core/pipeline.js';

const result = (isError: boolean, stopped?: string): ToolResult => ({
  content: [{ type: 'text', text: '' }], isError, structuredContent: { exitCode: 137, ...(stopped ? { stopped } : {}) },
});
const live = new AbortController().signal;
const aborted = AbortSignal.abort();

describe('callOutcome', () => {
  it('maps what stopped the call', () => {
    expect(callOutcome(result(false), live, false)).toBe('ok');
    expect(callOutcome(result(true), live, false)).toBe('error');
    expect(callOutcome(result(true, 'timeout'), live, false)).toBe('timeout');
    expect(callOutcome(result(false, 'output-cap'), live, false)).toBe('killed-by-cap');
    expect(callOutcome(result(true, 'stream-limit'), live, false)).toBe('killed-by-cap');
    expect(callOutcome(result(true, 'stream-fault'), live, false)).toBe('stream-fault');
    expect(callOutcome(result(false, 'follow-ended'), live, false)).toBe('ok');
  });
  it('a call aborted is cancelled (the client went away), or shutdown while the gateway is stopping', () => {
    expect(callOutcome(result(true, 'cancelled'), aborted, false)).toBe('cancelled');
    expect(callOutcome(result(true, 'cancelled'), aborted, true)).toBe('shutdown');
    // A tool without a `stopped` field that failed because its signal aborted.
    expect(callOutcome(result(true), aborted, false)).toBe('cancelled');
    expect(callOutcome(result(true), aborted, true)).toBe('shutdown');
    // A call that finished fine just before the abort is still ok.
    expect(callOutcome(result(false), aborted, true)).toBe('ok');
  });
});
