/**
 * docker_exec policy, decided on the argv array (never a joined string, which would let quoting tricks
 * disagree with what the container actually runs).
 *
 * Order: argv shape -> user (root) -> environment -> [security on] workdir and denied paths -> denied flags ->
 * shells/interpreters/wrappers -> allowlist/denylist. The first failing rule denies.
 *
 * Known limit: paths are normalized lexically here; a symlink inside the container (e.g. /tmp/x -> /proc) can
 * only be resolved in the container, so the denied-path check is a guard rail, not a sandbox. The sandbox is
 * the non-root user, which is why root is denied by default.
 */
import { posix } from 'node:path';
import type { Decision } from '../contracts.js';
import { compileGlob, hasWildcard, type GlobMatch } from './glob.js';
import { DEFAULT_COMMAND_PATTERNS, type SecurityConfig } from './security-config.js';

/** The exec section of the config. */
export type ExecConfig = SecurityConfig['exec'];

/** What the exec policy looks at (raw tool arguments; validated here again, fail closed). */
export interface ExecRequest {
  readonly cmd: unknown;
  readonly user?: unknown;
  readonly env?: unknown;
  readonly workdir?: unknown;
  /** The container's configured user (Config.User); '' or undefined means Docker's default, root. */
  readonly containerUser?: string;
}

/** Shells: with or without -c they run arbitrary code. Versioned names (bash5.2) included. */
const SHELL = /^(sh|bash|zsh|dash|ash|ksh|mksh|pdksh|csh|tcsh|fish|rbash|yash|busybox|toybox)[\d.]*$/;
/** Interpreters that take inline code (-c, -e, -r, stdin). */
const INTERPRETER =
  /^(python|python2|python3|pypy|pypy3|perl|ruby|irb|node|nodejs|bun|deno|php|lua|luajit|tclsh|wish|expect|rscript|awk|gawk|mawk|nawk|jshell|groovy|pwsh|powershell|osascript|guile|sbcl|racket|julia|ghci|scala|erl|elixir|sed|gdb|vim|vi|nvim|emacs|ed|ex)([\d.]*|-[\d.]+)$/i;
/** Wrappers that run another program (or change privileges or namespaces). */
const WRAPPERS = new Set([
  'env', 'timeout', 'nice', 'nohup', 'xargs', 'su', 'sudo', 'doas', 'chroot', 'setsid', 'stdbuf', 'ionice', 'taskset',
  'chrt', 'unshare', 'nsenter', 'runuser', 'setpriv', 'script', 'watch', 'flock', 'strace', 'ltrace', 'time', 'command',
  'exec', 'eval', 'builtin', 'prlimit', 'capsh', 'start-stop-daemon', 'find', 'parallel', 'run-parts', 'systemd-run',
  'ssh', 'socat', 'nc', 'ncat', 'netcat', 'telnet', 'less', 'more', 'man', 'tmux', 'screen', 'make', 'unbuffer', 'faketime',
  'fakeroot', 'proot', 'firejail', 'bwrap', 'catchsegv', 'valgrind', 'ld.so', 'ld-linux.so.2', 'ld-linux-x86-64.so.2',
  'install', 'crontab', 'at', 'batch', 'expect', 'sg', 'newgrp', 'pkexec', 'dbus-launch', 'xdg-open', 'rlwrap',
]);

/** Standard bin directories where a bare command name is trusted to be what it says. */
const BIN_DIRS = new Set(['/bin', '/usr/bin', '/sbin', '/usr/sbin', '/usr/local/bin', '/usr/local/sbin']);

/**
 * Environment names denied in exec `env`: they make the dynamic loader, a shell or an interpreter run code of the
 * caller's choosing, or make a bare command name resolve elsewhere (PATH).
 */
export const DANGEROUS_ENV = new Set([
  'LD_PRELOAD', 'LD_LIBRARY_PATH', 'LD_AUDIT', 'LD_DEBUG', 'LD_PROFILE', 'LD_ORIGIN_PATH', 'GLIBC_TUNABLES', 'GCONV_PATH',
  'BASH_ENV', 'ENV', 'PROMPT_COMMAND', 'PS4', 'SHELLOPTS', 'BASHOPTS', 'IFS', 'CDPATH', 'GLOBIGNORE', 'PATH',
  'NODE_OPTIONS', 'NODE_PATH', 'NODE_REPL_EXTERNAL_MODULE', 'PYTHONSTARTUP', 'PYTHONPATH', 'PYTHONHOME', 'PYTHONINSPECT',
  'PYTHONWARNINGS', 'PYTHONBREAKPOINT', 'PERL5OPT', 'PERL5LIB', 'PERLLIB', 'PERL5DB', 'RUBYOPT', 'RUBYLIB',
  'JAVA_TOOL_OPTIONS', '_JAVA_OPTIONS', 'JDK_JAVA_OPTIONS', 'HOSTALIASES', 'RESOLV_HOST_CONF', 'LOCPATH', 'NLSPATH',
  'GIT_SSH', 'GIT_SSH_COMMAND', 'GIT_EXEC_PATH', 'GIT_ASKPASS', 'GIT_CONFIG', 'GIT_CONFIG_GLOBAL', 'GIT_CONFIG_SYSTEM',
  'GIT_CONFIG_PARAMETERS', 'GIT_EXTERNAL_DIFF', 'EDITOR', 'VISUAL', 'PAGER', 'MANPAGER', 'LESSOPEN', 'LESSCLOSE',
  'BROWSER', 'SSH_ASKPASS', 'SUDO_ASKPASS', 'ZDOTDIR', 'INPUTRC', 'TERMINFO', 'OPENSSL_CONF', 'SSLKEYLOGFILE',
]);
const DANGEROUS_ENV_PREFIXES = ['LD_', 'DYLD_', 'BASH_FUNC_', 'GIT_CONFIG_'];

const allow = (ruleId: string, reason: string): Decision => ({ allow: true, ruleId, reason });
const deny = (ruleId: string, reason: string): Decision => ({ allow: false, ruleId, reason });
const show = (s: string) => JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}...` : s);

/** Classifies a program (argv[0] or its basename) as shell, interpreter, wrapper or ordinary. */
export function classifyProgram(argv0: string): 'shell' | 'interpreter' | 'wrapper' | 'program' {
  const base = posix.basename(posix.normalize(argv0));
  if (SHELL.test(base)) return 'shell';
  if (INTERPRETER.test(base)) return 'interpreter';
  if (WRAPPERS.has(base)) return 'wrapper';
  return 'program';
}

/** True for root: user `root` or uid 0, and group `root` or gid 0 (group root reads root-group files). */
export function isRootUser(user: string): boolean {
  const [u, g] = user.split(':', 2);
  const zero = (s: string | undefined) => s !== undefined && (s === 'root' || /^0+$/.test(s));
  return zero(u) || zero(g);
}

/** The user an exec will run as: the call's, else the configured default, else the container's ('' = root). */
export function effectiveExecUser(user: unknown, cfg: Pick<ExecConfig, 'defaultUser'>, containerUser?: string): string {
  if (typeof user === 'string' && user.trim() !== '') return user.trim();
  if (cfg.defaultUser !== undefined && cfg.defaultUser.trim() !== '') return cfg.defaultUser.trim();
  return (containerUser ?? '').trim();
}

/** Lexically normalizes a path argument: resolves `.`, `..` and repeated slashes against `cwd`. */
export function normalizeArgPath(p: string, cwd = '/'): string {
  return posix.resolve(posix.normalize(cwd.startsWith('/') ? cwd : `/${cwd}`), p);
}

function underDenied(path: string, denied: readonly string[]): string | undefined {
  for (const d of denied) {
    const dn = posix.normalize(d).replace(/\/+$/, '') || '/';
    if (dn === '/' || path === dn || path.startsWith(`${dn}/`)) return dn;
  }
  return undefined;
}

/** Path-like pieces of one argument: itself, the value after `=`, and after a short flag or `@` (`-f/proc/x`, `@/proc/x`). */
function pathCandidates(arg: string): string[] {
  const out = new Set<string>();
  if (arg.includes('/') || arg === '.' || arg === '..') out.add(arg);
  const eq = arg.indexOf('=');
  if (eq >= 0 && arg.slice(eq + 1).includes('/')) out.add(arg.slice(eq + 1));
  const slash = arg.indexOf('/');
  if (slash > 0 && /^(-[A-Za-z0-9]+|@)$/.test(arg.slice(0, slash))) out.add(arg.slice(slash));
  return [...out];
}

function flagDenied(arg: string, flags: readonly string[]): string | undefined {
  const name = arg.includes('=') ? arg.slice(0, arg.indexOf('=')) : arg;
  for (const f of flags) {
    if (name === f) return f;
    // GNU getopt accepts any unambiguous prefix of a long option: --compress-prog=sh works like --compress-program.
    if (f.startsWith('--') && name.startsWith('--') && name.length >= 4 && f.startsWith(name)) return f;
  }
  return undefined;
}

interface CompiledPattern {
  readonly source: string;
  readonly first: string;
  readonly literalFirst: boolean;
  readonly tokens: GlobMatch[];
  /** Tokens that are absolute paths: matched against the normalized argument, so `/app/../etc` is not `/app/*`. */
  readonly pathToken: boolean[];
}

function compilePattern(p: string): CompiledPattern {
  const parts = p.trim().split(/\s+/);
  return { source: p, first: parts[0], literalFirst: !hasWildcard(parts[0]), tokens: parts.map(compileGlob), pathToken: parts.map((t) => t.startsWith('/')) };
}

/** Does argv[0] match the first token? Bare names match bare argv[0] or a path in a standard bin directory. */
function programMatches(pat: CompiledPattern, argv0: string, anyDir: boolean): boolean {
  if (pat.first.includes('/')) return argv0.includes('/') && pat.tokens[0](posix.normalize(argv0));
  if (!argv0.includes('/')) return pat.tokens[0](argv0);
  const norm = posix.normalize(argv0);
  if (!anyDir && !BIN_DIRS.has(posix.dirname(norm))) return false;
  return pat.tokens[0](posix.basename(norm));
}

function patternMatches(pat: CompiledPattern, argv: readonly string[], anyDir: boolean, cwd: string): boolean {
  if (argv.length < pat.tokens.length) return false;
  if (!programMatches(pat, argv[0], anyDir)) return false;
  for (let i = 1; i < pat.tokens.length; i++) {
    const arg = pat.pathToken[i] ? normalizeArgPath(argv[i], cwd) : argv[i];
    if (!pat.tokens[i](arg)) return false;
  }
  return true;
}

/** A compiled exec policy. */
export interface ExecPolicy {
  check(req: ExecRequest): Decision;
}

/** Compiles the exec section once; `check` is then pure and cheap. */
export function createExecPolicy(cfg: ExecConfig): ExecPolicy {
  const patterns = (cfg.commandPatterns ?? (cfg.mode === 'allowlist' ? [...DEFAULT_COMMAND_PATTERNS] : [])).map(compilePattern);
  const allowedWrappers = new Set(cfg.allowedWrappers);
  const deniedEnv = new Set([...DANGEROUS_ENV, ...cfg.deniedEnv.map((e) => e.toUpperCase())]);

  function check(req: ExecRequest): Decision {
    const cmd = req.cmd;
    if (!Array.isArray(cmd) || cmd.length === 0) return deny('exec.cmd-invalid', 'cmd must be a non-empty array of strings');
    for (const a of cmd) {
      if (typeof a !== 'string') return deny('exec.cmd-invalid', 'cmd must contain only strings');
      if (a.includes('\0')) return deny('exec.cmd-invalid', 'cmd arguments must not contain NUL bytes');
    }
    const argv = cmd as string[];
    if (argv[0].trim() === '' || argv[0] !== argv[0].trim()) return deny('exec.cmd-invalid', 'cmd[0] must be a program name without surrounding spaces');

    // User: Docker runs exec as the container's user when none is given, and that is root for most images.
    if (req.user !== undefined && typeof req.user !== 'string') return deny('exec.user-invalid', 'user must be a string');
    const user = effectiveExecUser(req.user, cfg, req.containerUser);
    if (user !== '' && !/^[A-Za-z0-9._-]{1,64}(:[A-Za-z0-9._-]{1,64})?$/.test(user)) {
      return deny('exec.user-invalid', `user ${show(user)} is not a user[:group] name or id`);
    }
    if (!cfg.allowRoot && (user === '' || isRootUser(user))) {
      const what = user === '' ? 'no user was given and the container runs as root' : `user ${show(user)} is root (uid or gid 0)`;
      return deny('exec.root-user', `${what}; pass a non-root user or set MCP_DOCKER_DEFAULT_USER (root needs MCP_DOCKER_ALLOW_ROOT=true)`);
    }

    if (req.env !== undefined) {
      if (!Array.isArray(req.env)) return deny('exec.env-invalid', 'env must be an array of NAME=value strings');
      for (const e of req.env) {
        if (typeof e !== 'string' || e.includes('\0')) return deny('exec.env-invalid', 'env entries must be NAME=value strings');
        const eq = e.indexOf('=');
        const name = eq < 0 ? e : e.slice(0, eq);
        if (eq <= 0 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return deny('exec.env-invalid', `env entry ${show(name)} is not NAME=value`);
        const upper = name.toUpperCase();
        if (deniedEnv.has(upper) || DANGEROUS_ENV_PREFIXES.some((p) => upper.startsWith(p))) {
          return deny('exec.env-denied', `environment variable ${name} is not allowed (it can make the program run other code)`);
        }
      }
    }

    let cwd = '/';
    if (req.workdir !== undefined) {
      if (typeof req.workdir !== 'string' || !req.workdir.startsWith('/') || req.workdir.includes('\0')) {
        return deny('exec.workdir-invalid', 'workdir must be an absolute path');
      }
      cwd = posix.normalize(req.workdir);
    }

    if (!cfg.security) return allow('exec.security-off', 'command checks are off (MCP_DOCKER_SECURITY=false)');

    const wd = underDenied(cwd, cfg.deniedPaths);
    if (wd) return deny('exec.denied-path', `workdir ${show(cwd)} is under denied path ${wd}`);
    for (const arg of argv) {
      for (const c of pathCandidates(arg)) {
        const n = normalizeArgPath(c, cwd);
        const d = underDenied(n, cfg.deniedPaths);
        if (d) return deny('exec.denied-path', `argument ${show(arg)} reaches ${n}, under denied path ${d}`);
      }
    }
    for (const arg of argv.slice(1)) {
      const f = flagDenied(arg, cfg.deniedFlags);
      if (f) return deny('exec.denied-flag', `flag ${show(arg)} is denied (${f} can run other programs)`);
    }

    if (cfg.mode === 'none') return allow('exec.mode-none', 'no command policy (mode none)');

    const kind = classifyProgram(argv[0]);
    const base = posix.basename(posix.normalize(argv[0]));
    if (kind !== 'program') {
      const named =
        allowedWrappers.has(base) ||
        allowedWrappers.has(posix.normalize(argv[0])) ||
        (cfg.mode === 'allowlist' && patterns.some((p) => p.literalFirst && (p.first === base || p.first === posix.normalize(argv[0])) && patternMatches(p, argv, true, cwd)));
      if (!named) {
        const rule = kind === 'shell' ? 'exec.shell' : kind === 'interpreter' ? 'exec.interpreter' : 'exec.wrapper';
        return deny(rule, `${base} is a ${kind} that can run any command; list it explicitly to allow it`);
      }
    }

    if (cfg.mode === 'allowlist') {
      const hit = patterns.find((p) => patternMatches(p, argv, false, cwd));
      if (!hit && !(kind !== 'program' && allowedWrappers.has(base))) {
        return deny('exec.not-allowlisted', `command ${show(argv[0])} is not in the allowlist (MCP_DOCKER_COMMAND_PATTERNS)`);
      }
      return allow('exec.allowlisted', hit ? `matches allowlist pattern ${show(hit.source)}` : `${base} is an allowed wrapper`);
    }
    // Denylist: match bare names in any directory, so /tmp/x/rm cannot dodge a `rm` entry.
    const hit = patterns.find((p) => patternMatches(p, argv, true, cwd));
    if (hit) return deny('exec.denylisted', `command matches denied pattern ${show(hit.source)}`);
    return allow('exec.not-denylisted', 'command matches no denied pattern');
  }

  return { check };
}
