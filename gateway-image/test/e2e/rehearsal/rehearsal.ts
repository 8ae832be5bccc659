/**
 * Realizes a synthesized stack on the real engine the way `terraform apply` with the kreuzwerker/docker provider
 * would (images, then networks and volumes, then containers, references resolved as Terraform does), records
 * everything it creates and removes all of it in `destroy()`, whatever step failed.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { docker } from '../helpers/docker-cli.js';
import { DOCKER_SOCKET, EngineApiError, engine } from './engine-api.js';
import { StrictBlock, UnrealizableError } from './strict-block.js';
import type { SynthesizedStack, TerraformJson } from './synth-stack.js';
import { evaluateDeep } from './terraform-expressions.js';
import { containerRealization, imageBuild, networkCreateBody, volumeCreateBody, type ContainerRealization, type TranslateContext } from './translate.js';

const run = promisify(execFile);

/** Resource types the rehearsal realizes, in apply order. */
const REALIZED_TYPES = ['docker_image', 'docker_network', 'docker_volume', 'docker_container'] as const;

/** Options of {@link Rehearsal}. */
export interface RehearsalOptions {
  /** Prefix of every realized name (container, network, volume, image repository). */
  readonly namePrefix: string;
  /** Values of the stack's variables, as `TF_VAR_<name>` would supply them. */
  readonly variables: Readonly<Record<string, string>>;
  /** Labels added to everything created (the e2e test and run labels). */
  readonly extraLabels: Readonly<Record<string, string>>;
  /** `docker build` arguments this machine needs that are not part of the plan. */
  readonly machineBuildArgs?: readonly string[];
  /** Bound of one image build. @default 600000 */
  readonly buildTimeoutMs?: number;
}

/** A realized docker_container. */
export interface RealizedContainer {
  readonly address: string;
  readonly id: string;
  readonly realization: ContainerRealization;
}

/** What {@link Rehearsal.realize} created, by Terraform address. */
export interface RealizedStack {
  readonly images: ReadonlyMap<string, { tag: string; id: string }>;
  readonly networks: ReadonlyMap<string, { name: string; id: string }>;
  readonly volumes: ReadonlyMap<string, { name: string }>;
  readonly containers: ReadonlyMap<string, RealizedContainer>;
}

/** A deploy rehearsal: `realize()` a synthesized stack, then `destroy()` it (always). */
export class Rehearsal {
  private readonly opts: RehearsalOptions;
  private readonly undo: Array<{ what: string; run: () => Promise<void> }> = [];
  private readonly refs = new Map<string, string | number>();

  constructor(opts: RehearsalOptions) {
    this.opts = opts;
  }

  /** Realizes every resource of `stack`; whatever was created before a failure is still removed by destroy(). */
  async realize(stack: SynthesizedStack): Promise<RealizedStack> {
    const { json } = stack;
    checkProvidersAndTypes(json);
    for (const [name, value] of Object.entries(resolveVariables(json, this.opts.variables))) this.refs.set(`var.${name}`, value);

    const ctx: TranslateContext = { rename: (n) => `${this.opts.namePrefix}${n}`, extraLabels: this.opts.extraLabels };
    const lookup = (ref: string) => this.refs.get(ref);
    const resources = (type: string) => Object.entries(json.resource?.[type] ?? {}).map(([name, body]) => {
      const address = `${type}.${name}`;
      return { name, address, block: new StrictBlock(address, evaluateDeep(body, lookup, address)) };
    });
    const images = new Map<string, { tag: string; id: string }>();
    const networks = new Map<string, { name: string; id: string }>();
    const volumes = new Map<string, { name: string }>();
    const containers = new Map<string, RealizedContainer>();

    for (const r of resources('docker_image')) {
      const build = imageBuild(r.block, ctx);
      this.undo.push({ what: `image tag ${build.tag}`, run: () => engine('DELETE', `/images/${encodeURIComponent(build.tag)}`).then(() => undefined) });
      const args = [...build.args.slice(0, -1), ...(this.opts.machineBuildArgs ?? []), build.context];
      try {
        // Terraform runs in the stack folder, so the plan's relative context is resolved from there.
        await run('docker', args, { cwd: stack.stackDir, timeout: this.opts.buildTimeoutMs ?? 600_000, maxBuffer: 64 << 20 });
      } catch (err) {
        const e = err as { stderr?: string; message: string };
        throw new Error(`${r.address}: docker ${args.join(' ')} failed:\n${e.stderr || e.message}`);
      }
      const id = await docker('image', 'inspect', '--format', '{{.Id}}', build.tag);
      images.set(r.address, { tag: build.tag, id });
      this.refs.set(`${r.address}.image_id`, id);
      this.refs.set(`${r.address}.name`, build.tag);
    }

    for (const r of resources('docker_network')) {
      const body = networkCreateBody(r.block, ctx);
      const { Id } = await engine<{ Id: string }>('POST', '/networks/create', body, { what: `creating network ${body.Name}` });
      this.undo.push({ what: `network ${body.Name}`, run: () => engine('DELETE', `/networks/${Id}`).then(() => undefined) });
      networks.set(r.address, { name: body.Name, id: Id });
      this.refs.set(`${r.address}.name`, body.Name);
      this.refs.set(`${r.address}.id`, Id);
    }

    for (const r of resources('docker_volume')) {
      const body = volumeCreateBody(r.block, ctx);
      await engine('POST', '/volumes/create', body, { what: `creating volume ${body.Name}` });
      this.undo.push({ what: `volume ${body.Name}`, run: () => engine('DELETE', `/volumes/${encodeURIComponent(body.Name)}`).then(() => undefined) });
      volumes.set(r.address, { name: body.Name });
      this.refs.set(`${r.address}.name`, body.Name);
      this.refs.set(`${r.address}.id`, body.Name);
    }

    for (const r of resources('docker_container')) {
      const realization = containerRealization(r.block, ctx);
      const { Id } = await engine<{ Id: string }>('POST', `/containers/create?name=${encodeURIComponent(realization.name)}`, realization.create,
        { what: `creating container ${realization.name}` });
      this.undo.push({ what: `container ${realization.name}`, run: () => destroyContainer(Id, realization.stopGraceSeconds) });
      for (const n of realization.connect) {
        await engine('POST', `/networks/${encodeURIComponent(n.network)}/connect`, { Container: Id, EndpointConfig: n.aliases ? { Aliases: n.aliases } : {} });
      }
      await engine('POST', `/containers/${Id}/start`, undefined, { what: `starting container ${realization.name}` });
      containers.set(r.address, { address: r.address, id: Id, realization });
      this.refs.set(`${r.address}.id`, Id);
      this.refs.set(`${r.address}.name`, realization.name);
    }
    return { images, networks, volumes, containers };
  }

  /**
   * Removes everything realized, newest first (containers before the network, volume and image they use).
   * Every step runs even when one fails; the failures are reported together afterwards.
   */
  async destroy(): Promise<void> {
    const problems: string[] = [];
    while (this.undo.length) {
      const step = this.undo.pop()!;
      try {
        await step.run();
      } catch (err) {
        if (!(err instanceof EngineApiError && err.status === 404)) problems.push(`removing ${step.what}: ${(err as Error).message}`);
      }
    }
    if (problems.length) throw new Error(`deploy rehearsal cleanup left something behind:\n  ${problems.join('\n  ')}`);
  }
}

/**
 * Destroys a container as the provider does: with `destroy_grace_seconds` a stop with that timeout first,
 * then a forced removal (its anonymous volumes with it).
 */
export async function destroyContainer(id: string, stopGraceSeconds?: number): Promise<void> {
  if (stopGraceSeconds !== undefined) {
    await engine('POST', `/containers/${id}/stop?t=${stopGraceSeconds}`, undefined, { timeoutMs: (stopGraceSeconds + 30) * 1000 }).catch((err: unknown) => {
      // 304: already stopped.
      if (!(err instanceof EngineApiError && (err.status === 304 || err.status === 404))) throw err;
    });
  }
  await engine('DELETE', `/containers/${id}?force=true&v=true`);
}

/** The realized stack may only talk to this machine's engine, and hold nothing the rehearsal cannot realize. */
function checkProvidersAndTypes(json: TerraformJson): void {
  const problems: string[] = [];
  for (const [name, configs] of Object.entries(json.provider ?? {})) {
    if (name !== 'docker') problems.push(`provider ${name}: only the docker provider can be rehearsed (use the local-only variant)`);
    for (const c of configs) {
      const host = new StrictBlock(`provider.${name}`, c);
      if (host.string('host') !== `unix://${DOCKER_SOCKET}`) problems.push(`provider.${name}.host: expected unix://${DOCKER_SOCKET}, the engine rehearsed on`);
      problems.push(...host.unrealized());
    }
  }
  if (json.data && Object.keys(json.data).length) problems.push(`data sources (${Object.keys(json.data).join(', ')}) cannot be realized`);
  // `terraform` (backend, required providers) and outputs do not create anything on the engine.
  const known = new Set(['//', 'provider', 'resource', 'data', 'variable', 'output', 'terraform']);
  for (const key of Object.keys(json)) if (!known.has(key)) problems.push(`top-level block ${key} cannot be realized`);
  for (const type of Object.keys(json.resource ?? {})) {
    if (!(REALIZED_TYPES as readonly string[]).includes(type)) problems.push(`resource type ${type} cannot be realized`);
  }
  if (problems.length) throw new UnrealizableError(`the stack cannot be rehearsed:\n  ${problems.join('\n  ')}`);
}

/**
 * Each declared variable's value: the supplied one (as TF_VAR_<name>) or its default, checked against the
 * variable's `can(regex("...", var.<name>))` validations and the bound-token-names check like `terraform plan`
 * would; any other validation form fails, since it cannot be evaluated here.
 */
export function resolveVariables(json: TerraformJson, supplied: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, v] of Object.entries(json.variable ?? {})) {
    const value = supplied[name] ?? v.default;
    if (typeof value !== 'string') throw new UnrealizableError(`variable.${name}: no value supplied and no string default`);
    for (const rule of v.validation ?? []) {
      // The binding-token check of the stack (constructs/config/gateway-config-check.ts bindingTokensCondition):
      // every listed name is a name in the "name=token,..." value.
      const names = new RegExp(`^alltrue\\(\\[for n in (\\[[^\\]]*\\]) : contains\\(\\[for e in split\\(",", var\\.${name}\\) : split\\("=", e\\)\\[0\\]\\], n\\)\\]\\)$`).exec(rule.condition);
      if (names) {
        const given = value.split(',').map((e) => e.split('=')[0]);
        if (!(JSON.parse(names[1]) as string[]).every((n) => given.includes(n))) throw new UnrealizableError(`variable.${name}: the supplied value fails its validation: ${rule.error_message}`);
        continue;
      }
      const m = new RegExp(`^can\\(regex\\(("(?:[^"\\\\]|\\\\.)*"), var\\.${name}\\)\\)$`).exec(rule.condition);
      if (!m) throw new UnrealizableError(`variable.${name}: validation ${JSON.stringify(rule.condition)} cannot be evaluated by the rehearsal`);
      const pattern = JSON.parse(m[1]) as string;
      if (!new RegExp(pattern).test(value)) throw new UnrealizableError(`variable.${name}: the supplied value fails its validation: ${rule.error_message}`);
    }
    out[name] = value;
  }
  for (const name of Object.keys(supplied)) {
    if (!json.variable?.[name]) throw new UnrealizableError(`variable.${name}: supplied but not declared by the stack`);
  }
  return out;
}

/**
 * Waits until Docker reports the container `healthy` (polling State.Health.Status), at most `withinSeconds`.
 * Fails at once, with the health log and the container logs, when it turns `unhealthy` or stops running.
 */
export async function waitHealthy(id: string, withinSeconds: number): Promise<{ seconds: number }> {
  const started = Date.now();
  const deadline = started + withinSeconds * 1000;
  for (;;) {
    const c = await engine<{ State: { Running: boolean; Status: string; Health?: { Status: string; Log?: Array<{ ExitCode: number; Output: string }> } } }>('GET', `/containers/${id}/json`);
    const status = c.State.Health?.Status;
    if (status === 'healthy') return { seconds: (Date.now() - started) / 1000 };
    const why = status === 'unhealthy' ? 'turned unhealthy' : !c.State.Running ? `is ${c.State.Status}` : Date.now() > deadline ? `is still ${status ?? 'without a health status'} after ${withinSeconds} s` : undefined;
    if (why) {
      const probes = (c.State.Health?.Log ?? []).map((p) => `exit ${p.ExitCode}: ${p.Output.trim()}`).join('\n    ');
      const logs = await docker('logs', '--tail', '50', id).catch((err: Error) => err.message);
      throw new Error(`container ${id.slice(0, 12)} ${why}.\n  health probes:\n    ${probes || '(none)'}\n  logs:\n${logs}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * Removes what rehearsals killed mid-run (SIGKILL skips afterAll) left behind: containers, networks, volumes and
 * image tags whose name starts with `namePrefixStem`, carrying `label`, created more than `olderThanMs` ago, so a
 * live concurrent rehearsal is never touched. Returns what it removed.
 */
export async function removeStaleRehearsals(opts: { namePrefixStem: string; label: string; olderThanMs: number }): Promise<string[]> {
  const cutoff = Date.now() - opts.olderThanMs;
  const q = (filters: Record<string, string[]>) => encodeURIComponent(JSON.stringify(filters));
  const removed: string[] = [];
  const containers = await engine<Array<{ Id: string; Names: string[]; Created: number }>>('GET', `/containers/json?all=1&filters=${q({ label: [opts.label], name: [opts.namePrefixStem] })}`);
  for (const c of containers.filter((c) => c.Created * 1000 < cutoff && c.Names.some((n) => n.startsWith(`/${opts.namePrefixStem}`)))) {
    await engine('DELETE', `/containers/${c.Id}?force=true&v=true`);
    removed.push(`container ${c.Names[0]}`);
  }
  const networks = await engine<Array<{ Id: string; Name: string; Created: string }>>('GET', `/networks?filters=${q({ label: [opts.label], name: [opts.namePrefixStem] })}`);
  for (const n of networks.filter((n) => Date.parse(n.Created) < cutoff && n.Name.startsWith(opts.namePrefixStem))) {
    await engine('DELETE', `/networks/${n.Id}`);
    removed.push(`network ${n.Name}`);
  }
  const { Volumes } = await engine<{ Volumes: Array<{ Name: string; CreatedAt: string }> | null }>('GET', `/volumes?filters=${q({ label: [opts.label], name: [opts.namePrefixStem] })}`);
  for (const v of (Volumes ?? []).filter((v) => Date.parse(v.CreatedAt) < cutoff && v.Name.startsWith(opts.namePrefixStem))) {
    await engine('DELETE', `/volumes/${encodeURIComponent(v.Name)}`);
    removed.push(`volume ${v.Name}`);
  }
  const images = await engine<Array<{ RepoTags: string[] | null; Created: number }>>('GET', `/images/json?filters=${q({ label: [opts.label], reference: [`${opts.namePrefixStem}*`] })}`);
  for (const tag of images.filter((i) => i.Created * 1000 < cutoff).flatMap((i) => i.RepoTags ?? []).filter((t) => t.startsWith(opts.namePrefixStem))) {
    await engine('DELETE', `/images/${encodeURIComponent(tag)}`);
    removed.push(`image ${tag}`);
  }
  return removed;
}
