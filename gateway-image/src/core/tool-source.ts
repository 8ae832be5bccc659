/**
 * Where a session's tools come from: the built-in Docker tools (fixed catalog) and, when configured, the
 * aggregated upstream servers (`<server>__<tool>`, possibly per session). Transports ask this, never the
 * pieces, so a built-in lookup stays a map read on the hot path.
 */
import type { ToolDefinition } from './contracts.js';
import { listedTool, type ListedTool, type ToolCatalog } from './tool-catalog.js';

/** The upstream side, as far as tools go. */
export interface UpstreamTools {
  tools(sessionId?: string): Promise<ToolDefinition[]>;
  /** A stand-in for a tool of a server that cannot start, so the caller learns why. @default - none */
  unavailableTool?(name: string): ToolDefinition | undefined;
}

/** Lists and finds tools for a session. */
export interface ToolSource {
  list(sessionId?: string): Promise<ListedTool[]>;
  get(name: string, sessionId?: string): Promise<ToolDefinition | undefined>;
}

/** Combines the built-in catalog with upstream tools (if any). */
export function createToolSource(builtins: ToolCatalog, upstreams?: UpstreamTools): ToolSource {
  // Upstream definitions are stable objects until list_changed, so their listed form is cached by identity.
  const listedCache = new WeakMap<ToolDefinition, ListedTool>();
  const listed = (t: ToolDefinition) => {
    let l = listedCache.get(t);
    if (!l) { l = listedTool(t); listedCache.set(t, l); }
    return l;
  };
  return {
    async list(sessionId) {
      if (!upstreams) return builtins.list();
      return [...builtins.list(), ...(await upstreams.tools(sessionId)).map(listed)];
    },
    async get(name, sessionId) {
      const builtin = builtins.get(name);
      if (builtin || !upstreams) return builtin;
      return (await upstreams.tools(sessionId)).find((t) => t.name === name) ?? upstreams.unavailableTool?.(name);
    },
  };
}
