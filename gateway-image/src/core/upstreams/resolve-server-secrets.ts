/**
 * Substitutes `{{secret:NAME}}` references in one server entry right before it is launched. The configuration
 * keeps the references (so the effective-config log line, errors and status never hold a value); only the copy
 * handed to the launcher, and from there the child's environment, the container's Env or the request headers,
 * carries the secret.
 */
import { hasMalformedReference, resolveSecretMap, type SecretSource, secretReferences } from './secret-refs.js';
import type { UpstreamServerConfig } from './upstreams-config.js';

/** The entry with its environment (image, command) or headers (remote) resolved; throws naming a missing secret. */
export function withResolvedSecrets(server: UpstreamServerConfig, source: SecretSource): UpstreamServerConfig {
  if (server.kind === 'remote') return { ...server, headers: resolveSecretMap(server.headers, source) };
  return { ...server, environment: resolveSecretMap(server.environment, source) };
}

/**
 * Problems with the references of every server, for the config loader: a reference outside environment/headers
 * (argv and URLs are visible in `ps` and logs), a malformed one, or one whose secret is not provided.
 * Each names the field and the secret, never a value.
 */
export function secretReferenceProblems(mcpServers: Readonly<Record<string, UpstreamServerConfig>>, source: SecretSource): string[] {
  const problems: string[] = [];
  for (const [name, server] of Object.entries(mcpServers)) {
    const resolvedIn = server.kind === 'remote' ? 'headers' : 'environment';
    const map = server.kind === 'remote' ? server.headers : server.environment;
    for (const [key, value] of Object.entries(map)) {
      const where = `mcpServers.${name}.${resolvedIn}.${key}`;
      if (hasMalformedReference(value)) problems.push(`${where}: malformed secret reference; write "{{secret:NAME}}" with NAME of letters, digits and "_"`);
      for (const secret of secretReferences(value)) {
        if (source.get(secret) === undefined) problems.push(`${where}: references secret "${secret}", which is not set; provide ${source.describe(secret)}`);
      }
    }
    const elsewhere = JSON.stringify({ ...server, [resolvedIn]: undefined });
    if (secretReferences(elsewhere).length > 0 || hasMalformedReference(elsewhere)) {
      problems.push(`mcpServers.${name}: holds a secret reference outside ${resolvedIn}; references are resolved only in environment and headers values (argv and URLs are visible in ps and logs)`);
    }
  }
  return problems;
}
