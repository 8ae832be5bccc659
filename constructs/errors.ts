/** One thing wrong with the stack's configuration or a construct's props. */
export interface ConfigProblem {
  /** The tfvars key (or construct prop) at fault, e.g. `gateway_port`. */
  readonly key: string;
  /** What was received, rendered for humans (JSON for values, `<missing>` for absent keys). */
  readonly received: string;
  /** What is wrong and how to fix it. */
  readonly message: string;
}

/**
 * The single error type of the infrastructure half: bad tfvars values and bad construct props.
 * It carries every problem found, so a user fixes their file once instead of once per run.
 */
export class StackConfigError extends Error {
  /** Every problem found, in the order they were detected. */
  public readonly problems: readonly ConfigProblem[];

  constructor(problems: readonly ConfigProblem[], source?: string) {
    const where = source ? ` in ${source}` : '';
    // An empty `received` means there is no value worth showing (a whole file, or a hidden secret said in the message).
    const lines = problems.map((p) => `  - ${p.key}: ${p.message}${p.received === '' ? '' : ` (got ${p.received})`}`);
    super(`${problems.length} configuration problem${problems.length === 1 ? '' : 's'}${where}:\n${lines.join('\n')}`);
    this.name = 'StackConfigError';
    this.problems = problems;
  }
}

/** Renders a received value for an error message; long values are cut so a message stays one line. */
export function describeValue(value: unknown): string {
  if (value === undefined) return '<missing>';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Collects problems and throws them together; used by the config validator and by construct constructors. */
export class ProblemCollector {
  private readonly found: ConfigProblem[] = [];

  /** Records one problem. */
  add(key: string, received: unknown, message: string): void {
    this.found.push({ key, received: describeValue(received), message });
  }

  /** Records one problem whose received value is already rendered (`''`: none shown, e.g. a hidden secret). */
  addRendered(key: string, received: string, message: string): void {
    this.found.push({ key, received, message });
  }

  /** The problems recorded so far. */
  get problems(): readonly ConfigProblem[] {
    return this.found;
  }

  /** Throws a {@link StackConfigError} holding every recorded problem, if there is any. */
  throwIfAny(source?: string): void {
    if (this.found.length > 0) throw new StackConfigError([...this.found], source);
  }
}
