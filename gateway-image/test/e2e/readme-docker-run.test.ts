/**
 * The README's `docker run` line for stdio mode, run literally (through `sh -c`, so `$(stat -c %g ...)` is
 * expanded as a user's shell would) against the built image: it must answer MCP and reach the Docker engine, which
 * the non-root gateway can only do through `--group-add` of the socket's real group. The only edits: the image name
 * becomes the test image, and a name and the test label are added so teardown can always remove the container.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { docker } from './helpers/docker-cli.js';
import { GATEWAY_IMAGE, TEST_LABEL } from './helpers/images.js';

const README = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../README.md');
const NAME = `readme-stdio-${process.pid}-${randomBytes(3).toString('hex')}`;

/** The README's stdio line, as written there. */
function readmeStdioLine(): string {
  const match = /`(docker run -i [^`]*--stdio)`/.exec(readFileSync(README, 'utf8'));
  if (!match) throw new Error('README.md has no `docker run -i ... --stdio` line');
  return match[1];
}

/** Reads newline-delimited JSON-RPC messages from the child's stdout; `next(id)` resolves with the response to id. */
function jsonLines(child: ChildProcessWithoutNullStreams) {
  let buffer = '';
  const waiting = new Map<number, (msg: Record<string, unknown>) => void>();
  const seen = new Map<number, Record<string, unknown>>();
  child.stdout.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl).trim();
      buffer = buffer.slice(nl + 1);
      if (!line) continue;
      const msg = JSON.parse(line) as Record<string, unknown>;
      if (typeof msg.id === 'number') {
        seen.set(msg.id, msg);
        waiting.get(msg.id)?.(msg);
      }
    }
  });
  return {
    next: (id: number) => new Promise<Record<string, unknown>>((resolve, reject) => {
      const have = seen.get(id);
      if (have) return resolve(have);
      waiting.set(id, resolve);
      child.once('exit', (code) => reject(new Error(`docker run exited (${code}) before answering ${id}`)));
    }),
  };
}

afterAll(async () => {
  await docker('rm', '-f', NAME).catch(() => undefined);
});

describe('README: the stdio docker run line works as written', () => {
  it('names the image the README builds and adds the socket\'s group', () => {
    const line = readmeStdioLine();
    expect(line).toContain('--group-add "$(stat -c %g /var/run/docker.sock)"');
    expect(line).toMatch(/ mcp-gateway --stdio$/);
  });

  it('answers initialize and docker_ps over stdin/stdout, reaching the engine as the non-root user', async () => {
    const line = readmeStdioLine()
      .replace(/^docker run /, `docker run --name ${NAME} --label ${TEST_LABEL} `)
      .replace(/ mcp-gateway --stdio$/, ` ${GATEWAY_IMAGE} --stdio`);
    const child = spawn('sh', ['-c', line], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => { stderr += c.toString(); });
    const rpc = jsonLines(child);
    const send = (msg: unknown) => child.stdin.write(`${JSON.stringify(msg)}\n`);
    try {
      send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'readme', version: '1' } } });
      const init = await rpc.next(1);
      expect((init.result as { serverInfo: { name: string } }).serverInfo.name).toBe('docker-mcp-gateway');
      send({ jsonrpc: '2.0', method: 'notifications/initialized' });
      send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'docker_ps', arguments: { name: NAME } } });
      const ps = (await rpc.next(2)).result as { isError?: boolean; structuredContent: { containers: Array<{ name: string }> } };
      expect(ps.isError, stderr).toBeFalsy();
      // It lists itself: the engine answered through the mounted socket.
      expect(ps.structuredContent.containers.map((c) => c.name)).toEqual([NAME]);
      const user = await docker('inspect', NAME, '--format', '{{.Config.User}} {{json .HostConfig.GroupAdd}}');
      expect(user).toBe(`1000:1000 ["${statSync('/var/run/docker.sock').gid}"]`);
    } finally {
      child.stdin.end();
      await new Promise((resolve) => (child.exitCode !== null ? resolve(undefined) : child.once('exit', resolve)));
    }
    // --rm: gone once stdin closed and the gateway exited.
    expect(await docker('ps', '-aq', '--filter', `name=^${NAME}$`)).toBe('');
  });
});
