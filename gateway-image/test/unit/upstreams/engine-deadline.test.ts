/**
 * Upstream containers are managed through dockerode: each Engine API request there has the engine client's deadline
 * (MCP_GATEWAY_ENGINE_TIMEOUT_MS), shown here with a fake engine that never answers (and records what was asked).
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { EngineDeadlineError } from '../../../src/core/docker/docker-client.js';
import { withEngineDeadline } from '../../../src/core/upstreams/engine-deadline.js';
import { launchImage } from '../../../src/core/upstreams/image-launcher.js';
import { reapLeftovers, removeInstanceContainers } from '../../../src/core/upstreams/reaper.js';
import { parseUpstreamsConfig } from '../../../src/core/upstreams/index.js';
import type { ImageServerConfig } from '../../../src/core/upstreams/upstreams-config.js';

const deadline = { endpoint: 'unix:///var/run/docker.sock', timeoutMs: 50 };
const logger = pino({ level: 'silent' });
const server = parseUpstreamsConfig({ mcpServers: { fetch: { image: 'mcp/fetch:1' } } }).config!.mcpServers.fetch as ImageServerConfig;
const launchCtx = { server: 'fetch', signal: new AbortController().signal };

/** A request that never answers; records the signal it was given. */
function never(signals: Array<AbortSignal | undefined>) {
  return (opts?: { abortSignal?: AbortSignal }) => {
    signals.push(opts?.abortSignal);
    return new Promise<never>(() => undefined);
  };
}
const expired = (request: string) => new RegExp(`Docker engine at unix:///var/run/docker\\.sock did not answer ${request.replace(/[/.]/g, '\\$&')} within its 50 ms deadline \\(gave up after \\d+ ms; MCP_GATEWAY_ENGINE_TIMEOUT_MS\\)`);

describe('withEngineDeadline', () => {
  it('a request that never answers: rejects with an EngineDeadlineError naming the request and the endpoint, and aborts the request', async () => {
    const signals: Array<AbortSignal | undefined> = [];
    const err = await withEngineDeadline(deadline, 'GET /containers/json', (abortSignal) => never(signals)({ abortSignal })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EngineDeadlineError);
    expect((err as Error).message).toMatch(expired('GET /containers/json'));
    expect((err as EngineDeadlineError).elapsedMs).toBeGreaterThanOrEqual(1);
    expect(signals[0]?.aborted).toBe(true);
  });

  it('a request that answers keeps its answer and its signal is never aborted; extraMs lengthens the bound in the message', async () => {
    let given: AbortSignal | undefined;
    expect(await withEngineDeadline(deadline, 'GET /x', async (s) => { given = s; return 'ok'; })).toBe('ok');
    expect(given?.aborted).toBe(false);
    await expect(withEngineDeadline(deadline, 'POST /containers/c/stop', () => new Promise(() => undefined), 20)).rejects.toThrow(/within its 70 ms deadline/);
  });
});

describe('the reaper and the image launcher against an engine that never answers', () => {
  it('start-up reaping and the close-time sweep end with the deadline error instead of hanging', async () => {
    const signals: Array<AbortSignal | undefined> = [];
    const docker = { listContainers: never(signals) } as never;
    const scope = { ownerId: 'gw', instanceId: 'now' };
    await expect(reapLeftovers(docker, scope, logger, deadline)).rejects.toThrow(expired('GET /containers/json'));
    await expect(removeInstanceContainers(docker, scope, deadline)).rejects.toThrow(expired('GET /containers/json'));
    expect(signals.map((s) => s?.aborted)).toEqual([true, true]);
  });

  it('a hung container create fails the launch naming the upstream, the request and the deadline', async () => {
    const signals: Array<AbortSignal | undefined> = [];
    const docker = { createContainer: never(signals) } as never;
    await expect(launchImage(server, launchCtx, { docker, logger, ownerId: 'gw', instanceId: 'i', engineDeadline: deadline }))
      .rejects.toThrow(new RegExp(`^creating container for upstream "fetch" from mcp/fetch:1: ${expired('POST /containers/create').source}$`));
    expect(signals[0]?.aborted).toBe(true);
  });

  it('a hung start fails the launch and the created container is removed (that removal is bounded too)', async () => {
    const removed: string[] = [];
    const container = {
      id: 'c0ffee00c0ffee00',
      attach: async () => ({}),
      start: never([]),
    };
    const docker = {
      createContainer: async () => container,
      getContainer: (id: string) => ({ remove: async () => { removed.push(id); } }),
    } as never;
    await expect(launchImage(server, launchCtx, { docker, logger, ownerId: 'gw', instanceId: 'i', engineDeadline: deadline }))
      .rejects.toThrow(new RegExp(`^starting container for upstream "fetch" \\(mcp/fetch:1\\): ${expired('POST /containers/c0ffee00c0ff/start').source}$`));
    expect(removed).toEqual(['c0ffee00c0ffee00']);
  });
});
