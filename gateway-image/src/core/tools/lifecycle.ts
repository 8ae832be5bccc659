/** docker_start, docker_stop, docker_restart: offered only when tools.enableLifecycle is true. */
import { z } from 'zod';
import type { ToolDefinition } from '../contracts.js';
import { dockerErrorResult, notFound, okResult } from './tool-result.js';
import type { ToolDeps } from './tool-deps.js';

const args = z.object({
  id: z.string().min(1).describe('Container id or name'),
  timeoutSeconds: z.number().int().min(0).max(600).optional().describe('Seconds to wait before killing (stop/restart)'),
}).strict();

type Args = z.infer<typeof args>;
type Action = 'start' | 'stop' | 'restart';

function lifecycleTool(action: Action, deps: ToolDeps): ToolDefinition<Args> {
  const run: Record<Action, (a: Args, s: AbortSignal) => Promise<string | null>> = {
    start: (a, s) => deps.docker.startContainer(a.id, s),
    stop: (a, s) => deps.docker.stopContainer(a.id, a.timeoutSeconds, s),
    restart: (a, s) => deps.docker.restartContainer(a.id, a.timeoutSeconds, s),
  };
  return {
    name: `docker_${action}`,
    description: `${action[0].toUpperCase()}${action.slice(1)} a container.`,
    inputSchema: args,
    annotations: { title: `${action} container`, readOnlyHint: false, destructiveHint: action !== 'start', idempotentHint: action !== 'restart', openWorldHint: false },
    mutating: true,
    target: (a) => a.id,
    async run(a, ctx) {
      if (ctx.dryRun) return okResult({ dryRun: true, action, id: a.id, executed: false });
      try {
        const outcome = await run[action](a, ctx.signal);
        return outcome === null ? notFound('container', a.id) : okResult({ id: a.id, action, outcome });
      } catch (err) {
        return dockerErrorResult(err);
      }
    },
  };
}

/** The three lifecycle tools. */
export function lifecycleTools(deps: ToolDeps): ToolDefinition[] {
  return (['start', 'stop', 'restart'] as const).map((a) => lifecycleTool(a, deps)) as ToolDefinition[];
}
