/**
 * The factory the gateway wires in: `createUpstreams(config, deps)` owns every upstream MCP server of one gateway
 * instance, from validation and start-up reaping to the last container removed on close.
 */
import type Dockerode from 'dockerode';
import type { Logger } from 'pino';
import type { GetPromptResult, Prompt, ReadResourceResult, Resource, ResourceTemplate } from '@modelcontextprotocol/sdk/types.js';
import type { ToolDefinition } from '../contracts.js';
import { Aggregator, type CompleteParams, type PromptOutcome, type RequestContext, type RequestStateRefusedEvent, type SecretsRedactedEvent } from './aggregator.js';
import { RequestStateSealer, type SecretValue } from './request-state.js';
import { launchCommand } from './command-launcher.js';
import { type EngineDeadline, signalOption, withEngineDeadline } from './engine-deadline.js';
import { launchImage, type ImageLauncherDeps } from './image-launcher.js';
import type { Launcher } from './launcher.js';
import { ProcessTracker, reapLeftovers, removeInstanceContainers } from './reaper.js';
import { launchRemote } from './remote-launcher.js';
import { withResolvedSecrets } from './resolve-server-secrets.js';
import type { SecretSource } from './secret-refs.js';
import { SharedSchemaValidator } from '../shared-schema-validator.js';
import type { ListKind } from './upstream-instance.js';
import { UpstreamPool, type UpstreamServerStatus } from './upstream-pool.js';
import { type UpstreamsConfig, UpstreamsConfigError, validateUpstreams } from './upstreams-config.js';

/** What createUpstreams needs from the gateway. */
export interface UpstreamsDeps {
  readonly docker: Dockerode;
  readonly logger: Logger;
  /** New on every gateway start; labels every container this run starts. */
  readonly instanceId: string;
  /**
   * This replica of the deployment, stable across its restarts (the gateway passes its hostname); decides which
   * leftovers start-up may reap (see reaper.ts). @default - none: every same-owner container of another run is reaped
   */
  readonly replicaId?: string;
  /** Built-in tool names, so upstream tools cannot shadow them. @default [] */
  readonly reservedToolNames?: readonly string[];
  /** Audit hook for block_secrets redactions. @default - logged only */
  readonly onSecretsRedacted?: (e: SecretsRedactedEvent) => void;
  /** Container policy check for volumes. @default - format check only */
  readonly checkVolume?: (server: string, volume: string) => string | undefined;
  /** Container policy for every upstream container's create body (see ImageLauncherDeps.checkSpec). @default - none */
  readonly checkContainerSpec?: ImageLauncherDeps['checkSpec'];
  /** Labels added to every upstream container (tests add `mcp.gateway.test=1`). @default {} */
  readonly extraContainerLabels?: Readonly<Record<string, string>>;
  /** Replaces the launcher per kind (tests use in-memory servers). @default - image, command and remote launchers */
  readonly launcher?: Launcher;
  /** What command servers inherit (PATH, HOME, CA bundle, proxies; see INHERITED_ENV). @default - the gateway's own PATH and HOME */
  readonly commandEnv?: Readonly<Record<string, string | undefined>>;
  /** Resolves `{{secret:NAME}}` in environment and headers at launch. @default - no secrets: a reference fails its launch */
  readonly secrets?: SecretSource;
  /**
   * The secret every replica shares for sealing 2026-07-28 `requestState` (MCP_GATEWAY_STATE_KEY).
   * @default - a random key of this process (logged as a warning: a retry must then come back to this replica)
   */
  readonly stateKey?: SecretValue;
  /** Audit hook for a refused `requestState` (tampered, expired, another principal's). @default - logged only */
  readonly onRequestStateRefused?: (e: RequestStateRefusedEvent) => void;
  /**
   * Deadline of every Engine API request managing upstream containers (the engine client's
   * MCP_GATEWAY_ENGINE_TIMEOUT_MS and endpoint). @default - unbounded
   */
  readonly engineDeadline?: EngineDeadline;
}

/** The upstream servers of one gateway instance. */
export interface Upstreams {
  /** Validates (every problem at once, throws {@link UpstreamsConfigError}), reaps leftovers, starts eager servers. */
  start(): Promise<void>;
  /** Tool definitions of all upstreams (contracts.ts shape, `jsonSchema` set). */
  tools(sessionId?: string): Promise<ToolDefinition[]>;
  /** For a tool of a configured server that cannot start: a stand-in whose call explains why (else undefined). */
  unavailableTool(name: string): ToolDefinition | undefined;
  resources(sessionId?: string): Promise<Resource[]>;
  resourceTemplates(sessionId?: string): Promise<ResourceTemplate[]>;
  readResource(uri: string, ctx?: RequestContext): Promise<ReadResourceResult>;
  prompts(sessionId?: string): Promise<Prompt[]>;
  getPrompt(name: string, args: Record<string, string> | undefined, ctx?: RequestContext): Promise<PromptOutcome>;
  /** `completion/complete` for an upstream prompt or resource template. */
  complete(params: CompleteParams, ctx?: RequestContext): Promise<{ completion: { values: string[]; total?: number; hasMore?: boolean } }>;
  /** Called with the server name when an upstream's tool list changed; returns an unsubscribe function. */
  onToolsChanged(cb: (server: string) => void): () => void;
  /** Same for any list (tools, resources, prompts). */
  onListChanged(cb: (kind: ListKind, server: string) => void): () => void;
  /** Marks a session open (instances still start lazily on its first call). */
  openSession(sessionId: string): void;
  /** Stops the session's per-session instances. */
  closeSession(sessionId: string): Promise<void>;
  /** Per-server state for /ready and /metrics. */
  status(): UpstreamServerStatus[];
  /** Stops everything this instance started and removes its containers. Idempotent. */
  close(): Promise<void>;
}

/** Builds the upstreams of one gateway instance. Nothing starts until {@link Upstreams.start}. */
export function createUpstreams(config: UpstreamsConfig, deps: UpstreamsDeps): Upstreams {
  const settings = config.upstreams;
  const logger = deps.logger.child({ component: 'upstreams' });
  const tracker = new ProcessTracker();
  const listeners = new Set<(kind: ListKind, server: string) => void>();
  const sessions = new Set<string>();
  const scope = { ownerId: settings.ownerId, instanceId: deps.instanceId, ...(deps.replicaId !== undefined ? { replicaId: deps.replicaId } : {}) };
  // Whether this replica is itself a container on the engine (found at start); labels say so, for siblings' reaping.
  const replica = deps.replicaId !== undefined ? { id: deps.replicaId, container: false } : undefined;

  const launchAs: Launcher =
    deps.launcher ??
    ((server, ctx) => {
      if (server.kind === 'image') {
        return launchImage(server, ctx, {
          docker: deps.docker,
          logger,
          ownerId: settings.ownerId,
          instanceId: deps.instanceId,
          ...(replica ? { replica } : {}),
          allowPull: settings.allowPull,
          extraLabels: deps.extraContainerLabels,
          checkSpec: deps.checkContainerSpec,
          ...(deps.engineDeadline ? { engineDeadline: deps.engineDeadline } : {}),
        });
      }
      if (server.kind === 'command') return launchCommand(server, ctx, { logger, tracker, baseEnv: deps.commandEnv });
      return launchRemote(server, ctx);
    });
  // References are resolved on a copy, per launch: the config (and what is logged of it) keeps only the reference.
  const secrets = deps.secrets ?? { get: () => undefined, describe: (name: string) => `the secret ${name}` };
  const launcher: Launcher = async (server, ctx) => launchAs(withResolvedSecrets(server, secrets), ctx);

  const pools = new Map<string, UpstreamPool>();
  // One Ajv and one compile per distinct output schema for all instances, instead of per instance started.
  const schemaValidator = new SharedSchemaValidator();
  let aggregator: Aggregator;
  const notify = (kind: ListKind, name: string): void => {
    for (const cb of listeners) {
      try {
        cb(kind, name);
      } catch (err) {
        logger.error({ err, upstream: name }, 'list_changed listener threw');
      }
    }
  };
  const emitListChanged = (kind: ListKind, name: string): void => {
    aggregator.invalidate(name, kind);
    notify(kind, name);
  };
  for (const [name, server] of Object.entries(config.mcpServers)) {
    pools.set(
      name,
      new UpstreamPool({
        name,
        config: server,
        settings,
        launcher,
        logger,
        // Tell clients only when the list really changed (see Aggregator.refresh).
        onListChanged: (kind, instance) => {
          void aggregator.refresh(name, kind, instance).then((changed) => changed && notify(kind, name));
        },
        keepWarm: server.eager ?? settings.eagerStart,
        schemaValidator,
      }),
    );
  }
  const sealer = new RequestStateSealer({ secret: deps.stateKey });
  if (sealer.ephemeral) {
    logger.warn('MCP_GATEWAY_STATE_KEY is not set: 2026-07-28 input requests of upstreams are sealed with a key of this process only, so their retries fail on other replicas and after a restart; give every replica the same key');
  }
  aggregator = new Aggregator({ config, pools, logger, reservedToolNames: deps.reservedToolNames,
    onSecretsRedacted: deps.onSecretsRedacted,
    sealer,
    onRequestStateRefused: deps.onRequestStateRefused,
    onRecovered: (name) => {
      for (const kind of ['tools', 'resources', 'prompts'] as const) emitListChanged(kind, name);
    },
  });

  let sweeper: NodeJS.Timeout | undefined;
  // kill -9 cannot be caught, but every other exit path (process.exit, uncaught error) runs this synchronously.
  const exitHook = (): void => tracker.killAllSync();
  let closing: Promise<void> | undefined;

  return {
    async start() {
      const problems = await validateUpstreams(config, {
        imageExists: async (image) => {
          try {
            await deps.docker.getImage(image).inspect();
            return true;
          } catch (err) {
            if ((err as { statusCode?: number }).statusCode === 404) return false;
            throw err;
          }
        },
        reservedToolNames: deps.reservedToolNames,
        path: deps.commandEnv?.PATH ?? process.env.PATH, // lint-allow no-env: fallback for direct use; the gateway injects commandEnv
        checkVolume: deps.checkVolume,
      });
      if (problems.length > 0) throw new UpstreamsConfigError(problems);
      process.on('exit', exitHook);
      // Reap even when no image server is configured now: an earlier run may have had some.
      const hasImages = Object.values(config.mcpServers).some((s) => s.kind === 'image');
      if (replica && hasImages) {
        // Under Docker the hostname is the container's short id: if the engine knows it, siblings can ask it later.
        replica.container = await withEngineDeadline(deps.engineDeadline, `GET /containers/${replica.id}/json`, (signal) => deps.docker.getContainer(replica.id).inspect(signalOption(signal)))
          .then((i) => i.Config.Hostname === replica.id, () => false);
      }
      await reapLeftovers(deps.docker, scope, logger, deps.engineDeadline).catch((err: Error) => {
        // Without image servers the engine is not needed here; with them, validation already reached it.
        if (hasImages) throw new Error(`reaping upstream containers of earlier gateway runs: ${err.message}`);
        logger.warn({ err: err.message }, 'could not check for upstream containers of earlier gateway runs');
      });
      if (settings.idleTimeoutSeconds > 0) {
        const every = Math.min(5_000, Math.max(250, (settings.idleTimeoutSeconds * 1000) / 4));
        sweeper = setInterval(() => {
          for (const pool of pools.values()) void pool.sweepIdle().catch((err: Error) => logger.error({ err }, 'idle sweep failed'));
        }, every);
        sweeper.unref();
      }
      const eager = Object.entries(config.mcpServers).filter(([, s]) => s.eager ?? settings.eagerStart);
      // Eager servers list their tools now: a shared one stays running, others start and stop once.
      if (eager.length > 0) {
        await aggregator.tools();
        if (aggregator.collisions.length > 0) {
          throw new UpstreamsConfigError(aggregator.collisions.map((message) => ({ server: 'upstreams', field: 'tools', message, fix: 'set prefix: true on one side, or leave the tool out with enabled_tools' })));
        }
      }
      logger.info({ servers: Object.keys(config.mcpServers), eager: eager.map(([n]) => n) }, 'upstreams ready');
    },
    tools: (sessionId) => aggregator.tools(sessionId),
    unavailableTool: (name) => aggregator.unavailableTool(name),
    resources: (sessionId) => aggregator.resources(sessionId),
    resourceTemplates: (sessionId) => aggregator.resourceTemplates(sessionId),
    readResource: (uri, ctx) => aggregator.readResource(uri, ctx),
    prompts: (sessionId) => aggregator.prompts(sessionId),
    getPrompt: (name, args, ctx) => aggregator.getPrompt(name, args, ctx),
    complete: (params, ctx) => aggregator.complete(params, ctx),
    onToolsChanged(cb) {
      const l = (kind: ListKind, server: string): void => {
        if (kind === 'tools') cb(server);
      };
      listeners.add(l);
      return () => listeners.delete(l);
    },
    onListChanged(cb) {
      listeners.add(cb);
      return () => listeners.delete(cb);
    },
    openSession(sessionId) {
      sessions.add(sessionId);
    },
    async closeSession(sessionId) {
      sessions.delete(sessionId);
      await Promise.all([...pools.values()].map((p) => p.closeSession(sessionId)));
    },
    status: () => [...pools.values()].map((p) => p.status()),
    close() {
      closing ??= (async () => {
        if (sweeper) clearInterval(sweeper);
        aggregator.held.close();
        await Promise.allSettled([...pools.values()].map((p) => p.close()));
        tracker.killAllSync();
        process.off('exit', exitHook);
        if (Object.values(config.mcpServers).some((s) => s.kind === 'image')) {
          // Safety net: anything of this instance still on the engine (a start racing the close).
          const left = await removeInstanceContainers(deps.docker, scope, deps.engineDeadline).catch((err: Error) => {
            logger.error({ err: err.message }, 'could not list upstream containers at close');
            return [];
          });
          if (left.length > 0) logger.warn({ count: left.length }, 'removed upstream containers still present at close');
        }
      })();
      return closing;
    },
  };
}
