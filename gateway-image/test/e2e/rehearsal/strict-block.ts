/**
 * Reads one synthesized Terraform block attribute by attribute and remembers which attributes were read, so a
 * translation can end with {@link StrictBlock.finish} and fail on every attribute it did not realize: a new
 * attribute in the stack then breaks the rehearsal instead of being silently dropped.
 */

/** Thrown when a synthesized block holds attributes the rehearsal cannot realize (or malformed ones). */
export class UnrealizableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnrealizableError';
  }
}

/** One block (a resource, or a nested block such as `healthcheck`) being translated. */
export class StrictBlock {
  /** Where this block is, e.g. `docker_container.gateway_container_B4FE70D0.healthcheck`. */
  readonly where: string;
  private readonly attrs: Readonly<Record<string, unknown>>;
  // cdktf's "//" holds construct metadata, not a Terraform attribute.
  private readonly used = new Set<string>(['//']);
  private readonly children: StrictBlock[] = [];

  constructor(where: string, attrs: unknown) {
    if (attrs === null || typeof attrs !== 'object' || Array.isArray(attrs)) {
      throw new UnrealizableError(`${where}: expected a block (object), got ${JSON.stringify(attrs)}`);
    }
    this.where = where;
    this.attrs = attrs as Record<string, unknown>;
  }

  /** The raw value of `key` (undefined when absent), marked as realized. */
  take(key: string): unknown {
    this.used.add(key);
    return this.attrs[key];
  }

  /** A string attribute; `required` makes its absence an error. */
  string(key: string, required: true): string;
  string(key: string, required?: false): string | undefined;
  string(key: string, required = false): string | undefined {
    return this.typed(key, required, 'string', (v): v is string => typeof v === 'string');
  }

  /** A number attribute. */
  number(key: string, required: true): number;
  number(key: string, required?: false): number | undefined;
  number(key: string, required = false): number | undefined {
    return this.typed(key, required, 'number', (v): v is number => typeof v === 'number' && Number.isFinite(v));
  }

  /** A bool attribute. */
  bool(key: string): boolean | undefined {
    return this.typed(key, false, 'bool', (v): v is boolean => typeof v === 'boolean');
  }

  /** A list (or set) of strings. */
  strings(key: string): string[] | undefined {
    return this.typed(key, false, 'list(string)', (v): v is string[] => Array.isArray(v) && v.every((s) => typeof s === 'string'));
  }

  /** A map of strings. */
  stringMap(key: string): Record<string, string> | undefined {
    return this.typed(key, false, 'map(string)', (v): v is Record<string, string> =>
      v !== null && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((s) => typeof s === 'string'));
  }

  /** A single nested block (cdktf writes `healthcheck { ... }` as an object; a one-element list is accepted too). */
  block(key: string): StrictBlock | undefined {
    let v = this.take(key);
    if (v === undefined) return undefined;
    if (Array.isArray(v)) {
      if (v.length !== 1) throw new UnrealizableError(`${this.where}.${key}: expected one block, got ${v.length}`);
      v = v[0];
    }
    const child = new StrictBlock(`${this.where}.${key}`, v);
    this.children.push(child);
    return child;
  }

  /** A repeated nested block (`ports`, `mounts`, `labels`, ...): always a list, empty when absent. */
  blocks(key: string): StrictBlock[] {
    const v = this.take(key);
    if (v === undefined) return [];
    const list = Array.isArray(v) ? v : [v];
    return list.map((item, i) => {
      const child = new StrictBlock(`${this.where}.${key}[${i}]`, item);
      this.children.push(child);
      return child;
    });
  }

  /** Every attribute present here or in a nested block read so far that nothing realized. */
  unrealized(): string[] {
    const own = Object.keys(this.attrs).filter((k) => !this.used.has(k)).map((k) => `${this.where}.${k}`);
    return [...own, ...this.children.flatMap((c) => c.unrealized())];
  }

  /** Throws one {@link UnrealizableError} listing every attribute nothing realized. */
  finish(): void {
    const left = this.unrealized();
    if (left.length) {
      throw new UnrealizableError(
        `the deploy rehearsal does not know how to realize ${left.length} synthesized attribute(s): ${left.join(', ')}. ` +
        'Teach gateway-image/test/e2e/rehearsal/translate.ts to realize them (as the kreuzwerker/docker provider would) ' +
        'or remove them from the stack; the rehearsal never ignores an attribute.',
      );
    }
  }

  private typed<T>(key: string, required: boolean, type: string, is: (v: unknown) => v is T): T | undefined {
    const v = this.take(key);
    if (v === undefined || v === null) {
      if (required) throw new UnrealizableError(`${this.where}.${key}: required attribute missing`);
      return undefined;
    }
    if (!is(v)) throw new UnrealizableError(`${this.where}.${key}: expected ${type}, got ${JSON.stringify(v)}`);
    return v;
  }
}
