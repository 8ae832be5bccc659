/**
 * Negative suite, docker_exec policy (allowlist mode, the image default): wrappers, shells, interpreters, absolute
 * paths, path tricks that reach /proc, root users, dangerous environment and denied flags. Each denial is answered
 * with its rule id, recorded in the audit log with that rule id, and leaves the target without a new exec (the engine's event log shows no exec_create).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTarget, uniq, type TestContainer } from '../helpers/docker-cli.js';
import { E2E_TOKEN, rpcCall, startGateway, type GatewayUnderTest } from '../helpers/gateway-container.js';
import { eventClock, execsSince, expectDenied, isRunning, lastSeq, waitForDenial } from './security-helpers.js';

type Case = readonly [label: string, args: Record<string, unknown>, ruleId: string];

const CASES: readonly Case[] = [
  // wrappers and shells
  ['sh -c', { cmd: ['sh', '-c', 'echo pwned'] }, 'exec.shell'],
  ['bash -c', { cmd: ['bash', '-c', 'id'] }, 'exec.shell'],
  ['busybox sh', { cmd: ['busybox', 'sh', '-c', 'id'] }, 'exec.shell'],
  ['absolute /bin/sh', { cmd: ['/bin/sh', '-c', 'id'] }, 'exec.shell'],
  ['a shell behind a path with ..', { cmd: ['/usr/bin/../../bin/sh'] }, 'exec.shell'],
  ['env runs another program', { cmd: ['env', 'sh', '-c', 'id'] }, 'exec.wrapper'],
  ['timeout runs another program', { cmd: ['timeout', '5', 'sh'] }, 'exec.wrapper'],
  ['nice runs another program', { cmd: ['nice', 'sh'] }, 'exec.wrapper'],
  ['xargs runs another program', { cmd: ['xargs', 'sh'], stdin: '-c id' }, 'exec.wrapper'],
  // interpreters with inline code
  ['node -e', { cmd: ['node', '-e', 'require("child_process").execSync("id")'] }, 'exec.interpreter'],
  ['python -c', { cmd: ['python3', '-c', 'import os; os.system("id")'] }, 'exec.interpreter'],
  ['awk system()', { cmd: ['awk', 'BEGIN{system("id")}'] }, 'exec.interpreter'],
  // path tricks towards /proc (denied paths are checked after normalization)
  ['cat /proc/../proc/1/environ', { cmd: ['cat', '/proc/../proc/1/environ'] }, 'exec.denied-path'],
  ['cat //proc/self/environ', { cmd: ['cat', '//proc/self/environ'] }, 'exec.denied-path'],
  ['cat /etc/../proc/1/environ', { cmd: ['cat', '/etc/../proc/1/environ'] }, 'exec.denied-path'],
  ['relative path from a workdir', { cmd: ['cat', '../../proc/1/environ'], workdir: '/tmp/x' }, 'exec.denied-path'],
  ['workdir under /proc', { cmd: ['cat', 'environ'], workdir: '/proc/self' }, 'exec.denied-path'],
  ['path glued to a short flag', { cmd: ['ls', '-d/sys/kernel'] }, 'exec.denied-path'],
  ['path after =', { cmd: ['ls', '--color=/dev/../dev/mem'] }, 'exec.denied-path'],
  // root
  ['user root', { cmd: ['id'], user: 'root' }, 'exec.root-user'],
  ['user 0', { cmd: ['id'], user: '0' }, 'exec.root-user'],
  ['user 0:0', { cmd: ['id'], user: '0:0' }, 'exec.root-user'],
  ['group root', { cmd: ['id'], user: '1000:0' }, 'exec.root-user'],
  // dangerous environment
  ['LD_PRELOAD', { cmd: ['ls'], env: ['LD_PRELOAD=/tmp/evil.so'] }, 'exec.env-denied'],
  ['NODE_OPTIONS', { cmd: ['ls'], env: ['NODE_OPTIONS=--require /tmp/evil.js'] }, 'exec.env-denied'],
  ['PATH hijack', { cmd: ['ls'], env: ['PATH=/tmp/evil'] }, 'exec.env-denied'],
  // denied flags and unlisted programs
  ['find / -exec', { cmd: ['find', '/', '-exec', 'id', ';'] }, 'exec.denied-flag'],
  ['tar --to-command', { cmd: ['tar', '-xf', 'x.tar', '--to-command=id'] }, 'exec.denied-flag'],
  ['a program outside the allowlist', { cmd: ['rm', '-rf', '/tmp'] }, 'exec.not-allowlisted'],
  ['an allowlisted name outside the bin directories', { cmd: ['/tmp/echo', 'hi'] }, 'exec.not-allowlisted'],
];

describe('security: docker_exec bypass attempts are denied (built image, real engine)', () => {
  let gw: GatewayUnderTest;
  let target: TestContainer;

  beforeAll(async () => {
    target = await runTarget(uniq('sec-exec-target'));
    gw = await startGateway();
  });
  afterAll(async () => {
    await gw?.remove();
    await target?.remove();
  });

  it('control: an allowlisted command runs and adds exactly one exec to the target', async () => {
    const since = eventClock();
    const r = await rpcCall(gw, 'docker_exec', { id: target.name, cmd: ['echo', 'allowed'] });
    expect(r.result?.isError).toBeFalsy();
    expect(r.result?.structuredContent).toMatchObject({ exitCode: 0, stdout: 'allowed\n' });
    expect(await execsSince(target.name, since)).toEqual(['exec_create: echo allowed']);
  });

  it.each(CASES)('%s is denied (%#)', async (_label, args, ruleId) => {
    const since = eventClock();
    const seq = await lastSeq(gw);
    const r = await rpcCall(gw, 'docker_exec', { id: target.name, ...args }, E2E_TOKEN);
    expectDenied(r, ruleId);
    const rec = await waitForDenial(gw, 'docker_exec', ruleId, { principal: 'e2e', afterSeq: seq });
    expect(rec).toMatchObject({ phase: 'decision', authMethod: 'bearer', target: target.name });
    expect(rec.args?.cmd).toEqual(args.cmd);
    // No Docker exec was created, and nothing but the decision was recorded (no outcome: nothing ran).
    expect(await execsSince(target.name, since)).toEqual([]);
    expect(await isRunning(target.name)).toBe(true);
  });

  it('every denial is counted by rule in /metrics', async () => {
    const metrics = await (await gw.fetch('/metrics')).text();
    for (const rule of new Set(CASES.map((c) => c[2]))) {
      expect(metrics).toMatch(new RegExp(`mcp_policy_denials_total\\{rule="${rule.replace('.', '\\.')}"\\} [1-9]`));
    }
  });
});

