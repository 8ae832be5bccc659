/**
 * Issue 4's contenders: the same stdio server (server-everything, its `echo` tool) bridged to Streamable HTTP
 * on 127.0.0.1 by supergateway and by mcp-proxy, and served by this gateway as the `everything` upstream.
 * Each is started as a child process of the same node binary (`process.execPath`, which also runs the stdio
 * server) and stopped by `close()`; the gateway's process is started by gateway-process.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { describeProcess, stopProcessTree } from './process-tree.js';

const root = resolve(__dirname, '..');
/** The stdio server every contender bridges. */
export const EVERYTHING_SERVER = resolve(root, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');

/** A Streamable HTTP endpoint under test. */
export interface Bridge {
  readonly name: string;
  /** Base URL; the MCP endpoint is `${url}${path}`. */
  readonly url: string;
  readonly path: string;
  /** Bearer token, when the endpoint needs one. */
  readonly token?: string;
  /** Tool name of server-everything's echo behind this endpoint. */
  readonly echoTool: string;
  /** The bridge's own process (its CPU time is measured; the stdio servers it runs are below it). */
  readonly pid?: number;
  close(): Promise<void>;
}

/** A free loopback port (bound then released; the bridge binds it right after). */
export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => res(port));
    });
  });
}

/** Waits (bounded) until something accepts HTTP on the port. */
async function waitForHttp(url: string, child: ChildProcess, output: () => string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}: ${output()}`);
    try {
      await fetch(url, { method: 'GET', signal: AbortSignal.timeout(1000) });
      return;
    } catch { /* not listening yet */ }
    if (Date.now() > deadline) throw new Error(`not listening after ${timeoutMs} ms: ${output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function spawnBridge(name: string, args: string[], port: number, path: string, env: NodeJS.ProcessEnv = {}): Promise<Bridge> {
  const child = spawn(process.execPath, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (c: Buffer) => { out = (out + c.toString('utf8')).slice(-4000); };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  const close = async () => {
    const survivors = await stopProcessTree(child, 3000);
    // Not ours to fix, but never left running: reported so a leak is not mistaken for a fast bridge.
    if (survivors.length > 0) process.stderr.write(`${name} left ${survivors.length} child process(es) running (killed): ${survivors.map(describeProcess).join('; ')}\n`);
  };
  try {
    await waitForHttp(`${url}${path}`, child, () => out);
  } catch (err) {
    await close();
    throw new Error(`${name}: ${(err as Error).message}`);
  }
  return { name, url, path, echoTool: 'echo', pid: child.pid, close };
}

/** supergateway 4: stdio -> Streamable HTTP, stateful (one child per session, sessions reused by the client). */
export async function startSupergateway(): Promise<Bridge> {
  const port = await freePort();
  return spawnBridge('supergateway', [
    '--require', resolve(root, 'bench/listen-loopback.cjs'),
    resolve(root, 'node_modules/supergateway/dist/index.js'),
    '--stdio', `${process.execPath} ${EVERYTHING_SERVER}`, '--outputTransport', 'streamableHttp', '--stateful',
    '--port', String(port), '--logLevel', 'none',
  ], port, '/mcp');
}

/** mcp-proxy 6: stdio -> Streamable HTTP only, on 127.0.0.1. */
export async function startMcpProxy(): Promise<Bridge> {
  const port = await freePort();
  return spawnBridge('mcp-proxy', [
    resolve(root, 'node_modules/mcp-proxy/dist/bin/mcp-proxy.mjs'),
    '--host', '127.0.0.1', '--port', String(port), '--server', 'stream',
    '--', process.execPath, EVERYTHING_SERVER,
  ], port, '/mcp');
}

/** The gateway's config entry for the same server. */
export function everythingUpstreamConfig(): Record<string, unknown> {
  return { everything: { command: process.execPath, args: [EVERYTHING_SERVER] } };
}
