/** Test helpers: tool definitions, contexts and container facts for pipeline-facing tests. */
import type { CallRequest, ContainerFacts, Principal, ToolContext, ToolDefinition } from '../../../src/core/contracts.js';

export function tool(name: string, mutating = false, withTarget = true): ToolDefinition {
  return {
    name,
    description: name,
    annotations: {},
    mutating,
    target: withTarget ? (args) => (typeof args.id === 'string' ? args.id : undefined) : undefined,
    run: async () => ({ content: [{ type: 'text', text: 'ran' }] }),
  };
}

export function ctx(principal: Principal, signal: AbortSignal = new AbortController().signal): ToolContext {
  return { principal, traceId: 't-1', signal, dryRun: false };
}

export function req(t: ToolDefinition, args: Record<string, unknown>, principal: Principal): CallRequest {
  return { tool: t, args, ctx: ctx(principal) };
}

export const GATEWAY_ID = `feedfacecafe${'1'.repeat(52)}`;

export const CONTAINERS: ContainerFacts[] = [
  { id: GATEWAY_ID, name: '/mcp-gateway', labels: {}, user: 'node' },
  { id: 'c'.repeat(64), name: '/cloudflared', labels: { 'mcp.gateway.role': 'connector' }, user: 'nonroot' },
  { id: 'd'.repeat(64), name: '/web-1', labels: { 'mcp.expose': 'true' }, user: 'www' },
  { id: 'e'.repeat(64), name: '/db-1', labels: {}, user: 'postgres' },
  { id: 'f'.repeat(64), name: '/rooty', labels: { 'mcp.expose': 'true' }, user: '' },
];

export function lookup(list: ContainerFacts[] = CONTAINERS) {
  const calls: string[] = [];
  return {
    calls,
    lookupContainer: async (idOrName: string) => {
      calls.push(idOrName);
      return list.find((c) => c.id.startsWith(idOrName) || c.name === `/${idOrName}` || c.name === idOrName) ?? null;
    },
  };
}
