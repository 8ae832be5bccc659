/** The gateway's built-in Docker tools, in the order tools/list shows them. */
import type { ToolDefinition } from '../contracts.js';
import { containerListTools, inspectTool } from './containers.js';
import { execTool } from './exec.js';
import { healthTool } from './health.js';
import { imagesTool } from './images.js';
import { lifecycleTools } from './lifecycle.js';
import { logsTool } from './logs.js';
import type { ToolDeps } from './tool-deps.js';

/** All built-in tools; lifecycle tools only when enabled in config. */
export function builtinTools(deps: ToolDeps): ToolDefinition[] {
  return [
    ...containerListTools(deps),
    inspectTool(deps) as ToolDefinition,
    logsTool(deps) as ToolDefinition,
    execTool(deps) as ToolDefinition,
    imagesTool(deps) as ToolDefinition,
    ...(deps.limits.enableLifecycle ? lifecycleTools(deps) : []),
    healthTool(deps) as ToolDefinition,
  ];
}
