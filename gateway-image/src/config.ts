/**
 * Gateway configuration: parsed once at the edge from an optional JSON file and the environment,
 * validated with one schema, every problem reported at once, then frozen and injected.
 * No module reads process.env; main.ts passes it here.
 *
 * Sources, later wins: defaults < config file (MCP_GATEWAY_CONFIG path, or MCP_GATEWAY_CONFIG_JSON inline)
 * < environment variables (the table in ENV_VARS). The security sections (auth, http, policy, exec, containers,
 * limits, audit, redaction) and mcpServers have their own schemas next to the code that uses them.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from './errors.js';

const MiB = 1024 * 1024;

/**
 * Schema of the sections this file owns. Built on each call and not kept, as the security sections' schema is
 * (security-config.ts): the config is parsed once.
 */
export function baseConfigSchema() {
  return z.object({
    server: z.object({
      /** Listen address. The image sets 0.0.0.0; the stack publishes the port on 127.0.0.1 only. */
      host: z.string().min(1).default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(3000),
      /**
       * A second port serving only GET /health, /ready and /metrics, with no authentication and no Host check, for
       * kubelet probes (Host = pod IP, no token) and Prometheus; never publish or route it outside the cluster/host.
       * @default - none (the ops routes are on the main port only, /ready and /metrics behind authentication)
       */
      opsPort: z.number().int().min(0).max(65535).optional(),
      /** Largest request body accepted, in bytes (413 above). */
      maxBodyBytes: z.number().int().min(1024).max(64 * MiB).default(MiB),
      /** Deepest JSON nesting accepted in a request body. */
      maxJsonDepth: z.number().int().min(4).max(1000).default(64),
      headersTimeoutMs: z.number().int().min(1000).default(10_000),
      requestTimeoutMs: z.number().int().min(1000).default(60_000),
      keepAliveTimeoutMs: z.number().int().min(100).default(5_000),
      /** Interval of SSE comment heartbeats; Cloudflare cuts idle streams after ~100 s. */
      sseHeartbeatMs: z.number().int().min(1000).default(15_000),
      /** Open MCP sessions (Streamable HTTP + SSE) at most; new ones get 503 beyond it. */
      maxSessions: z.number().int().min(1).default(256),
      /** Sessions with no request for this long are closed. */
      sessionIdleMs: z.number().int().min(1000).default(30 * 60_000),
    }).strict().prefault({}),
    docker: z.object({
      /** unix:///path, tcp://host:port (TLS via certPath/tlsVerify) or ssh://user@host. */
      host: z.string().min(1).default('unix:///var/run/docker.sock'),
      certPath: z.string().optional(),
      tlsVerify: z.boolean().default(false),
      /** Deadline of quick Engine API requests (lists, inspects, exec create) and of a stream's or exec's start. */
      timeoutMs: z.number().int().min(100).max(600_000).default(10_000),
      /** Consecutive engine failures (unreachable, deadline expired) that open the circuit. */
      circuitFailures: z.number().int().min(1).max(1000).default(3),
      /** How long an open circuit fails calls at once before one call probes the engine again. */
      circuitOpenMs: z.number().int().min(100).max(600_000).default(5_000),
    }).strict().prefault({}),
    tools: z.object({
      /** Buffered output cap per call (exec, logs), in bytes. */
      maxBytes: z.number().int().min(1024).max(256 * MiB).default(MiB),
      /**
       * Most bytes one streaming call may send before its command is stopped. Streamed output is held in memory on its
       * way out (see bench/RESULTS.md "Open work"), so this keeps one call from exhausting the container's memory.
       */
      maxStreamBytes: z.number().int().min(1024).max(1024 * MiB).default(16 * MiB),
      /** Size of one streamed chunk (progress notification), in bytes. */
      chunkBytes: z.number().int().min(256).max(4 * MiB).default(16 * 1024),
      /**
       * The longest a piece of streamed output (exec `stream`, logs `follow`) waits in the gateway before it is sent:
       * output after a quiet spell goes out at once, a steady flow is coalesced into a notification per this interval
       * (or per chunkBytes). 0 sends every piece as it is read.
       */
      flushMs: z.number().int().min(0).max(1000).default(20),
      /** Default exec timeout. */
      timeoutMs: z.number().int().min(100).max(3_600_000).default(30_000),
      /** Longest `followSeconds` a logs call may ask for. */
      maxFollowSeconds: z.number().int().min(1).max(3600).default(300),
      /** docker_start / docker_stop / docker_restart are offered only when true. */
      enableLifecycle: z.boolean().default(false),
    }).strict().prefault({}),
    logging: z.object({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      /** JSON lines (true) or pretty single-line text (false). */
      structured: z.boolean().default(true),
    }).strict().prefault({}),
    /** Policy and audit run, nothing executes, results say so. */
    dryRun: z.boolean().default(false),
  });
}

type Parser = (raw: string) => unknown;
const int: Parser = (raw) => (/^-?\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN);
const bool: Parser = (raw) => {
  const v = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(v)) return false;
  return raw;
};
const str: Parser = (raw) => raw;

/** Environment variables this file maps onto the schema: name, path in the config, parser, doc. */
export const ENV_VARS: ReadonlyArray<readonly [string, readonly string[], Parser, string]> = [
  ['MCP_GATEWAY_HOST', ['server', 'host'], str, 'listen address (image: 0.0.0.0)'],
  ['MCP_GATEWAY_PORT', ['server', 'port'], int, 'listen port (3000)'],
  ['MCP_GATEWAY_OPS_PORT', ['server', 'opsPort'], int, 'unauthenticated /health, /ready, /metrics port for probes and Prometheus (none)'],
  ['MCP_GATEWAY_MAX_BODY_BYTES', ['server', 'maxBodyBytes'], int, 'request body limit (1 MiB)'],
  ['MCP_GATEWAY_MAX_SESSIONS', ['server', 'maxSessions'], int, 'open MCP sessions at most (256)'],
  ['MCP_GATEWAY_SSE_HEARTBEAT_MS', ['server', 'sseHeartbeatMs'], int, 'SSE heartbeat interval (15000)'],
  ['DOCKER_HOST', ['docker', 'host'], str, 'Docker endpoint (unix:///var/run/docker.sock)'],
  ['DOCKER_CERT_PATH', ['docker', 'certPath'], str, 'TLS material for tcp:// endpoints'],
  ['DOCKER_TLS_VERIFY', ['docker', 'tlsVerify'], bool, 'verify the engine certificate'],
  ['MCP_GATEWAY_ENGINE_TIMEOUT_MS', ['docker', 'timeoutMs'], int, 'Engine API deadline of quick requests and exec/stream starts (10000)'],
  ['MCP_GATEWAY_ENGINE_CIRCUIT_FAILURES', ['docker', 'circuitFailures'], int, 'consecutive engine failures that open the circuit (3)'],
  ['MCP_GATEWAY_ENGINE_CIRCUIT_OPEN_MS', ['docker', 'circuitOpenMs'], int, 'how long an open circuit fails fast before probing (5000)'],
  ['MCP_DOCKER_MAX_BYTES', ['tools', 'maxBytes'], int, 'output cap per call (1048576)'],
  ['MCP_DOCKER_CHUNK_BYTES', ['tools', 'chunkBytes'], int, 'streamed chunk size (16384)'],
  ['MCP_DOCKER_STREAM_FLUSH_MS', ['tools', 'flushMs'], int, 'longest a piece of streamed output waits before it is sent (20)'],
  ['MCP_DOCKER_MAX_STREAM_BYTES', ['tools', 'maxStreamBytes'], int, 'bytes one streaming call may send (16777216)'],
  ['MCP_DOCKER_TIMEOUT_MS', ['tools', 'timeoutMs'], int, 'default exec timeout (30000)'],
  ['MCP_DOCKER_ENABLE_LIFECYCLE', ['tools', 'enableLifecycle'], bool, 'offer start/stop/restart (false)'],
  ['MCP_DOCKER_LOG_LEVEL', ['logging', 'level'], str, 'log level (info)'],
  ['MCP_DOCKER_STRUCTURED_LOGS', ['logging', 'structured'], bool, 'JSON logs (true)'],
  ['MCP_DOCKER_DRY_RUN', ['dryRun'], bool, 'decide and audit, execute nothing (false)'],
];

/** The parsed, frozen base configuration. */
export type BaseConfig = z.infer<ReturnType<typeof baseConfigSchema>>;

/** Where the raw configuration comes from; injected so tests need no files or real env. */
export interface ConfigSources {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly readFile?: (path: string) => string;
}

/** A JSON object read from the config file (or `{}`), with problems collected rather than thrown. */
export function readConfigFile(sources: ConfigSources, issues: string[]): Record<string, unknown> {
  const inline = sources.env.MCP_GATEWAY_CONFIG_JSON;
  const path = sources.env.MCP_GATEWAY_CONFIG;
  let text: string | undefined;
  let origin = '';
  if (inline && inline.trim() !== '') {
    text = inline;
    origin = 'MCP_GATEWAY_CONFIG_JSON';
  } else if (path) {
    origin = `MCP_GATEWAY_CONFIG (${path})`;
    try {
      text = (sources.readFile ?? ((p) => readFileSync(p, 'utf8')))(path);
    } catch (err) {
      issues.push(`${origin}: cannot read the file (${(err as Error).message}); fix the path or unset the variable`);
      return {};
    }
  }
  if (text === undefined) return {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      issues.push(`${origin}: must be a JSON object, got ${Array.isArray(parsed) ? 'an array' : typeof parsed}`);
      return {};
    }
    return parsed as Record<string, unknown>;
  } catch (err) {
    issues.push(`${origin}: not valid JSON (${(err as Error).message})`);
    return {};
  }
}

/** Sets `value` at `path` inside `target`, creating objects on the way. */
export function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]] = value;
}

/** Applies the ENV_VARS table onto `raw`, recording values that do not parse. */
export function applyEnv(raw: Record<string, unknown>, env: ConfigSources['env'], issues: string[]): void {
  for (const [name, path, parse, doc] of ENV_VARS) {
    const value = env[name];
    if (value === undefined) continue;
    const parsed = parse(value);
    if (typeof parsed === 'number' && Number.isNaN(parsed)) {
      issues.push(`${name}=${JSON.stringify(value)}: expected a whole number (${doc})`);
      continue;
    }
    setPath(raw, path, parsed);
  }
}

/** Formats zod issues as `where: what (got value)`, naming env variables when one set the value. */
export function formatZodIssues(error: z.ZodError, raw: unknown, prefix = ''): string[] {
  return error.issues.map((issue) => {
    const path = [...(prefix ? [prefix] : []), ...issue.path.map(String)];
    const envName = ENV_VARS.find(([, p]) => p.join('.') === path.join('.'))?.[0];
    const value = issue.path.reduce<unknown>((node, key) =>
      node !== null && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[key as PropertyKey] : undefined, raw);
    const where = path.join('.') || '(root)';
    const got = value === undefined ? '' : ` (got ${JSON.stringify(value)})`;
    return `${where}${envName ? ` [${envName}]` : ''}: ${issue.message}${got}`;
  });
}

/** Recursively freezes a plain object. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value as Record<string, unknown>)) deepFreeze(child);
  }
  return value;
}
