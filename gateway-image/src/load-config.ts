/**
 * Loads the whole gateway configuration once: config file + environment, each section parsed by the
 * schema that lives next to the code using it, every problem from every section reported together.
 */
import { readFileSync } from 'node:fs';
import { applyEnv, baseConfigSchema, deepFreeze, formatZodIssues, readConfigFile, type BaseConfig, type ConfigSources } from './config.js';
import { dockerOptionsFor } from './core/docker/docker-host.js';
import { checkPolicyReferences, type PolicyReferenceReport } from './core/security/policy-references.js';
import { securityConfigSchema, securityEnvOverrides, type SecurityConfig } from './core/security/security-config.js';
import { formatProblem, parseUpstreamsConfig, type UpstreamsConfig } from './core/upstreams/upstreams-config.js';
import { BUILTIN_TOOL_NAMES, LIFECYCLE_TOOL_NAMES } from './core/tools/tool-names.js';
import { secretReferenceProblems } from './core/upstreams/resolve-server-secrets.js';
import { secretSourceFrom } from './core/upstreams/secret-refs.js';
import { readStateKey, type SecretValue } from './core/upstreams/request-state.js';
import { ConfigError } from './errors.js';

/** The complete, frozen configuration handed to createGateway. */
export interface GatewayConfig extends BaseConfig {
  readonly security: SecurityConfig;
  /** Upstream MCP servers (`mcpServers`) and their gateway-wide settings (`upstreams`), parsed by the upstreams module. */
  readonly upstreams: UpstreamsConfig;
  /** Seals 2026-07-28 request states of upstreams; shared by every replica (MCP_GATEWAY_STATE_KEY[_FILE]). Prints as `<redacted>`. */
  readonly stateKey?: SecretValue;
}

const OTHER_KEYS = ['mcpServers', 'upstreams'];

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j += 1) d[0][j] = j;
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length][b.length];
}

/** The known key closest to `key`, when one is close enough to be a likely typo. */
export function closestKey(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const dist = editDistance(key.toLowerCase(), k.toLowerCase());
    if (dist < bestD) { bestD = dist; best = k; }
  }
  return bestD <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

function mergeInto(target: Record<string, unknown>, source: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(source)) {
    if (v === undefined) continue;
    const cur = target[k];
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && cur !== null && typeof cur === 'object' && !Array.isArray(cur)) {
      mergeInto(cur as Record<string, unknown>, v as Record<string, unknown>);
    } else target[k] = v;
  }
}

/** Reads, merges and validates; throws ConfigError listing every problem. */
export function loadGatewayConfig(sources: ConfigSources): GatewayConfig {
  // Built here and dropped after the parse (config.ts and security-config.ts say why).
  const baseSchema = baseConfigSchema();
  const securitySchema = securityConfigSchema();
  const BASE_KEYS = Object.keys(baseSchema.shape);
  const SECURITY_KEYS = Object.keys(securitySchema.shape);
  const KNOWN_KEYS = [...BASE_KEYS, ...SECURITY_KEYS, ...OTHER_KEYS];
  const issues: string[] = [];
  const file = readConfigFile(sources, issues);
  // Name the source the user wrote: an inline MCP_GATEWAY_CONFIG_JSON is not a file.
  const source = sources.env.MCP_GATEWAY_CONFIG_JSON?.trim() ? 'MCP_GATEWAY_CONFIG_JSON' : 'config file';
  for (const key of Object.keys(file)) {
    if (KNOWN_KEYS.includes(key)) continue;
    const near = closestKey(key, KNOWN_KEYS);
    issues.push(`${source}: unknown key "${key}"${near ? `; did you mean "${near}"?` : ''} (known keys: ${KNOWN_KEYS.join(', ')})`);
  }
  const pick = (keys: readonly string[]) => Object.fromEntries(Object.entries(file).filter(([k]) => keys.includes(k)));

  const rawBase = structuredClone(pick(BASE_KEYS));
  applyEnv(rawBase, sources.env, issues);
  const rawSecurity = structuredClone(pick(SECURITY_KEYS));
  const envSecurity = securityEnvOverrides(sources.env);
  issues.push(...envSecurity.issues);
  mergeInto(rawSecurity, envSecurity.values as Record<string, unknown>);

  const base = baseSchema.safeParse(rawBase);
  if (!base.success) issues.push(...formatZodIssues(base.error, rawBase));
  const security = securitySchema.safeParse(rawSecurity);
  if (!security.success) issues.push(...formatZodIssues(security.error, rawSecurity));
  const upstreams = parseUpstreamsConfig({ mcpServers: file.mcpServers, upstreams: file.upstreams });
  issues.push(...upstreams.problems.map((p) => formatProblem(p).replace(/^- /, '')));
  if (upstreams.config) {
    // Every `{{secret:NAME}}` must resolve now: a missing secret is a configuration problem at start, not a failed launch later.
    const secrets = secretSourceFrom(sources.env, sources.readFile ?? ((p) => readFileSync(p, 'utf8')));
    issues.push(...secretReferenceProblems(upstreams.config.mcpServers, secrets));
  }

  if (base.success) {
    // The endpoint and its TLS files, checked now: a bad one is a configuration problem, not a crash at start-up.
    try {
      dockerOptionsFor(base.data.docker);
    } catch (err) {
      issues.push((err as Error).message);
    }
  }

  if (base.success && security.success) {
    // Checked even when a server entry is invalid (its name still counts), so every problem is reported at once.
    const servers = upstreams.config ?? { mcpServers: isObject(file.mcpServers) ? file.mcpServers : {}, upstreams: { separator: isObject(file.upstreams) && typeof file.upstreams.separator === 'string' ? file.upstreams.separator : '__' } };
    issues.push(...policyReferences(base.data, security.data, servers as UpstreamsConfig).errors);
  }
  const stateKey = readStateKey(sources.env, sources.readFile ?? ((p) => readFileSync(p, 'utf8')), issues);

  if (issues.length > 0 || !base.success || !security.success || !upstreams.config) throw new ConfigError(issues);
  return deepFreeze({ ...base.data, security: security.data, upstreams: upstreams.config, ...(stateKey ? { stateKey } : {}) });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function policyReferences(base: BaseConfig, security: SecurityConfig, upstreams: UpstreamsConfig): PolicyReferenceReport {
  return checkPolicyReferences(security, {
    builtinTools: BUILTIN_TOOL_NAMES, lifecycleTools: LIFECYCLE_TOOL_NAMES, lifecycleEnabled: base.tools.enableLifecycle,
    upstreamServers: Object.keys(upstreams.mcpServers), separator: upstreams.upstreams.separator,
    unprefixedServers: Object.entries(upstreams.mcpServers).filter(([, s]) => (s as { prefix?: unknown }).prefix === false).map(([name]) => name),
  });
}

/** Things in a valid config that are probably not what the user meant (logged at start, not fatal). */
export function configWarnings(config: GatewayConfig): string[] {
  return policyReferences(config, config.security, config.upstreams).warnings;
}

/** The effective config with secrets replaced, for the start-up log line. */
export function redactedConfig(config: GatewayConfig): unknown {
  return JSON.parse(JSON.stringify(config, (key, value: unknown) => {
    if (/token|secret|password|sha256|authorization/i.test(key) && typeof value === 'string') return '<redacted>';
    if (key === 'headers' && value && typeof value === 'object') {
      return Object.fromEntries(Object.keys(value as object).map((k) => [k, '<redacted>']));
    }
    return value;
  }));
}

