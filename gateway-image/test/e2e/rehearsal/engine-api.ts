/**
 * A minimal Docker Engine API client over the unix socket, for the deploy rehearsal: the Terraform docker
 * provider talks to the engine through this API too, so realizing the plan with it (not with `docker run`
 * flags) keeps the exact shapes, e.g. an exec-form healthcheck, which the CLI cannot express.
 */
import { request } from 'node:http';

/** The engine Terraform would manage on this machine (the stack's provider `host`). */
export const DOCKER_SOCKET = '/var/run/docker.sock';
/** The engine here speaks API 1.41 (Docker 20.10); pinning it keeps request and response shapes stable. */
const API_VERSION = 'v1.41';

/** An error answer of the engine, with its HTTP status. */
export class EngineApiError extends Error {
  /** HTTP status the engine answered with. */
  readonly status: number;
  constructor(what: string, status: number, message: string) {
    super(`${what}: engine answered ${status}: ${message}`);
    this.name = 'EngineApiError';
    this.status = status;
  }
}

/**
 * One Engine API call: `method path` with an optional JSON body, bounded by `timeoutMs`.
 * Returns the parsed JSON answer (or undefined for an empty one); throws {@link EngineApiError} naming what was
 * being done on a non-2xx answer.
 */
export function engine<T = unknown>(method: string, path: string, body?: unknown, opts: { timeoutMs?: number; what?: string } = {}): Promise<T> {
  const what = opts.what ?? `${method} ${path}`;
  const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise<T>((resolve, reject) => {
    const req = request({
      socketPath: DOCKER_SOCKET,
      method,
      path: `/${API_VERSION}${path}`,
      headers: payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {},
      timeout: opts.timeoutMs ?? 30_000,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const status = res.statusCode ?? 0;
        if (status < 200 || status > 299) {
          let message = text.trim();
          try { message = (JSON.parse(text) as { message?: string }).message ?? message; } catch { /* plain text */ }
          reject(new EngineApiError(what, status, message));
          return;
        }
        try {
          resolve((text ? JSON.parse(text) : undefined) as T);
        } catch (err) {
          reject(new Error(`${what}: unparseable engine answer: ${(err as Error).message}`));
        }
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${what}: no answer from the engine within ${opts.timeoutMs ?? 30_000} ms`)));
    req.on('error', reject);
    req.end(payload);
  });
}
