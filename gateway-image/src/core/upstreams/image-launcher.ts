/**
 * Image servers: the Docker Engine API equivalent of
 * `docker run -i --rm --init --security-opt no-new-privileges --cap-drop ALL --memory M --cpus C --pids-limit P
 *  [--network none | --add-host host.docker.internal:host-gateway] --label ... IMAGE [CMD...]`,
 * speaking MCP over the hijacked attach stream.
 */
import { randomBytes } from 'node:crypto';
import { type Duplex, PassThrough } from 'node:stream';
import type Dockerode from 'dockerode';
import type { Logger } from 'pino';
import { DockerStreamDemuxer } from './docker-stream-demuxer.js';
import { type LaunchContext, type LaunchedUpstream, type UpstreamExit, TailBuffer } from './launcher.js';
import { type EngineDeadline, signalOption, withEngineDeadline } from './engine-deadline.js';
import { LABELS, removeContainerQuietly } from './reaper.js';
import { StreamTransport } from './stream-transport.js';
import { type ImageServerConfig, parseMemoryBytes } from './upstreams-config.js';

/** Facts the container spec needs besides the server config. */
export interface UpstreamContainerContext {
  /** Upstream server name (the config key). */
  readonly server: string;
  /** Container name; unique per instance. */
  readonly containerName: string;
  readonly ownerId: string;
  readonly instanceId: string;
  /** This gateway replica (see reaper.ts). @default - no replica label */
  readonly replicaId?: string;
  /** The replica is a container on this engine (its liveness can be asked of the engine). @default false */
  readonly replicaIsContainer?: boolean;
  /** Added to the identifying labels (tests add `mcp.gateway.test=1`). @default {} */
  readonly extraLabels?: Readonly<Record<string, string>>;
}

/**
 * The whole container create body for one upstream instance, with every secure default in this one place.
 * Pure: same input, same object (tested by exact equality).
 */
export function buildUpstreamContainerSpec(server: ImageServerConfig, ctx: UpstreamContainerContext): Dockerode.ContainerCreateOptions {
  const memory = parseMemoryBytes(server.memory);
  if (memory === undefined) throw new Error(`upstream "${ctx.server}": memory ${JSON.stringify(server.memory)} is not a size`);
  const cmd = server.command !== undefined ? [server.command, ...server.args] : server.args.length > 0 ? [...server.args] : undefined;
  return {
    name: ctx.containerName,
    Image: server.image,
    ...(cmd ? { Cmd: cmd } : {}),
    Env: Object.entries(server.environment).map(([k, v]) => `${k}=${v}`),
    Labels: {
      ...ctx.extraLabels,
      [LABELS.role]: 'upstream',
      [LABELS.owner]: ctx.ownerId,
      [LABELS.instance]: ctx.instanceId,
      ...(ctx.replicaId !== undefined ? { [LABELS.replica]: ctx.replicaId } : {}),
      ...(ctx.replicaId !== undefined && ctx.replicaIsContainer ? { [LABELS.replicaContainer]: '1' } : {}),
      [LABELS.upstream]: ctx.server,
    },
    // -i: stdin open and attached; StdinOnce closes it (and so ends a stdio server) when we detach.
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    OpenStdin: true,
    StdinOnce: true,
    Tty: false,
    HostConfig: {
      AutoRemove: true,
      Init: true,
      SecurityOpt: ['no-new-privileges'],
      CapDrop: ['ALL'],
      Memory: memory,
      // Equal to Memory: no swap beyond the limit.
      MemorySwap: memory,
      NanoCpus: Math.round(server.cpus * 1e9),
      PidsLimit: server.pids_limit,
      NetworkMode: server.block_network ? 'none' : 'bridge',
      ...(server.block_network ? {} : { ExtraHosts: ['host.docker.internal:host-gateway'] }),
      Binds: [...server.volumes],
      // Attach carries the protocol; keep the engine's copy of stdout/stderr small.
      LogConfig: { Type: 'json-file', Config: { 'max-size': '1m', 'max-file': '1' } },
    },
  };
}

/** Dependencies of {@link launchImage}. */
export interface ImageLauncherDeps {
  readonly docker: Dockerode;
  readonly logger: Logger;
  readonly ownerId: string;
  readonly instanceId: string;
  /** This replica, read at each launch (see {@link UpstreamContainerContext.replicaId}). */
  readonly replica?: { readonly id: string; readonly container: boolean };
  /** Pull the image when the engine does not have it. @default false */
  readonly allowPull?: boolean;
  /** See {@link UpstreamContainerContext.extraLabels}. */
  readonly extraLabels?: Readonly<Record<string, string>>;
  /** Seconds between SIGTERM and SIGKILL when stopping. @default 2 */
  readonly stopTimeoutSeconds?: number;
  /**
   * The container policy, run on the complete create body before anything is created; a refusal (or a throw) stops
   * the launch. @default - none (the spec builder's fixed hardening only)
   */
  readonly checkSpec?: (spec: Dockerode.ContainerCreateOptions) => Promise<{ allow: boolean; ruleId: string; reason: string }>;
  /**
   * Deadline of each Engine API request (create, attach, start, stop, remove; a pull's start, not its progress):
   * the engine client's MCP_GATEWAY_ENGINE_TIMEOUT_MS. @default - unbounded
   */
  readonly engineDeadline?: EngineDeadline;
}

/** How long stopping an upstream container waits for the engine to finish removing it. */
const REMOVAL_WAIT_MS = 10_000;

/** Creates, attaches and starts an upstream container; resolves once it runs (not yet initialized). */
export async function launchImage(server: ImageServerConfig, ctx: LaunchContext, deps: ImageLauncherDeps): Promise<LaunchedUpstream> {
  const { docker, engineDeadline: deadline } = deps;
  const containerName = `mcp-upstream-${ctx.server}-${randomBytes(4).toString('hex')}`;
  const spec = buildUpstreamContainerSpec(server, {
    server: ctx.server,
    containerName,
    ownerId: deps.ownerId,
    instanceId: deps.instanceId,
    ...(deps.replica ? { replicaId: deps.replica.id, replicaIsContainer: deps.replica.container } : {}),
    extraLabels: deps.extraLabels,
  });
  if (deps.checkSpec) {
    const decision = await deps.checkSpec(spec);
    if (!decision.allow) throw new Error(`upstream "${ctx.server}": container refused by policy (${decision.ruleId}): ${decision.reason}`);
  }
  const container = await createContainer(docker, spec, server.image, ctx, deps);
  const id = container.id;
  const short = id.slice(0, 12);
  const log = deps.logger.child({ upstream: ctx.server, container: short });
  let attached: Duplex;
  try {
    // Attach before start so not a byte of output is missed.
    // The signal only ever aborts before the attach answered (the timer is cleared then), never the stream itself.
    attached = (await withEngineDeadline(deadline, `POST /containers/${short}/attach`, (abortSignal) =>
      container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true, ...signalOption(abortSignal) }))) as unknown as Duplex;
    await withEngineDeadline(deadline, `POST /containers/${short}/start`, (abortSignal) => container.start(signalOption(abortSignal)));
  } catch (err) {
    await removeContainerQuietly(docker, id, deadline).catch(() => undefined);
    throw new Error(`starting container for upstream "${ctx.server}" (${server.image}): ${(err as Error).message}`);
  }
  const stdout = new PassThrough();
  const stderr = new TailBuffer();
  const demux = new DockerStreamDemuxer({
    stdout: (chunk) => stdout.write(chunk),
    stderr: (chunk) => {
      stderr.push(chunk);
      log.debug({ stderr: chunk.toString().slice(0, 500) }, 'upstream stderr');
    },
  });
  attached.on('data', (chunk: Buffer) => demux.push(chunk));
  attached.on('end', () => stdout.end());
  attached.on('close', () => stdout.end());
  attached.on('error', () => stdout.end());

  // Not bounded: this wait lasts the container's life (its answer is the exit).
  const exited: Promise<UpstreamExit> = container.wait().then(
    (r: { StatusCode?: number }) => ({ code: r.StatusCode ?? null }),
    () => ({ code: null }),
  );
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      try {
        attached.end();
      } catch {
        // already closed
      }
      try {
        const graceSeconds = deps.stopTimeoutSeconds ?? 2;
        await withEngineDeadline(deadline, `POST /containers/${short}/stop`, (abortSignal) => container.stop({ t: graceSeconds, ...signalOption(abortSignal) }), graceSeconds * 1000);
      } catch {
        // 304 not running / 404 gone: fine, removal below settles it.
      }
      await removeContainerQuietly(docker, id, deadline);
      // A container that ended on stdin EOF is being auto-removed (409 above): stop returns once it is really gone,
      // so "stopped" means "no container left" (bounded: a stuck removal is the reaper's to finish).
      await Promise.race([
        container.wait({ condition: 'removed' }).catch(() => undefined),
        new Promise((resolve) => setTimeout(resolve, REMOVAL_WAIT_MS).unref()),
      ]);
    })());
  // If the container dies on its own, AutoRemove removes it; remove anyway in case AutoRemove lost the race.
  void exited.then(() => removeContainerQuietly(docker, id, deadline).catch(() => undefined));
  const transport = new StreamTransport({ input: stdout, output: attached, stop });
  return { transport, describe: `container ${short} (${server.image})`, exited, stderrTail: () => stderr.toString(), stderrSummary: () => stderr.summary() };
}

async function createContainer(
  docker: Dockerode,
  spec: Dockerode.ContainerCreateOptions,
  image: string,
  ctx: LaunchContext,
  deps: ImageLauncherDeps,
): Promise<Dockerode.Container> {
  const create = () => withEngineDeadline(deps.engineDeadline, 'POST /containers/create', (abortSignal) => docker.createContainer({ ...spec, ...signalOption(abortSignal) }));
  try {
    return await create();
  } catch (err) {
    const status = (err as { statusCode?: number }).statusCode;
    if (status !== 404 || !deps.allowPull) {
      const hint = status === 404 ? ' (image not found locally and upstreams.allowPull is false)' : '';
      throw new Error(`creating container for upstream "${ctx.server}" from ${image}${hint}: ${(err as Error).message}`);
    }
  }
  deps.logger.info({ upstream: ctx.server, image }, 'pulling upstream image');
  // The pull's start is bounded; its progress is not (a large image legitimately takes longer than a quick request).
  const stream = await withEngineDeadline(deps.engineDeadline, 'POST /images/create', (abortSignal) => docker.pull(image, signalOption(abortSignal)));
  await new Promise<void>((resolve, reject) => docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve())));
  return create();
}
