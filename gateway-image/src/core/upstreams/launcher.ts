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

/** Keeps the last `max` bytes of a stream as text. */
export class TailBuffer {
  private text = '';
  constructor(private readonly max = 2048) {}
  /** Appends a chunk, dropping the oldest bytes beyond the cap. */
  push(chunk: Buffer | string): void {
    this.text += chunk.toString();
    if (this.text.length > this.max) this.text = this.text.slice(this.text.length - this.max);
  }
  /** The kept text, trimmed. */
  toString(): string {
    return this.text.trim();
  }
}
