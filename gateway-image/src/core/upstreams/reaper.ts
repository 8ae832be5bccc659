/**
 * Guaranteed cleanup of what the gateway starts.
 *
 * Containers carry five labels: `mcp.gateway.role=upstream`, `mcp.gateway.owner=<ownerId>`,
 * `mcp.gateway.instance=<instanceId>`, `mcp.gateway.replica=<replicaId>` and `mcp.gateway.upstream=<server>`. The
 * instance id is new on every gateway start; the owner id is stable for one deployment (settings.ownerId); the
 * replica id names one replica of it across its restarts (the gateway passes its hostname: the container id under
 * Docker, the pod name under Kubernetes, stable across `docker restart` and pod restarts of a StatefulSet).
 *
 * Replicas of one deployment share the owner id and may share an engine, so at start-up a gateway removes a
 * same-owner container of a DIFFERENT instance only when it is
 * - of its own replica id (an earlier run of this very replica: crash, kill -9, OOM), or without one (a gateway from
 *   before replicas), or
 * - of another replica and no longer running (a running one may be a live sibling's), or
 * - of another replica that is itself a container on this engine (label `mcp.gateway.replica-container=1`, set when
 *   the gateway finds its own hostname on the engine) and that container no longer runs or no longer exists: the
 *   replica is dead, so what it left is a leftover (a gateway container killed and replaced by a new one).
 * A dead replica that was not a container on this engine (a host process, a pod on another engine's node) leaves its
 * still-running containers (servers that ignore EOF on stdin) until that replica id starts again. Labels cannot be
 * updated on a running container (no heartbeat) and PIDs mean nothing across container namespaces, so the engine's
 * view of containers is the liveness fact used.
 * Separate deployments sharing an engine use distinct owner ids and never touch each other's containers.
 *
 * Child processes are in their own process groups, tracked here; they are killed on close, and synchronously
 * from the process `exit` hook. On kill -9 no hook runs: stdio servers see EOF on stdin and exit (server-everything
 * and SDK-based servers do), and in the deployed image the gateway runs under an init in its own container,
 * so the container's end takes every child with it. Upstream containers are created with StdinOnce, so the
 * gateway's death closes their stdin too: servers that exit on EOF end and are auto-removed; the engine keeps
 * the rest (servers ignoring EOF, containers mid-start) and the next start reaps them as described above.
 */
import type Dockerode from 'dockerode';
import type { Logger } from 'pino';
import { killGroup } from './command-launcher.js';
import { type EngineDeadline, signalOption, withEngineDeadline } from './engine-deadline.js';

/** Label keys on every upstream container. */
export const LABELS = {
  role: 'mcp.gateway.role',
  owner: 'mcp.gateway.owner',
  instance: 'mcp.gateway.instance',
  replica: 'mcp.gateway.replica',
  replicaContainer: 'mcp.gateway.replica-container',
  upstream: 'mcp.gateway.upstream',
} as const;

/** Process groups of running command servers. */
export class ProcessTracker {
  private readonly groups = new Set<number>();
  /** Starts tracking a process group (its leader's pid). */
  add(pgid: number): void {
    this.groups.add(pgid);
  }
  /** Stops tracking a group that has exited. */
  delete(pgid: number): void {
    this.groups.delete(pgid);
  }
  /** Tracked groups, for tests and status. */
  list(): number[] {
    return [...this.groups];
  }
  /** SIGKILLs every tracked group; synchronous so it can run in a process `exit` hook. */
  killAllSync(): void {
    for (const pgid of this.groups) killGroup(pgid, 'SIGKILL');
    this.groups.clear();
  }
}

/** Which containers count as ours. */
export interface ReapScope {
  readonly ownerId: string;
  readonly instanceId: string;
  /** This replica's id; without one every same-owner container of another instance counts as a leftover. */
  readonly replicaId?: string;
}

/**
 * Whether an upstream container of this owner is a leftover this gateway may remove (see the module comment).
 * `replicaAlive` answers for a replica that is a container on this engine.
 */
export async function isLeftover(
  c: Pick<Dockerode.ContainerInfo, 'Labels' | 'State'>,
  scope: ReapScope,
  replicaAlive: (replica: string) => Promise<boolean> = async () => true,
): Promise<boolean> {
  if (c.Labels[LABELS.instance] === scope.instanceId) return false;
  const replica = c.Labels[LABELS.replica];
  if (scope.replicaId === undefined || replica === undefined || replica === scope.replicaId) return true;
  if (c.State !== 'running') return true;
  return c.Labels[LABELS.replicaContainer] === '1' && !(await replicaAlive(replica));
}

/** Whether the container named `id` exists on the engine and runs (a replica that is a container). */
export async function containerRuns(docker: Dockerode, id: string, deadline?: EngineDeadline): Promise<boolean> {
  try {
    const info = await withEngineDeadline(deadline, `GET /containers/${id}/json`, (abortSignal) => docker.getContainer(id).inspect(signalOption(abortSignal)));
    return info.State.Running === true;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return false;
    throw err;
  }
}

/** Lists upstream containers of this owner (any instance), running or not. */
export async function listOwnedContainers(docker: Dockerode, ownerId: string, deadline?: EngineDeadline): Promise<Dockerode.ContainerInfo[]> {
  return withEngineDeadline(deadline, 'GET /containers/json', (abortSignal) => docker.listContainers({
    all: true,
    filters: { label: [`${LABELS.role}=upstream`, `${LABELS.owner}=${ownerId}`] },
    ...signalOption(abortSignal),
  }));
}

/** Force-removes a container; a container that is already gone (or being removed by AutoRemove) is fine. */
export async function removeContainerQuietly(docker: Dockerode, id: string, deadline?: EngineDeadline): Promise<void> {
  try {
    await withEngineDeadline(deadline, `DELETE /containers/${id.slice(0, 12)}`, (abortSignal) => docker.getContainer(id).remove({ force: true, ...signalOption(abortSignal) }));
  } catch (err) {
    const status = (err as { statusCode?: number }).statusCode;
    if (status !== 404 && status !== 409) throw new Error(`removing upstream container ${id.slice(0, 12)}: ${(err as Error).message}`);
  }
}

/**
 * Removes upstream containers left behind by earlier runs of this replica, and stopped ones of other replicas
 * ({@link isLeftover}). Returns the ids removed.
 */
export async function reapLeftovers(docker: Dockerode, scope: ReapScope, logger: Logger, deadline?: EngineDeadline): Promise<string[]> {
  const owned = await listOwnedContainers(docker, scope.ownerId, deadline);
  const alive = new Map<string, Promise<boolean>>();
  const replicaAlive = (id: string): Promise<boolean> => {
    if (!alive.has(id)) alive.set(id, containerRuns(docker, id, deadline));
    return alive.get(id)!;
  };
  const verdicts = await Promise.all(owned.map((c) => isLeftover(c, scope, replicaAlive)));
  const stale = owned.filter((_, k) => verdicts[k]);
  await Promise.all(stale.map((c) => removeContainerQuietly(docker, c.Id, deadline)));
  if (stale.length > 0) {
    logger.warn(
      { count: stale.length, instances: [...new Set(stale.map((c) => c.Labels[LABELS.instance]))] },
      'removed upstream containers left behind by a previous gateway run',
    );
  }
  return stale.map((c) => c.Id);
}

/** Removes every container of this very instance (the safety net after a graceful close). Returns the ids. */
export async function removeInstanceContainers(docker: Dockerode, scope: ReapScope, deadline?: EngineDeadline): Promise<string[]> {
  const mine = (await listOwnedContainers(docker, scope.ownerId, deadline)).filter((c) => c.Labels[LABELS.instance] === scope.instanceId);
  await Promise.all(mine.map((c) => removeContainerQuietly(docker, c.Id, deadline)));
  return mine.map((c) => c.Id);
}
