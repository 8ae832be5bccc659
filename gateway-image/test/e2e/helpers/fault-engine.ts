/**
 * A fault-injecting Docker endpoint for tests: an HTTP server (unix socket or 127.0.0.1) that relays requests to a
 * real engine socket (hijacked exec streams included) unless `intercept` takes the request over. Tests make it
 * hang, answer like a socket proxy or a web server (403, 404, HTML, no Api-Version header), or corrupt an exec's
 * multiplexed stream. Without an upstream socket, anything not intercepted answers like a web server's 404.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import net, { type AddressInfo, type Socket } from 'node:net';

/** Takes a request over; return true when it did (then nothing is relayed). */
export type Interceptor = (req: IncomingMessage, res: ServerResponse) => boolean;

/** A running fault endpoint. */
export interface FaultEngine {
  /** DOCKER_HOST for clients: unix://<path> or tcp://127.0.0.1:<port>. */
  readonly host: string;
  intercept?: Interceptor;
  /**
   * Called with each hijacked exec start relayed to the engine; may return bytes written to the client after the
   * engine's first output following its 101 answer (e.g. a malformed frame header: the command is then surely
   * running). Undefined passes the stream through untouched.
   */
  corruptStart?: () => Buffer | undefined;
  /**
   * Called with each hijacked exec start; true relays it to the engine (which starts the command) but never passes
   * the engine's answer on: the client waits for an answer that does not come.
   */
  holdStart?: () => boolean;
  /** Requests seen (method and path), in order. */
  readonly seen: string[];
  /** Sockets of requests left hanging: destroyed by close(). */
  close(): Promise<void>;
}

/** Answers like something that is not a Docker engine: no Api-Version header. */
export function answerPlain(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** Starts the endpoint on `listen` (a unix socket path, or 0 for a free 127.0.0.1 port), relaying to `upstreamSocket`. */
export async function startFaultEngine(listen: string | 0, upstreamSocket?: string): Promise<FaultEngine> {
  const sockets = new Set<Socket>();
  const self: FaultEngine = {
    host: '',
    seen: [],
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server = http.createServer((req, res) => {
    self.seen.push(`${req.method} ${req.url}`);
    if (self.intercept?.(req, res)) return;
    if (!upstreamSocket) return answerPlain(res, 404, 'text/plain', '404 page not found');
    const up = http.request({ socketPath: upstreamSocket, method: req.method, path: req.url, headers: req.headers }, (ur) => {
      res.writeHead(ur.statusCode ?? 502, ur.headers);
      ur.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  // Hijacked exec starts (Connection: Upgrade): relayed byte for byte, optionally corrupted after the 101 answer.
  server.on('upgrade', (req: IncomingMessage, client: Socket, head: Buffer) => {
    self.seen.push(`${req.method} ${req.url}`);
    if (!upstreamSocket) return client.destroy();
    const inject = self.corruptStart?.();
    const hold = self.holdStart?.() ?? false;
    const up = net.connect(upstreamSocket);
    sockets.add(up);
    const lines = [`${req.method} ${req.url} HTTP/1.1`, ...Object.entries(req.headers).map(([k, v]) => `${k}: ${String(v)}`), '', ''];
    up.write(lines.join('\r\n'));
    if (head.length) up.write(head);
    let injected = !inject;
    let headerSeen = false;
    let buffered = Buffer.alloc(0);
    up.on('data', (chunk: Buffer) => {
      if (hold) return;
      if (injected) return void client.write(chunk);
      if (!headerSeen) {
        buffered = Buffer.concat([buffered, chunk]);
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) return;
        headerSeen = true;
        client.write(buffered.subarray(0, end + 4));
        chunk = buffered.subarray(end + 4);
        if (chunk.length === 0) return;
      }
      client.write(chunk);
      client.write(inject!);
      injected = true;
    });
    client.pipe(up);
    const drop = () => { client.destroy(); up.destroy(); };
    up.on('error', drop).on('close', drop);
    client.on('error', drop).on('close', drop);
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => (listen === 0 ? server.listen(0, '127.0.0.1', resolve) : server.listen(listen, resolve)));
  Object.assign(self, { host: listen === 0 ? `tcp://127.0.0.1:${(server.address() as AddressInfo).port}` : `unix://${listen}` });
  return self;
}
