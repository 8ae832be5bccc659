/**
 * The synthesized docker_* resources translated into what the kreuzwerker/docker provider (3.6) would send the
 * engine: Engine API create bodies for networks, volumes and containers, and `docker build` arguments for the
 * image. Each translation reads its resource through a {@link StrictBlock} and fails on any attribute it does not
 * realize. Values here are already evaluated (references resolved, see terraform-expressions.ts).
 */
import { StrictBlock, UnrealizableError } from './strict-block.js';

/** What every translation needs besides the resource. */
export interface TranslateContext {
  /**
   * Realized name for a declared name. The rehearsal prefixes names so that it can never clash with (or
   * replace) a real deployment on the same engine.
   */
  readonly rename: (declared: string) => string;
  /** Labels the rehearsal adds to everything it creates (the e2e test labels), besides the declared ones. */
  readonly extraLabels: Readonly<Record<string, string>>;
}

/** `POST /networks/create` body. */
export interface NetworkCreateBody {
  Name: string;
  CheckDuplicate: true;
  Driver?: string;
  Options?: Record<string, string>;
  Internal?: boolean;
  Attachable?: boolean;
  EnableIPv6?: boolean;
  Labels: Record<string, string>;
}

/** `POST /volumes/create` body. */
export interface VolumeCreateBody {
  Name: string;
  Driver?: string;
  DriverOpts?: Record<string, string>;
  Labels: Record<string, string>;
}

/** A `docker build` of the declared context. */
export interface ImageBuild {
  /** Realized tag. */
  readonly tag: string;
  /** Build context as written in the plan (relative to the stack folder, where Terraform runs). */
  readonly context: string;
  /** `docker build` arguments for everything the resource declares (context last). */
  readonly args: readonly string[];
  /** keep_locally: Terraform would leave the image on destroy; the rehearsal removes its own tag regardless. */
  readonly keepLocally: boolean;
}

/** `POST /containers/create` body (the part the rehearsal uses). */
export interface ContainerCreateBody {
  Image: string;
  Env?: string[];
  Cmd?: string[];
  Entrypoint?: string[];
  WorkingDir?: string;
  User?: string;
  Labels: Record<string, string>;
  ExposedPorts?: Record<string, Record<string, never>>;
  Healthcheck?: { Test: string[]; Interval?: number; Timeout?: number; Retries?: number; StartPeriod?: number };
  HostConfig: {
    Memory?: number;
    MemorySwap?: number;
    ReadonlyRootfs: boolean;
    Tmpfs?: Record<string, string>;
    CapAdd?: string[];
    CapDrop?: string[];
    SecurityOpt?: string[];
    GroupAdd?: string[];
    LogConfig: { Type: string; Config?: Record<string, string> };
    Mounts?: Array<{ Type: string; Source: string; Target: string; ReadOnly: boolean }>;
    Binds?: string[];
    RestartPolicy: { Name: string; MaximumRetryCount: number };
    PortBindings?: Record<string, Array<{ HostIp: string; HostPort: string }>>;
    NetworkMode?: string;
    Init: boolean;
  };
  NetworkingConfig?: { EndpointsConfig: Record<string, { Aliases?: string[] }> };
}

/** Everything needed to realize one docker_container like `terraform apply` would. */
export interface ContainerRealization {
  /** Realized container name. */
  readonly name: string;
  /** `POST /containers/create?name=<name>` body; it attaches the first network. */
  readonly create: ContainerCreateBody;
  /** Further networks to connect after create (API 1.41 accepts one endpoint at create). */
  readonly connect: ReadonlyArray<{ network: string; aliases?: string[] }>;
  /** `wait`: seconds to wait for the container to report healthy after start; undefined when not waiting. */
  readonly healthyWithinSeconds?: number;
  /** `destroy_grace_seconds`: stop timeout on destroy; undefined means the provider removes it by force. */
  readonly stopGraceSeconds?: number;
}

const MiB = 1024 * 1024;

/** Declared `labels { label, value }` blocks as a map, plus the rehearsal's own labels. */
function labels(b: StrictBlock, extra: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of b.blocks('labels')) out[l.string('label', true)] = l.string('value', true);
  return { ...out, ...extra };
}

/** docker_network -> `POST /networks/create` body. */
export function networkCreateBody(resource: StrictBlock, ctx: TranslateContext): NetworkCreateBody {
  const body: NetworkCreateBody = {
    Name: ctx.rename(resource.string('name', true)),
    CheckDuplicate: true,
    Driver: resource.string('driver'),
    Options: resource.stringMap('options'),
    Internal: resource.bool('internal'),
    Attachable: resource.bool('attachable'),
    EnableIPv6: resource.bool('ipv6'),
    Labels: labels(resource, ctx.extraLabels),
  };
  resource.finish();
  return body;
}

/** docker_volume -> `POST /volumes/create` body. */
export function volumeCreateBody(resource: StrictBlock, ctx: TranslateContext): VolumeCreateBody {
  const body: VolumeCreateBody = {
    Name: ctx.rename(resource.string('name', true)),
    Driver: resource.string('driver'),
    DriverOpts: resource.stringMap('driver_opts'),
    Labels: labels(resource, ctx.extraLabels),
  };
  resource.finish();
  return body;
}

/** docker_image with a `build` block -> `docker build` arguments. */
export function imageBuild(resource: StrictBlock, ctx: TranslateContext): ImageBuild {
  const tag = ctx.rename(resource.string('name', true));
  const keepLocally = resource.bool('keep_locally') ?? false;
  // triggers only decide when Terraform rebuilds; a rehearsal always builds.
  resource.stringMap('triggers');
  const build = resource.block('build');
  if (!build) throw new UnrealizableError(`${resource.where}: no build block; the rehearsal realizes built images only (a pulled image needs a registry)`);
  const context = build.string('context', true);
  const args = ['build', '--force-rm', '-t', tag, '-f', `${context}/${build.string('dockerfile') ?? 'Dockerfile'}`];
  for (const [k, v] of Object.entries(build.stringMap('build_args') ?? {})) args.push('--build-arg', `${k}=${v}`);
  for (const [k, v] of Object.entries({ ...build.stringMap('label'), ...ctx.extraLabels })) args.push('--label', `${k}=${v}`);
  const remove = build.bool('remove');
  if (remove !== undefined) args.push(`--rm=${remove}`);
  args.push(context);
  resource.finish();
  return { tag, context, args, keepLocally };
}

/**
 * THE translation of a docker_container: the synthesized resource (references already evaluated) to the Engine
 * API create options the provider would send, plus what apply and destroy do around it (connect further
 * networks, wait for healthy, stop grace). Any attribute not realized here fails the translation.
 */
export function containerRealization(resource: StrictBlock, ctx: TranslateContext): ContainerRealization {
  const name = ctx.rename(resource.string('name', true));
  const image = resource.string('image', true);

  const exposed: Record<string, Record<string, never>> = {};
  const bindings: Record<string, Array<{ HostIp: string; HostPort: string }>> = {};
  for (const p of resource.blocks('ports')) {
    const key = `${p.number('internal', true)}/${p.string('protocol') ?? 'tcp'}`;
    const external = p.number('external');
    exposed[key] = {};
    // Provider default for `ip` is 0.0.0.0; the stack's guardrail forbids relying on it.
    (bindings[key] ??= []).push({ HostIp: p.string('ip') ?? '0.0.0.0', HostPort: external === undefined ? '' : String(external) });
  }

  let healthcheck: ContainerCreateBody['Healthcheck'];
  const hc = resource.block('healthcheck');
  if (hc) {
    const test = hc.strings('test');
    if (!test?.length) throw new UnrealizableError(`${hc.where}.test: required`);
    healthcheck = {
      Test: test,
      Interval: goDurationNanos(hc.string('interval'), `${hc.where}.interval`),
      Timeout: goDurationNanos(hc.string('timeout'), `${hc.where}.timeout`),
      Retries: hc.number('retries'),
      StartPeriod: goDurationNanos(hc.string('start_period'), `${hc.where}.start_period`),
    };
  }

  const caps = resource.block('capabilities');
  const mounts = resource.blocks('mounts').map((m) => ({
    Type: m.string('type', true),
    Source: m.string('source', true),
    Target: m.string('target', true),
    ReadOnly: m.bool('read_only') ?? false,
  }));
  // Legacy `volumes` blocks become binds, as the provider does.
  const binds = resource.blocks('volumes').map((v) => {
    const from = v.string('volume_name') ?? v.string('host_path');
    const to = v.string('container_path', true);
    if (!from) throw new UnrealizableError(`${v.where}: only volume_name/host_path volumes are realized`);
    return `${from}:${to}${v.bool('read_only') ? ':ro' : ''}`;
  });

  const networks = resource.blocks('networks_advanced').map((n) => ({ network: n.string('name', true), aliases: n.strings('aliases') }));
  const networkMode = resource.string('network_mode');

  const memory = resource.number('memory');
  const swap = resource.number('memory_swap');
  const wait = resource.bool('wait') ?? false;
  const waitTimeout = resource.number('wait_timeout') ?? 60;

  const create: ContainerCreateBody = {
    Image: image,
    Env: resource.strings('env'),
    Cmd: resource.strings('command'),
    Entrypoint: resource.strings('entrypoint'),
    WorkingDir: resource.string('working_dir'),
    User: resource.string('user'),
    Labels: labels(resource, ctx.extraLabels),
    ExposedPorts: Object.keys(exposed).length ? exposed : undefined,
    Healthcheck: healthcheck,
    HostConfig: {
      // The provider's units: memory and memory_swap in MiB (a swap of -1 stays "unlimited").
      Memory: memory === undefined ? undefined : memory * MiB,
      MemorySwap: swap === undefined ? undefined : swap > 0 ? swap * MiB : swap,
      ReadonlyRootfs: resource.bool('read_only') ?? false,
      Tmpfs: resource.stringMap('tmpfs'),
      CapAdd: caps?.strings('add'),
      CapDrop: caps?.strings('drop'),
      SecurityOpt: resource.strings('security_opts'),
      GroupAdd: resource.strings('group_add'),
      LogConfig: { Type: resource.string('log_driver') ?? 'json-file', Config: resource.stringMap('log_opts') },
      Mounts: mounts.length ? mounts : undefined,
      Binds: binds.length ? binds : undefined,
      RestartPolicy: { Name: resource.string('restart') ?? 'no', MaximumRetryCount: resource.number('max_retry_count') ?? 0 },
      PortBindings: Object.keys(bindings).length ? bindings : undefined,
      // The provider creates on the default network and then swaps it for networks_advanced; attaching the
      // first declared network at create reaches the same end state without a moment on the default bridge.
      NetworkMode: networkMode ?? networks[0]?.network,
      Init: resource.bool('init') ?? false,
    },
    NetworkingConfig: networks[0] ? { EndpointsConfig: { [networks[0].network]: networks[0].aliases ? { Aliases: networks[0].aliases } : {} } } : undefined,
  };
  const realization: ContainerRealization = {
    name,
    create,
    connect: networks.slice(1),
    healthyWithinSeconds: wait ? waitTimeout : undefined,
    stopGraceSeconds: resource.number('destroy_grace_seconds'),
  };
  resource.finish();
  return realization;
}

/** A Go duration ("30s", "1m30s", "500ms") in nanoseconds, as the provider parses healthcheck durations. */
export function goDurationNanos(value: string | undefined, where: string): number | undefined {
  if (value === undefined) return undefined;
  const unit: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  const parts = [...value.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)];
  if (value === '0') return 0;
  if (!parts.length || parts.map((p) => p[0]).join('') !== value) {
    throw new UnrealizableError(`${where}: ${JSON.stringify(value)} is not a Go duration`);
  }
  return Math.round(parts.reduce((sum, p) => sum + Number(p[1]) * unit[p[2]], 0));
}
