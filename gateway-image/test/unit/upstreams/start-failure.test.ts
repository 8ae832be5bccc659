/** A command server that fails to start says why, at once: how it ended and the first lines of its stderr. */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { buildCommandEnv, launchCommand } from '../../../src/core/upstreams/command-launcher.js';
import { inheritedEnv } from '../../../src/core/upstreams/inherited-env.js';
import { TailBuffer } from '../../../src/core/upstreams/launcher.js';
import { ProcessTracker } from '../../../src/core/upstreams/reaper.js';
import { UpstreamInstance } from '../../../src/core/upstreams/upstream-instance.js';
import type { CommandServerConfig } from '../../../src/core/upstreams/upstreams-config.js';

const logger = pino({ level: 'silent' });
const server = (script: string): CommandServerConfig => ({
  kind: 'command', command: process.execPath, args: ['-e', script], environment: {}, block_secrets: false, lifecycle: 'per-session', protocol: 'legacy', prefix: true,
});

describe('TailBuffer.summary', () => {
  it('quotes the first lines and the last one, not only the trailing stack frames', () => {
    const b = new TailBuffer(200, 300);
    b.push('npm error code ENOENT\nnpm error path /home/node/.npm\n');
    for (let i = 0; i < 40; i += 1) b.push(`    at frame ${i}\n`);
    expect(b.summary()).toBe('npm error code ENOENT\nnpm error path /home/node/.npm\n    at frame 0\n    at frame 1\n    at frame 2\n    at frame 3\n    at frame 4\n    at frame 5\n...\nat frame 39');
    expect(b.toString()).not.toContain('npm error');
  });

  it('is the whole text when short, and empty when nothing was written', () => {
    const b = new TailBuffer();
    expect(b.summary()).toBe('');
    b.push('one line\n');
    expect(b.summary()).toBe('one line');
  });
});

describe('a command server that exits before initialize completes', () => {
  it('fails the start at once (long before the init timeout) with its exit code and the first lines of its stderr', async () => {
    const tracker = new ProcessTracker();
    const script = 'console.error("npm error code ENOENT"); console.error("npm error syscall mkdir"); for (let i = 0; i < 50; i++) console.error("    at frame " + i); process.exit(3)';
    const instance = new UpstreamInstance({
      name: 'bad', config: server(script), logger, initTimeoutMs: 60_000,
      launcher: (cfg, ctx) => launchCommand(cfg as CommandServerConfig, ctx, { logger, tracker }),
      onListChanged: () => undefined, onUnexpectedExit: () => { throw new Error('a failed start is not an unexpected exit'); },
    });
    const controller = new AbortController();
    // The init timeout is a minute: the start must settle by the process's exit, which the assertion below shows.
    const err = await instance.start(controller.signal).then(() => undefined, (e: Error & { reason?: string }) => e);
    expect(err?.reason).toBe('start-failed');
    expect(err?.message).toMatch(/^upstream "bad" failed to start: process \d+ \(.*node\) exited with code 3 before MCP initialize completed; its stderr:\nnpm error code ENOENT\nnpm error syscall mkdir\n/);
    expect(err?.message).toContain('\n...\nat frame 49');
  });

  it('says so when it wrote nothing to stderr', async () => {
    const tracker = new ProcessTracker();
    const instance = new UpstreamInstance({
      name: 'quiet', config: server('process.exit(0)'), logger, initTimeoutMs: 60_000,
      launcher: (cfg, ctx) => launchCommand(cfg as CommandServerConfig, ctx, { logger, tracker }),
      onListChanged: () => undefined, onUnexpectedExit: () => undefined,
    });
    await expect(instance.start(new AbortController().signal)).rejects.toThrow(/exited with code 0 before MCP initialize completed; it wrote nothing to stderr$/);
  });
});

describe('the environment command servers inherit', () => {
  it('is PATH, HOME, the CA bundle and proxies, nothing else of the gateway\'s', () => {
    const gatewayEnv = { PATH: '/bin', HOME: '/home/node', NODE_EXTRA_CA_CERTS: '/ca.pem', HTTPS_PROXY: 'http://p:3128', MCP_GATEWAY_AUTH_TOKENS: 'a=secret', NODE_ENV: 'production' };
    expect(inheritedEnv(gatewayEnv)).toEqual({ PATH: '/bin', HOME: '/home/node', NODE_EXTRA_CA_CERTS: '/ca.pem', HTTPS_PROXY: 'http://p:3128' });
    expect(buildCommandEnv({ ...server(''), environment: { HOME: '/data', X: '1' } }, gatewayEnv)).toEqual({ PATH: '/bin', HOME: '/data', NODE_EXTRA_CA_CERTS: '/ca.pem', HTTPS_PROXY: 'http://p:3128', X: '1' });
  });
});
