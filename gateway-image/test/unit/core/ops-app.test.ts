import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createMetrics } from '../../../src/core/metrics.js';
import type { Readiness } from '../../../src/transports/http-app.js';
import { createOpsServer } from '../../../src/transports/ops-app.js';

describe('ops listener (probes and Prometheus)', () => {
  const servers: Array<ReturnType<typeof createOpsServer>> = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  });

  async function start(readiness: Readiness, shuttingDown = () => false): Promise<string> {
    const metrics = createMetrics();
    metrics.toolCalls.inc({ tool: 'docker_ps', outcome: 'ok' });
    const server = createOpsServer({ ready: async () => readiness, metrics, logger: pino({ level: 'silent' }), shuttingDown });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('answers a kubelet-style probe (Host = pod IP, no token) on /health and /ready, and Prometheus on /metrics', async () => {
    const base = await start({ ready: true, checks: { docker: { ok: true } } });
    const headers = { host: '10.244.1.7:9090' };
    expect((await fetch(`${base}/health`, { headers })).status).toBe(200);
    const ready = await fetch(`${base}/ready`, { headers });
    expect([ready.status, await ready.json()]).toEqual([200, { status: 'ready', checks: { docker: { ok: true } } }]);
    const metrics = await fetch(`${base}/metrics`, { headers });
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/tool="docker_ps"/);
  });

  it('still says why it is not ready, and is not ready once shutdown began', async () => {
    const failing = await start({ ready: false, checks: { docker: { ok: false, detail: 'engine unreachable' } } });
    const r = await fetch(`${failing}/ready`);
    expect([r.status, await r.json()]).toEqual([503, { status: 'not-ready', checks: { docker: { ok: false, detail: 'engine unreachable' } } }]);
    const closing = await start({ ready: true, checks: {} }, () => true);
    expect((await fetch(`${closing}/ready`)).status).toBe(503);
    expect((await fetch(`${closing}/health`)).status).toBe(200);
  });

  it('serves nothing else: MCP routes are 404, other methods 405', async () => {
    const base = await start({ ready: true, checks: {} });
    expect((await fetch(`${base}/mcp`, { method: 'GET' })).status).toBe(404);
    expect((await fetch(`${base}/rpc`, { method: 'POST', body: '{}' })).status).toBe(405);
  });
});
