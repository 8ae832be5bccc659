/**
 * The baseline: the Engine API spoken directly over the unix socket with a keep-alive node:http agent,
 * doing the same work the gateway's tools do (exec create + start + inspect; GET /containers/json).
 */
import http from 'node:http';

/** A response read to the end. */
interface RawResponse {
  readonly status: number;
  readonly body: Buffer;
}

/** Options of {@link createRawEngine}. */
export interface RawEngineOptions {
  /** @default '/var/run/docker.sock' */
  readonly socketPath?: string;
  /** @default 'v1.41' (the engine on our machines) */
  readonly apiVersion?: string;
  /** Keep-alive sockets at most. @default 64 */
  readonly maxSockets?: number;
}

/** The raw client. */
export interface RawEngine {
  /** GET /containers/json (running containers), parsed. */
  listContainers(): Promise<unknown[]>;
  /** exec create, start (attached, demultiplexed) and inspect for the exit code; returns stdout and exit code. */
  exec(container: string, cmd: readonly string[], user?: string): Promise<{ stdout: string; exitCode: number }>;
  close(): void;
}

/** Splits Docker's multiplexed stream (8-byte frame headers) and returns stdout. */
function demuxStdout(buf: Buffer): string {
  const out: Buffer[] = [];
  let off = 0;
  while (off + 8 <= buf.length) {
    const len = buf.readUInt32BE(off + 4);
    if (buf[off] === 1) out.push(buf.subarray(off + 8, off + 8 + len));
    off += 8 + len;
  }
  return Buffer.concat(out).toString('utf8');
}

/** Creates the raw Engine API client. */
export function createRawEngine(opts: RawEngineOptions = {}): RawEngine {
  const socketPath = opts.socketPath ?? '/var/run/docker.sock';
  const prefix = `/${opts.apiVersion ?? 'v1.41'}`;
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.maxSockets ?? 64 });

  function request(method: string, path: string, body?: unknown): Promise<RawResponse> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = http.request({
        socketPath, agent, method, path: `${prefix}${path}`,
        headers: payload === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: chunks.length === 1 ? chunks[0] : Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(payload);
    });
  }

  function expect(res: RawResponse, status: number, what: string): RawResponse {
    if (res.status !== status) throw new Error(`${what}: HTTP ${res.status} ${res.body.toString('utf8').slice(0, 200)}`);
    return res;
  }

  return {
    async listContainers() {
      return JSON.parse(expect(await request('GET', '/containers/json'), 200, 'listing containers').body.toString('utf8')) as unknown[];
    },
    async exec(container, cmd, user) {
      const created = expect(await request('POST', `/containers/${encodeURIComponent(container)}/exec`, {
        Cmd: cmd, AttachStdout: true, AttachStderr: true, ...(user ? { User: user } : {}),
      }), 201, 'creating exec');
      const { Id } = JSON.parse(created.body.toString('utf8')) as { Id: string };
      // Attached start without an Upgrade: the engine streams the multiplexed output and closes the connection.
      const started = expect(await request('POST', `/exec/${Id}/start`, { Detach: false, Tty: false }), 200, 'starting exec');
      const info = JSON.parse(expect(await request('GET', `/exec/${Id}/json`), 200, 'inspecting exec').body.toString('utf8')) as { ExitCode: number; Running: boolean };
      return { stdout: demuxStdout(started.body), exitCode: info.ExitCode };
    },
    close() {
      agent.destroy();
    },
  };
}
