/**
 * An MCP {@link Transport} over any pair of byte streams speaking newline-delimited JSON-RPC: a child
 * process's stdio, or the hijacked attach stream of a container (after {@link DockerStreamDemuxer}).
 * The SDK's own StdioClientTransport spawns the process itself, which leaves us no say over process groups
 * or containers, so launchers own the process and hand this class only its streams.
 */
import type { Readable, Writable } from 'node:stream';
import { STDIO_DEFAULT_MAX_BUFFER_SIZE, type JSONRPCMessage } from '@modelcontextprotocol/client';
import type { Transport } from '@modelcontextprotocol/client';

const NEWLINE = 0x0a;

/** Options of {@link StreamTransport}. */
export interface StreamTransportOptions {
  /** Bytes the upstream writes to us (its stdout). */
  readonly input: Readable;
  /** Bytes we write to the upstream (its stdin). */
  readonly output: Writable;
  /** Stops the process or container behind the streams; called once by {@link StreamTransport.close}. */
  readonly stop: () => Promise<void>;
}

/** Newline-delimited JSON-RPC over a readable and a writable stream. */
export class StreamTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  /** The start of a line whose newline has not arrived yet. */
  private partial: Buffer[] = [];
  private partialBytes = 0;
  private closed = false;
  private stopping?: Promise<void>;

  constructor(private readonly opts: StreamTransportOptions) {}

  /** Starts reading; the streams are already open when the launcher hands them over. */
  async start(): Promise<void> {
    const { input, output } = this.opts;
    input.on('data', (chunk: Buffer) => this.read(chunk));
    input.on('error', (err: Error) => this.onerror?.(err));
    input.on('end', () => this.markClosed());
    input.on('close', () => this.markClosed());
    // EPIPE after the upstream died is expected; the close handler reports it to pending requests.
    output.on('error', (err: Error) => this.onerror?.(err));
  }

  /** Writes one message; rejects when the upstream's stdin is gone. */
  send(message: JSONRPCMessage): Promise<void> {
    if (this.closed) return Promise.reject(new Error('upstream stream is closed'));
    return new Promise((resolve, reject) => {
      const ok = this.opts.output.write(`${JSON.stringify(message)}\n`, (err) => (err ? reject(err) : undefined));
      if (ok) resolve();
      else this.opts.output.once('drain', resolve);
    });
  }

  /** Stops the upstream and reports the close once. */
  async close(): Promise<void> {
    this.stopping ??= this.opts.stop().catch((err: Error) => this.onerror?.(err));
    await this.stopping;
    this.markClosed();
  }

  /** Marks the transport closed (the upstream exited or its stream ended) and notifies the SDK once. */
  markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.partial = [];
    this.partialBytes = 0;
    this.onclose?.();
  }

  /** Splits a chunk into lines (a line may span chunks) and delivers each complete one. */
  private read(chunk: Buffer): void {
    let start = 0;
    let nl = chunk.indexOf(NEWLINE);
    while (nl !== -1 && !this.closed) {
      const piece = chunk.subarray(start, nl);
      const line = this.partial.length === 0 ? piece : Buffer.concat([...this.partial, piece]);
      this.partial = [];
      this.partialBytes = 0;
      this.deliver(line);
      start = nl + 1;
      nl = chunk.indexOf(NEWLINE, start);
    }
    if (start >= chunk.length || this.closed) return;
    this.partialBytes += chunk.length - start;
    if (this.partialBytes > STDIO_DEFAULT_MAX_BUFFER_SIZE) {
      // The SDK's ReadBuffer limit: an endless line is dropped and reported, not buffered without bound.
      this.partial = [];
      this.partialBytes = 0;
      this.onerror?.(new Error(`upstream line exceeded ${STDIO_DEFAULT_MAX_BUFFER_SIZE} bytes without a newline; dropped`));
      return;
    }
    this.partial.push(chunk.subarray(start));
  }

  /**
   * Parses one line. Only JSON objects of JSON-RPC 2.0 pass; the SDK's Protocol checks each message's exact shape
   * itself (and reports one it does not know), so validating the whole schema here as well would do it twice.
   * A non-JSON line (a server logging to stdout) is reported and skipped, not fatal.
   */
  private deliver(line: Buffer): void {
    let msg: unknown;
    try {
      msg = JSON.parse(line.toString('utf8'));
    } catch (err) {
      this.onerror?.(err as Error);
      return;
    }
    if (typeof msg !== 'object' || msg === null || (msg as { jsonrpc?: unknown }).jsonrpc !== '2.0') {
      this.onerror?.(new Error(`upstream wrote a line that is not a JSON-RPC 2.0 message: ${line.toString('utf8').slice(0, 200)}`));
      return;
    }
    this.onmessage?.(msg as JSONRPCMessage);
  }
}
