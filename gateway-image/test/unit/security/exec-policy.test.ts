import { describe, expect, it } from 'vitest';
import { classifyProgram, createExecPolicy, effectiveExecUser, isRootUser, normalizeArgPath } from '../../../src/core/security/exec-policy.js';
import { parseSecurityConfig } from '../../../src/core/security/security-config.js';

const execCfg = (exec: Record<string, unknown> = {}) => parseSecurityConfig({ exec: { defaultUser: 'app', ...exec } }).exec;
const allowlist = createExecPolicy(execCfg());
const check = (cmd: unknown, extra: Record<string, unknown> = {}, policy = allowlist) => policy.check({ cmd, ...extra });
const rule = (cmd: unknown, extra: Record<string, unknown> = {}, policy = allowlist) => check(cmd, extra, policy).ruleId;

describe('argv shape', () => {
  it.each([[[]], ['ls -la'], [[1]], [['ls', 2]], [['ls', 'a\0b']], [['']], [[' ls']], [undefined]])('denies %j', (cmd) => {
    expect(check(cmd)).toMatchObject({ allow: false, ruleId: 'exec.cmd-invalid' });
  });
});

describe('allowlist mode', () => {
  it('allows default read-only commands, bare or from a standard bin dir', () => {
    for (const cmd of [['echo', 'hi'], ['ls', '-la', '/app'], ['/bin/ls'], ['/usr/bin/cat', '/etc/hostname'], ['ps', 'aux'], ['df', '-h']]) {
      expect(check(cmd)).toMatchObject({ allow: true, ruleId: 'exec.allowlisted' });
    }
  });
  it('denies commands not listed, and listed names from non-standard dirs', () => {
    expect(rule(['rm', '-rf', '/'])).toBe('exec.not-allowlisted');
    expect(rule(['/tmp/evil/ls'])).toBe('exec.not-allowlisted');
    expect(rule(['./ls'])).toBe('exec.not-allowlisted');
    expect(rule(['curl', 'http://x'])).toBe('exec.not-allowlisted');
  });
  it('matches multi-token patterns as an argv prefix with per-element globs', () => {
    const p = createExecPolicy(execCfg({ commandPatterns: ['git status', 'cat /app/*'] }));
    expect(check(['git', 'status', '--short'], {}, p).allow).toBe(true);
    expect(check(['git', 'push'], {}, p).allow).toBe(false);
    expect(check(['cat', '/app/config.json'], {}, p).allow).toBe(true);
    expect(check(['cat', '/etc/passwd'], {}, p).allow).toBe(false);
    expect(check(['git'], {}, p).allow).toBe(false);
    // Path tokens match the normalized argument: no climbing out of /app.
    expect(check(['cat', '/app/../etc/shadow'], {}, p).allow).toBe(false);
    expect(check(['cat', '/app/./x/../config.json'], {}, p).allow).toBe(true);
    expect(check(['cat', 'config.json'], { workdir: '/app' }, p).allow).toBe(true);
    expect(check(['cat', '../etc/shadow'], { workdir: '/app' }, p).allow).toBe(false);
    // A joined-string trick does not match a two-token pattern.
    expect(check(['git status'], {}, p).allow).toBe(false);
  });
});

describe('shells, interpreters and wrappers', () => {
  const shells = [['sh', '-c', 'id'], ['bash', '-c', 'id'], ['zsh', '-c', 'id'], ['dash', '-c', 'id'], ['ash', '-c', 'id'], ['/bin/sh', '-c', 'id'], ['/bin/bash'], ['//bin//sh', '-c', 'id'], ['/bin/../bin/sh'], ['/usr/bin/./bash', '-c', 'x'], ['bash5.2', '-c', 'x'], ['busybox', 'sh'], ['/bin/busybox', 'wget', 'x'], ['sh', 'script.sh']];
  it.each(shells)('denies shell %j', (...cmd) => expect(rule(cmd)).toBe('exec.shell'));
  const interpreters = [['python', '-c', 'x'], ['python3', '-c', 'x'], ['python3.11', '-c', 'x'], ['/usr/bin/python3', '-c', 'x'], ['perl', '-e', 'x'], ['ruby', '-e', 'x'], ['node', '-e', 'x'], ['nodejs', '-e', 'x'], ['php', '-r', 'x'], ['awk', 'BEGIN{system("id")}'], ['lua', '-e', 'x'], ['sed', '-n', '1e id', 'f']];
  it.each(interpreters)('denies interpreter %j', (...cmd) => expect(rule(cmd)).toBe('exec.interpreter'));
  const wrappers = [['env', 'sh'], ['/usr/bin/env', 'ls'], ['timeout', '5', 'sh'], ['nice', '-n', '5', 'ls'], ['nohup', 'ls'], ['xargs', 'sh'], ['su', '-c', 'id'], ['sudo', 'ls'], ['chroot', '/', 'ls'], ['setsid', 'ls'], ['stdbuf', '-o0', 'ls'], ['find', '.', '-name', 'x'], ['nsenter', '-t', '1'], ['unshare', '-r']];
  it.each(wrappers)('denies wrapper %j', (...cmd) => expect(rule(cmd)).toBe('exec.wrapper'));
  it('a wildcard pattern does not count as listing a wrapper', () => {
    const p = createExecPolicy(execCfg({ commandPatterns: ['*'] }));
    expect(check(['rm', 'x'], {}, p).allow).toBe(true);
    expect(check(['sh', '-c', 'x'], {}, p).ruleId).toBe('exec.shell');
  });
  it('a shell listed explicitly is allowed (and only as listed)', () => {
    const p = createExecPolicy(execCfg({ commandPatterns: ['sh -c', 'python3 /app/manage.py'] }));
    expect(check(['sh', '-c', 'id'], {}, p).allow).toBe(true);
    expect(check(['/bin/sh', '-c', 'id'], {}, p).allow).toBe(true);
    expect(check(['sh', 'x.sh'], {}, p).allow).toBe(false);
    expect(check(['python3', '/app/manage.py', 'migrate'], {}, p).allow).toBe(true);
    expect(check(['python3', '-c', 'x'], {}, p).allow).toBe(false);
  });
  it('allowedWrappers lets a wrapper through in allowlist and denylist modes', () => {
    expect(check(['timeout', '5', 'ls'], {}, createExecPolicy(execCfg({ allowedWrappers: ['timeout'] }))).allow).toBe(true);
    expect(check(['timeout', '5', 'ls'], {}, createExecPolicy(execCfg({ mode: 'denylist', commandPatterns: ['rm'], allowedWrappers: ['timeout'] }))).allow).toBe(true);
  });
  it('classifyProgram', () => {
    expect(classifyProgram('/bin/sh')).toBe('shell');
    expect(classifyProgram('perl5.36')).toBe('interpreter');
    expect(classifyProgram('/usr/bin/env')).toBe('wrapper');
    expect(classifyProgram('ls')).toBe('program');
  });
});

describe('denylist and none modes', () => {
  const deny = createExecPolicy(execCfg({ mode: 'denylist', commandPatterns: ['rm', 'git push*', 'shutdown'] }));
  it('denylist denies listed commands from any directory, allows the rest', () => {
    expect(rule(['rm', '-rf', 'x'], {}, deny)).toBe('exec.denylisted');
    expect(rule(['/tmp/x/rm', 'x'], {}, deny)).toBe('exec.denylisted');
    expect(rule(['git', 'push-all'], {}, deny)).toBe('exec.denylisted');
    expect(check(['git', 'pull'], {}, deny)).toMatchObject({ allow: true, ruleId: 'exec.not-denylisted' });
    expect(check(['curl', 'x'], {}, deny).allow).toBe(true);
    const dp = createExecPolicy(execCfg({ mode: 'denylist', commandPatterns: ['rm /data/*'] }));
    expect(check(['rm', '/tmp/../data/x'], {}, dp).ruleId).toBe('exec.denylisted');
    expect(check(['rm', 'x'], { workdir: '/data' }, dp).ruleId).toBe('exec.denylisted');
    expect(check(['rm', '/tmp/x'], {}, dp).allow).toBe(true);
  });
  it('denylist still denies wrappers and shells (they hide denied commands)', () => {
    expect(rule(['env', 'rm', 'x'], {}, deny)).toBe('exec.wrapper');
    expect(rule(['sh', '-c', 'rm x'], {}, deny)).toBe('exec.shell');
  });
  it('none allows any command but keeps paths, flags, root and env checks', () => {
    const none = createExecPolicy(execCfg({ mode: 'none' }));
    expect(check(['sh', '-c', 'anything'], {}, none)).toMatchObject({ allow: true, ruleId: 'exec.mode-none' });
    expect(rule(['cat', '/proc/1/environ'], {}, none)).toBe('exec.denied-path');
    expect(rule(['ls'], { user: 'root' }, none)).toBe('exec.root-user');
  });
  it('security off skips command, path and flag checks but not root or env', () => {
    const off = createExecPolicy(execCfg({ security: false }));
    expect(check(['sh', '-c', 'cat /proc/1/environ'], {}, off)).toMatchObject({ allow: true, ruleId: 'exec.security-off' });
    expect(rule(['ls'], { user: '0' }, off)).toBe('exec.root-user');
    expect(rule(['ls'], { env: ['LD_PRELOAD=/x.so'] }, off)).toBe('exec.env-denied');
  });
});

describe('denied paths', () => {
  const tricks = [
    ['cat', '/proc/1/environ'], ['cat', '/proc/../proc/1/environ'], ['cat', '//proc/self/environ'], ['cat', '/./proc/1/environ'],
    ['cat', '/etc/../proc/1/environ'], ['cat', '/../../proc/1/environ'], ['ls', '/proc'], ['ls', '/proc/'], ['ls', '/sys/kernel'],
    ['cat', '/dev/sda'], ['cat', 'proc/1/environ'], ['cat', '../../proc/1/environ'], ['grep', '-r', 'x', '--include=/proc/x'],
    ['head', '-c1', 'if=/dev/mem'], ['tail', '-f/proc/kmsg'], ['/proc/self/exe'], ['ls', '/sys'],
  ];
  it.each(tricks)('denies %j', (...cmd) => expect(rule(cmd)).toBe('exec.denied-path'));
  it('resolves relative paths against the workdir', () => {
    expect(rule(['cat', '1/environ'], { workdir: '/proc' })).toBe('exec.denied-path');
    expect(rule(['cat', '../proc/1/environ'], { workdir: '/app' })).toBe('exec.denied-path');
    expect(rule(['ls', '.'], { workdir: '/sys/..//sys' })).toBe('exec.denied-path');
    expect(check(['cat', 'config/app.json'], { workdir: '/app' }).allow).toBe(true);
  });
  it('allows look-alike paths that are not under a denied path', () => {
    for (const cmd of [['ls', '/processes'], ['cat', '/app/proc/x'], ['ls', '/device'], ['echo', 'src/dev'], ['grep', 'x', 'a/proc']]) {
      expect(check(cmd).allow).toBe(true);
    }
  });
  it('denies a relative or invalid workdir', () => {
    expect(rule(['ls'], { workdir: 'app' })).toBe('exec.workdir-invalid');
    expect(rule(['ls'], { workdir: 3 })).toBe('exec.workdir-invalid');
  });
  it('normalizeArgPath', () => {
    expect(normalizeArgPath('//proc/./1/../1/environ')).toBe('/proc/1/environ');
    expect(normalizeArgPath('x/../../y', '/a/b')).toBe('/a/y');
  });
});

describe('denied flags', () => {
  it.each([['ls', '-exec'], ['sort', '--compress-program=sh', 'f'], ['sort', '--compress-prog=sh'], ['tail', '--to-command', 'x'], ['cat', '--checkpoint-action=exec=sh']])('denies %j', (...cmd) => {
    expect(rule(cmd)).toBe('exec.denied-flag');
  });
  it('allows ordinary flags', () => {
    expect(check(['ls', '-la', '--color=never']).allow).toBe(true);
    expect(check(['grep', '-e', 'pattern', 'file']).allow).toBe(true);
  });
  it('uses the configured list', () => {
    const p = createExecPolicy(execCfg({ deniedFlags: ['--force'] }));
    expect(check(['ls', '--force'], {}, p).ruleId).toBe('exec.denied-flag');
    expect(check(['ls', '-exec'], {}, p).ruleId).not.toBe('exec.denied-flag');
  });
});

describe('root user', () => {
  const noDefault = createExecPolicy(parseSecurityConfig({}).exec);
  it.each(['root', '0', '0:0', 'root:root', '00', '0:1000', '1000:0', 'app:root'])('denies user %s', (user) => {
    expect(rule(['ls'], { user })).toBe('exec.root-user');
  });
  it('denies no user when the container runs as root (or its user is unknown)', () => {
    expect(rule(['ls'], {}, noDefault)).toBe('exec.root-user');
    expect(rule(['ls'], { containerUser: '' }, noDefault)).toBe('exec.root-user');
    expect(rule(['ls'], { containerUser: 'root' }, noDefault)).toBe('exec.root-user');
  });
  it('allows non-root users, the configured default, and the container user', () => {
    expect(check(['ls'], { user: '1000:1000' }).allow).toBe(true);
    expect(check(['ls'], { user: 'node' }).allow).toBe(true);
    expect(check(['ls']).allow).toBe(true); // defaultUser app
    expect(check(['ls'], { containerUser: 'node' }, noDefault).allow).toBe(true);
  });
  it('allows root when allowRoot', () => {
    expect(check(['ls'], { user: 'root' }, createExecPolicy(execCfg({ allowRoot: true }))).allow).toBe(true);
  });
  it('denies malformed users', () => {
    for (const user of ['a b', 'x:y:z', '$(id)', 5]) expect(rule(['ls'], { user })).toMatch(/exec.user-invalid/);
  });
  it('helpers', () => {
    expect(isRootUser('1000')).toBe(false);
    expect(effectiveExecUser(undefined, { defaultUser: 'app' }, 'root')).toBe('app');
    expect(effectiveExecUser(' ', { defaultUser: undefined }, 'node')).toBe('node');
  });
});

describe('environment', () => {
  it.each(['LD_PRELOAD=/tmp/x.so', 'LD_LIBRARY_PATH=/tmp', 'LD_AUDIT=x', 'ld_preload=x', 'BASH_ENV=/tmp/x', 'ENV=/tmp/x', 'PROMPT_COMMAND=id', 'NODE_OPTIONS=--require /tmp/x', 'PYTHONSTARTUP=/x', 'PERL5OPT=-Mx', 'PATH=/tmp', 'BASH_FUNC_ls%%=() { id; }', 'LD_ANYTHING=1', 'GIT_SSH_COMMAND=x', 'GLIBC_TUNABLES=x'])('denies %s', (e) => {
    expect(rule(['ls'], { env: [e] })).toMatch(/exec.env-(denied|invalid)/);
  });
  it('allows ordinary variables', () => {
    expect(check(['ls'], { env: ['FOO=bar', 'LANG=C.UTF-8', 'EMPTY='] }).allow).toBe(true);
  });
  it('denies malformed entries and configured names', () => {
    expect(rule(['ls'], { env: ['NOEQUALS'] })).toBe('exec.env-invalid');
    expect(rule(['ls'], { env: ['=x'] })).toBe('exec.env-invalid');
    expect(rule(['ls'], { env: 'FOO=bar' })).toBe('exec.env-invalid');
    expect(rule(['ls'], { env: [1] })).toBe('exec.env-invalid');
    expect(rule(['ls'], { env: ['MY_SECRET=x'] }, createExecPolicy(execCfg({ deniedEnv: ['my_secret'] })))).toBe('exec.env-denied');
  });
});
