/**
 * Splits Docker's multiplexed attach stream (non-TTY) into stdout and stderr. Each frame is an 8-byte header
 * (stream type in byte 0: 1 stdout, 2 stderr; big-endian payload length in bytes 4-7) followed by the payload.
 */

/** Receives demultiplexed payloads. */
export interface DemuxSinks {
  stdout(chunk: Buffer): void;
  stderr(chunk: Buffer): void;
}

/** Incremental demuxer: feed it raw chunks in any sizes. */
export class DockerStreamDemuxer {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly sinks: DemuxSinks) {}

  /** Consumes one raw chunk, emitting every complete frame it finishes. */
  push(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    while (this.pending.length >= 8) {
      const type = this.pending[0];
      const length = this.pending.readUInt32BE(4);
      if (this.pending.length < 8 + length) return;
      const payload = this.pending.subarray(8, 8 + length);
      this.pending = this.pending.subarray(8 + length);
      if (type === 2) this.sinks.stderr(payload);
      else this.sinks.stdout(payload);
    }
  }
}
