/**
 * Deadlines of the Engine API requests that manage upstream containers (create, attach, start, stop, remove, list,
 * inspect). They go through dockerode rather than the tools' engine client, so they get the same bound here: the
 * engine client's MCP_GATEWAY_ENGINE_TIMEOUT_MS, and the same error naming the request, the endpoint and the time
 * waited. A hung engine then fails an upstream's start or the start-up reaping instead of hanging them.
 */
import { EngineDeadlineError } from '../docker/docker-client.js';

/** The bound every upstream-container Engine API request gets. */
export interface EngineDeadline {
  /** DOCKER_HOST without credentials (describeEndpoint), named in the error. */
  readonly endpoint: string;
  /** MCP_GATEWAY_ENGINE_TIMEOUT_MS (docker.timeoutMs). */
  readonly timeoutMs: number;
}

/**
 * Runs one Engine API request with a deadline: `call` gets a signal that aborts the request when the deadline
 * expires (dockerode's `abortSignal` option), and the result rejects with an {@link EngineDeadlineError} then, even
 * if the request ignores the signal. `extraMs` lengthens the bound for a request that legitimately waits (a stop's
 * grace period). Without a deadline the call runs unbounded (tests of other behaviour).
 */
export async function withEngineDeadline<T>(
  deadline: EngineDeadline | undefined,
  request: string,
  call: (signal: AbortSignal | undefined) => Promise<T>,
  extraMs = 0,
): Promise<T> {
  if (!deadline) return call(undefined);
  const abort = new AbortController();
  const started = Date.now();
  const limitMs = deadline.timeoutMs + extraMs;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new EngineDeadlineError(deadline.endpoint, request, limitMs, Date.now() - started);
      abort.abort(err);
      reject(err);
    }, limitMs);
  });
  try {
    return await Promise.race([call(abort.signal), expired]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * dockerode's `abortSignal` option, present only when there is a signal: an `abortSignal: undefined` key would reach
 * the request's query string.
 */
export function signalOption(signal: AbortSignal | undefined): { abortSignal?: AbortSignal } {
  return signal ? { abortSignal: signal } : {};
}
