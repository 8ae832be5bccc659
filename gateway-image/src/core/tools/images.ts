/** docker_images. */
import { z } from 'zod';
import type { ToolDefinition } from '../contracts.js';
import { dockerErrorResult, okResult } from './tool-result.js';
import type { ToolDeps } from './tool-deps.js';

const args = z.object({}).strict();

/** docker_images: the images on the engine. */
export function imagesTool(deps: ToolDeps): ToolDefinition<z.infer<typeof args>> {
  return {
    name: 'docker_images',
    description: 'List images on the Docker engine with tags and sizes.',
    inputSchema: args,
    annotations: { title: 'List images', readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    mutating: false,
    async run(_args, ctx) {
      try {
        const images = await deps.docker.listImages(ctx.signal);
        return okResult({ images, count: images.length });
      } catch (err) {
        return dockerErrorResult(err);
      }
    },
  };
}
