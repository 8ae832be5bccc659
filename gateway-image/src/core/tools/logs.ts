/** docker_logs: buffered (tail/since/until) or followed for a bounded time, capped at maxBytes. */
import { z } from 'zod';
import type { ToolDefinition } from '../contracts.js';
import { abortedByShutdown } from '../shutdown.js';
import { awaitOutput, captureOutput } from './output-capture.js';
import { dockerErrorResult, errorResult, notFound, okResult } from './tool-result.js';
import type { ToolDeps } from './tool-deps.js';

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/**
 * Docker wants unix seconds. Accepts unix seconds, RFC 3339 dates, or a relative duration like `10m` (ago).
 * Returns undefined for an unparseable value so the schema can name it.
 */
export function toUnixSeconds(value: string | number, now = Date.now()): number | undefined {
  if (typeof value === 'number') return value;
  const rel = /^(\d+)([smhd])$/.exec(value.trim());
  if (rel) return Math.floor(now / 1000) - Number(rel[1]) * UNITS[rel[2]];
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.floor(Number(value));
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : Math.floor(t / 1000);
}

const timeArg = z.union([z.number().int().min(0), z.string().min(1)])
  .refine((v) => toUnixSeconds(v) !== undefined, { message: 'use unix seconds, an RFC 3339 date, or a duration like 10m' });

/** The shapes `tail` accepts, named in the refusal of any other. */
export const TAIL_SHAPES = 'a number of lines (100), the same as a string ("100"), or "all"';

/**
 * `tail` as mcp-docker-exec and the Docker CLI take it: a number, a numeric string or `all`; normalized to a number
 * or `'all'`.
 */
export const tailArg = z.union([z.number(), z.string()], { error: `tail must be ${TAIL_SHAPES}` })
  .refine((v) => (typeof v === 'number' ? Number.isInteger(v) && v >= 0 : /^\s*(\d+|all)\s*$/i.test(v)), { message: `tail must be ${TAIL_SHAPES}` })
  .transform((v): number | 'all' => (typeof v === 'number' ? v : v.trim().toLowerCase() === 'all' ? 'all' : Number(v.trim())));

function logsArgs(deps: ToolDeps) {
  return z.object({
    id: z.string().min(1).describe('Container id or name'),
    tail: tailArg.optional().describe('Lines from the end: a number, "100" or "all" (default 100)'),
    since: timeArg.optional().describe('Start time: unix seconds, RFC 3339, or a duration like 10m'),
    until: timeArg.optional().describe('End time, same forms as since'),
    timestamps: z.boolean().optional().describe('Prefix lines with timestamps'),
    follow: z.boolean().optional().describe('Keep reading new lines for followSeconds, sent as progress as they are logged'),
    followSeconds: z.number().int().min(1).max(deps.limits.maxFollowSeconds).optional().describe('How long to follow (default 10)'),
    maxBytes: z.number().int().min(1).max(deps.limits.maxBytes).optional().describe(`Output cap (default and max ${deps.limits.maxBytes})`),
    chunkBytes: z.number().int().min(64).max(4 * 1024 * 1024).optional().describe('Streamed chunk size'),
  }).strict();
}

type LogsArgs = z.infer<ReturnType<typeof logsArgs>>;

/** The docker_logs tool. */
export function logsTool(deps: ToolDeps): ToolDefinition<LogsArgs> {
  return {
    name: 'docker_logs',
    description: 'Read a container\'s logs (stdout and stderr). follow=true keeps reading for followSeconds and streams lines as progress notifications.',
    inputSchema: logsArgs(deps),
    annotations: { title: 'Container logs', readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    mutating: false,
    target: (a) => a.id,
    async run(a, ctx) {
      const started = performance.now();
      try {
        const logs = await deps.docker.streamLogs(a.id, {
          tail: a.tail ?? 100, timestamps: a.timestamps, follow: a.follow,
          since: a.since === undefined ? undefined : toUnixSeconds(a.since),
          until: a.until === undefined ? undefined : toUnixSeconds(a.until),
        }, ctx.signal);
        if (!logs) return notFound('container', a.id);
        let stopped: 'follow-ended' | 'output-cap' | 'stream-limit' | 'cancelled' | 'shutdown' | undefined;
        const stop = (why: NonNullable<typeof stopped>) => { stopped ??= why; logs.close(); };
        const capture = captureOutput(logs.stdout, logs.stderr, {
          maxBytes: a.maxBytes ?? deps.limits.maxBytes,
          chunkBytes: a.chunkBytes ?? deps.limits.chunkBytes,
          flushMs: deps.limits.flushMs,
          progress: a.follow ? ctx.progress : undefined,
          // Following streams every line as progress (bounded by followSeconds); only the result is capped.
          onCap: a.follow ? undefined : () => stop('output-cap'),
          maxStreamBytes: deps.limits.maxStreamBytes,
          onStreamLimit: () => stop('stream-limit'),
          onBytes: (n) => deps.onBytes?.('docker_logs', n),
        });
        try {
          await awaitOutput(capture.finished, {
            signal: ctx.signal, deadlineMs: a.follow ? (a.followSeconds ?? 10) * 1000 : undefined,
            onDeadline: () => stop('follow-ended'), onAbort: () => stop(abortedByShutdown(ctx.signal) ? 'shutdown' : 'cancelled'),
          });
        } finally {
          capture.stop();
        }
        const data = { ...capture.result(), durationMs: Math.round(performance.now() - started), ...(stopped ? { stopped } : {}) };
        const fault = logs.fault();
        if (fault) return errorResult(fault.message, { ...data, stopped: 'stream-fault' });
        if (stopped === 'shutdown') return errorResult('Reading the logs stopped: the gateway is shutting down (the lines read so far are in this result)', data);
        return okResult(data);
      } catch (err) {
        return dockerErrorResult(err);
      }
    },
  };
}
