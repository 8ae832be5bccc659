/**
 * The narrow Docker client the tools use, named for intent. Every call takes an AbortSignal;
 * errors are wrapped with what was being done; "not found" is a value (`null`), not an exception.
 * The only implementation talks to the Engine API (engine-client.ts); tests use the real engine.
 */
import type { Readable } from 'node:stream';
import type { ContainerFacts } from '../contracts.js';

/** Filters of docker_ps. */
export interface ListContainersOptions {
  readonly all?: boolean;
  /** Substring of the container name (Docker's `name` filter). */
  readonly name?: string;
  /** `key` or `key=value` label filters, all must match. */
  readonly label?: readonly string[];
}

/** One row of docker_ps. */
export interface ContainerSummary {
  readonly id: string;
  readonly name: string;
  readonly image: string;
  readonly state: string;
  readonly status: string;
  readonly created: number;
  readonly ports: ReadonlyArray<{ ip?: string; privatePort: number; publicPort?: number; type: string }>;
  readonly labels: Readonly<Record<string, string>>;
}

/** One row of docker_images. */
export interface ImageSummary {
  readonly id: string;
  readonly tags: readonly string[];
  readonly size: number;
  readonly created: number;
}

/** What docker_inspect can look at. */
export type InspectKind = 'container' | 'image' | 'network' | 'volume';

/** Options of a log read. */
export interface LogOptions {
  readonly tail?: number | 'all';
  readonly since?: number;
  readonly until?: number;
  readonly timestamps?: boolean;
  readonly follow?: boolean;
}

/** An exec request, already checked by policy. */
export interface ExecOptions {
  readonly cmd: readonly string[];
  readonly user?: string;
  readonly workdir?: string;
  readonly env?: readonly string[];
  readonly tty?: boolean;
  /** Written to the process's stdin, then stdin is closed. */
  readonly stdin?: string;
  /**
   * The exec is created at once (that runs nothing) and started only when this settles: the call's decision record
   * is then on disk. If it rejects, the exec is never started and execInContainer rejects with its reason.
   */
  readonly beforeStart?: Promise<void>;
}

/** A running exec: its output streams and the means to end it. */
export interface ExecHandle {
  /** Demultiplexed stdout (tty: everything). */
  readonly stdout: Readable;
  /** Demultiplexed stderr (tty: empty, ends with stdout). */
  readonly stderr: Readable;
  /** Resolves when the output streams have ended. */
  readonly done: Promise<void>;
  /** Set when the engine's stream broke its framing: the output ended early and the exec was killed. */
  fault(): EngineStreamError | undefined;
  /** Exit code reported by the engine once the process has ended (null if still running or unknown). */
  exitCode(signal?: AbortSignal): Promise<number | null>;
  /**
   * Ends the process and everything it started. Docker has no API to kill an exec, so the client tags
   * every exec with a unique environment marker and a second exec signals each process carrying it.
   * Resolves to how many processes were signalled, or an explanation when that was impossible.
   */
  kill(): Promise<{ killed: number } | { killed: 0; reason: string }>;
}

/** Engine identity for health and /ready. */
export interface EngineInfo {
  readonly version: string;
  readonly apiVersion: string;
  readonly os: string;
  readonly arch: string;
}

/** The Docker operations the gateway performs. */
export interface DockerClient {
  /** Where the client connects (DOCKER_HOST form, no credentials), for messages. */
  readonly endpoint: string;
  engineInfo(signal?: AbortSignal): Promise<EngineInfo>;
  listContainers(opts: ListContainersOptions, signal?: AbortSignal): Promise<ContainerSummary[]>;
  findContainer(idOrName: string, signal?: AbortSignal): Promise<ContainerFacts | null>;
  inspect(kind: InspectKind, id: string, signal?: AbortSignal): Promise<Record<string, unknown> | null>;
  listImages(signal?: AbortSignal): Promise<ImageSummary[]>;
  /** Null when the container does not exist. `tty` tells whether the stream is raw or multiplexed. */
  streamLogs(id: string, opts: LogOptions, signal?: AbortSignal): Promise<{ stdout: Readable; stderr: Readable; done: Promise<void>; close(): void; fault(): EngineStreamError | undefined } | null>;
  /** Null when the container does not exist. */
  execInContainer(id: string, opts: ExecOptions, signal?: AbortSignal): Promise<ExecHandle | null>;
  startContainer(id: string, signal?: AbortSignal): Promise<'started' | 'already-running' | null>;
  stopContainer(id: string, timeoutSeconds: number | undefined, signal?: AbortSignal): Promise<'stopped' | 'already-stopped' | null>;
  restartContainer(id: string, timeoutSeconds: number | undefined, signal?: AbortSignal): Promise<'restarted' | null>;
  close(): void;
}

/**
 * Raised when the engine cannot be used at all (unreachable, permission denied, deadline expired, circuit open,
 * or something that is not a Docker engine answering); tools return its message, which names the endpoint and why.
 */
export class EngineUnreachableError extends Error {
  constructor(readonly endpoint: string, cause: unknown, message?: string) {
    super(message ?? `Docker engine unreachable at ${endpoint}: ${(cause as Error)?.message ?? String(cause)}`);
    this.name = 'EngineUnreachableError';
  }
}

/** An Engine API request that did not finish within its deadline; names the request and the time waited. */
export class EngineDeadlineError extends EngineUnreachableError {
  constructor(endpoint: string, readonly request: string, readonly deadlineMs: number, readonly elapsedMs: number) {
    super(endpoint, undefined, `Docker engine at ${endpoint} did not answer ${request} within its ${deadlineMs} ms deadline (gave up after ${elapsedMs} ms; MCP_GATEWAY_ENGINE_TIMEOUT_MS)`);
    this.name = 'EngineDeadlineError';
  }
}

/** Refused without asking the engine: recent requests kept failing, so the circuit is open until a probe succeeds. */
export class EngineCircuitOpenError extends EngineUnreachableError {
  constructor(endpoint: string, readonly failures: number, readonly lastFailure: string, readonly retryInMs: number) {
    super(endpoint, undefined, `Docker engine at ${endpoint} is failing (${failures} consecutive failures, the last: ${lastFailure}); ` +
      `calls fail fast until it answers again, next probe in ${Math.max(0, Math.ceil(retryInMs / 100) / 10)} s`);
    this.name = 'EngineCircuitOpenError';
  }
}

/**
 * The endpoint answered, but not as a Docker engine does: an HTML page, a socket proxy's 403, a 404 from something
 * that is not the Engine API. Never read as "not found" or an empty list, and never as a policy denial.
 */
export class NotAnEngineError extends EngineUnreachableError {
  constructor(endpoint: string, readonly request: string, readonly statusCode: number, detail: string) {
    super(endpoint, undefined, `The endpoint ${endpoint} answered ${request} with HTTP ${statusCode}${detail ? ` (${detail})` : ''}, ` +
      'which is not a Docker Engine API answer: is DOCKER_HOST a Docker engine, or is a socket proxy refusing this request?');
    this.name = 'NotAnEngineError';
  }
}

/**
 * The engine's multiplexed exec/log stream broke its framing (unknown stream type, absurd frame length): the call
 * is aborted and its exec killed rather than passing the bytes on as output.
 */
export class EngineStreamError extends Error {
  constructor(readonly endpoint: string, detail: string) {
    super(`Docker engine at ${endpoint} sent a malformed output stream (${detail}); the call was aborted`);
    this.name = 'EngineStreamError';
  }
}

/** A Docker call failed for another reason; the message says what was being done. */
export class DockerOperationError extends Error {
  constructor(readonly action: string, readonly statusCode: number | undefined, detail: string) {
    super(`${action}: ${detail}`);
    this.name = 'DockerOperationError';
  }
}
