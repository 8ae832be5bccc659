/**
 * Shared set-up for the upstream tests that go THROUGH the gateway container: the gateway image runs as the
 * stack runs it, configured with `mcpServers`, and the official SDK client talks to it over Streamable HTTP.
 *
 * Nothing is fetched at run time. Command servers run inside the gateway container from the repository's
 * node_modules, mounted read-only at MODULES_MOUNT: the mount point's last segment must be `node_modules`, or
 * Node's resolution (which walks up looking for `node_modules` directories) would not find server-everything's
 * dependencies next to it. The fixtures directory is mounted beside it so fixture servers resolve the same copy.
 *
 * Every gateway gets its own `upstreams.ownerId`; the containers it starts carry `mcp.gateway.owner=<ownerId>`,
 * which is how these tests find them and remove them on failure (the gateway's main does not add the test label
 * to upstream containers, so the global teardown would not see them).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { docker } from '../helpers/docker-cli.js';
import { E2E_CONFIG } from '../helpers/gateway-container.js';

/** The repository root (holds the node_modules with server-everything). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../..');
/** Where the repository's node_modules appear inside the gateway container. */
export const MODULES_MOUNT = '/opt/upstream/node_modules';
/** Where gateway-image/test/fixtures/upstreams appears inside the gateway container. */
export const FIXTURES_MOUNT = '/opt/upstream/fixtures';
/** server-everything's launcher inside the gateway container (no argument: stdio, its default transport). */
export const EVERYTHING_IN_GATEWAY = `${MODULES_MOUNT}/@modelcontextprotocol/server-everything/dist/index.js`;
/** The failure fixture server inside the gateway container (modes: ok, no-init, die-on-start). */
export const FAULTY_IN_GATEWAY = `${FIXTURES_MOUNT}/faulty-server.mjs`;

/** `docker run` arguments that mount node_modules and the upstream fixtures read-only into the gateway container. */
export function upstreamMounts(): string[] {
  return [
    '-v', `${path.join(REPO_ROOT, 'node_modules')}:${MODULES_MOUNT}:ro`,
    '-v', `${path.join(REPO_ROOT, 'gateway-image/test/fixtures/upstreams')}:${FIXTURES_MOUNT}:ro`,
  ];
}

/**
 * The e2e gateway config plus `mcpServers`: the operator role may call every server's tools (`<server>__*`)
 * next to the Docker tools; `upstreams` settings are merged over `{ ownerId }`.
 */
export function gatewayConfig(ownerId: string, mcpServers: Record<string, unknown>, upstreams: Record<string, unknown> = {}, limits: Record<string, unknown> = {}): unknown {
  return {
    ...E2E_CONFIG,
    policy: {
      ...E2E_CONFIG.policy,
      roles: { operator: { tools: ['docker_*', 'health', ...Object.keys(mcpServers).map((s) => `${s}__*`)] } },
    },
    limits: { ...E2E_CONFIG.limits, ...limits },
    mcpServers,
    upstreams: { ownerId, ...upstreams },
  };
}

/** A unique owner id for one test file's gateways (owner ids allow letters, digits, `_.-`, at most 64). */
export function ownerIdFor(name: string): string {
  return `e2e-${name}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Ids of upstream containers of an owner, running or not, optionally narrowed by more label filters. */
export async function ownedContainers(ownerId: string, ...labels: string[]): Promise<string[]> {
  const filters = [`mcp.gateway.owner=${ownerId}`, ...labels].flatMap((l) => ['--filter', `label=${l}`]);
  const out = await docker('ps', '-aq', ...filters);
  return out ? out.split('\n') : [];
}

/**
 * Force-removes every container of an owner (the safety net in afterAll, after the gateways are gone). A create
 * request the gateway sent just before it was removed still completes on the engine, so this sweeps until two
 * looks a second apart find nothing (at most ~10 s).
 */
export async function removeOwned(ownerId: string): Promise<void> {
  let empty = 0;
  for (let i = 0; i < 10 && empty < 2; i++) {
    const ids = await ownedContainers(ownerId).catch(() => []);
    if (ids.length > 0) await docker('rm', '-f', '-v', ...ids).catch(() => undefined);
    empty = ids.length === 0 ? empty + 1 : 0;
    if (empty < 2) await new Promise((r) => setTimeout(r, 1_000));
  }
}

/** Polls until fn() is true or the time is up (bounded); returns the last answer. */
export async function waitFor(fn: () => boolean | Promise<boolean>, timeoutMs = 15_000, everyMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await fn()) return true;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return fn();
}

/** The text of a tool result's first content item. */
export function firstText(result: unknown): string {
  const r = result as { content?: Array<{ type: string; text?: string }> };
  return r.content?.find((c) => c.type === 'text')?.text ?? '';
}

/** Processes in a container (`docker top`, args column), for proving command servers run and die with it. */
export async function topArgs(container: string): Promise<string[]> {
  return (await docker('top', container, '-o', 'pid,args')).split('\n').slice(1).map((l) => l.trim());
}
