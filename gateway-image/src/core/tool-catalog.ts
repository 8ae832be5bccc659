/**
 * The tools a session can see, with their tools/list entries computed once, on first use (JSON Schema from zod is
 * not free; tools/list is called often).
 */
import { z } from 'zod';
import type { ToolDefinition } from './contracts.js';
import { once } from './once.js';

/** One tools/list entry. */
export interface ListedTool {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
  annotations: ToolDefinition['annotations'];
}

/** A fixed set of tools by name, plus their listed form. */
export interface ToolCatalog {
  get(name: string): ToolDefinition | undefined;
  list(): ListedTool[];
}

/** JSON Schema for a tool: the forwarded one for upstream tools, generated from zod for built-in ones. */
export function listedTool(tool: ToolDefinition): ListedTool {
  let inputSchema: Record<string, unknown>;
  if (tool.jsonSchema) inputSchema = tool.jsonSchema;
  else if (tool.inputSchema) {
    inputSchema = z.toJSONSchema(tool.inputSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
    delete inputSchema.$schema;
  } else inputSchema = { type: 'object' };
  return { name: tool.name, description: tool.description, inputSchema, annotations: tool.annotations };
}

/** Builds a catalog; duplicate names are a programming error and throw. */
export function createToolCatalog(tools: readonly ToolDefinition[]): ToolCatalog {
  const byName = new Map<string, ToolDefinition>();
  for (const t of tools) {
    if (byName.has(t.name)) throw new Error(`duplicate tool name ${t.name}`);
    byName.set(t.name, t);
  }
  // On the first tools/list, not at start-up: an idle gateway never generates them.
  const listed = once(() => tools.map(listedTool));
  return { get: (name) => byName.get(name), list: () => listed() };
}
