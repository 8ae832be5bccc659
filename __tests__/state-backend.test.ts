/**
 * `state_backend`: local by default, or an encrypted remote backend (S3, S3-compatible R2, GCS, Azure), with
 * credentials refused (they come from the environment) and every mistake named.
 */
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../constructs/config/validate-config';
import { buildStackFromConfig, problemsOf, synthJson } from './helpers';
import { Testing } from 'cdktf';

const backendOf = (raw: Record<string, unknown>) => (synthJson(raw) as { terraform?: { backend?: Record<string, unknown> } }).terraform?.backend;

describe('state_backend synthesizes', () => {
  it('local by default (no backend block)', () => {
    expect(validateConfig({}).stateBackend).toEqual({ type: 'local' });
    expect(backendOf({})).toBeUndefined(); // no backend block: Terraform's default local state in the stack folder
  });
  it('local with a path', () => {
    expect(backendOf({ state_backend: { type: 'local', path: '/srv/state/mcp.tfstate' } })).toEqual({ local: { path: '/srv/state/mcp.tfstate' } });
  });
  it('MCP_STACK_STATE_FILE overrides a local path', () => {
    const config = validateConfig({ state_backend: { type: 'local', path: '/a.tfstate' } });
    const json = JSON.parse(Testing.synth(buildStackFromConfig(config, { stateFile: '/b.tfstate' })));
    expect(json.terraform.backend).toEqual({ local: { path: '/b.tfstate' } });
  });
  it('s3: encrypt is always true, optional lock table, KMS key and native lockfile', () => {
    expect(backendOf({ state_backend: { type: 's3', bucket: 'b', key: 'mcp/terraform.tfstate', region: 'eu-central-1', dynamodb_table: 'locks', kms_key_id: 'alias/tf', use_lockfile: true } })).toEqual({
      s3: { bucket: 'b', key: 'mcp/terraform.tfstate', region: 'eu-central-1', encrypt: true, dynamodb_table: 'locks', kms_key_id: 'alias/tf', use_lockfile: true },
    });
    expect(backendOf({ state_backend: { type: 's3', bucket: 'b', key: 'k', region: 'us-east-1', encrypt: true } })).toEqual({ s3: { bucket: 'b', key: 'k', region: 'us-east-1', encrypt: true } });
  });
  it('s3 with an endpoint (Cloudflare R2): path-style, no AWS-only checks', () => {
    expect(backendOf({ state_backend: { type: 's3', bucket: 'tf', key: 'mcp.tfstate', region: 'auto', endpoint: 'https://0123456789abcdef0123456789abcdef.r2.cloudflarestorage.com' } })).toEqual({
      s3: {
        bucket: 'tf', key: 'mcp.tfstate', region: 'auto', encrypt: true,
        endpoints: { s3: 'https://0123456789abcdef0123456789abcdef.r2.cloudflarestorage.com' },
        use_path_style: true, skip_credentials_validation: true, skip_region_validation: true, skip_requesting_account_id: true, skip_metadata_api_check: true,
      },
    });
  });
  it('gcs', () => {
    expect(backendOf({ state_backend: { type: 'gcs', bucket: 'tf-state', prefix: 'mcp' } })).toEqual({ gcs: { bucket: 'tf-state', prefix: 'mcp' } });
  });
  it('azurerm', () => {
    expect(backendOf({ state_backend: { type: 'azurerm', storage_account_name: 'sa', container_name: 'tfstate', key: 'mcp.tfstate', use_azuread_auth: true } })).toEqual({
      azurerm: { storage_account_name: 'sa', container_name: 'tfstate', key: 'mcp.tfstate', use_azuread_auth: true },
    });
  });
  it('puts no credential into cdk.tf.json even when the environment holds them', () => {
    const previous = process.env.AWS_SECRET_ACCESS_KEY;
    process.env.AWS_SECRET_ACCESS_KEY = 'awsSecretValueThatMustNotAppear0123';
    try {
      expect(JSON.stringify(synthJson({ state_backend: { type: 's3', bucket: 'b', key: 'k', region: 'auto', endpoint: 'https://x.r2.cloudflarestorage.com' } }))).not.toContain('awsSecretValueThatMustNotAppear0123');
    } finally {
      if (previous === undefined) delete process.env.AWS_SECRET_ACCESS_KEY;
      else process.env.AWS_SECRET_ACCESS_KEY = previous;
    }
  });
});

describe('state_backend problems', () => {
  const problems = (state_backend: unknown) => problemsOf(() => validateConfig({ state_backend }));
  it.each([
    ['not a map', 's3', 'state_backend: must be a map; write state_backend = { type = "s3", bucket = "...", key = "...", region = "..." } (or leave it unset for local state) (got "s3")'],
    ['an unknown type', { type: 'consul' }, 'state_backend.type: must be one of "local", "s3", "gcs", "azurerm" (got "consul")'],
    ['encrypt = false', { type: 's3', bucket: 'b', key: 'k', region: 'r', encrypt: false }, 'state_backend.encrypt: must be true: the state holds the tunnel token and service-token secrets (the stack always sets encrypt = true; you may omit it) (got false)'],
    ['a typo', { type: 's3', bucket: 'b', key: 'k', region: 'r', dynamo_table: 'x' }, 'state_backend.dynamo_table: is not a s3 backend setting; did you mean "dynamodb_table"? (s3 accepts type, bucket, key, region, encrypt, endpoint, kms_key_id, dynamodb_table, use_lockfile, profile) (got "x")'],
    ['a bad endpoint', { type: 's3', bucket: 'b', key: 'k', region: 'auto', endpoint: 'http://minio:9000' }, 'state_backend.endpoint: must be an https:// origin such as "https://<account id>.r2.cloudflarestorage.com" (got "http://minio:9000")'],
    ['a non-boolean flag', { type: 'azurerm', storage_account_name: 'a', container_name: 'c', key: 'k', use_azuread_auth: 'yes' }, 'state_backend.use_azuread_auth: must be true or false (no quotes) (got "yes")'],
  ])('%s', (_what, value, message) => {
    expect(problems(value)).toEqual([message]);
  });
  it('names every missing required field', () => {
    expect(problems({ type: 's3' })).toEqual([
      'state_backend.bucket: is required for type = "s3" (got <missing>)',
      'state_backend.key: is required for type = "s3" (got <missing>)',
      'state_backend.region: is required for type = "s3" (got <missing>)',
    ]);
  });
  it.each([
    ['access_key', 'AWS_ACCESS_KEY_ID (S3/R2) or ARM_ACCESS_KEY (azurerm)'],
    ['secret_key', 'AWS_SECRET_ACCESS_KEY'],
    ['credentials', 'GOOGLE_CREDENTIALS (or GOOGLE_APPLICATION_CREDENTIALS naming the key file)'],
    ['sas_token', 'ARM_SAS_TOKEN'],
  ])('refuses the credential %s, naming its environment variable and not its value', (field, env) => {
    const found = problems({ type: 's3', bucket: 'b', key: 'k', region: 'r', [field]: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' });
    expect(found).toEqual([`state_backend.${field}: is a credential and must not be in a tfvars file (it would be written into cdk.tf.json); remove it and export ${env}`]);
  });
  it('an unknown field with a long value does not show it', () => {
    expect(problems({ type: 'gcs', bucket: 'b', service_key: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' })[0]).toContain('(got <hidden: looks like a secret>)');
  });
  it('MCP_STACK_STATE_FILE with a remote backend is a conflict', () => {
    const config = validateConfig({ state_backend: { type: 'gcs', bucket: 'b' } });
    expect(problemsOf(() => buildStackFromConfig(config, { stateFile: '/x.tfstate' }))).toEqual([
      'MCP_STACK_STATE_FILE: names a local state file, but state_backend.type = "gcs"; unset MCP_STACK_STATE_FILE or remove state_backend (got "/x.tfstate")',
    ]);
  });
});
