/**
 * Policy for containers the gateway creates or changes (lifecycle tools, upstream MCP servers).
 * The gateway builds the Engine API create body itself from {@link containerSpecSchema} (strict: an unknown key
 * such as VolumesFrom, CgroupParent or Runtime is a schema error, never forwarded), then
 * {@link checkContainerSpec} denies anything that would hand out the host.
 *
 * Bind sources are resolved with realpath (longest existing prefix) so `..` and symlinks cannot leave the
 * allowlist. realpath sees the gateway's filesystem: it is exact when the gateway runs on the host, or when the
 * allowed directories are mounted into the gateway at the same paths.
 */
import { promises as fsp, realpathSync } from 'node:fs';
import { posix } from 'node:path';
import { z } from 'zod';
import type { Decision } from '../contracts.js';
import { once } from '../once.js';
import type { SecurityConfig } from './security-config.js';

// Built on first use (see once.ts), i.e. only by gateways with upstream image servers: ~1,000 zod constructions.
function buildContainerSpecSchema() {
  const portBinding = z.strictObject({ HostIp: z.string().optional(), HostPort: z.string().optional() });
  const mount = z.strictObject({
    Type: z.enum(['bind', 'volume', 'tmpfs']),
    Source: z.string().optional(),
    Target: z.string().startsWith('/'),
    ReadOnly: z.boolean().optional(),
  });

  /** HostConfig subset the gateway may set. Dangerous fields are present only so they can be denied with a clear rule. */
  const hostConfigSchema = z.strictObject({
    Binds: z.array(z.string()).optional(),
    Mounts: z.array(mount).optional(),
    PortBindings: z.record(z.string(), z.array(portBinding).nullable()).optional(),
    PublishAllPorts: z.boolean().optional(),
    Privileged: z.boolean().optional(),
    PidMode: z.string().optional(),
    IpcMode: z.string().optional(),
    UTSMode: z.string().optional(),
    NetworkMode: z.string().optional(),
    UsernsMode: z.string().optional(),
    CgroupnsMode: z.string().optional(),
    CapAdd: z.array(z.string()).nullable().optional(),
    CapDrop: z.array(z.string()).nullable().optional(),
    Devices: z.array(z.unknown()).nullable().optional(),
    SecurityOpt: z.array(z.string()).nullable().optional(),
    ReadonlyRootfs: z.boolean().optional(),
    Memory: z.number().int().nonnegative().optional(),
    MemorySwap: z.number().int().min(-1).optional(),
    ShmSize: z.number().int().nonnegative().optional(),
    /** `name:ip` entries; `host-gateway` lets the container reach the host's published loopback ports via the bridge. */
    ExtraHosts: z.array(z.string()).optional(),
    NanoCpus: z.number().int().nonnegative().optional(),
    PidsLimit: z.number().int().optional(),
    AutoRemove: z.boolean().optional(),
    Init: z.boolean().optional(),
    Tmpfs: z.record(z.string(), z.string()).optional(),
    RestartPolicy: z.strictObject({ Name: z.enum(['', 'no', 'always', 'unless-stopped', 'on-failure']), MaximumRetryCount: z.number().int().optional() }).optional(),
    LogConfig: z.strictObject({ Type: z.string(), Config: z.record(z.string(), z.string()).optional() }).optional(),
  });

  return z.strictObject({
    name: z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/).optional(),
    Image: z.string().min(1),
    Cmd: z.array(z.string()).optional(),
    Entrypoint: z.array(z.string()).optional(),
    Env: z.array(z.string()).optional(),
    User: z.string().optional(),
    WorkingDir: z.string().optional(),
    Labels: z.record(z.string(), z.string()).optional(),
    ExposedPorts: z.record(z.string(), z.strictObject({})).optional(),
    Tty: z.boolean().optional(),
    OpenStdin: z.boolean().optional(),
    StdinOnce: z.boolean().optional(),
    AttachStdin: z.boolean().optional(),
    AttachStdout: z.boolean().optional(),
    AttachStderr: z.boolean().optional(),
    StopSignal: z.string().optional(),
    StopTimeout: z.number().int().optional(),
    HostConfig: hostConfigSchema.default({}),
    NetworkingConfig: z.strictObject({ EndpointsConfig: z.record(z.string(), z.strictObject({ Aliases: z.array(z.string()).optional() })) }).optional(),
  });
}

/** The container create body the gateway builds (Engine API field names), built once on first use. */
export const containerSpecSchema = once(buildContainerSpecSchema);

/** A container spec the gateway built. */
export type ContainerSpec = z.input<ReturnType<typeof buildContainerSpecSchema>>;

/** Dependencies for {@link checkContainerSpec}. */
export interface ContainerPolicyDeps {
  /** @default fs.promises.realpath */
  readonly realpath?: (p: string) => Promise<string>;
}

const allow = (ruleId: string, reason: string): Decision => ({ allow: true, ruleId, reason });
const deny = (ruleId: string, reason: string): Decision => ({ allow: false, ruleId, reason });

const LOOPBACK_V4 = '127.0.0.1';

/**
 * Resolves a host path: lexical normalization, then realpath of the longest existing prefix (so a symlink in a
 * parent directory is followed even when the leaf does not exist yet).
 */
export async function resolveHostPath(p: string, realpath: (p: string) => Promise<string> = fsp.realpath): Promise<string> {
  const norm = posix.normalize(p);
  let head = norm;
  const tail: string[] = [];
  for (;;) {
    try {
      const real = await realpath(head);
      return tail.length ? posix.join(real, ...tail.reverse()) : real;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
      if (head === '/') return norm;
      tail.push(posix.basename(head));
      head = posix.dirname(head);
    }
  }
}

const within = (path: string, dir: string) => dir === '/' || path === dir || path.startsWith(`${dir.replace(/\/+$/, '')}/`);

function namespaceMode(field: string, v: string | undefined): Decision | undefined {
  if (v === undefined || v === '' ) return undefined;
  const m = v.toLowerCase();
  if (m === 'host' || m.startsWith('container:')) {
    return deny(`container.host-${field.toLowerCase().replace('mode', '')}`, `${field}=${v} shares a namespace with the host or another container`);
  }
  return undefined;
}

/** Checks a spec the gateway built. Parses it with the strict schema first; a schema error denies. */
export async function checkContainerSpec(
  spec: unknown,
  cfg: Pick<SecurityConfig, 'containers'>,
  deps: ContainerPolicyDeps = {},
): Promise<Decision> {
  const parsed = containerSpecSchema().safeParse(spec);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    return deny('container.schema', `container spec rejected at ${i.path.join('.') || '(root)'}: ${i.message}`);
  }
  const s = parsed.data;
  const h = s.HostConfig;
  if (h.Privileged) return deny('container.privileged', 'privileged containers are not allowed');
  for (const [field, v] of [['PidMode', h.PidMode], ['IpcMode', h.IpcMode], ['UTSMode', h.UTSMode], ['NetworkMode', h.NetworkMode], ['UsernsMode', h.UsernsMode], ['CgroupnsMode', h.CgroupnsMode]] as const) {
    const d = namespaceMode(field, v);
    if (d) return d;
  }
  if (h.CapAdd && h.CapAdd.length > 0) return deny('container.cap-add', `added capabilities are not allowed: ${h.CapAdd.join(', ')}`);
  if (h.Devices && h.Devices.length > 0) return deny('container.devices', 'host devices are not allowed');
  for (const opt of h.SecurityOpt ?? []) {
    const o = opt.toLowerCase().replace(/\s+/g, '');
    if (/^(seccomp|apparmor)[=:]unconfined$/.test(o) || /^label[=:]disable$/.test(o) || /^systempaths[=:]unconfined$/.test(o)) {
      return deny('container.unconfined', `security option "${opt}" removes confinement`);
    }
  }
  if (h.PublishAllPorts) return deny('container.port-public', 'PublishAllPorts publishes on all interfaces');
  for (const [port, bindings] of Object.entries(h.PortBindings ?? {})) {
    for (const b of bindings ?? []) {
      if (b.HostIp !== LOOPBACK_V4) {
        return deny('container.port-public', `port ${port} is published on "${b.HostIp || '0.0.0.0'}"; publish on 127.0.0.1 only`);
      }
    }
  }

  const binds: Array<{ source: string; desc: string }> = [];
  for (const b of h.Binds ?? []) {
    const source = b.split(':')[0];
    // A source without a slash is a named volume, not a host path.
    if (source.startsWith('/') || source.startsWith('.') || source.startsWith('~')) binds.push({ source, desc: b });
  }
  for (const m of h.Mounts ?? []) {
    if (m.Type === 'bind') binds.push({ source: m.Source ?? '', desc: `${m.Source}:${m.Target}` });
  }
  const realpath = deps.realpath ?? fsp.realpath;
  const allowed = await Promise.all(cfg.containers.allowedBindPaths.map((p) => resolveHostPath(p, realpath)));
  const sockets = cfg.containers.socketPaths.map((p) => posix.normalize(p));
  for (const b of binds) {
    if (!b.source.startsWith('/')) return deny('container.bind-relative', `bind source "${b.source}" must be an absolute path`);
    const lexical = posix.normalize(b.source);
    const real = await resolveHostPath(b.source, realpath);
    for (const cand of [lexical, real]) {
      const sock = sockets.find((sp) => within(sp, cand) || cand === sp || posix.basename(cand) === 'docker.sock');
      if (sock) return deny('container.docker-socket', `bind "${b.desc}" exposes the Docker socket (${sock})`);
    }
    if (!allowed.some((dir) => within(real, dir))) {
      return deny('container.bind-outside-allowlist', `bind source "${b.source}" resolves to ${real}, outside the allowed bind paths`);
    }
  }
  return allow('container.ok', 'container spec passes the container policy');
}

/** {@link resolveHostPath} for synchronous callers (start-up validation of upstream servers). */
export function resolveHostPathSync(p: string, realpath: (p: string) => string = realpathSync): string {
  const norm = posix.normalize(p);
  let head = norm;
  const tail: string[] = [];
  for (;;) {
    try {
      const real = realpath(head);
      return tail.length ? posix.join(real, ...tail.reverse()) : real;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw err;
      if (head === '/') return norm;
      tail.push(posix.basename(head));
      head = posix.dirname(head);
    }
  }
}

/**
 * Checks one `host:container[:ro|rw]` bind of an upstream image server (the upstreams' `checkVolume`), with the
 * rules {@link checkContainerSpec} applies to binds: never the Docker/containerd socket or a directory holding it,
 * only sources inside `containers.allowedBindPaths` after resolving `..` and symlinks; named volumes pass.
 * Returns the refusal (rule id and reason), or undefined when the bind is allowed.
 */
export function checkBindVolume(volume: string, cfg: Pick<SecurityConfig, 'containers'>, realpath: (p: string) => string = realpathSync): string | undefined {
  const source = volume.split(':')[0];
  if (!(source.startsWith('/') || source.startsWith('.') || source.startsWith('~'))) return undefined;
  if (!source.startsWith('/')) return `container.bind-relative: bind source "${source}" must be an absolute path`;
  const real = resolveHostPathSync(source, realpath);
  for (const cand of [posix.normalize(source), real]) {
    const sock = cfg.containers.socketPaths.map((sp) => posix.normalize(sp)).find((sp) => within(sp, cand) || posix.basename(cand) === 'docker.sock');
    if (sock) return `container.docker-socket: bind "${volume}" exposes the Docker socket (${sock})`;
  }
  const allowed = cfg.containers.allowedBindPaths.map((d) => resolveHostPathSync(d, realpath));
  if (!allowed.some((dir) => within(real, dir))) {
    return `container.bind-outside-allowlist: bind source "${source}" resolves to ${real}, outside containers.allowedBindPaths (${allowed.join(', ') || 'none allowed'})`;
  }
  return undefined;
}
