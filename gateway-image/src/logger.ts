/**
 * The gateway's pino logger: JSON lines on stderr (stdout belongs to the stdio transport), secrets
 * censored by path, and a plain one-line text form when structured logs are off.
 */
import { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import type { BaseConfig } from './config.js';

/** Paths pino censors wherever they appear in a log object. */
export const REDACT_PATHS = [
  'authorization', '*.authorization', 'headers.authorization', '*.headers.authorization',
  'headers["cf-access-jwt-assertion"]', '*.headers["cf-access-jwt-assertion"]', 'cookie', '*.cookie',
  'token', '*.token', 'secret', '*.secret', 'password', '*.password', 'env', '*.env',
];

function textStream(out: NodeJS.WritableStream): Writable {
  return new Writable({
    write(chunk: Buffer, _enc, done) {
      try {
        const { time, level, msg, pid: _p, hostname: _h, ...rest } = JSON.parse(chunk.toString('utf8')) as Record<string, unknown>;
        const extra = Object.entries(rest).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ');
        out.write(`${new Date(Number(time)).toISOString()} ${pino.levels.labels[Number(level)] ?? level} ${String(msg ?? '')}${extra ? ` ${extra}` : ''}\n`);
      } catch {
        out.write(chunk);
      }
      done();
    },
  });
}

/** Creates the logger for `config.logging`, writing to `out` (default stderr). */
export function createLogger(logging: BaseConfig['logging'], out: NodeJS.WritableStream = process.stderr): Logger {
  const options = { level: logging.level, base: { service: 'mcp-gateway' }, redact: { paths: REDACT_PATHS, censor: '<redacted>' } };
  return pino(options, logging.structured ? (out as never) : textStream(out));
}
