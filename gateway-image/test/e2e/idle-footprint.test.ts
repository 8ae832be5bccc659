/**
 * What an idle gateway has loaded, in the built image: the built-in modules that cost idle memory and that only some
 * configurations need stay unloaded until used. Each line below is a measured saving (bench/RESULTS.md, "Idle
 * memory"): node:https brings tls and OpenSSL's TLS set-up (~3 MiB; only DOCKER_HOST=tcp:// with TLS needs it),
 * fs.promises brings file watchers and readline (the audit log uses the callback API). A deterministic guard for a
 * figure the benchmark measures: a change that loads one of them again at start-up fails here, not in a bench run.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { docker } from './helpers/docker-cli.js';
import { startGateway, type GatewayUnderTest } from './helpers/gateway-container.js';

const MARK = 'IDLE_FOOTPRINT_MODULES ';

describe('idle gateway: start-up loads no TLS and no fs.promises, and collects its garbage (built image)', () => {
  let dir: string;
  let gw: GatewayUnderTest;
  let modules: string[];
  let globalGc: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mcp-footprint-'));
    // Preloaded into the gateway's own process: on SIGUSR2 (tini passes it on) it prints the built-in modules loaded.
    writeFileSync(join(dir, 'report.cjs'),
      `process.on('SIGUSR2', () => process.stderr.write(${JSON.stringify(MARK)} + JSON.stringify({ modules: process.moduleLoadList, gc: typeof globalThis.gc }) + '\\n'));\n`, { mode: 0o644 });
    chmodSync(dir, 0o755); // the image's user (node) reads it
    gw = await startGateway({ env: { NODE_OPTIONS: '--require /footprint/report.cjs' }, args: ['-v', `${dir}:/footprint:ro`] });
    // Idle, after a /ready (which asks the engine), as an operator's first check leaves it.
    expect((await gw.fetch('/ready')).status).toBe(200);
    await docker('kill', '-s', 'USR2', gw.id);
    const deadline = Date.now() + 10_000;
    for (;;) {
      const line = (await gw.logs()).split('\n').find((l) => l.startsWith(MARK));
      if (line) {
        ({ modules, gc: globalGc } = JSON.parse(line.slice(MARK.length)) as { modules: string[]; gc: string });
        break;
      }
      if (Date.now() > deadline) throw new Error(`the gateway did not report its modules within 10 s; logs:\n${await gw.logs()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }, 120_000);

  afterAll(async () => {
    await gw?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('has loaded http, crypto and the Docker engine client it serves with (the list is the real one)', () => {
    expect(modules).toEqual(expect.arrayContaining(['NativeModule http', 'NativeModule crypto', 'NativeModule net']));
  });

  it('has not loaded https or tls (DOCKER_HOST is the unix socket here)', () => {
    expect(modules.filter((m) => /^NativeModule (https|tls|_tls_wrap|_tls_common)$/.test(m))).toEqual([]);
  });

  it('collected its start-up garbage once, right after start-up (settle-heap.ts), without exposing gc() to its code', async () => {
    expect(await gw.logs()).toMatch(/"ms":[\d.]+,"msg":"start-up garbage collected"/);
    expect(globalGc).toBe('undefined');
  });

  it('has not loaded fs.promises (nor the readline and watcher modules it brings)', () => {
    expect(modules.filter((m) => /^NativeModule internal\/(fs\/promises|fs\/watchers|readline\/interface)$/.test(m))).toEqual([]);
  });
});
