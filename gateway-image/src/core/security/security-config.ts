/**
 * The security sections of the gateway's JSON config file (`auth`, `http`, `policy`, `exec`, `containers`,
 * `limits`, `audit`, `redaction`) and the environment variables that override them.
 *
 * This schema is the single source of truth for both: config.ts merges file values, then
 * {@link securityEnvOverrides} values, and parses the result with the schema {@link securityConfigSchema} builds.
 */
import { z } from 'zod';
import { readCommandPattern } from './command-patterns.js';

/** Minimum bearer token length: shorter tokens are guessable by brute force through the public hostname. */
export const MIN_TOKEN_LENGTH = 16;

/** The built-in read-only role. */
export const DEFAULT_READER_TOOLS = [
  'docker_ps',
  'docker_container_list',
  'docker_inspect',
  'docker_logs',
  'docker_images',
  'health',
] as const;

/** Commands allowed by default in allowlist mode: read-only inspection tools without an escape hatch. */
export const DEFAULT_COMMAND_PATTERNS = [
  'echo', 'printf', 'ls', 'cat', 'head', 'tail', 'grep', 'wc', 'sort', 'uniq', 'cut', 'ps', 'df', 'du', 'free',
  'uptime', 'id', 'whoami', 'hostname', 'uname', 'date', 'pwd', 'stat', 'true', 'false', 'sleep', 'which',
] as const;

/** Flags that turn otherwise harmless commands into command runners (find -exec, tar --to-command, ...). */
export const DEFAULT_DENIED_FLAGS = [
  '-exec', '-execdir', '-ok', '-okdir', '--compress-program', '--to-command', '--checkpoint-action',
  '--use-compress-program', '--rsh', '--upload-pack', '--receive-pack', '--exec', '--info-script', '--new-volume-script',
] as const;

/**
 * The security part of the gateway config. Unknown keys are rejected at every level.
 *
 * Built anew on each call and not kept: the config is parsed once at start-up, and these ~150 zod schemas held for
 * the process's life were ~0.6 MB of an idle gateway's heap (each classic zod schema binds its methods per instance).
 */
export function securityConfigSchema() {
  const nonEmpty = z.string().min(1);
  const hex64 = z.string().regex(/^[0-9a-f]{64}$/i, 'must be a sha256 hex digest (64 hex characters)');

  /** One bearer token: give either the token itself or its sha256 hex digest (so the file need not hold it). */
  const tokenSchema = z
    .strictObject({
      /** Principal name used for policy, rate limits and audit. */
      name: z.string().regex(/^[A-Za-z0-9._@-]{1,128}$/, 'token name must be 1-128 of A-Z a-z 0-9 . _ @ -'),
      /** The token in clear (hashed at startup, never kept). */
      token: z.string().min(MIN_TOKEN_LENGTH, `token must be at least ${MIN_TOKEN_LENGTH} characters`).optional(),
      /** sha256 hex digest of the token, e.g. `printf %s "$TOKEN" | sha256sum`. */
      sha256: hex64.optional(),
    })
    .refine((t) => (t.token === undefined) !== (t.sha256 === undefined), {
      message: 'give exactly one of token or sha256',
    });

  /** Cloudflare Access JWT verification at the origin. */
  const accessSchema = z.strictObject({
    /** Team domain, e.g. `myteam.cloudflareaccess.com`; the issuer is `https://<teamDomain>`. */
    teamDomain: z
      .string()
      .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/i, 'must be a host name such as myteam.cloudflareaccess.com (no scheme, no path)'),
    /** Application AUD tag(s); the JWT `aud` must contain one of them. */
    aud: z.union([nonEmpty, z.array(nonEmpty).min(1)]),
    /**
     * URL of the signing keys.
     * @default - `https://<teamDomain>/cdn-cgi/access/certs` (override only for tests)
     */
    certsUrl: z.url({ protocol: /^https?$/ }).optional(),
    /** Allowed clock skew for exp/nbf. @default 30 */
    clockToleranceSeconds: z.number().int().min(0).max(300).default(30),
    /** Minimum time between two key fetches, however many unknown kids arrive. @default 30 */
    jwksCooldownSeconds: z.number().int().min(1).max(3600).default(30),
    /** Keys older than this are refreshed on the next verification (stale keys kept if the refresh fails). @default 600 */
    jwksMaxAgeSeconds: z.number().int().min(60).max(86_400).default(600),
    /** Timeout of one key fetch. @default 5000 */
    jwksFetchTimeoutMs: z.number().int().min(100).max(60_000).default(5_000),
    /** When true, every request needs a valid Access JWT even if it also carries a valid bearer token. @default false */
    required: z.boolean().default(false),
    /**
     * Names for Access service tokens by client id (the JWT `common_name`), so policy bindings and audit records use
     * the name an operator chose rather than an id that only exists after the first deploy. The stack fills this in.
     * @default {} (service-token principals are their client ids)
     */
    serviceTokenNames: z.record(nonEmpty, z.string().regex(/^[A-Za-z0-9._@-]{1,128}$/, 'service token name must be 1-128 of A-Z a-z 0-9 . _ @ -')).default({}),
  });

  /** Authentication. */
  const authSchema = z.strictObject({
    /** Bearer tokens, each with a principal name. @default - none */
    tokens: z.array(tokenSchema).default([]),
    /** Cloudflare Access JWT verification. @default - off */
    access: accessSchema.optional(),
    /**
     * Start without any authentication. Honoured only when the gateway listens on loopback.
     * @default false
     */
    allowUnauthenticated: z.boolean().default(false),
  });

  /** An explicit http(s) origin: scheme://host[:port], no path; `*` and `null` are refused. */
  const originString = z
    .string()
    .regex(/^https?:\/\/(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:\d{1,5})?\/?$/i, 'must be an explicit origin such as https://app.example.com (not *, null, or a URL with a path)');

  /** Origin/Host checks (DNS rebinding) and CORS. */
  const httpSchema = z.strictObject({
    /** Public hostname served through the tunnel; added to the Origin and Host allowlists. @default - none */
    publicHostname: z.string().regex(/^[a-z0-9.-]+(:\d+)?$/i, 'must be a host name without scheme').optional(),
    /** Extra allowed Origins (scheme://host[:port]). Localhost variants are always allowed. @default [] */
    allowedOrigins: z.array(originString).default([]),
    /** Extra allowed Host header values (host or host:port). Loopback names are always allowed. @default [] */
    allowedHosts: z.array(z.string().regex(/^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:\d{1,5})?$/i, 'must be host or host:port, e.g. gateway:3000')).default([]),
    /** CORS: origins that receive CORS headers. `*` is refused. @default [] (no CORS headers) */
    corsOrigins: z.array(originString).default([]),
    /** CORS: send Access-Control-Allow-Credentials: true for the configured origins. @default false */
    corsAllowCredentials: z.boolean().default(false),
  });

  /** A container scope: name globs and/or label selectors; both given means both must match; `{}` matches nothing. */
  const scopeSchema = z.strictObject({
    /** Container name globs (`*`, `?`), e.g. `web-*`. */
    names: z.array(nonEmpty).optional(),
    /** Label selectors, all must hold: `key=value`, `key` (present), `!key` (absent), `key!=value`. */
    labels: z.array(nonEmpty).optional(),
  });

  /** A role: which tools and which containers. */
  const roleSchema = z.strictObject({
    /** Tool name globs, e.g. `docker_ps`, `docker_*`, `filesystem__*` (upstream tools are `<server>__<tool>`). */
    tools: z.array(nonEmpty).min(1),
    /** Containers this role may target. @default { names: ['*'] } (all containers) */
    containers: scopeSchema.default({ names: ['*'] }),
    /** docker_inspect shows environment values and secret-looking fields. Never for protected containers. @default false */
    allowSecrets: z.boolean().default(false),
  });

  /** Maps principals to roles. A principal matching no binding gets `defaultRole`. */
  const bindingSchema = z.strictObject({
    /** Access users by exact email (case-insensitive). */
    emails: z.array(nonEmpty).optional(),
    /** Access users by email domain, e.g. `example.com` (exact domain, not subdomains). */
    emailDomains: z.array(nonEmpty).optional(),
    /** Access service tokens by `common_name`. */
    serviceTokens: z.array(nonEmpty).optional(),
    /** Bearer tokens by name. */
    tokens: z.array(nonEmpty).optional(),
    /** Local principals by id: stdio mode (`stdio`) and unauthenticated loopback (`anonymous`). */
    principals: z.array(nonEmpty).optional(),
    /** Roles granted. */
    roles: z.array(nonEmpty).min(1),
  });

  /** Per-identity policy. */
  const policySchema = z
    .strictObject({
      /** Roles by name; `reader` is built in (read-only tools, all containers) and may be redefined. @default {} */
      roles: z.record(z.string().regex(/^[A-Za-z0-9._-]{1,64}$/), roleSchema).default({}),
      /** Principal-to-role bindings. @default [] */
      bindings: z.array(bindingSchema).default([]),
      /** Role for principals matching no binding; null denies them everything. @default 'reader' */
      defaultRole: z.string().nullable().default('reader'),
    })
    .superRefine((p, ctx) => {
      const known = new Set([...Object.keys(p.roles), 'reader']);
      p.bindings.forEach((b, i) =>
        b.roles.forEach((r) => {
          if (!known.has(r)) ctx.addIssue({ code: 'custom', path: ['bindings', i, 'roles'], message: `unknown role "${r}"; define it under policy.roles` });
        }),
      );
      if (p.defaultRole !== null && !known.has(p.defaultRole)) {
        ctx.addIssue({ code: 'custom', path: ['defaultRole'], message: `unknown role "${p.defaultRole}"; define it under policy.roles` });
      }
    });

  /** docker_exec policy. */
  const execSchema = z.strictObject({
    /**
     * Master switch for the command checks (mode, denied paths, denied flags). Root and environment checks stay on.
     * @default true
     */
    security: z.boolean().default(true),
    /** allowlist: only `commandPatterns` run; denylist: everything but `commandPatterns`; none: no command check. @default 'allowlist' */
    mode: z.enum(['allowlist', 'denylist', 'none']).default('allowlist'),
    /**
     * Argv prefix patterns: whitespace-separated tokens, each a glob over one argv element, e.g. `ls`, `git status`,
     * `cat /app/*`. The first token matches a bare command name in a standard bin directory, or a full path.
     * @default DEFAULT_COMMAND_PATTERNS in allowlist mode
     */
    commandPatterns: z.array(nonEmpty).optional(),
    /** Shells, interpreters and wrappers allowed by name in every mode (e.g. `sh`). @default [] */
    allowedWrappers: z.array(nonEmpty).default([]),
    /** Paths no argument or workdir may reach after normalization. @default ['/proc','/sys','/dev'] */
    deniedPaths: z.array(z.string().startsWith('/', 'denied paths must be absolute')).default(['/proc', '/sys', '/dev']),
    /** Flags no argument may carry (`--flag`, `--flag=...`, and unambiguous long-option prefixes). @default DEFAULT_DENIED_FLAGS */
    deniedFlags: z.array(z.string().startsWith('-', 'flags start with -')).default([...DEFAULT_DENIED_FLAGS]),
    /** User for exec when the call gives none. @default - the container's own user */
    defaultUser: z.string().optional(),
    /** Allow exec as root (`root`, `0`, `0:0`, or no user in a container running as root). @default false */
    allowRoot: z.boolean().default(false),
    /** Extra environment variable names denied in exec `env` (added to the built-in list). @default [] */
    deniedEnv: z.array(nonEmpty).default([]),
  })
    // Regex-style patterns (mcp-docker-exec's `^ls`) are understood or refused, never taken literally (command-patterns.ts).
    .superRefine((e, ctx) => {
      e.commandPatterns?.forEach((p, i) => {
        const read = readCommandPattern(p, e.mode);
        if ('problem' in read) ctx.addIssue({ code: 'custom', path: ['commandPatterns', i], message: `${read.problem} (exec.commandPatterns / MCP_DOCKER_COMMAND_PATTERNS)` });
      });
    })
    .transform((e) => (e.commandPatterns ? { ...e, commandPatterns: e.commandPatterns.map((p) => { const r = readCommandPattern(p, e.mode); return 'pattern' in r ? r.pattern : p; }) } : e));

  /** Policy for container specs the gateway builds (lifecycle and upstream servers). */
  const containersSchema = z.strictObject({
    /** Host directories binds may come from (after resolving `..` and symlinks). @default [] (no binds) */
    allowedBindPaths: z.array(z.string().startsWith('/', 'bind paths must be absolute')).default([]),
    /** Docker/containerd sockets: never bindable, nor any directory holding them. */
    socketPaths: z
      .array(z.string().startsWith('/'))
      .default(['/var/run/docker.sock', '/run/docker.sock', '/run/containerd/containerd.sock', '/var/run/containerd/containerd.sock']),
  });

  /** Rate and concurrency limits. */
  const limitsSchema = z.strictObject({
    /** Calls per minute per principal, by tool name; tools not listed are not rate limited. */
    perMinute: z.record(nonEmpty, z.number().int().positive()).default({}),
    /** docker_exec calls per minute per principal (overridden by perMinute.docker_exec). @default 60 */
    execPerMinute: z.number().int().positive().default(60),
    /** docker_logs calls per minute per principal (overridden by perMinute.docker_logs). @default 30 */
    logsPerMinute: z.number().int().positive().default(30),
    /** Concurrent calls across all principals. @default 10 */
    maxConcurrent: z.number().int().positive().default(10),
    /** Concurrent calls per principal. @default - maxConcurrent */
    maxConcurrentPerPrincipal: z.number().int().positive().optional(),
    /** Rate-limit buckets kept in memory before full (idle) ones are swept. @default 10000 */
    maxBuckets: z.number().int().min(100).default(10_000),
  });

  /** Tamper-evident audit log. */
  const auditSchema = z.strictObject({
    /** Write the audit log. @default true */
    enabled: z.boolean().default(true),
    /** Base file; records go to `<stem>-YYYY-MM-DD<ext>` next to it. @default '/var/log/mcp-gateway/audit.log' */
    file: z.string().min(1).default('/var/log/mcp-gateway/audit.log'),
    /** Days a daily file is kept. @default 30 */
    retentionDays: z.number().int().positive().default(30),
    /** Sync (fdatasync) a mutating call's decision record before the call runs, and every other record within syncDelayMs. @default true */
    fsync: z.boolean().default(true),
    /** Longest time a record other than a mutating call's decision stays written but not yet synced, in ms. @default 1000 */
    syncDelayMs: z.number().int().min(0).max(60_000).default(1000),
  });

  /** Redaction. */
  const redactionSchema = z.strictObject({
    /** Tool name globs whose text output is scanned for secret patterns (e.g. `docker_logs`, `docker_exec`). @default [] */
    scanOutputTools: z.array(nonEmpty).default([]),
    /** Extra argument/field names treated as secret (case-insensitive substrings). @default [] */
    secretKeyNames: z.array(nonEmpty).default([]),
  });

  return z.strictObject({
    auth: authSchema.default(() => authSchema.parse({})),
    http: httpSchema.default(() => httpSchema.parse({})),
    policy: policySchema.default(() => policySchema.parse({})),
    exec: execSchema.default(() => execSchema.parse({})),
    containers: containersSchema.default(() => containersSchema.parse({})),
    limits: limitsSchema.default(() => limitsSchema.parse({})),
    audit: auditSchema.default(() => auditSchema.parse({})),
    redaction: redactionSchema.default(() => redactionSchema.parse({})),
  });
}

/** Parsed, defaulted security config. */
export type SecurityConfig = z.output<ReturnType<typeof securityConfigSchema>>;
/** What the file and env may give, before defaults. */
export type SecurityConfigInput = z.input<ReturnType<typeof securityConfigSchema>>;
/** A role after parsing. */
export type RoleConfig = SecurityConfig['policy']['roles'][string];
/** A container scope after parsing. */
export type ScopeConfig = RoleConfig['containers'];

/** Recursive optional, arrays replaced wholesale. */
export type DeepPartial<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { -readonly [K in keyof T]?: DeepPartial<T[K]> }
    : T;

/** Parse and default a security config; throws a ZodError listing every problem. */
export function parseSecurityConfig(input: unknown): SecurityConfig {
  return securityConfigSchema().parse(input ?? {});
}

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off']);

/**
 * Maps environment variables onto the config shape. Unset or empty variables are ignored; each malformed one
 * yields an issue naming the variable, the value received and the fix. Secret values are never echoed.
 */
export function securityEnvOverrides(env: Readonly<Record<string, string | undefined>>): {
  values: DeepPartial<SecurityConfigInput>;
  issues: string[];
} {
  const issues: string[] = [];
  const get = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const bool = (name: string): boolean | undefined => {
    const v = get(name);
    if (v === undefined) return undefined;
    if (TRUE.has(v.toLowerCase())) return true;
    if (FALSE.has(v.toLowerCase())) return false;
    issues.push(`${name}: got "${v}"; expected true or false (also 1/0, yes/no, on/off)`);
    return undefined;
  };
  const int = (name: string): number | undefined => {
    const v = get(name);
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v) || Number(v) <= 0 || !Number.isSafeInteger(Number(v))) {
      issues.push(`${name}: got "${v}"; expected a positive whole number, e.g. ${name}=60`);
      return undefined;
    }
    return Number(v);
  };
  const list = (name: string): string[] | undefined => {
    const v = get(name);
    if (v === undefined) return undefined;
    return v.split(',').map((s) => s.trim()).filter((s) => s !== '');
  };

  const auth: NonNullable<DeepPartial<SecurityConfigInput>['auth']> = {};
  const http: NonNullable<DeepPartial<SecurityConfigInput>['http']> = {};
  const exec: NonNullable<DeepPartial<SecurityConfigInput>['exec']> = {};
  const limits: NonNullable<DeepPartial<SecurityConfigInput>['limits']> = {};
  const audit: NonNullable<DeepPartial<SecurityConfigInput>['audit']> = {};

  const tokens: Array<{ name: string; token: string }> = [];
  const single = get('MCP_GATEWAY_AUTH_TOKEN');
  if (single !== undefined) {
    if (single.length < MIN_TOKEN_LENGTH) {
      issues.push(`MCP_GATEWAY_AUTH_TOKEN: got a ${single.length}-character token; use at least ${MIN_TOKEN_LENGTH} characters, e.g. openssl rand -hex 32`);
    } else tokens.push({ name: 'default', token: single });
  }
  const many = get('MCP_GATEWAY_AUTH_TOKENS');
  if (many !== undefined) {
    many.split(',').map((s) => s.trim()).filter((s) => s !== '').forEach((entry, i) => {
      const eq = entry.indexOf('=');
      const name = eq > 0 ? entry.slice(0, eq).trim() : '';
      const token = eq > 0 ? entry.slice(eq + 1).trim() : '';
      if (!/^[A-Za-z0-9._@-]{1,128}$/.test(name) || token === '') {
        // The entry holds a secret: name its position only.
        issues.push(`MCP_GATEWAY_AUTH_TOKENS: entry ${i + 1} is not name=token; expected e.g. MCP_GATEWAY_AUTH_TOKENS=alice=<token>,ci=<token>`);
      } else if (token.length < MIN_TOKEN_LENGTH) {
        issues.push(`MCP_GATEWAY_AUTH_TOKENS: token "${name}" has ${token.length} characters; use at least ${MIN_TOKEN_LENGTH}`);
      } else if (tokens.some((t) => t.name === name)) {
        issues.push(`MCP_GATEWAY_AUTH_TOKENS: token name "${name}" appears twice; give each token its own name`);
      } else tokens.push({ name, token });
    });
  }
  if (tokens.length > 0) auth.tokens = tokens;
  const allowUnauth = bool('MCP_GATEWAY_ALLOW_UNAUTHENTICATED');
  if (allowUnauth !== undefined) auth.allowUnauthenticated = allowUnauth;
  const team = get('MCP_GATEWAY_ACCESS_TEAM_DOMAIN');
  const aud = get('MCP_GATEWAY_ACCESS_AUD');
  if (team !== undefined || aud !== undefined) {
    if (team === undefined) issues.push('MCP_GATEWAY_ACCESS_TEAM_DOMAIN: not set but MCP_GATEWAY_ACCESS_AUD is; set both, e.g. MCP_GATEWAY_ACCESS_TEAM_DOMAIN=myteam.cloudflareaccess.com');
    if (aud === undefined) issues.push(`MCP_GATEWAY_ACCESS_AUD: not set but MCP_GATEWAY_ACCESS_TEAM_DOMAIN is ("${team}"); set it to the Access application's AUD tag`);
    if (team !== undefined && aud !== undefined) {
      const domain = team.replace(/^https:\/\//, '').replace(/\/+$/, '');
      auth.access = { teamDomain: domain, aud: aud.includes(',') ? aud.split(',').map((s) => s.trim()).filter(Boolean) : aud };
    }
  }
  const serviceTokens = list('MCP_GATEWAY_ACCESS_CLIENT_NAMES');
  if (serviceTokens !== undefined) {
    const names: Record<string, string> = {};
    serviceTokens.forEach((entry, i) => {
      const eq = entry.indexOf('=');
      if (eq <= 0 || eq === entry.length - 1) {
        issues.push(`MCP_GATEWAY_ACCESS_CLIENT_NAMES: entry ${i + 1} ("${entry}") is not name=clientId; expected e.g. MCP_GATEWAY_ACCESS_CLIENT_NAMES=ci=abc123.access`);
      } else names[entry.slice(eq + 1).trim()] = entry.slice(0, eq).trim();
    });
    if (auth.access) auth.access.serviceTokenNames = names;
    else if (Object.keys(names).length > 0) issues.push('MCP_GATEWAY_ACCESS_CLIENT_NAMES: set, but Access verification is not (set MCP_GATEWAY_ACCESS_TEAM_DOMAIN and MCP_GATEWAY_ACCESS_AUD)');
  }

  const pub = get('MCP_GATEWAY_PUBLIC_HOSTNAME');
  if (pub !== undefined) {
    if (!/^[a-z0-9.-]+(:\d+)?$/i.test(pub)) issues.push(`MCP_GATEWAY_PUBLIC_HOSTNAME: got "${pub}"; expected a host name without scheme or path, e.g. mcp.example.com`);
    else http.publicHostname = pub;
  }
  const origins = list('MCP_GATEWAY_ALLOWED_ORIGINS');
  if (origins) http.allowedOrigins = origins;
  const hosts = list('MCP_GATEWAY_ALLOWED_HOSTS');
  if (hosts) http.allowedHosts = hosts;

  const sec = bool('MCP_DOCKER_SECURITY');
  if (sec !== undefined) exec.security = sec;
  const mode = get('MCP_DOCKER_COMMAND_POLICY_MODE');
  if (mode !== undefined) {
    if (mode === 'allowlist' || mode === 'denylist' || mode === 'none') exec.mode = mode;
    else issues.push(`MCP_DOCKER_COMMAND_POLICY_MODE: got "${mode}"; expected allowlist, denylist or none`);
  }
  const patterns = list('MCP_DOCKER_COMMAND_PATTERNS');
  if (patterns) exec.commandPatterns = patterns;
  const paths = list('MCP_DOCKER_DENIED_PATHS');
  if (paths) {
    const bad = paths.filter((p) => !p.startsWith('/'));
    if (bad.length > 0) issues.push(`MCP_DOCKER_DENIED_PATHS: got relative path(s) ${bad.map((b) => `"${b}"`).join(', ')}; use absolute paths, e.g. /proc,/sys,/dev`);
    else exec.deniedPaths = paths;
  }
  const flags = list('MCP_DOCKER_DENIED_FLAGS');
  if (flags) {
    const bad = flags.filter((f) => !f.startsWith('-'));
    if (bad.length > 0) issues.push(`MCP_DOCKER_DENIED_FLAGS: got ${bad.map((b) => `"${b}"`).join(', ')}; flags start with -, e.g. -exec,--to-command`);
    else exec.deniedFlags = flags;
  }
  const user = get('MCP_DOCKER_DEFAULT_USER');
  if (user !== undefined) exec.defaultUser = user;
  const root = bool('MCP_DOCKER_ALLOW_ROOT');
  if (root !== undefined) exec.allowRoot = root;

  const rates = get('MCP_DOCKER_RATE_LIMITS');
  if (rates !== undefined) {
    const perMinute: Record<string, number> = {};
    for (const entry of rates.split(',').map((s) => s.trim()).filter(Boolean)) {
      const m = /^([A-Za-z0-9_.*-]+)\s*=\s*(\d+)$/.exec(entry);
      if (!m || Number(m[2]) <= 0) issues.push(`MCP_DOCKER_RATE_LIMITS: entry "${entry}" is not tool=perMinute; expected e.g. docker_ps=120,docker_inspect=60`);
      else perMinute[m[1]] = Number(m[2]);
    }
    limits.perMinute = perMinute;
  }
  const execRate = int('MCP_DOCKER_EXEC_PER_MINUTE');
  if (execRate !== undefined) limits.execPerMinute = execRate;
  const logsRate = int('MCP_DOCKER_LOGS_PER_MINUTE');
  if (logsRate !== undefined) limits.logsPerMinute = logsRate;
  const conc = int('MCP_DOCKER_MAX_CONCURRENT');
  if (conc !== undefined) limits.maxConcurrent = conc;

  const auditOn = bool('MCP_DOCKER_AUDIT');
  if (auditOn !== undefined) audit.enabled = auditOn;
  const auditFile = get('MCP_DOCKER_AUDIT_FILE');
  if (auditFile !== undefined) audit.file = auditFile;
  const retention = int('MCP_DOCKER_AUDIT_RETENTION_DAYS');
  if (retention !== undefined) audit.retentionDays = retention;

  const values: DeepPartial<SecurityConfigInput> = {};
  if (Object.keys(auth).length) values.auth = auth;
  if (Object.keys(http).length) values.http = http;
  if (Object.keys(exec).length) values.exec = exec;
  if (Object.keys(limits).length) values.limits = limits;
  if (Object.keys(audit).length) values.audit = audit;
  return { values, issues };
}
