/**
 * THE translation of a Kubernetes pod's container (as synthesized into the YAML manifests) to `docker run`
 * arguments, so the rehearsal runs the gateway image with exactly the Deployment's container settings: user and
 * groups, read-only root, capabilities, no privilege escalation, seccomp (Docker's default profile is what
 * RuntimeDefault means on a Docker/containerd node), limits, env (literal and from Secrets), the ConfigMap files
 * where the pod mounts them, emptyDirs as tmpfs. Any field it does not know fails the translation, so a new
 * setting in the manifest cannot be silently left out of the rehearsal.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

type Obj = Record<string, any>;

// nodeSelector and topologySpreadConstraints only decide where a pod is scheduled: one engine here, nothing to realize.
const POD_FIELDS = new Set(['automountServiceAccountToken', 'enableServiceLinks', 'securityContext', 'terminationGracePeriodSeconds', 'containers', 'volumes', 'topologySpreadConstraints', 'nodeSelector']);
const CONTAINER_FIELDS = new Set(['name', 'image', 'imagePullPolicy', 'ports', 'env', 'resources', 'securityContext', 'volumeMounts', 'startupProbe', 'livenessProbe', 'readinessProbe']);

function known(what: string, object: Obj, allowed: Set<string>): void {
  const unknown = Object.keys(object).filter((k) => !allowed.has(k));
  if (unknown.length) throw new Error(`pod-translate: ${what} has fields the rehearsal does not realize: ${unknown.join(', ')}`);
}

const MEMORY_UNITS: Record<string, number> = { '': 1, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 };
function bytes(quantity: string): number {
  const m = /^(\d+)(Ki|Mi|Gi)?$/.exec(quantity);
  if (!m) throw new Error(`pod-translate: memory quantity ${quantity} not handled`);
  return Number(m[1]) * MEMORY_UNITS[m[2] ?? ''];
}
function cpus(quantity: string): string {
  return quantity.endsWith('m') ? String(Number(quantity.slice(0, -1)) / 1000) : quantity;
}

/** The `docker run` arguments (without image) for the one container of a Deployment, plus what the tests check. */
export interface PodRun {
  readonly args: string[];
  readonly image: string;
  /** containerPort by port name. */
  readonly ports: Record<string, number>;
  readonly container: Obj;
}

/**
 * Translates `deployment`'s only container. ConfigMap volumes are written under `workDir` from `configMaps` and
 * bind-mounted read-only; Secret env values come from `secrets` (name -> key -> value), as the kubelet injects them.
 */
export function podRunArgs(deployment: Obj, opts: { configMaps: Record<string, Obj>; secrets: Record<string, Record<string, string>>; workDir: string }): PodRun {
  const pod = deployment.spec.template.spec as Obj;
  known('pod spec', pod, POD_FIELDS);
  if (pod.containers.length !== 1) throw new Error('pod-translate: exactly one container expected');
  const c = pod.containers[0] as Obj;
  known(`container ${c.name}`, c, CONTAINER_FIELDS);
  const psc = (pod.securityContext ?? {}) as Obj;
  const sc = { ...psc, ...(c.securityContext ?? {}) } as Obj;
  const args: string[] = [];
  if (sc.runAsNonRoot === true && (!Number.isInteger(sc.runAsUser) || sc.runAsUser === 0)) throw new Error('runAsNonRoot without a numeric non-root runAsUser: a kubelet refuses the pod');
  args.push('--user', `${sc.runAsUser}:${sc.runAsGroup ?? sc.runAsUser}`);
  if (psc.fsGroup !== undefined) args.push('--group-add', String(psc.fsGroup));
  for (const gid of (psc.supplementalGroups ?? []) as number[]) args.push('--group-add', String(gid));
  if (sc.readOnlyRootFilesystem === true) args.push('--read-only');
  for (const cap of (sc.capabilities?.drop ?? []) as string[]) args.push('--cap-drop', cap);
  for (const cap of (sc.capabilities?.add ?? []) as string[]) args.push('--cap-add', cap);
  if (sc.allowPrivilegeEscalation === false) args.push('--security-opt', 'no-new-privileges');
  if (sc.seccompProfile?.type !== 'RuntimeDefault') throw new Error(`pod-translate: seccompProfile ${JSON.stringify(sc.seccompProfile)} not handled`);
  if (sc.privileged) throw new Error('pod-translate: privileged containers are not rehearsed');
  const limits = (c.resources?.limits ?? {}) as Obj;
  if (limits.memory) args.push('--memory', String(bytes(limits.memory)), '--memory-swap', String(bytes(limits.memory)));
  if (limits.cpu) args.push('--cpus', cpus(limits.cpu));
  for (const e of (c.env ?? []) as Obj[]) {
    if (e.value !== undefined) args.push('-e', `${e.name}=${e.value}`);
    else if (e.valueFrom?.secretKeyRef) {
      const ref = e.valueFrom.secretKeyRef as Obj;
      const value = opts.secrets[ref.name]?.[ref.key];
      if (value === undefined && !ref.optional) throw new Error(`pod-translate: Secret ${ref.name}/${ref.key} missing (the kubelet would not start the pod)`);
      if (value !== undefined) args.push('-e', `${e.name}=${value}`);
    } else throw new Error(`pod-translate: env ${e.name} source not handled`);
  }
  const volumes = new Map(((pod.volumes ?? []) as Obj[]).map((v) => [v.name, v]));
  for (const m of (c.volumeMounts ?? []) as Obj[]) {
    const v = volumes.get(m.name);
    if (!v) throw new Error(`pod-translate: volumeMount ${m.name} names no volume`);
    if (v.emptyDir) {
      // An emptyDir is a fresh directory the pod's user can write (kubelet: mode 0777, group fsGroup). Docker's tmpfs
      // on a path the image already has keeps that path's mode (its mode= option is not applied), so the tmpfs is
      // given the pod's uid and fsGroup instead: writable by the pod's user, by nobody else that matters here.
      const size = v.emptyDir.sizeLimit ? `,size=${bytes(v.emptyDir.sizeLimit)}` : '';
      args.push('--tmpfs', `${m.mountPath}:rw,nosuid,nodev,uid=${sc.runAsUser},gid=${psc.fsGroup ?? sc.runAsGroup ?? sc.runAsUser}${size}`);
    } else if (v.configMap) {
      const data = opts.configMaps[v.configMap.name]?.data as Record<string, string> | undefined;
      if (!data) throw new Error(`pod-translate: ConfigMap ${v.configMap.name} missing`);
      const dir = join(opts.workDir, `configmap-${v.name}`);
      mkdirSync(dir, { recursive: true, mode: 0o755 });
      const items = (v.configMap.items ?? Object.keys(data).map((key) => ({ key, path: key }))) as Obj[];
      for (const item of items) writeFileSync(join(dir, item.path), data[item.key], { mode: 0o644 });
      args.push('-v', `${dir}:${m.mountPath}${m.readOnly ? ':ro' : ''}`);
    } else if (v.hostPath) {
      // The node's path, as the kubelet bind-mounts it (the socket proxy's Docker socket).
      args.push('-v', `${v.hostPath.path}:${m.mountPath}${m.readOnly ? ':ro' : ''}`);
    } else throw new Error(`pod-translate: volume ${m.name} type not handled`);
  }
  const ports = Object.fromEntries(((c.ports ?? []) as Obj[]).map((p) => [p.name, p.containerPort]));
  return { args, image: c.image, ports, container: c };
}
