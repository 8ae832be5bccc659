/** Attributes of one synthesized block, as written to cdk.tf.json (tokens already resolved to `${...}`). */
export type Attributes = Record<string, unknown>;

/** The parts of a synthesized stack (cdk.tf.json) the rules read. */
export interface SynthesizedStack {
  readonly resource?: Record<string, Record<string, Attributes>>;
  readonly data?: Record<string, Record<string, Attributes>>;
  readonly provider?: Record<string, Attributes[]>;
  readonly output?: Record<string, Attributes>;
  readonly variable?: Record<string, Attributes>;
}

/** One broken guardrail. */
export interface Violation {
  /** The rule's id, e.g. `no-public-port`. */
  readonly ruleId: string;
  /** The Terraform address at fault, e.g. `docker_container.gateway_container_1A2B3C4D`. */
  readonly address: string;
  /** What is wrong and how to fix it. */
  readonly message: string;
}

/** A guardrail: a pure check over the synthesized stack (cdk-nag's pattern, one rule per file). */
export interface GuardrailRule {
  /** Stable id, used in messages. */
  readonly id: string;
  /** One line on what the rule guarantees. */
  readonly description: string;
  /** Returns every violation found (empty when compliant). */
  check(stack: SynthesizedStack): Violation[];
}

/** Every resource of one type, with its address. */
export function resourcesOfType(stack: SynthesizedStack, type: string): Array<{ address: string; attrs: Attributes }> {
  return Object.entries(stack.resource?.[type] ?? {}).map(([name, attrs]) => ({ address: `${type}.${name}`, attrs }));
}

/** A value that is exactly one Terraform reference (`${...}`), i.e. not a literal. */
export function isReference(value: string): boolean {
  return /^\$\{[^}]+\}$/.test(value);
}

/** Reads a Terraform "list" attribute that may be a single object or an array. */
export function asList(value: unknown): Attributes[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]) as Attributes[];
}
