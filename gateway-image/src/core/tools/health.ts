/** health: gateway version, Docker engine version and reachability, uptime. */
import { z } from 'zod';
import type { ToolDefinition } from '../contracts.js';
import { okResult } from './tool-result.js';
import type { ToolDeps } from './tool-deps.js';

const args = z.object({}).strict();

/** The `health` tool. Never fails: an unreachable engine is reported as data. */
export function healthTool(deps: ToolDeps): ToolDefinition<z.infer<typeof args>> {
  return {
    name: 'health',
    description: 'Gateway version, Docker engine version and reachability, and uptime.',
    inputSchema: args,
    annotations: { title: 'Gateway health', readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    mutating: false,
    async run(_args, ctx) {
      const uptimeSeconds = Math.round((Date.now() - deps.startedAt) / 1000);
      try {
        const engine = await deps.docker.engineInfo(ctx.signal);
        return okResult({ gateway: { version: deps.version, uptimeSeconds }, docker: { reachable: true, endpoint: deps.docker.endpoint, ...engine } });
      } catch (err) {
        return okResult({ gateway: { version: deps.version, uptimeSeconds }, docker: { reachable: false, endpoint: deps.docker.endpoint, error: (err as Error).message } });
      }
    },
  };
}
