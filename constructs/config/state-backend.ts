/**
 * `state_backend`: where Terraform keeps its state. The state holds secrets (the tunnel token, the service-token
 * client secrets, the values of sensitive variables), so remote backends must encrypt at rest, and their
 * credentials never come from tfvars: each backend reads them from its own environment variables.
 */
import type { ProblemCollector } from '../errors';
import { closestKey } from './closest-key';
import { HIDDEN_VALUE } from './secret-keys';

/** Local state (the default; no credentials). */
export interface LocalStateBackend {
  readonly type: 'local';
  /** State file path, relative to the stack folder (cdktf.out/stacks/mcp-gateway). @default - terraform.mcp-gateway.tfstate in the project */
  readonly path?: string;
}

/** S3, or an S3-compatible store such as Cloudflare R2 (`endpoint` set). Always `encrypt = true`. */
export interface S3StateBackend {
  readonly type: 's3';
  readonly bucket: string;
  readonly key: string;
  /** AWS region; `"auto"` for R2. */
  readonly region: string;
  /** S3-compatible endpoint, e.g. `https://<account id>.r2.cloudflarestorage.com`. @default - AWS S3 */
  readonly endpoint?: string;
  /** KMS key for server-side encryption. @default - SSE-S3 (AES-256) */
  readonly kmsKeyId?: string;
  /** DynamoDB table for state locking. @default - none */
  readonly dynamodbTable?: string;
  /** S3-native locking (Terraform >= 1.10). @default false */
  readonly useLockfile: boolean;
  /** Named AWS profile (credentials stay in ~/.aws). @default - the AWS_* environment */
  readonly profile?: string;
}

/** Google Cloud Storage (encrypted at rest by Google; a KMS key optional). */
export interface GcsStateBackend {
  readonly type: 'gcs';
  readonly bucket: string;
  /** @default - the bucket root */
  readonly prefix?: string;
  /** Cloud KMS key name for customer-managed encryption. @default - Google-managed keys */
  readonly kmsEncryptionKey?: string;
}

/** Azure Blob Storage (encrypted at rest by Azure). */
export interface AzurermStateBackend {
  readonly type: 'azurerm';
  readonly storageAccountName: string;
  readonly containerName: string;
  readonly key: string;
  /** @default - none (needed only for some authentication modes) */
  readonly resourceGroupName?: string;
  /** Authenticate with Entra ID instead of an access key. @default false */
  readonly useAzureadAuth: boolean;
}

/** The validated `state_backend`. */
export type StateBackend = LocalStateBackend | S3StateBackend | GcsStateBackend | AzurermStateBackend;

/** The backend types `state_backend.type` accepts. */
export const STATE_BACKEND_TYPES = ['local', 's3', 'gcs', 'azurerm'] as const;

/** Credential fields per backend, refused in tfvars, with the environment variables that carry them instead. */
const CREDENTIAL_FIELDS: Readonly<Record<string, string>> = {
  access_key: 'AWS_ACCESS_KEY_ID (S3/R2) or ARM_ACCESS_KEY (azurerm)',
  secret_key: 'AWS_SECRET_ACCESS_KEY',
  token: 'AWS_SESSION_TOKEN',
  sse_customer_key: 'AWS_SSE_CUSTOMER_KEY',
  credentials: 'GOOGLE_CREDENTIALS (or GOOGLE_APPLICATION_CREDENTIALS naming the key file)',
  access_token: 'GOOGLE_OAUTH_ACCESS_TOKEN',
  encryption_key: 'GOOGLE_ENCRYPTION_KEY',
  sas_token: 'ARM_SAS_TOKEN',
  client_secret: 'ARM_CLIENT_SECRET',
  client_certificate_password: 'ARM_CLIENT_CERTIFICATE_PASSWORD',
  oidc_token: 'ARM_OIDC_TOKEN',
  oidc_request_token: 'ARM_OIDC_REQUEST_TOKEN',
};

/** Fields each type accepts (besides `type`); the first ones listed are required. */
const FIELDS: Readonly<Record<StateBackend['type'], { required: readonly string[]; optional: readonly string[] }>> = {
  local: { required: [], optional: ['path'] },
  s3: { required: ['bucket', 'key', 'region'], optional: ['encrypt', 'endpoint', 'kms_key_id', 'dynamodb_table', 'use_lockfile', 'profile'] },
  gcs: { required: ['bucket'], optional: ['prefix', 'kms_encryption_key'] },
  azurerm: { required: ['storage_account_name', 'container_name', 'key'], optional: ['resource_group_name', 'use_azuread_auth'] },
};

const KEY = 'state_backend';

/**
 * Validates the raw `state_backend` map. Problems go to `problems`; the result is the local default when the key is
 * unset or invalid.
 */
export function validateStateBackend(raw: unknown, problems: ProblemCollector): StateBackend {
  if (raw === undefined || raw === null) return { type: 'local' };
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    problems.add(KEY, raw, 'must be a map; write state_backend = { type = "s3", bucket = "...", key = "...", region = "..." } (or leave it unset for local state)');
    return { type: 'local' };
  }
  const map = raw as Record<string, unknown>;
  const type = map.type;
  if (typeof type !== 'string' || !(STATE_BACKEND_TYPES as readonly string[]).includes(type)) {
    problems.add(`${KEY}.type`, type, `must be one of ${STATE_BACKEND_TYPES.map((t) => `"${t}"`).join(', ')}`);
    return { type: 'local' };
  }
  const fields = FIELDS[type as StateBackend['type']];
  const known = ['type', ...fields.required, ...fields.optional];
  let ok = true;
  for (const [name, value] of Object.entries(map)) {
    if (known.includes(name)) continue;
    ok = false;
    const env = CREDENTIAL_FIELDS[name];
    if (env) {
      problems.addRendered(`${KEY}.${name}`, '', `is a credential and must not be in a tfvars file (it would be written into cdk.tf.json); remove it and export ${env}`);
    } else {
      const rendered = typeof value === 'string' && value.length >= 16 ? HIDDEN_VALUE : JSON.stringify(value);
      problems.addRendered(`${KEY}.${name}`, rendered, `is not a ${type} backend setting; did you mean "${closestKey(name, known)}"? (${type} accepts ${known.join(', ')})`);
    }
  }
  const str = (name: string): string | undefined => {
    const value = map[name];
    if (value === undefined || value === null) {
      if (fields.required.includes(name)) {
        ok = false;
        problems.add(`${KEY}.${name}`, undefined, `is required for type = "${type}"`);
      }
      return undefined;
    }
    if (typeof value !== 'string' || value.trim() === '' || value.includes('${')) {
      ok = false;
      problems.add(`${KEY}.${name}`, value, 'must be a non-empty literal string');
      return undefined;
    }
    return value.trim();
  };
  const bool = (name: string): boolean => {
    const value = map[name];
    if (value === undefined || value === null) return false;
    if (typeof value !== 'boolean') {
      ok = false;
      problems.add(`${KEY}.${name}`, value, 'must be true or false (no quotes)');
      return false;
    }
    return value;
  };

  let backend: StateBackend;
  switch (type) {
    case 's3': {
      if (map.encrypt !== undefined && map.encrypt !== true) {
        ok = false;
        problems.add(`${KEY}.encrypt`, map.encrypt, 'must be true: the state holds the tunnel token and service-token secrets (the stack always sets encrypt = true; you may omit it)');
      }
      const endpoint = str('endpoint');
      if (endpoint !== undefined && !/^https:\/\/[^\s/]+\/?$/.test(endpoint)) {
        ok = false;
        problems.add(`${KEY}.endpoint`, endpoint, 'must be an https:// origin such as "https://<account id>.r2.cloudflarestorage.com"');
      }
      backend = {
        type, bucket: str('bucket')!, key: str('key')!, region: str('region')!, endpoint,
        kmsKeyId: str('kms_key_id'), dynamodbTable: str('dynamodb_table'), useLockfile: bool('use_lockfile'), profile: str('profile'),
      };
      break;
    }
    case 'gcs':
      backend = { type, bucket: str('bucket')!, prefix: str('prefix'), kmsEncryptionKey: str('kms_encryption_key') };
      break;
    case 'azurerm':
      backend = {
        type, storageAccountName: str('storage_account_name')!, containerName: str('container_name')!, key: str('key')!,
        resourceGroupName: str('resource_group_name'), useAzureadAuth: bool('use_azuread_auth'),
      };
      break;
    default:
      backend = { type: 'local', path: str('path') };
  }
  return ok ? Object.freeze(backend) : { type: 'local' };
}
