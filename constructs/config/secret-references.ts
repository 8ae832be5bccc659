/**
 * `{{secret:NAME}}` references in `mcp_servers`: the stack checks where they stand and which names they use; the
 * gateway resolves them at run time. The syntax is the gateway's own (imported, one source of truth).
 */
import type { ProblemCollector } from '../errors';
import { hasMalformedReference, SECRET_ENV_PREFIX, SECRET_REFERENCE_GLOBAL, secretReferences } from '../../gateway-image/src/core/upstreams/secret-refs';

export { SECRET_ENV_PREFIX, SECRET_REFERENCE_GLOBAL, secretReferences };

/** Name of the sensitive map variable holding upstream secrets (`TF_VAR_mcp_server_secrets`). */
export const MCP_SERVER_SECRETS_VARIABLE = 'mcp_server_secrets';

/**
 * Fields of a server entry whose values the gateway resolves references in. `env` is the `env` of a pasted-in
 * `docker run` entry (Claude Desktop / MetaMCP style), which the gateway maps onto `environment`; elsewhere the
 * gateway itself refuses `env` (naming `environment`), so the synth-time check still reports it.
 */
const RESOLVED_IN = ['environment', 'headers', 'env'];

function walk(value: unknown, path: string[], visit: (text: string, path: string[]) => void): void {
  if (typeof value === 'string') visit(value, path);
  else if (Array.isArray(value)) value.forEach((v, i) => walk(v, [...path, `[${i}]`], visit));
  else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) walk(v, [...path, k], visit);
  }
}

const render = (path: string[]) => path.join('.').replace(/\.\[/g, '[');

/**
 * The secret names `mcp_servers` references (sorted, unique). References outside an `environment` or `headers`
 * value (where the gateway would not resolve them: args are visible in `ps`, the url in logs) and malformed ones
 * are recorded as problems, as are references anywhere in `gateway_settings`.
 */
export function collectSecretReferences(mcpServers: unknown, gatewaySettings: unknown, problems: ProblemCollector): string[] {
  const names = new Set<string>();
  walk(mcpServers, ['mcp_servers'], (text, path) => {
    const refs = secretReferences(text);
    if (hasMalformedReference(text)) {
      problems.add('mcp_servers', render(path), 'holds a malformed secret reference; write "{{secret:NAME}}" with NAME of letters, digits and "_" (e.g. GITHUB_TOKEN)');
    }
    if (refs.length === 0) return;
    // path: mcp_servers, <server>, <field>, <key>
    if (path.length !== 4 || !RESOLVED_IN.includes(path[2])) {
      problems.add('mcp_servers', render(path), 'holds a secret reference where the gateway does not resolve it; references work only in environment and headers values (argv and URLs are visible in ps and logs)');
      return;
    }
    for (const name of refs) names.add(name);
  });
  walk(gatewaySettings, ['gateway_settings'], (text, path) => {
    if (secretReferences(text).length > 0 || hasMalformedReference(text)) {
      problems.add('gateway_settings', render(path), 'holds a secret reference; references work only in mcp_servers environment and headers values');
    }
  });
  return [...names].sort();
}
