/**
 * The pipeline's Redactor.
 *
 * Results: docker_inspect hides environment values (`TUNNEL_TOKEN=<redacted>`: the tunnel token lives in the
 * connector's env), values of secret-named fields and labels, and secret-looking strings, unless one of the
 * principal's roles allows secrets AND the container is not protected (the gateway or the connector, recognised
 * from the inspect result itself). Tools listed in `redaction.scanOutputTools` get their text scanned.
 *
 * Args (for audit): env values in docker_exec, any value under a secret-sounding key, and secret-looking strings.
 */
import type { ContainerFacts, Redactor, ToolContext, ToolResult } from '../contracts.js';
import { globMatcher } from './glob.js';
import { createRoleResolver } from './roles.js';
import { compileScope, isProtectedContainer } from './scope.js';
import { REDACTED, scanSecrets } from './secret-patterns.js';
import type { SecurityConfig } from './security-config.js';

/** Key names (case-insensitive substrings) whose values are always secret. */
export const SECRET_KEY_PARTS = ['token', 'secret', 'password', 'passwd', 'authorization', 'apikey', 'api_key', 'api-key', 'credential', 'private_key', 'privatekey', 'cookie', 'passphrase', 'session_key'];

/** Options of {@link createRedactor}. */
export interface RedactorDeps {
  /** The gateway's own container id, to recognise it in inspect results. */
  readonly gatewayContainerId?: string;
}

/** Builds the redactor. */
export function createRedactor(config: SecurityConfig, deps: RedactorDeps = {}): Redactor {
  const roles = createRoleResolver(config.policy);
  const keyParts = [...SECRET_KEY_PARTS, ...config.redaction.secretKeyNames.map((k) => k.toLowerCase())];
  const scanTools = globMatcher(config.redaction.scanOutputTools);
  const secretKey = (k: string) => {
    const l = k.toLowerCase();
    return keyParts.some((p) => l.includes(p));
  };

  /** Deep copy with secrets removed; counts replacements. */
  function scrub(value: unknown, counter: { n: number }, key?: string): unknown {
    if (typeof value === 'string') {
      if (key !== undefined && secretKey(key) && value !== '') {
        counter.n++;
        return REDACTED;
      }
      const r = scanSecrets(value);
      counter.n += r.count;
      return r.text;
    }
    if (Array.isArray(value)) {
      // Env-style arrays (`NAME=value`) under an env key keep names only.
      if (key !== undefined && /^env$/i.test(key)) {
        return value.map((e) => {
          if (typeof e !== 'string') return scrub(e, counter);
          const eq = e.indexOf('=');
          if (eq < 0) return e;
          counter.n++;
          return `${e.slice(0, eq)}=${REDACTED}`;
        });
      }
      return value.map((v) => scrub(v, counter));
    }
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) {
        if (v !== null && typeof v === 'object' && !Array.isArray(v) && secretKey(k)) {
          counter.n++;
          out[k] = REDACTED;
        } else out[k] = scrub(v, counter, k);
      }
      return out;
    }
    return value;
  }

  /** The container an inspect result describes (Id + Config), searched depth-first. */
  function findContainer(value: unknown): ContainerFacts | undefined {
    if (value === null || typeof value !== 'object') return undefined;
    const o = value as Record<string, unknown>;
    const cfg = o.Config as Record<string, unknown> | undefined;
    if (typeof o.Id === 'string' && cfg && typeof cfg === 'object') {
      return { id: o.Id, name: typeof o.Name === 'string' ? o.Name : '', labels: (cfg.Labels as Record<string, string>) ?? {} };
    }
    for (const v of Object.values(o)) {
      const f = typeof v === 'object' ? findContainer(v) : undefined;
      if (f) return f;
    }
    return undefined;
  }

  /**
   * Secrets are shown only when a role that allows the tool AND allows secrets also has the container in scope
   * (another role's wider read-only scope must not lend it secrets), and never for protected containers.
   */
  function secretsAllowed(tool: string, ctx: ToolContext, data: unknown[]): boolean {
    const secretRoles = roles.rolesAllowing(ctx.principal, tool).filter((r) => r.config.allowSecrets);
    if (secretRoles.length === 0) return false;
    for (const d of data) {
      const c = findContainer(d);
      if (!c) continue;
      if (isProtectedContainer(c, deps.gatewayContainerId)) return false;
      if (!secretRoles.some((r) => compileScope(r.config.containers)(c))) return false;
    }
    return true;
  }

  function redactJsonText(text: string, counter: { n: number }): string {
    const t = text.trimStart();
    if (t.startsWith('{') || t.startsWith('[')) {
      try {
        const parsed = JSON.parse(text) as unknown;
        const pretty = /^[[{]\s*\n/.test(t);
        return JSON.stringify(scrub(parsed, counter), null, pretty ? 2 : undefined);
      } catch {
        // Not JSON: fall through to the text scanner.
      }
    }
    const r = scanSecrets(text);
    counter.n += r.count;
    return r.text;
  }

  return {
    redactArgs(_tool, args) {
      return scrub(args, { n: 0 }) as Record<string, unknown>;
    },
    redactResult(tool, result, ctx) {
      const isInspect = tool === 'docker_inspect';
      if (!isInspect && !scanTools(tool)) return { result, redactions: 0 };
      if (isInspect) {
        const parsedTexts = result.content.map((c) => {
          try {
            return JSON.parse(c.text) as unknown;
          } catch {
            return undefined;
          }
        });
        if (secretsAllowed(tool, ctx, [result.structuredContent, ...parsedTexts])) return { result, redactions: 0 };
      }
      const counter = { n: 0 };
      const out: ToolResult = {
        ...result,
        content: result.content.map((c) => {
          // Images, audio and embedded resources of upstream tools pass as they are: only text is scanned.
          if (c.type !== 'text' || typeof c.text !== 'string') return c;
          if (isInspect) return { ...c, text: redactJsonText(c.text, counter) };
          const r = scanSecrets(c.text);
          counter.n += r.count;
          return { ...c, text: r.text };
        }),
      };
      if (result.structuredContent !== undefined) {
        out.structuredContent = scrub(result.structuredContent, counter) as Record<string, unknown>;
      }
      return { result: out, redactions: counter.n };
    },
  };
}
