/**
 * DockerClient over the Engine API, using dockerode with a keep-alive agent (the hot path reuses
 * connections) and the engine's own API version (negotiated once at start: this machine's engine
 * speaks 1.41).
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { PassThrough, Readable } from 'node:stream';
import Docker from 'dockerode';
import type { ContainerFacts } from '../contracts.js';
import {
  DockerOperationError, EngineUnreachableError,
  type ContainerSummary, type DockerClient, type EngineInfo, type ExecHandle, type ExecOptions,
  type ImageSummary, type InspectKind, type ListContainersOptions, type LogOptions,
} from './docker-client.js';
import { describeEndpoint, dockerOptionsFor, type DockerHostSettings } from './docker-host.js';

/** Environment variable every exec carries so that kill() can find its processes. */
export const EXEC_MARKER_ENV = 'MCP_GATEWAY_EXEC_ID';

// Runs inside the target container as root: signals every process whose environment carries the
// marker (the exec and all its descendants, which inherit it) and prints how many it signalled.
const KILL_SCRIPT =
  'n=0; for p in /proc/[0-9]*; do case "$(tr "\\000" "\\n" < "$p/environ" 2>/dev/null)" in ' +
  `*"${EXEC_MARKER_ENV}=$1"*) kill -9 "\${p#/proc/}" 2>/dev/null && n=$((n+1));; esac; done; echo "$n"`;

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ENOENT', 'EACCES', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE']);

/** Observes Engine API latency (seconds) per operation; wired to /metrics by the gateway. */
export type DockerLatencyObserver = (operation: string, seconds: number) => void;

/** Options of {@link createEngineClient}. */
export interface EngineClientOptions extends DockerHostSettings {
  readonly observe?: DockerLatencyObserver;
  /** Keep-alive sockets kept open to the engine. */
  readonly maxSockets?: number;
}

// dockerode's typings lack `abortSignal` (docker-modem honours it); one loosely typed helper keeps the casts in one place.
function withSignal(signal?: AbortSignal, extra: Record<string, unknown> = {}): { abortSignal?: AbortSignal; [key: string]: unknown } {
  return signal ? { ...extra, abortSignal: signal } : extra;
}

interface DockerodeError extends Error { statusCode?: number; code?: string; json?: { message?: string } }

/** Creates the Engine API client; `negotiate()` pins the API version to the engine's. */
export function createEngineClient(options: EngineClientOptions): DockerClient & { negotiate(signal?: AbortSignal): Promise<EngineInfo> } {
  const endpoint = describeEndpoint(options.host);
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 64 });
  const base = dockerOptionsFor(options);
  const docker = new Docker({ ...base, ...(base.protocol === 'ssh' ? {} : { agent }) } as Docker.DockerOptions);
  const observe = options.observe ?? (() => undefined);

  /** Runs one Engine API call: times it, maps 404 to null and connection failures to EngineUnreachableError. */
  async function call<T>(operation: string, action: string, fn: () => Promise<T>): Promise<T | null> {
    const started = performance.now();
    try {
      return await fn();
    } catch (err) {
      const e = err as DockerodeError;
      if (e.statusCode === 404) return null;
      if (e.code && UNREACHABLE_CODES.has(e.code)) throw new EngineUnreachableError(endpoint, e);
      if (e.name === 'AbortError') throw err;
      const detail = e.json?.message ?? (typeof (e as { reason?: string }).reason === 'string' ? e.message : e.message);
      throw new DockerOperationError(action, e.statusCode, String(detail).replace(/^\(HTTP code \d+\)\s*\S*\s*-\s*/, '').trim());
    } finally {
      observe(operation, (performance.now() - started) / 1000);
    }
  }

  async function engineInfo(signal?: AbortSignal): Promise<EngineInfo> {
    const v = await call('version', 'reading the engine version', () => docker.version());
    if (!v) throw new EngineUnreachableError(endpoint, new Error('no version answer'));
    return { version: v.Version, apiVersion: v.ApiVersion, os: v.Os, arch: v.Arch };
  }

  async function containerTty(id: string, signal?: AbortSignal): Promise<boolean | null> {
    const info = await call('container_inspect', `inspecting container ${id}`, () => docker.getContainer(id).inspect(withSignal(signal)));
    return info ? Boolean(info.Config?.Tty) : null;
  }

  /** Splits Docker's multiplexed stream (8-byte frame headers) into stdout and stderr. */
  function demux(source: Readable, tty: boolean) {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    const done = new Promise<void>((resolve) => {
      const finish = () => { stdout.end(); stderr.end(); resolve(); };
      source.once('end', finish);
      source.once('close', finish);
      source.once('error', finish);
    });
    if (tty) source.on('data', (chunk: Buffer) => stdout.write(chunk));
    else docker.modem.demuxStream(source, stdout, stderr);
    return { stdout, stderr, done };
  }

  return {
    endpoint,

    async negotiate(signal) {
      const info = await engineInfo(signal);
      (docker.modem as unknown as { version?: string }).version = `v${info.apiVersion}`;
      return info;
    },

    engineInfo,

    async listContainers(o: ListContainersOptions, signal) {
      const filters: Record<string, string[]> = {};
      if (o.name) filters.name = [o.name];
      if (o.label?.length) filters.label = [...o.label];
      const rows = await call('container_list', 'listing containers', () =>
        docker.listContainers(withSignal(signal, { all: o.all ?? false, filters: JSON.stringify(filters) })));
      return (rows ?? []).map((c): ContainerSummary => ({
        id: c.Id.slice(0, 12),
        name: (c.Names?.[0] ?? '').replace(/^\//, ''),
        image: c.Image,
        state: c.State,
        status: c.Status,
        created: c.Created,
        ports: (c.Ports ?? []).map((p) => ({ ip: p.IP, privatePort: p.PrivatePort, publicPort: p.PublicPort, type: p.Type })),
        labels: c.Labels ?? {},
      }));
    },

    async findContainer(idOrName, signal): Promise<ContainerFacts | null> {
      const info = await call('container_inspect', `inspecting container ${idOrName}`, () =>
        docker.getContainer(idOrName).inspect(withSignal(signal)));
      if (!info) return null;
      return { id: info.Id, name: info.Name.replace(/^\//, ''), labels: info.Config?.Labels ?? {}, user: info.Config?.User ?? '' };
    },

    async inspect(kind: InspectKind, id, signal) {
      const o = withSignal(signal);
      const fns: Record<InspectKind, () => Promise<unknown>> = {
        container: () => docker.getContainer(id).inspect(o),
        image: () => docker.getImage(id).inspect(),
        network: () => docker.getNetwork(id).inspect(),
        volume: () => docker.getVolume(id).inspect(o),
      };
      return (await call(`${kind}_inspect`, `inspecting ${kind} ${id}`, fns[kind])) as Record<string, unknown> | null;
    },

    async listImages(signal): Promise<ImageSummary[]> {
      const rows = await call('image_list', 'listing images', () => docker.listImages(withSignal(signal)));
      return (rows ?? []).map((i) => ({ id: i.Id.replace(/^sha256:/, '').slice(0, 12), tags: i.RepoTags ?? [], size: i.Size, created: i.Created }));
    },

    async streamLogs(id, o: LogOptions, signal) {
      const tty = await containerTty(id, signal);
      if (tty === null) return null;
      const params = {
        stdout: true, stderr: true, follow: o.follow ?? false, timestamps: o.timestamps ?? false,
        tail: o.tail ?? 'all', ...(o.since !== undefined ? { since: o.since } : {}), ...(o.until !== undefined ? { until: o.until } : {}),
      };
      const out = await call('container_logs', `reading logs of ${id}`, () => docker.getContainer(id).logs(withSignal(signal, params)) as Promise<unknown>);
      if (out === null) return null;
      const source = Buffer.isBuffer(out) ? Readable.from([out]) : (out as Readable);
      const { stdout, stderr, done } = demux(source, tty);
      return { stdout, stderr, done, close: () => source.destroy() };
    },

    async execInContainer(id, o: ExecOptions, signal): Promise<ExecHandle | null> {
      const container = docker.getContainer(id);
      const marker = randomUUID();
      const withStdin = o.stdin !== undefined;
      const tty = o.tty ?? false;
      const exec = await call('exec_create', `creating exec in ${id}`, () => container.exec(withSignal(signal, {
        Cmd: [...o.cmd], AttachStdout: true, AttachStderr: true, AttachStdin: withStdin, Tty: tty,
        ...(o.user ? { User: o.user } : {}), ...(o.workdir ? { WorkingDir: o.workdir } : {}),
        Env: [...(o.env ?? []), `${EXEC_MARKER_ENV}=${marker}`],
      })));
      if (!exec) return null;
      const stream = await call('exec_start', `starting exec in ${id}`, () =>
        exec.start(withSignal(undefined, { hijack: true, stdin: withStdin, Tty: tty })) as Promise<NodeJS.ReadWriteStream & Readable>);
      if (!stream) return null;
      const { stdout, stderr, done } = demux(stream, tty);
      if (withStdin) {
        stream.write(o.stdin ?? '');
        (stream as unknown as { end(): void }).end();
      }
      let killed: Promise<{ killed: number } | { killed: 0; reason: string }> | undefined;
      return {
        stdout, stderr, done,
        async exitCode(sig) {
          // The stream can end a moment before the engine records the exit; poll briefly.
          for (let i = 0; i < 50; i += 1) {
            const info = await call('exec_inspect', `inspecting exec in ${id}`, () => exec.inspect(withSignal(sig)));
            if (!info) return null;
            if (!info.Running) return info.ExitCode ?? null;
            await new Promise((r) => setTimeout(r, Math.min(2 ** i, 50)));
          }
          return null;
        },
        kill() {
          killed ??= (async () => {
            try {
              const killer = await call('exec_create', `creating kill exec in ${id}`, () => container.exec(withSignal(undefined, {
                Cmd: ['sh', '-c', KILL_SCRIPT, 'sh', marker], AttachStdout: true, AttachStderr: true, User: '0',
              })));
              if (!killer) return { killed: 0, reason: `container ${id} no longer exists` };
              const s = await killer.start(withSignal(undefined, { hijack: true, stdin: false })) as unknown as Readable;
              const out = demux(s, false);
              const chunks: Buffer[] = [];
              out.stdout.on('data', (c: Buffer) => chunks.push(c));
              out.stderr.resume();
              await out.done;
              const info = await killer.inspect();
              const n = Number.parseInt(Buffer.concat(chunks).toString('utf8').trim(), 10);
              if (info.ExitCode !== 0 || Number.isNaN(n)) {
                return { killed: 0, reason: `could not signal the exec's processes (no sh/tr/kill in the container? exit ${info.ExitCode})` };
              }
              return { killed: n };
            } catch (err) {
              return { killed: 0, reason: (err as Error).message };
            } finally {
              stream.destroy();
            }
          })();
          return killed;
        },
      };
    },

    async startContainer(id, signal) {
      const started = performance.now();
      try {
        await docker.getContainer(id).start(withSignal(signal));
        return 'started';
      } catch (err) {
        if ((err as DockerodeError).statusCode === 304) return 'already-running';
        return call('container_start', `starting container ${id}`, () => Promise.reject(err)) as Promise<null>;
      } finally {
        observe('container_start', (performance.now() - started) / 1000);
      }
    },

    async stopContainer(id, timeoutSeconds, signal) {
      try {
        const r = await call('container_stop', `stopping container ${id}`, () =>
          docker.getContainer(id).stop(withSignal(signal, timeoutSeconds !== undefined ? { t: timeoutSeconds } : {})));
        return r === null ? null : 'stopped';
      } catch (err) {
        if (err instanceof DockerOperationError && err.statusCode === 304) return 'already-stopped';
        throw err;
      }
    },

    async restartContainer(id, timeoutSeconds, signal) {
      const r = await call('container_restart', `restarting container ${id}`, () =>
        docker.getContainer(id).restart(withSignal(signal, timeoutSeconds !== undefined ? { t: timeoutSeconds } : {})));
      return r === null ? null : 'restarted';
    },

    close() {
      agent.destroy();
    },
  };
}
