/**
 * Secret references in upstream server entries: `"{{secret:NAME}}"` inside an `environment` value or a `headers`
 * value (e.g. `"Authorization": "Bearer {{secret:GITHUB_TOKEN}}"`) stands for a secret the gateway reads at run
 * time from `MCP_GATEWAY_SECRET_<NAME>` or from the file `<MCP_GATEWAY_SECRETS_DIR>/<NAME>`. The configuration
 * (and so the stack's cdk.tf.json, the effective-config log line and every error) only ever holds the reference;
 * the value is substituted when an instance is launched, into the child's environment, the container's Env or the
 * request headers, and nowhere else.
 *
 * `{{...}}` rather than `${...}`: the configuration travels through HCL tfvars and Terraform JSON, where `${` is an
 * interpolation; `{{` means nothing to either. The stack imports this file, so both halves read one syntax.
 */

/** One reference: `{{secret:NAME}}`, NAME of letters, digits and `_` (an environment-variable suffix), spaces allowed inside the braces. */
export const SECRET_REFERENCE = /\{\{\s*secret:([A-Za-z_][A-Za-z0-9_]{0,63})\s*\}\}/;
/** {@link SECRET_REFERENCE}, global, for scanning and replacing. */
export const SECRET_REFERENCE_GLOBAL = new RegExp(SECRET_REFERENCE.source, 'g');
/** Anything that starts like a reference; a string holding one that is not a valid reference is a config problem. */
export const SECRET_REFERENCE_START = /\{\{\s*secret:/;

/** Prefix of the environment variable holding secret NAME. */
export const SECRET_ENV_PREFIX = 'MCP_GATEWAY_SECRET_';
/** Environment variable naming a directory with one file per secret (Docker/Kubernetes secret mounts). */
export const SECRETS_DIR_ENV = 'MCP_GATEWAY_SECRETS_DIR';

/** The secret names referenced in a string, in order of appearance. */
export function secretReferences(value: string): string[] {
  return [...value.matchAll(SECRET_REFERENCE_GLOBAL)].map((m) => m[1]);
}

/** True when the string has something that looks like a reference but is not a valid one (e.g. `{{secret:my-key}}`). */
export function hasMalformedReference(value: string): boolean {
  return SECRET_REFERENCE_START.test(value.replace(SECRET_REFERENCE_GLOBAL, ''));
}

/** Where secrets come from: a lookup by name. Values never leave it except through {@link resolveSecretReferences}. */
export interface SecretSource {
  /** The secret's value, or undefined when neither the variable nor the file exists. */
  get(name: string): string | undefined;
  /** Where NAME is looked up, for error messages (never the value). */
  describe(name: string): string;
}

/**
 * The gateway's secret source: `MCP_GATEWAY_SECRET_<NAME>` first, then the file `<MCP_GATEWAY_SECRETS_DIR>/<NAME>`
 * (one trailing newline trimmed, as `echo` and editors leave one). Reads happen on each lookup, so a rotated file
 * is picked up by the next instance launched.
 */
export function secretSourceFrom(env: Readonly<Record<string, string | undefined>>, readFile: (path: string) => string): SecretSource {
  const dir = env[SECRETS_DIR_ENV];
  return {
    get(name) {
      const fromEnv = env[`${SECRET_ENV_PREFIX}${name}`];
      if (fromEnv !== undefined) return fromEnv;
      if (!dir) return undefined;
      try {
        return readFile(`${dir.replace(/\/+$/, '')}/${name}`).replace(/\r?\n$/, '');
      } catch {
        return undefined;
      }
    },
    describe(name) {
      return `${SECRET_ENV_PREFIX}${name}${dir ? ` or the file ${dir.replace(/\/+$/, '')}/${name}` : ` (or a file ${name} in ${SECRETS_DIR_ENV})`}`;
    },
  };
}

/** Replaces every reference in `value` with its secret; throws naming the missing secret (never a value). */
export function resolveSecretReferences(value: string, source: SecretSource): string {
  return value.replace(SECRET_REFERENCE_GLOBAL, (_match, name: string) => {
    const secret = source.get(name);
    if (secret === undefined) throw new Error(`secret "${name}" is not set: provide ${source.describe(name)}`);
    return secret;
  });
}

/** Resolves the references in every value of a string map (an `environment` or `headers` block). */
export function resolveSecretMap(map: Readonly<Record<string, string>>, source: SecretSource): Record<string, string> {
  return Object.fromEntries(Object.entries(map).map(([k, v]) => [k, resolveSecretReferences(v, source)]));
}
