/** Exit codes from exec_die events: matching, grace, fallbacks when the stream is down, reconnection. */
import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { EXEC_EVENTS_RETRY_MS, createExecExitWatcher } from '../../../src/core/docker/exec-exits.js';

function fakeEngine(status = 200) {
  const opened: Array<{ since: number; filters: string }> = [];
  const streams: PassThrough[] = [];
  let clock = 1_800_000_000_000;
  const open = async (query: { since: number; filters: string }) => {
    opened.push(query);
    const s = Object.assign(new PassThrough(), { statusCode: status });
    streams.push(s);
    return s as unknown as IncomingMessage;
  };
  const watcher = createExecExitWatcher(open, { now: () => clock });
  const die = (execId: string, exitCode: string, s = streams.at(-1)!) =>
    s.write(`${JSON.stringify({ Type: 'container', Action: 'exec_die', Actor: { ID: 'c1', Attributes: { execID: execId, exitCode } } })}\n`);
  const tick = () => new Promise((r) => setImmediate(r));
  return { watcher, opened, streams, die, tick, advance: (ms: number) => { clock += ms; } };
}

describe('exec exit watcher', () => {
  it('opens one filtered stream on the first exec, starting a minute back so no event is missed while it connects', async () => {
    const e = fakeEngine();
    expect(e.opened).toEqual([]);
    e.watcher.expect('a');
    e.watcher.expect('b');
    await e.tick();
    expect(e.opened).toEqual([{ since: 1_800_000_000 - 60, filters: '{"type":["container"],"event":["exec_die"]}' }]);
    expect(e.watcher.live()).toBe(true);
    e.watcher.close();
  });

  it('answers at once when the event came first, within the grace when it comes later, and undefined without one', async () => {
    const e = fakeEngine();
    for (const id of ['early', 'late', 'never']) e.watcher.expect(id);
    await e.tick();
    e.die('early', '3');
    await e.tick();
    expect(await e.watcher.wait('early', 0)).toBe(3);
    const late = e.watcher.wait('late', 1000);
    e.die('late', '137');
    expect(await late).toBe(137);
    expect(await e.watcher.wait('never', 5)).toBeUndefined();
    e.watcher.close();
  });

  it('ignores other execs, other actions, malformed lines, and reads lines split across chunks', async () => {
    const e = fakeEngine();
    e.watcher.expect('mine');
    await e.tick();
    const s = e.streams[0];
    e.die('someone-else', '1');
    s.write('not json\n');
    s.write(`${JSON.stringify({ Action: 'exec_start: echo', Actor: { Attributes: { execID: 'mine' } } })}\n`);
    const line = JSON.stringify({ Action: 'exec_die', Actor: { Attributes: { execID: 'mine', exitCode: '0' } } });
    s.write(line.slice(0, 10));
    const got = e.watcher.wait('mine', 1000);
    s.write(`${line.slice(10)}\n`);
    expect(await got).toBe(0);
    expect(await e.watcher.wait('someone-else', 0)).toBeUndefined();
    e.watcher.close();
  });

  it('does not wait while the stream is down, releases waiters when it drops, and reconnects only after the retry interval', async () => {
    const e = fakeEngine();
    e.watcher.expect('a');
    await e.tick();
    const waiting = e.watcher.wait('a', 60_000);
    e.streams[0].end();
    e.streams[0].resume();
    expect(await waiting).toBeUndefined();
    expect(e.watcher.live()).toBe(false);
    expect(await e.watcher.wait('a', 60_000)).toBeUndefined();
    e.watcher.expect('b');
    await e.tick();
    expect(e.opened).toHaveLength(1);
    e.advance(EXEC_EVENTS_RETRY_MS);
    e.watcher.expect('c');
    await e.tick();
    expect(e.opened).toHaveLength(2);
    e.die('c', '2');
    await e.tick();
    expect(await e.watcher.wait('c', 0)).toBe(2);
    e.watcher.close();
  });

  it('a refused stream (not 200) is never live and is retried later', async () => {
    const e = fakeEngine(403);
    e.watcher.expect('a');
    await e.tick();
    expect(e.watcher.live()).toBe(false);
    expect(await e.watcher.wait('a', 60_000)).toBeUndefined();
    e.watcher.expect('b');
    await e.tick();
    expect(e.opened).toHaveLength(1);
    e.advance(EXEC_EVENTS_RETRY_MS);
    e.watcher.expect('c');
    await e.tick();
    expect(e.opened).toHaveLength(2);
    e.watcher.close();
  });

  it('forget and close release pending waiters; close destroys the stream', async () => {
    const e = fakeEngine();
    e.watcher.expect('a');
    e.watcher.expect('b');
    await e.tick();
    const a = e.watcher.wait('a', 60_000);
    e.watcher.forget('a');
    expect(await a).toBeUndefined();
    const b = e.watcher.wait('b', 60_000);
    e.watcher.close();
    expect(await b).toBeUndefined();
    expect(e.streams[0].destroyed).toBe(true);
    expect(e.watcher.live()).toBe(false);
  });
});
