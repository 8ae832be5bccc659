import { AzurermBackend, GcsBackend, LocalBackend, S3Backend, type TerraformBackend, type TerraformStack } from 'cdktf';
import type { StateBackend } from './config/state-backend';
import { ProblemCollector } from './errors';

/**
 * Declares the stack's Terraform backend from `state_backend`. Credentials are never set here: every backend reads
 * them from the environment (AWS_*, GOOGLE_*, ARM_*). S3 always encrypts; an S3-compatible `endpoint` (Cloudflare
 * R2) also gets the settings such stores need (path-style URLs, no AWS-only checks).
 *
 * @param stateFile `MCP_STACK_STATE_FILE`: a local state path that overrides `state_backend.path`; it conflicts
 *   with a remote backend.
 * @returns the backend, or undefined for cdktf's default local state.
 */
export function applyStateBackend(stack: TerraformStack, backend: StateBackend, stateFile?: string): TerraformBackend | undefined {
  if (stateFile && backend.type !== 'local') {
    const problems = new ProblemCollector();
    problems.add('MCP_STACK_STATE_FILE', stateFile, `names a local state file, but state_backend.type = "${backend.type}"; unset MCP_STACK_STATE_FILE or remove state_backend`);
    problems.throwIfAny();
  }
  switch (backend.type) {
    case 'local': {
      const path = stateFile || backend.path;
      return path ? new LocalBackend(stack, { path }) : undefined;
    }
    case 's3': {
      const compatible = backend.endpoint !== undefined;
      const s3 = new S3Backend(stack, {
        bucket: backend.bucket,
        key: backend.key,
        region: backend.region,
        encrypt: true,
        kmsKeyId: backend.kmsKeyId,
        dynamodbTable: backend.dynamodbTable,
        profile: backend.profile,
        ...(compatible
          ? {
              endpoints: { s3: backend.endpoint },
              usePathStyle: true,
              skipCredentialsValidation: true,
              skipRegionValidation: true,
              skipRequestingAccountId: true,
              skipMetadataApiCheck: true,
            }
          : {}),
      });
      // Not in cdktf 0.21's S3BackendConfig yet; Terraform >= 1.10 reads it.
      if (backend.useLockfile) s3.addOverride('use_lockfile', true);
      return s3;
    }
    case 'gcs':
      return new GcsBackend(stack, { bucket: backend.bucket, prefix: backend.prefix, kmsEncryptionKey: backend.kmsEncryptionKey });
    case 'azurerm':
      return new AzurermBackend(stack, {
        storageAccountName: backend.storageAccountName,
        containerName: backend.containerName,
        key: backend.key,
        resourceGroupName: backend.resourceGroupName,
        useAzureadAuth: backend.useAzureadAuth || undefined,
      });
  }
}
