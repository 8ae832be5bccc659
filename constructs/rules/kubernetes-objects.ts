import { type Attributes, resourcesOfType, type SynthesizedStack } from './guardrail-rule';

/** A Kubernetes object as synthesized into a `kubernetes_manifest`, with its Terraform address. */
export interface ManifestObject {
  readonly address: string;
  readonly object: Attributes & { kind?: string; metadata?: { name?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> } };
}

/** Every `kubernetes_manifest` object of the stack. */
export function manifestObjects(stack: SynthesizedStack): ManifestObject[] {
  return resourcesOfType(stack, 'kubernetes_manifest').map(({ address, attrs }) => ({ address, object: (attrs.manifest ?? {}) as ManifestObject['object'] }));
}

/** Kinds whose `spec.template` is a pod template. */
const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job']);

/** A pod spec found in the stack: a workload's template, a CronJob's job template, or a bare Pod. */
export interface PodSpecAt {
  readonly address: string;
  /** `<Kind>/<name>` for messages. */
  readonly what: string;
  readonly namespace?: string;
  readonly spec: Attributes;
}

/** Every pod spec in the stack's manifests. */
export function podSpecs(stack: SynthesizedStack): PodSpecAt[] {
  const out: PodSpecAt[] = [];
  for (const { address, object } of manifestObjects(stack)) {
    const spec = object.spec as Attributes | undefined;
    let pod: unknown;
    if (object.kind === 'Pod') pod = spec;
    else if (object.kind && WORKLOAD_KINDS.has(object.kind)) pod = (spec?.template as Attributes | undefined)?.spec;
    else if (object.kind === 'CronJob') pod = ((spec?.jobTemplate as Attributes | undefined)?.spec as Attributes | undefined)?.template;
    if (object.kind === 'CronJob') pod = (pod as Attributes | undefined)?.spec;
    if (pod && typeof pod === 'object') out.push({ address, what: `${object.kind}/${object.metadata?.name ?? '?'}`, namespace: object.metadata?.namespace, spec: pod as Attributes });
  }
  return out;
}

/** Containers and init containers of a pod spec. */
export function containersOf(spec: Attributes): Attributes[] {
  return [...((spec.initContainers ?? []) as Attributes[]), ...((spec.containers ?? []) as Attributes[])];
}

/** The Pod Security level a stack's Namespace object enforces, by namespace name. */
export function enforcedLevels(stack: SynthesizedStack): Map<string, string | undefined> {
  const levels = new Map<string, string | undefined>();
  for (const { object } of manifestObjects(stack)) {
    if (object.kind === 'Namespace' && object.metadata?.name) levels.set(object.metadata.name, object.metadata.labels?.['pod-security.kubernetes.io/enforce']);
  }
  return levels;
}
