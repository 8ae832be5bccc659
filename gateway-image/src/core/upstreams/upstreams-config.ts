/**
 * The `mcpServers` section of the gateway config (one entry per upstream MCP server) and the gateway-level
 * `upstreams` settings, parsed with zod and validated as a whole so every problem is reported at once.
 *
 * Server fields are snake_case (`enabled_tools`, `block_network`, `block_secrets`) like the issue, the Docker
 * MCP Gateway catalog and the stack's tfvars; camelCase spellings are rejected with a hint instead of being
 * silently accepted, so there is exactly one way to write a config. Gateway-level settings are camelCase like
 * the rest of the gateway config.
 */
import { accessSync, constants as fsConstants } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { once } from '../once.js';
import { isDockerRunEntry, translateDockerRun } from './docker-run-args.js';

/** How long an upstream instance lives and who shares it. */
export const LIFECYCLES = ['per-session', 'shared', 'per-call'] as const;
/** `per-session`: one instance per client session; `shared`: one for everyone; `per-call`: a fresh one per call. */
export type Lifecycle = (typeof LIFECYCLES)[number];

/** Which MCP era the gateway speaks to an upstream: probe (`auto`), 2025-11-25 only (`legacy`), 2026-07-28 only (`modern`). */
export const PROTOCOLS = ['auto', 'legacy', 'modern'] as const;
/** See {@link PROTOCOLS}. */
export type UpstreamProtocol = (typeof PROTOCOLS)[number];

/** Server names: start with a letter or digit, then letters, digits and `-`; they prefix tool names. */
export const SERVER_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9-]{0,31}$/;
/** Tool names as the MCP spec allows them (SEP-986): 1-128 of letters, digits, `_`, `-`, `.`. */
export const TOOL_NAME_PATTERN = /^[A-Za-z0-9_.-]{1,128}$/;
const ENV_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The three kinds of server entry, built on first use (see once.ts): only configs with `mcpServers` parse them.
 * `image`: a container of a local image (`docker run -i --rm --init` with hardened defaults); `command`: a child
 * process (npx, uvx, node ...); `remote`: a server reached over the network.
 */
const serverSchemas = once(() => {
  const common = {
    /** Shown to clients in front of each tool description. @default - the upstream's own descriptions only */
    description: z.string().optional(),
    /** Only these upstream tool names (unprefixed) are exposed. @default - all tools the upstream lists */
    enabled_tools: z.array(z.string()).optional(),
    /** Scan tool arguments and results for secret-looking values and redact them. @default false */
    block_secrets: z.boolean().default(false),
    /** @default 'per-session' - isolates clients from each other and keeps stateful servers working */
    lifecycle: z.enum(LIFECYCLES).default('per-session'),
    /** Fetch the tool list (and keep a `shared` instance running) at gateway start. @default - settings.eagerStart */
    eager: z.boolean().optional(),
    /**
     * The MCP era spoken to this server. `auto` probes `server/discover` (2026-07-28) on the first start and falls
     * back to `initialize` (2025-11-25); the verdict is kept for the server's later starts. `legacy` never probes;
     * `modern` fails to start unless the server speaks 2026-07-28. @default 'auto'
     */
    protocol: z.enum(PROTOCOLS).default('auto'),
    /**
     * Expose tools and prompts as `<server><separator><name>` (true) or under the upstream's own names (false);
     * resources keep their own URIs too when false. Collisions are refused at start and on list_changed. @default true
     */
    prefix: z.boolean().default(true),
  };

  /** A server run as a container of a local image (`docker run -i --rm --init` with hardened defaults). */
  const image = z.strictObject({
    image: z.string().min(1),
    /** Replaces the image's CMD (the entrypoint is kept). @default - the image's CMD */
    command: z.string().min(1).optional(),
    /** Appended to `command`, or replaces the CMD when `command` is unset. @default [] */
    args: z.array(z.string()).default([]),
    /** Environment of the container: only these variables. @default {} */
    environment: z.record(z.string(), z.string()).default({}),
    /** `--network none`. @default false - bridge network plus host.docker.internal */
    block_network: z.boolean().default(false),
    /** Memory limit: bytes, or a number with b/k/m/g. @default '512m' */
    memory: z.union([z.number().int().positive(), z.string()]).default('512m'),
    /** CPU limit in cores. @default 1 */
    cpus: z.number().positive().max(64).default(1),
    /** Process limit. @default 256 */
    pids_limit: z.number().int().min(16).max(65_536).default(256),
    /** Bind mounts `host:container[:ro|rw]`, checked by the container policy. @default [] */
    volumes: z.array(z.string()).default([]),
    ...common,
  });

  /** A server spawned as a child process (npx, uvx, node ...). */
  const command = z.strictObject({
    command: z.string().min(1),
    /** @default [] */
    args: z.array(z.string()).default([]),
    /** Environment of the process: only these variables plus PATH and HOME. @default {} */
    environment: z.record(z.string(), z.string()).default({}),
    /** Working directory. @default - the gateway's working directory */
    cwd: z.string().optional(),
    ...common,
  });

  /** A server reached over the network. */
  const remote = z.strictObject({
    url: z.string().url(),
    /** Sent with every request (e.g. Authorization). Never logged. @default {} */
    headers: z.record(z.string(), z.string()).default({}),
    /** @default 'streamable-http' */
    transport: z.enum(['streamable-http', 'sse']).default('streamable-http'),
    ...common,
  });
  return { image, command, remote };
});
type ServerSchemas = ReturnType<typeof serverSchemas>;

/** An image server entry after parsing. */
export type ImageServerConfig = z.infer<ServerSchemas['image']> & { readonly kind: 'image' };
/** A command server entry after parsing. */
export type CommandServerConfig = z.infer<ServerSchemas['command']> & { readonly kind: 'command' };
/** A remote server entry after parsing. */
export type RemoteServerConfig = z.infer<ServerSchemas['remote']> & { readonly kind: 'remote' };
/** One parsed upstream server entry, tagged with its kind. */
export type UpstreamServerConfig = ImageServerConfig | CommandServerConfig | RemoteServerConfig;

/** Gateway-level settings for all upstreams. Built per parse and not kept (the config is parsed once). */
function upstreamSettingsSchema() {
  return z.strictObject({
    /** Between server and tool name in exposed tool and prompt names. @default '__' */
    separator: z.string().regex(/^[A-Za-z0-9_.-]{1,4}$/).default('__'),
    /** Instances with no call for this long are stopped (0 = never). @default 300 */
    idleTimeoutSeconds: z.number().int().min(0).default(300),
    /** Running instances per server; more calls/sessions get a clear error. @default 16 */
    maxInstancesPerServer: z.number().int().min(1).max(1_000).default(16),
    /** A tool call without progress for this long is cancelled upstream and fails. @default 60000 */
    callTimeoutMs: z.number().int().min(100).default(60_000),
    /** Start + MCP initialize must finish within this. @default 30000 */
    initTimeoutMs: z.number().int().min(100).default(30_000),
    /** Fetch every server's tool list at start. @default false - servers start on first use */
    eagerStart: z.boolean().default(false),
    /** Let the engine pull missing images. @default false - unknown images are a config error */
    allowPull: z.boolean().default(false),
    /**
     * Identifies this gateway deployment on the engine across restarts; start-up reaps upstream containers with
     * the same owner and a different instance id. Give concurrently running gateways on one engine distinct ids.
     * @default 'mcp-gateway'
     */
    ownerId: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/).default('mcp-gateway'),
    /** First restart delay after a crash; doubles per consecutive crash. @default 500 */
    restartBackoffMs: z.number().int().min(0).default(500),
    /** Upper bound of the restart delay. @default 30000 */
    restartBackoffMaxMs: z.number().int().min(0).default(30_000),
  });
}
/** Parsed gateway-level upstream settings. */
export type UpstreamSettings = z.infer<ReturnType<typeof upstreamSettingsSchema>>;

/** The whole upstream part of the gateway config. */
export interface UpstreamsConfig {
  readonly mcpServers: Readonly<Record<string, UpstreamServerConfig>>;
  readonly upstreams: UpstreamSettings;
}

/** One thing wrong with the config: where, what was given, and how to fix it. */
export interface UpstreamConfigProblem {
  /** Server name, or `upstreams` for gateway-level settings. */
  readonly server: string;
  readonly field: string;
  readonly value?: unknown;
  readonly message: string;
  readonly fix: string;
}

/** Thrown with every problem found; the message lists them all, one per line. */
export class UpstreamsConfigError extends Error {
  constructor(readonly problems: readonly UpstreamConfigProblem[]) {
    super(
      `invalid upstream MCP server config (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map(formatProblem).join('\n'),
    );
    this.name = 'UpstreamsConfigError';
  }
}

/** `mcpServers.git.enabled_tools: got "x y": not a valid tool name. Fix: ...` */
export function formatProblem(p: UpstreamConfigProblem): string {
  const where = p.server === 'upstreams' ? `upstreams.${p.field}` : `mcpServers.${p.server}${p.field ? `.${p.field}` : ''}`;
  const got = p.value === undefined ? '' : ` (got ${JSON.stringify(p.value)})`;
  return `- ${where}${got}: ${p.message}. Fix: ${p.fix}`;
}

const CAMEL_HINTS: Record<string, string> = {
  enabledTools: 'enabled_tools',
  blockNetwork: 'block_network',
  blockSecrets: 'block_secrets',
  pidsLimit: 'pids_limit',
  env: 'environment',
};

/**
 * Parses the raw `mcpServers` map and `upstreams` settings. Returns the config and every schema problem
 * (problems for one server do not hide problems of another).
 */
export function parseUpstreamsConfig(raw: { mcpServers?: unknown; upstreams?: unknown }): {
  config?: UpstreamsConfig;
  problems: UpstreamConfigProblem[];
} {
  const problems: UpstreamConfigProblem[] = [];
  const settingsResult = upstreamSettingsSchema().safeParse(raw.upstreams ?? {});
  if (!settingsResult.success) problems.push(...zodProblems('upstreams', settingsResult.error));
  const servers: Record<string, UpstreamServerConfig> = {};
  const rawServers = raw.mcpServers ?? {};
  if (typeof rawServers !== 'object' || rawServers === null || Array.isArray(rawServers)) {
    problems.push({ server: 'mcpServers', field: '', value: rawServers, message: 'must be an object mapping server names to server entries', fix: 'write `"mcpServers": { "name": { ... } }`' });
  } else {
    for (const [name, entry] of Object.entries(rawServers as Record<string, unknown>)) {
      const parsed = parseServer(name, entry);
      problems.push(...parsed.problems);
      if (parsed.server) servers[name] = parsed.server;
    }
  }
  if (problems.length > 0 || !settingsResult.success) return { problems };
  return { config: { mcpServers: servers, upstreams: settingsResult.data }, problems };
}

function parseServer(name: string, entry: unknown): { server?: UpstreamServerConfig; problems: UpstreamConfigProblem[] } {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    return { problems: [{ server: name, field: '', value: entry, message: 'a server entry must be an object', fix: 'give it `image`, `command` or `url`' }] };
  }
  let e = entry as Record<string, unknown>;
  // Claude Desktop / MetaMCP style: {"command": "docker", "args": ["run", ...]} runs as an image server.
  if (isDockerRunEntry(e)) {
    const translated = translateDockerRun(name, e);
    if (!translated.entry) return { problems: translated.problems };
    e = translated.entry;
  }
  const kinds = (['image', 'command', 'url'] as const).filter((k) => e[k] !== undefined);
  let kind: UpstreamServerConfig['kind'];
  if (e.image !== undefined) kind = 'image';
  else if (e.url !== undefined) kind = 'remote';
  else if (e.command !== undefined) kind = 'command';
  else {
    return { problems: [{ server: name, field: 'command', message: 'no `image`, `command` or `url`: the gateway does not know how to run this server', fix: 'set `image` (container), `command` (child process) or `url` (remote server)' }] };
  }
  if (kinds.includes('url') && kinds.length > 1) {
    return { problems: [{ server: name, field: 'url', value: e.url, message: `\`url\` cannot be combined with ${kinds.filter((k) => k !== 'url').map((k) => `\`${k}\``).join(' and ')}`, fix: 'keep `url` for a remote server, or drop it to run the server locally' }] };
  }
  const schemas = serverSchemas();
  const schema = kind === 'image' ? schemas.image : kind === 'command' ? schemas.command : schemas.remote;
  const result = schema.safeParse(e);
  if (!result.success) return { problems: zodProblems(name, result.error) };
  return { server: Object.freeze({ ...result.data, kind }) as UpstreamServerConfig, problems: [] };
}

function zodProblems(server: string, error: z.ZodError): UpstreamConfigProblem[] {
  const out: UpstreamConfigProblem[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const hint = CAMEL_HINTS[key];
        out.push({ server, field: [...issue.path, key].join('.'), message: 'unknown field', fix: hint ? `rename it to \`${hint}\`` : 'remove it or check the spelling against the README table' });
      }
      continue;
    }
    out.push({ server, field: issue.path.join('.'), message: issue.message, fix: fixFor(issue.path.join('.')) });
  }
  return out;
}

function fixFor(field: string): string {
  if (field === 'lifecycle') return `use one of ${LIFECYCLES.join(', ')}`;
  if (field === 'transport') return 'use streamable-http or sse';
  if (field === 'protocol') return `use one of ${PROTOCOLS.join(', ')}`;
  if (field === 'prefix') return 'use true (names <server><separator><tool>) or false (the upstream\'s own names)';
  if (field === 'url') return 'give an absolute http(s) URL';
  if (field === 'separator') return 'use 1-4 of letters, digits, _ . -';
  return 'correct the value to the documented type';
}

/** Parses `512m`, `1g`, `1048576` into bytes; undefined when malformed. */
export function parseMemoryBytes(value: number | string): number | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value > 0 ? value : undefined;
  const m = /^(\d+(?:\.\d+)?)\s*([bkmg])?i?b?$/i.exec(value.trim());
  if (!m) return undefined;
  const unit = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(m[2] ?? 'b').toLowerCase() as 'b' | 'k' | 'm' | 'g'];
  const bytes = Math.floor(Number(m[1]) * unit);
  return bytes > 0 ? bytes : undefined;
}

/** Facts from outside the config that validation needs; each is optional so pure checks run alone. */
export interface ValidateUpstreamsDeps {
  /** Whether the engine has this image locally (not-found is `false`, an engine error rejects). */
  readonly imageExists?: (image: string) => Promise<boolean>;
  /** Tool names the gateway already exposes (built-in Docker tools); upstream names must not collide. */
  readonly reservedToolNames?: readonly string[];
  /** PATH used to resolve command servers. @default - no PATH lookup, only absolute commands are checked */
  readonly path?: string;
  /** Extra check for bind mounts (the container policy); returns a reason when a volume is refused. */
  readonly checkVolume?: (server: string, volume: string) => string | undefined;
}

/** Docker's minimum memory limit. */
const MIN_MEMORY_BYTES = 6 * 1024 * 1024;

/**
 * Checks a parsed config against itself and the outside world: names, tool filters, commands on PATH,
 * images on the engine, memory sizes, volumes, collisions. Returns every problem found (empty when valid).
 */
export async function validateUpstreams(config: UpstreamsConfig, deps: ValidateUpstreamsDeps = {}): Promise<UpstreamConfigProblem[]> {
  const problems: UpstreamConfigProblem[] = [];
  const sep = config.upstreams.separator;
  const exposed = new Map<string, string>();
  for (const reserved of deps.reservedToolNames ?? []) exposed.set(reserved, 'the built-in tools');
  const lowerNames = new Map<string, string>();
  const imageChecks: Array<Promise<void>> = [];

  for (const [name, server] of Object.entries(config.mcpServers)) {
    if (!SERVER_NAME_PATTERN.test(name) || name.includes(sep)) {
      problems.push({
        server: name,
        field: '',
        value: name,
        message: name.includes(sep)
          ? `the server name contains the separator "${sep}", so its tool names could not be routed back`
          : 'invalid server name: 1-32 of letters, digits and "-", starting with a letter or digit',
        fix: `rename the server, e.g. "${name.replace(/[^A-Za-z0-9-]+/g, '-').replace(/^-+/, '').slice(0, 32) || 'server'}"`,
      });
    }
    const lower = name.toLowerCase();
    const other = lowerNames.get(lower);
    if (other !== undefined) {
      problems.push({ server: name, field: '', value: name, message: `collides with server "${other}" (names differ only in case; clients may not tell them apart)`, fix: 'rename one of them' });
    } else lowerNames.set(lower, name);

    const seen = new Set<string>();
    for (const [i, tool] of (server.enabled_tools ?? []).entries()) {
      if (!TOOL_NAME_PATTERN.test(tool)) {
        problems.push({ server: name, field: `enabled_tools[${i}]`, value: tool, message: 'not a valid MCP tool name (1-128 of letters, digits, _ - .)', fix: 'use the tool name exactly as the upstream lists it, without the server prefix' });
        continue;
      }
      if (tool.startsWith(`${name}${sep}`)) {
        problems.push({ server: name, field: `enabled_tools[${i}]`, value: tool, message: 'looks prefixed with the server name; enabled_tools takes upstream names', fix: `write "${tool.slice(name.length + sep.length)}"` });
      }
      if (seen.has(tool)) {
        problems.push({ server: name, field: `enabled_tools[${i}]`, value: tool, message: 'listed twice', fix: 'remove the duplicate' });
        continue;
      }
      seen.add(tool);
      const full = server.prefix ? `${name}${sep}${tool}` : tool;
      const owner = exposed.get(full);
      if (owner !== undefined) {
        problems.push({ server: name, field: `enabled_tools[${i}]`, value: tool, message: `exposed name "${full}" collides with ${owner}`, fix: server.prefix ? 'rename the server or change the separator' : 'set prefix: true on one of them, or leave the tool out of enabled_tools' });
      } else exposed.set(full, `server "${name}"`);
    }
    if (server.kind === 'image' || server.kind === 'command') {
      for (const key of Object.keys(server.environment)) {
        if (!ENV_NAME_PATTERN.test(key)) {
          problems.push({ server: name, field: `environment.${key}`, value: key, message: 'not a valid environment variable name', fix: 'use letters, digits and _, not starting with a digit' });
        }
      }
    }
    if (server.kind === 'image') {
      const bytes = parseMemoryBytes(server.memory);
      if (bytes === undefined || bytes < MIN_MEMORY_BYTES) {
        problems.push({ server: name, field: 'memory', value: server.memory, message: bytes === undefined ? 'not a memory size' : 'below Docker\'s 6 MiB minimum', fix: 'write bytes or a size like "256m" or "1g"' });
      }
      for (const [i, volume] of server.volumes.entries()) {
        const parts = volume.split(':');
        const [host, container, mode] = parts;
        if (parts.length < 2 || parts.length > 3 || !host || !path.isAbsolute(container ?? '') || (mode !== undefined && mode !== 'ro' && mode !== 'rw')) {
          problems.push({ server: name, field: `volumes[${i}]`, value: volume, message: 'not a bind mount of the form host:container[:ro|rw]', fix: 'e.g. "/srv/data:/data:ro"' });
          continue;
        }
        const refused = deps.checkVolume?.(name, volume);
        if (refused) problems.push({ server: name, field: `volumes[${i}]`, value: volume, message: refused, fix: 'mount a path the container policy allows' });
      }
      if (!config.upstreams.allowPull && deps.imageExists) {
        const image = server.image;
        imageChecks.push(
          deps.imageExists(image).then(
            (exists) => {
              if (!exists) {
                problems.push({ server: name, field: 'image', value: image, message: 'image not found on the Docker engine and pulling is disabled', fix: `build or load it first (docker build -t ${image} ... / docker load), or set upstreams.allowPull to true` });
              }
            },
            (err: Error) => {
              problems.push({ server: name, field: 'image', value: image, message: `could not ask the Docker engine about the image: ${err.message}`, fix: 'make sure the engine is reachable (DOCKER_HOST)' });
            },
          ),
        );
      }
    }
    if (server.kind === 'command' && !commandResolves(server.command, server.cwd, deps.path)) {
      problems.push({ server: name, field: 'command', value: server.command, message: 'command not found or not executable', fix: deps.path !== undefined ? 'install it, or give an absolute path (PATH is the gateway\'s PATH)' : 'give an absolute path' });
    }
    if (server.kind === 'remote' && !/^https?:$/.test(new URL(server.url).protocol)) {
      problems.push({ server: name, field: 'url', value: server.url, message: 'only http and https URLs are supported', fix: 'use an http(s) URL' });
    }
  }
  if (config.upstreams.restartBackoffMaxMs < config.upstreams.restartBackoffMs) {
    problems.push({ server: 'upstreams', field: 'restartBackoffMaxMs', value: config.upstreams.restartBackoffMaxMs, message: 'smaller than restartBackoffMs', fix: 'raise it to at least restartBackoffMs' });
  }
  await Promise.all(imageChecks);
  return problems;
}

function commandResolves(command: string, cwd: string | undefined, searchPath: string | undefined): boolean {
  const executable = (p: string): boolean => {
    try {
      accessSync(p, fsConstants.X_OK);
      return true;
    } catch {
      return false;
    }
  };
  if (command.includes('/')) return executable(path.resolve(cwd ?? process.cwd(), command));
  if (searchPath === undefined) return true;
  return searchPath.split(path.delimiter).some((dir) => dir !== '' && executable(path.join(dir, command)));
}
