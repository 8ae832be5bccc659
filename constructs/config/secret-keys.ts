/**
 * Secrets never belong in terraform.tfvars: the file is read at synth time and its values end up in cdk.tf.json.
 * This file knows the secret keys people paste there anyway (the design document once showed
 * `cloudflare_api_token = "..."`), the environment variable each one belongs in, and how to tell whether a value
 * can be shown in an error message at all.
 */

/** A secret someone may write as a tfvars key, and where it goes instead. */
export interface SecretKey {
  /** The tfvars key. */
  readonly name: string;
  /** Where the secret belongs, e.g. `export CLOUDFLARE_API_TOKEN=...`. */
  readonly instead: string;
}

/** Known secret keys, refused with their own message (never with their value). */
export const SECRET_KEYS: readonly SecretKey[] = [
  { name: 'cloudflare_api_token', instead: 'export CLOUDFLARE_API_TOKEN=... (read by the Cloudflare provider at plan time)' },
  { name: 'cloudflare_api_key', instead: 'use a scoped API token instead: export CLOUDFLARE_API_TOKEN=...' },
  { name: 'gateway_auth_tokens', instead: 'export TF_VAR_gateway_auth_tokens="name=<token>,..." (a sensitive Terraform variable)' },
  { name: 'gateway_auth_token', instead: 'export TF_VAR_gateway_auth_tokens="name=<token>" (a sensitive Terraform variable)' },
  { name: 'mcp_server_secrets', instead: "export TF_VAR_mcp_server_secrets='{\"NAME\":\"<value>\"}' and reference it as \"{{secret:NAME}}\" in mcp_servers" },
  { name: 'tunnel_token', instead: 'nothing: Terraform creates the tunnel token and hands it to cloudflared by reference' },
  { name: 'aws_access_key_id', instead: 'export AWS_ACCESS_KEY_ID=... for the S3 state backend' },
  { name: 'aws_secret_access_key', instead: 'export AWS_SECRET_ACCESS_KEY=... for the S3 state backend' },
];

const SECRET_KEY_BY_NAME = new Map(SECRET_KEYS.map((k) => [k.name, k]));

/** The known secret key `name` stands for, if any (case-insensitive, `-` read as `_`). */
export function knownSecretKey(name: string): SecretKey | undefined {
  return SECRET_KEY_BY_NAME.get(name.toLowerCase().replace(/-/g, '_'));
}

// Key names that hold secrets: `*_token`, `password`, `api_key`, `clientSecret`, `Authorization` ...
const SECRET_NAME_SNAKE = /(?:^|[_-])(?:secret|password|passwd|api_?key|token|credentials?|authorization)s?$/i;
const SECRET_NAME_CAMEL = /[a-z](?:Secret|Password|ApiKey|Token|Credentials?)s?$/;

/** True for a key name that conventionally holds a secret. */
export function isSecretName(name: string): boolean {
  return SECRET_NAME_SNAKE.test(name) || SECRET_NAME_CAMEL.test(name);
}

// Shapes of well-known credentials: Bearer/Basic values, GitHub, Slack, OpenAI/Anthropic, AWS and JWTs.
const SECRET_SHAPES = [
  /^(?:bearer|basic|token)\s+\S{8,}/i,
  /^(?:gh[pousr]_|github_pat_|xox[abpr]-|sk-|sk_live_|rk_live_|AKIA|ASIA)[A-Za-z0-9_-]{8,}/,
  /^ey[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\./,
];

/**
 * True for a string that looks like a credential: a known shape, or a long run of token characters mixing letters
 * and digits (hex keys, base64 secrets, `name=<token>` lists). Errs on the side of hiding.
 */
export function looksLikeSecret(value: string): boolean {
  const v = value.trim();
  if (SECRET_SHAPES.some((re) => re.test(v))) return true;
  for (const run of v.split(/[\s,=:;]+/)) {
    if (run.length >= 16 && /^[A-Za-z0-9+/_.~-]+$/.test(run) && /[0-9]/.test(run) && /[A-Za-z]/.test(run) && !/^[a-z0-9.-]+\.[a-z]{2,}$/i.test(run)) return true;
  }
  return false;
}

/** Placeholder printed instead of a value that may be a secret. */
export const HIDDEN_VALUE = '<hidden: looks like a secret>';

/** True when `value`, or any string inside it, looks like a secret. */
export function containsSecretLookingValue(value: unknown): boolean {
  if (typeof value === 'string') return looksLikeSecret(value);
  if (Array.isArray(value)) return value.some(containsSecretLookingValue);
  if (value !== null && typeof value === 'object') return Object.values(value).some(containsSecretLookingValue);
  return false;
}
