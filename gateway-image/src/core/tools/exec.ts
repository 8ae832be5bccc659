/**
 * docker_exec: run a command in a container, buffered or streamed, with a timeout and an output cap that
 * really stop the process (see ExecHandle.kill), and cancellation on client disconnect.
 */
import { z } from 'zod';
import type { ToolDefinition } from '../contracts.js';
import { abortedByShutdown } from '../shutdown.js';
import { EngineUnreachableError, type ExecHandle } from '../docker/docker-client.js';
import { awaitOutput, captureOutput } from './output-capture.js';
import { DockerOperationError } from '../docker/docker-client.js';
import { dockerErrorResult, errorResult, notFound, okResult } from './tool-result.js';
import type { ToolDeps } from './tool-deps.js';
import { ENABLE_LIFECYCLE_HINT } from './tool-names.js';

/**
 * The user the runtime could not find, when that is why the exec failed: runc answers exit code 126 with
 * `unable to find user X: no matching entries in passwd file` on the exec's output, which would otherwise pass for
 * the command's own failure.
 */
export function missingUser(exitCode: number | null, stdout: string, stderr: string): string | undefined {
  if (exitCode !== 126) return undefined;
  const m = /^(?:[^\n]*: )?unable to find (?:user|group) ([^:\s]+): no matching entries in (?:passwd|group) file/m.exec(`${stdout}\n${stderr}`.trim());
  return m?.[1];
}

/** Why an exec on a stopped container cannot run, and what starts it. */
export function notRunningMessage(id: string, engineMessage: string, lifecycleEnabled: boolean): string {
  const state = /paused/i.test(engineMessage) ? 'paused' : /restarting/i.test(engineMessage) ? 'restarting' : 'not running';
  const next = state === 'not running'
    ? lifecycleEnabled ? 'Start it with docker_start, then run the command again.' : `Start it first; the docker_start tool is switched off (${ENABLE_LIFECYCLE_HINT}).`
    : 'Wait until it is running, then run the command again.';
  return `Container ${id} is ${state}, so nothing can be executed in it. ${next}`;
}

/** The shapes `env` accepts, named in the refusal of any other. */
export const ENV_SHAPES = 'an array of "NAME=value" strings (["DEBUG=1"]) or an object of names to string values ({"DEBUG": "1"})';
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * `env` as mcp-docker-exec takes it (an object) and as the Engine API takes it (an array of NAME=value); normalized to
 * the array, so policy and the engine see one form.
 */
export const envArg = z.union([z.array(z.string()), z.record(z.string(), z.string())], { error: `env must be ${ENV_SHAPES}` })
  .superRefine((v, ctx) => {
    const bad = Array.isArray(v) ? v.filter((e) => !ENV_NAME.test(e.slice(0, Math.max(0, e.indexOf('='))))) : Object.keys(v).filter((k) => !ENV_NAME.test(k));
    if (bad.length > 0) {
      ctx.addIssue({ code: 'custom', message: `env entries ${bad.map((b) => JSON.stringify(b)).join(', ')} are not valid: env must be ${ENV_SHAPES}, names of letters, digits and _ not starting with a digit` });
    }
  })
  .transform((v): string[] => (Array.isArray(v) ? v : Object.entries(v).map(([k, val]) => `${k}=${val}`)));

/** How long an exec cut off from its engine is tried to be killed, once a second. */
const KILL_RETRY_SECONDS = 120;

function execArgs(deps: ToolDeps) {
  return z.object({
    id: z.string().min(1).describe('Container id or name'),
    cmd: z.array(z.string()).min(1).describe('Command and arguments, e.g. ["ls","-la","/app"] (no shell is added)'),
    user: z.string().min(1).optional().describe('User to run as (policy may forbid root)'),
    workdir: z.string().min(1).optional().describe('Working directory'),
    env: envArg.optional().describe('Extra environment: ["NAME=value", ...] or {"NAME": "value"}'),
    tty: z.boolean().optional().describe('Allocate a TTY (stdout and stderr are then merged)'),
    stdin: z.string().optional().describe('Text written to the process stdin, which is then closed'),
    stream: z.boolean().optional().describe('Send output as progress notifications while running, as it is printed'),
    timeoutMs: z.number().int().min(1).max(3_600_000).optional().describe(`Kill after this long (default ${deps.limits.timeoutMs})`),
    maxBytes: z.number().int().min(1).max(deps.limits.maxBytes).optional().describe(`Output cap (default and max ${deps.limits.maxBytes})`),
    chunkBytes: z.number().int().min(64).max(4 * 1024 * 1024).optional().describe(`Streamed chunk size (default ${deps.limits.chunkBytes})`),
  }).strict();
}

type ExecArgs = z.infer<ReturnType<typeof execArgs>>;

/** The docker_exec tool. */
export function execTool(deps: ToolDeps): ToolDefinition<ExecArgs> {
  return {
    name: 'docker_exec',
    description: 'Run a command (argv array, no shell) in a running container. Returns exitCode, stdout, stderr, truncated and durationMs. ' +
      'Set stream=true to receive all output as progress notifications (the result then carries the first maxBytes). ' +
      'Timeouts, cancellation and, in buffered mode, the output cap kill the process.',
    inputSchema: execArgs(deps),
    annotations: { title: 'Exec in container', readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
    mutating: true,
    preparesDuringDecisionSync: true,
    target: (a) => a.id,
    async run(a, ctx) {
      if (ctx.dryRun) return okResult({ dryRun: true, executed: false, id: a.id, cmd: a.cmd });
      const started = performance.now();
      const timeoutMs = a.timeoutMs ?? deps.limits.timeoutMs;
      let execHandle: ExecHandle | null = null;
      try {
        const handle = execHandle = await deps.docker.execInContainer(a.id, { cmd: a.cmd, user: a.user ?? deps.defaultExecUser, workdir: a.workdir, env: a.env, tty: a.tty, stdin: a.stdin, beforeStart: ctx.decisionSynced }, ctx.signal);
        if (!handle) return notFound('container', a.id);
        let stopReason: 'timeout' | 'output-cap' | 'stream-limit' | 'cancelled' | 'shutdown' | undefined;
        let kill: ReturnType<typeof handle.kill> | undefined;
        const stop = (reason: NonNullable<typeof stopReason>) => {
          stopReason ??= reason;
          kill ??= handle.kill();
        };
        const capture = captureOutput(handle.stdout, handle.stderr, {
          maxBytes: a.maxBytes ?? deps.limits.maxBytes,
          chunkBytes: a.chunkBytes ?? deps.limits.chunkBytes,
          flushMs: deps.limits.flushMs,
          progress: a.stream ? ctx.progress : undefined,
          // Buffered: the cap ends the command (nobody will see the rest). Streaming: everything reaches the client
          // as progress and only the final result is capped, so the command runs to its end or its timeout.
          onCap: a.stream ? undefined : () => stop('output-cap'),
          maxStreamBytes: deps.limits.maxStreamBytes,
          onStreamLimit: () => stop('stream-limit'),
          onBytes: (n) => deps.onBytes?.('docker_exec', n),
        });
        try {
          await awaitOutput(capture.finished, {
            signal: ctx.signal, deadlineMs: timeoutMs, onDeadline: () => stop('timeout'),
            onAbort: () => stop(abortedByShutdown(ctx.signal) ? 'shutdown' : 'cancelled'),
          });
        } finally {
          capture.stop();
        }
        const killed = kill ? await kill : undefined;
        const exitCode = await handle.exitCode();
        const out = capture.result();
        const data = {
          exitCode, stdout: out.stdout, stderr: out.stderr, truncated: out.truncated, bytes: out.bytes,
          durationMs: Math.round(performance.now() - started),
          ...(stopReason ? { stopped: stopReason, killed } : {}),
        };
        const fault = handle.fault();
        // The engine's stream broke its framing: the client already killed the exec; say so, with what was read.
        if (fault) return errorResult(fault.message, { ...data, stopped: 'stream-fault', killed: await handle.kill() });
        // No exit status although nothing stopped the command: the engine lost the exec (it was restarted, or its
        // container went away under it). The output may be cut short; say so rather than answer a success.
        if (exitCode === null && !stopReason) {
          return errorResult('The command ended without an exit status: the engine no longer knows this exec (was the engine restarted, or the container stopped?); its output may be incomplete', { ...data, stopped: 'engine-lost' });
        }
        if (stopReason === 'timeout') return errorResult(`Command timed out after ${timeoutMs} ms and was killed`, data);
        if (stopReason === 'cancelled') return errorResult('Command cancelled and killed', data);
        if (stopReason === 'shutdown') return errorResult('Command killed: the gateway is shutting down (the output it printed so far is in this result)', data);
        if (stopReason === 'stream-limit') {
          return errorResult(`Command stopped after streaming ${deps.limits.maxStreamBytes} bytes (MCP_DOCKER_MAX_STREAM_BYTES); narrow the output or raise the limit`, data);
        }
        const missing = missingUser(exitCode, out.stdout, out.stderr);
        if (missing) {
          return errorResult(`User "${missing}" does not exist in container ${a.id} (no entry in its /etc/passwd or /etc/group), so the command did not run. ` +
            'Give a numeric uid[:gid] such as "1000:1000", a user the image defines, or no user to run as the container\'s own user.', data);
        }
        return okResult(data);
      } catch (err) {
        if (err instanceof DockerOperationError && err.statusCode === 409 && /is not running|is paused|is restarting/i.test(err.message)) {
          return errorResult(notRunningMessage(a.id, err.message, deps.limits.enableLifecycle));
        }
        // The engine went away while the command ran (stopped, restarted): with live-restore the command lives on,
        // unobserved. It is killed as soon as the engine answers again (bounded), and the answer says so.
        if (execHandle && err instanceof EngineUnreachableError) {
          void killWhenEngineBack(execHandle);
          return errorResult(`${err.message}; the command is killed once the engine answers again`);
        }
        return dockerErrorResult(err);
      }
    },
  };
}

/** Tries to kill an exec whose engine went away, once a second for KILL_RETRY_SECONDS, until the kill goes through. */
async function killWhenEngineBack(handle: ExecHandle): Promise<void> {
  for (let i = 0; i < KILL_RETRY_SECONDS; i += 1) {
    const r = await handle.kill();
    if (!('reason' in r) || !/unreachable|is failing|did not answer/.test(r.reason)) return;
    await new Promise((resolve) => setTimeout(resolve, 1000).unref());
  }
}
