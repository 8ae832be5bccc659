/**
 * Where a session's tools come from: the built-in Docker tools (fixed catalog) and, when configured, the
 * aggregated upstream servers (`<server>__<tool>`, possibly per session). Transports ask this, never the
 * pieces, so a built-in lookup stays a map read on the hot path.
 */
import type { Principal, ToolDefinition } from './contracts.js';
import { listedTool, type ListedTool, type ToolCatalog } from './tool-catalog.js';

/** The upstream side, as far as tools go. */
export interface UpstreamTools {
  tools(sessionId?: string): Promise<ToolDefinition[]>;
  /** A stand-in for a tool of a server that cannot start, so the caller learns why. @default - none */
  unavailableTool?(name: string): ToolDefinition | undefined;
}

/** Lists and finds tools for a session. */
export interface ToolSource {
  /** The tools the principal's roles allow (all of them without a principal). */
  list(sessionId?: string, principal?: Principal): Promise<ListedTool[]>;
  get(name: string, sessionId?: string): Promise<ToolDefinition | undefined>;
  /** Why a name is not a tool, for the caller: names the setting that switches a tool on when one does. */
  unknownToolMessage(name: string): string;
}

/** Options of {@link createToolSource}. */
export interface ToolSourceOptions {
  /** Whether the principal's roles allow the tool; tools/list shows a caller only those. @default - every tool */
  readonly mayCall?: (principal: Principal, tool: string) => boolean;
  /** Why a tool is switched off (lifecycle tools), when it is. @default - never */
  readonly switchedOff?: (name: string) => string | undefined;
}

/** Combines the built-in catalog with upstream tools (if any). */
export function createToolSource(builtins: ToolCatalog, upstreams?: UpstreamTools, options: ToolSourceOptions = {}): ToolSource {
  // Upstream definitions are stable objects until list_changed, so their listed form is cached by identity.
  const listedCache = new WeakMap<ToolDefinition, ListedTool>();
  const listed = (t: ToolDefinition) => {
    let l = listedCache.get(t);
    if (!l) { l = listedTool(t); listedCache.set(t, l); }
    return l;
  };
  return {
    async list(sessionId, principal) {
      const all = upstreams ? [...builtins.list(), ...(await upstreams.tools(sessionId)).map(listed)] : builtins.list();
      const { mayCall } = options;
      // Listing a tool the caller may not call only earns it a denial; the pipeline still decides every call.
      return principal && mayCall ? all.filter((t) => mayCall(principal, t.name)) : all;
    },
    unknownToolMessage(name) {
      return options.switchedOff?.(name) ?? `Unknown tool: ${name}. Call tools/list for the available tools.`;
    },
    async get(name, sessionId) {
      const builtin = builtins.get(name);
      if (builtin || !upstreams) return builtin;
      return (await upstreams.tools(sessionId)).find((t) => t.name === name) ?? upstreams.unavailableTool?.(name);
    },
  };
}
