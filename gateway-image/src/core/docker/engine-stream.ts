/**
 * Strict parsing of Docker's multiplexed exec/log stream: frames of an 8-byte header (stream type 0 stdin, 1 stdout,
 * 2 stderr, 3 the engine's own error; three zero bytes; big-endian payload length) and the payload. Headers and
 * payloads may be split across chunks. Anything else (an unknown type, non-zero padding, a frame longer than
 * MAX_FRAME_BYTES) is a protocol violation: it is reported once and nothing more is forwarded, so bytes the
 * gateway cannot attribute never reach a client as stdout, and an absurd length is never buffered towards.
 */
import type { PassThrough, Readable } from 'node:stream';

/**
 * The longest frame accepted. The engine writes output in frames of at most 32 KiB (its copy buffer) and splits
 * log lines at 16 KiB; 1 MiB leaves ample room and still refuses a corrupted length (up to 4 GiB) at once.
 */
export const MAX_FRAME_BYTES = 1024 * 1024;

/** Writes to a demultiplexed stream, pausing the engine's stream while that one is full (backpressure). */
export function forward(source: Readable, target: PassThrough, data: Buffer): void {
  if (!target.write(data) && !source.isPaused()) {
    source.pause();
    target.once('drain', () => source.resume());
  }
}

/**
 * Forwards the frames of `source` to stdout (types 0 and 1) and stderr (type 2). A type-3 frame (the engine's
 * error message) and malformed framing call `onViolation` with a description, once, after which the rest of the
 * stream is ignored; the caller aborts the call.
 */
export function demuxStrict(source: Readable, stdout: PassThrough, stderr: PassThrough, onViolation: (detail: string) => void): void {
  let pending: Buffer | undefined;
  let broken = false;
  const fail = (detail: string) => {
    broken = true;
    pending = undefined;
    onViolation(detail);
  };
  source.on('data', (chunk: Buffer) => {
    if (broken) return;
    let buf = pending ? Buffer.concat([pending, chunk]) : chunk;
    pending = undefined;
    while (buf.length >= 8) {
      const type = buf[0];
      if (type > 3 || buf[1] !== 0 || buf[2] !== 0 || buf[3] !== 0) {
        return fail(`frame header ${buf.subarray(0, 8).toString('hex')}: stream type ${type} is not stdin/stdout/stderr/error, or padding is not zero`);
      }
      const len = buf.readUInt32BE(4);
      if (len > MAX_FRAME_BYTES) return fail(`frame of ${len} bytes announced, more than the ${MAX_FRAME_BYTES} accepted`);
      if (buf.length < 8 + len) break;
      const payload = buf.subarray(8, 8 + len);
      if (type === 3) return fail(`engine error in stream: ${payload.toString('utf8').slice(0, 200)}`);
      if (len > 0) forward(source, type === 2 ? stderr : stdout, payload);
      buf = buf.subarray(8 + len);
    }
    if (buf.length > 0) pending = Buffer.from(buf);
  });
  source.once('end', () => {
    if (!broken && pending && pending.length > 0) fail(`stream ended inside a frame (${pending.length} bytes of an incomplete frame)`);
  });
}
