/**
 * The official conformance runner 0.2.0-alpha.12 (`conformance-next`, Node 22) against the gateway's /mcp, for the
 * requirement sets of both revisions the gateway serves: `--requirements 2025-11-25` (initialize + sessions) and
 * `--requirements 2026-07-28` (stateless, per-request _meta, multi-round-trip requests).
 *
 * The scenarios call fixture tools, resources and prompts (test_*, test://...): the conformance fixture server
 * (test/fixtures/upstreams/conformance-fixture.ts) runs behind the gateway as an upstream with `prefix: false`, so
 * every call goes through the gateway's pipeline and upstream client (2026-07-28 toward the fixture) and the runner
 * sees the names it expects. The gateway runs in-process on 127.0.0.1 with authentication off (the runner cannot send
 * a token; honoured only on loopback), as the 0.1.16 run in conformance.test.ts does.
 *
 * Every scenario of both sets must pass, or be listed with its reason in conformance-next-expected-failures.yml; the
 * test fails when the set of failing scenarios differs from that list in either direction.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createGateway, type Gateway } from '../../../src/gateway.js';
import { loadGatewayConfig } from '../../../src/load-config.js';
import { startConformanceFixture, type ConformanceFixture } from '../../fixtures/upstreams/conformance-fixture.js';
import { describeRun, killAll, node22, REPO_ROOT, requireInstalled, runClient, sandbox, type ClientRun, type Sandbox } from './client-process.js';

const RUNNER = join(REPO_ROOT, 'node_modules/conformance-next/dist/index.js');
const EXPECTED_FILE = join(dirname(fileURLToPath(import.meta.url)), 'conformance-next-expected-failures.yml');
const REVISIONS = ['2025-11-25', '2026-07-28'] as const;

/** revision -> scenario -> reason. */
const EXPECTED = parse(readFileSync(EXPECTED_FILE, 'utf8')) as Record<(typeof REVISIONS)[number], Record<string, string> | null>;

interface Check { id: string; status: string; errorMessage?: string }

/** scenario -> checks, from `<out>/server-<scenario>-<timestamp>/checks.json`. */
function readResults(outDir: string): Map<string, Check[]> {
  const results = new Map<string, Check[]>();
  for (const entry of readdirSync(outDir)) {
    const m = /^server-(.+)-\d{4}-\d{2}-\d{2}T[\d-]+Z$/.exec(entry);
    if (m) results.set(m[1], JSON.parse(readFileSync(join(outDir, entry, 'checks.json'), 'utf8')) as Check[]);
  }
  return results;
}

/** The scenarios a revision requires of a server (`conformance list --requirements`). */
async function required(node: string, revision: string, home: Sandbox): Promise<string[]> {
  const run = await runClient(node, [RUNNER, 'list', '--server', '--requirements', revision], { env: home.env, cwd: home.dir, timeoutMs: 60_000 });
  expect(run.code, describeRun('conformance list', run)).toBe(0);
  const section = run.stdout.slice(run.stdout.indexOf('Server scenarios'), run.stdout.indexOf('Client scenarios'));
  const names = [...section.matchAll(/^\s+- ([a-z0-9][a-z0-9/-]+)$/gm)].map((m) => m[1]);
  expect(names.length, run.stdout).toBeGreaterThan(10);
  return names;
}

describe('official conformance runner 0.2.0-alpha.12 through the gateway, with the conformance fixture behind it', () => {
  let fixture: ConformanceFixture | undefined;
  let gateway: Gateway | undefined;
  let home: Sandbox;
  let url: string;
  const runs = new Map<string, { run: ClientRun; results: Map<string, Check[]>; required: string[] }>();

  beforeAll(async () => {
    const node = node22();
    requireInstalled(RUNNER, 'conformance-next (@modelcontextprotocol/conformance 0.2.0-alpha.12)');
    home = sandbox('conformance-next');
    fixture = await startConformanceFixture();
    const config = loadGatewayConfig({
      env: {
        MCP_GATEWAY_HOST: '127.0.0.1',
        MCP_GATEWAY_PORT: '0',
        MCP_GATEWAY_ALLOW_UNAUTHENTICATED: 'true',
        MCP_DOCKER_AUDIT_FILE: join(home.dir, 'audit.jsonl'),
        MCP_GATEWAY_STATE_KEY: 'conformance-run-state-key-0123456789abcdef',
        MCP_GATEWAY_CONFIG_JSON: JSON.stringify({
          mcpServers: { conformance: { url: fixture.url, prefix: false, lifecycle: 'shared', eager: true } },
          // The fixture's tools are not read-only: the anonymous loopback principal gets a role for them.
          policy: { roles: { conformance: { tools: ['test_*', 'json_schema_*'] } }, bindings: [{ principals: ['anonymous'], roles: ['reader', 'conformance'] }] },
        }),
      },
    });
    gateway = createGateway(config, { logger: pino({ level: process.env.INTEROP_TEST_LOG ?? 'silent' }) });
    const address = await gateway.start();
    url = `http://127.0.0.1:${address.port}/mcp`;
    for (const revision of REVISIONS) {
      const out = join(home.dir, `results-${revision}`);
      mkdirSync(out);
      const baseline = join(home.dir, `expected-${revision}.yml`);
      const listed = Object.keys(EXPECTED[revision] ?? {});
      writeFileSync(baseline, listed.length === 0 ? 'server: []\n' : `server:\n${listed.map((s) => `  - ${s}\n`).join('')}`);
      const run = await runClient(node, [RUNNER, 'server', '--url', url, '--requirements', revision, '--expected-failures', baseline, '-o', out],
        { env: home.env, cwd: home.dir, timeoutMs: 240_000 });
      if (run.timedOut) throw new Error(describeRun(`conformance runner ${revision}`, run));
      runs.set(revision, { run, results: readResults(out), required: await required(node, revision, home) });
    }
  }, 600_000);
  afterAll(async () => {
    killAll();
    await gateway?.close();
    await fixture?.close();
    home?.remove();
  });

  for (const revision of REVISIONS) {
    it(`--requirements ${revision}: every required scenario ran`, () => {
      const r = runs.get(revision)!;
      for (const scenario of r.required) expect([...r.results.keys()], `${scenario}\n${describeRun('runner', r.run)}`).toContain(scenario);
    });

    it(`--requirements ${revision}: exactly the scenarios of the expected-failures file fail, each with a reason`, () => {
      const r = runs.get(revision)!;
      const failing = [...r.results].filter(([, checks]) => checks.some((c) => c.status === 'FAILURE')).map(([s]) => s).sort();
      const expected = Object.entries(EXPECTED[revision] ?? {});
      for (const [scenario, reason] of expected) expect(reason, scenario).toMatch(/\w{3,}/);
      const detail = failing.map((s) => `${s}: ${r.results.get(s)!.filter((c) => c.status === 'FAILURE').map((c) => `${c.id}: ${c.errorMessage ?? ''}`).join(' | ')}`).join('\n');
      expect(failing, detail).toEqual(expected.map(([s]) => s).sort());
      // The runner's own baseline check agrees (exit 0 only when exactly the baseline fails).
      expect(r.run.code, describeRun('runner', r.run)).toBe(0);
    });
  }
});
