/**
 * What every launcher (image, command, remote) hands the upstream instance: a connected-ready MCP transport
 * plus enough about the thing behind it to explain failures.
 */
import type { Transport } from '@modelcontextprotocol/client';
import type { UpstreamServerConfig } from './upstreams-config.js';

/** How an upstream process or container ended. */
export interface UpstreamExit {
  readonly code: number | null;
  readonly signal?: string | null;
}

/** A started upstream: the transport to talk MCP over and facts for error messages. */
export interface LaunchedUpstream {
  readonly transport: Transport;
  /** e.g. `process 1234`, `container 3f2a9c1b7d10`, `https://host/mcp`. */
  readonly describe: string;
  /** Resolves when the process or container has ended (never for remote servers until closed). */
  readonly exited: Promise<UpstreamExit>;
  /** The last few hundred bytes the upstream wrote to stderr, for error messages. */
  stderrTail(): string;
  /**
   * What the upstream wrote to stderr, its first lines (where the reason usually is: `npm error ...`, `Error: ...`)
   * and its last line, for the message of a failed start. @default - the tail only
   */
  stderrSummary?(): string;
}

/** What a launcher knows about the instance it starts. */
export interface LaunchContext {
  /** Upstream server name (the config key). */
  readonly server: string;
  /** Aborted when the start is given up (init timeout, gateway shutdown). */
  readonly signal: AbortSignal;
}

/** Starts one instance of a server. */
export type Launcher = (server: UpstreamServerConfig, ctx: LaunchContext) => Promise<LaunchedUpstream>;

/** Lines of stderr a failed start quotes from the beginning. */
const SUMMARY_LINES = 8;

/**
 * Keeps the last `max` bytes of a stream as text, and its first `headMax` bytes: a crash's tail is stack frames, the
 * reason is usually in the first lines.
 */
export class TailBuffer {
  private text = '';
  private first = '';
  private total = 0;
  constructor(private readonly max = 2048, private readonly headMax = 2048) {}
  /** Appends a chunk, dropping the oldest bytes beyond the cap (the head is kept). */
  push(chunk: Buffer | string): void {
    const s = chunk.toString();
    if (this.first.length < this.headMax) this.first += s.slice(0, this.headMax - this.first.length);
    this.total += s.length;
    this.text += s;
    if (this.text.length > this.max) this.text = this.text.slice(this.text.length - this.max);
  }
  /** The kept text, trimmed. */
  toString(): string {
    return this.text.trim();
  }
  /** The first lines, then `...` and the last line when there is more; empty when nothing was written. */
  summary(): string {
    const lines = this.first.split('\n').map((l) => l.trimEnd()).filter((l) => l.trim() !== '');
    const head = lines.slice(0, SUMMARY_LINES);
    const last = this.text.trim().split('\n').pop()?.trim() ?? '';
    const more = lines.length > SUMMARY_LINES || this.total > this.first.length;
    return more && last !== '' && !head.includes(last) ? `${head.join('\n')}\n...\n${last}` : head.join('\n');
  }
}
