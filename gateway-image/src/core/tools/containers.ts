/** docker_ps (and its older name docker_container_list) and docker_inspect. */
import { z } from 'zod';
import type { ToolDefinition } from '../contracts.js';
import { dockerErrorResult, notFound, okResult } from './tool-result.js';
import type { ToolDeps } from './tool-deps.js';

const psArgs = z.object({
  all: z.boolean().optional().describe('Include stopped containers (default false)'),
  name: z.string().min(1).optional().describe('Only containers whose name contains this'),
  label: z.union([z.string().min(1), z.array(z.string().min(1))]).optional()
    .describe('Label filter `key` or `key=value`; an array means all must match'),
}).strict();

type PsArgs = z.infer<typeof psArgs>;

function psTool(name: string, deps: ToolDeps, description: string): ToolDefinition<PsArgs> {
  return {
    name,
    description,
    inputSchema: psArgs,
    annotations: { title: 'List containers', readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    mutating: false,
    async run(args, ctx) {
      try {
        const label = args.label === undefined ? undefined : Array.isArray(args.label) ? args.label : [args.label];
        const containers = await deps.docker.listContainers({ all: args.all, name: args.name, label }, ctx.signal);
        return okResult({ containers, count: containers.length });
      } catch (err) {
        return dockerErrorResult(err);
      }
    },
  };
}

/** docker_ps and docker_container_list: the same tool under two names (older clients use the second). */
export function containerListTools(deps: ToolDeps): ToolDefinition[] {
  return [
    psTool('docker_ps', deps, 'List Docker containers (running only unless all=true), with state, image, ports and labels.'),
    psTool('docker_container_list', deps, 'Same as docker_ps (kept for clients that use this name).'),
  ] as ToolDefinition[];
}

const inspectArgs = z.object({
  kind: z.enum(['container', 'image', 'network', 'volume']).default('container').describe('What to inspect (default container)'),
  id: z.string().min(1).describe('Id or name'),
}).strict();

/** docker_inspect: low-level details of a container, image, network or volume. Secrets are redacted by policy. */
export function inspectTool(deps: ToolDeps): ToolDefinition<z.infer<typeof inspectArgs>> {
  return {
    name: 'docker_inspect',
    description: 'Show low-level details of a container, image, network or volume. Environment values are redacted unless your role allows secrets.',
    inputSchema: inspectArgs as never,
    annotations: { title: 'Inspect', readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    mutating: false,
    target: (args) => (args.kind === 'container' || args.kind === undefined ? args.id : undefined),
    async run(args, ctx) {
      try {
        const info = await deps.docker.inspect(args.kind, args.id, ctx.signal);
        return info ? okResult(info) : notFound(args.kind, args.id);
      } catch (err) {
        return dockerErrorResult(err);
      }
    },
  };
}
