/**
 * An MCP {@link Transport} over any pair of byte streams speaking newline-delimited JSON-RPC: a child
 * process's stdio, or the hijacked attach stream of a container (after {@link DockerStreamDemuxer}).
 * The SDK's own StdioClientTransport spawns the process itself, which leaves us no say over process groups
 * or containers, so launchers own the process and hand this class only its streams.
 */
import type { Readable, Writable } from 'node:stream';
import { ReadBuffer, serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

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

  private readonly buffer = new ReadBuffer();
  private closed = false;
  private stopping?: Promise<void>;

  constructor(private readonly opts: StreamTransportOptions) {}

  /** Starts reading; the streams are already open when the launcher hands them over. */
  async start(): Promise<void> {
    const { input, output } = this.opts;
    input.on('data', (chunk: Buffer) => {
      try {
        this.buffer.append(chunk);
      } catch (err) {
        this.onerror?.(err as Error);
        return;
      }
      this.drain();
    });
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
      const ok = this.opts.output.write(serializeMessage(message), (err) => (err ? reject(err) : undefined));
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
    this.buffer.clear();
    this.onclose?.();
  }

  private drain(): void {
    for (;;) {
      let msg: JSONRPCMessage | null;
      try {
        msg = this.buffer.readMessage();
      } catch (err) {
        // A non-JSON line (a server logging to stdout) is reported and skipped, not fatal.
        this.onerror?.(err as Error);
        continue;
      }
      if (msg === null) return;
      this.onmessage?.(msg);
    }
  }
}
