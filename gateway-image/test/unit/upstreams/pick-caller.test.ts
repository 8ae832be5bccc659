/** Whom an upstream's sampling or elicitation request is relayed to (pickCaller), as pure logic. */
import { describe, expect, it } from 'vitest';
import type { AskClient } from '../../../src/core/contracts.js';
import { pickCaller } from '../../../src/core/upstreams/upstream-instance.js';

const ask = (tag: string): AskClient => async () => ({ tag });

describe('pickCaller', () => {
  it('relays to the client of the call in flight; several calls of one session go to that session', async () => {
    const a = ask('a');
    expect(pickCaller([{ sessionId: 's1', ask: a }], 'sampling/createMessage', 'everything')).toBe(a);
    const later = ask('later');
    expect(pickCaller([{ sessionId: 's1', ask: a }, { sessionId: 's1', ask: later }], 'elicitation/create', 'everything')).toBe(later);
  });

  it('outside a call there is nobody to ask', () => {
    expect(pickCaller([], 'sampling/createMessage', 'everything')).toBe(
      'upstream "everything" sent sampling/createMessage outside a tool call; the gateway relays it only to the client of a call in flight');
  });

  it('calls of two sessions in flight on one shared instance: refused, naming the fix, never guessed', () => {
    const r = pickCaller([{ sessionId: 's1', ask: ask('a') }, { sessionId: 's2', ask: ask('b') }], 'elicitation/create', 'git');
    expect(r).toBe('upstream "git" sent elicitation/create while calls of 2 clients were in flight on it, so it cannot be told whose it is; give the server lifecycle per-session to relay it');
    // A /rpc call (no session) next to a session's call is two clients too.
    expect(typeof pickCaller([{ sessionId: 's1', ask: ask('a') }, {}], 'sampling/createMessage', 'git')).toBe('string');
  });

  it('a call made through /rpc has no way back to its client', () => {
    expect(pickCaller([{}], 'sampling/createMessage', 'everything')).toMatch(/during a call made through \/rpc, which has no channel back to its client/);
  });
});
