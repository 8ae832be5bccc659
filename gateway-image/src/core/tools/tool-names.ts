/**
 * Names of the built-in tools, for code that must know them without building the tools (config checks of role tool
 * lists, the hint for a switched-off tool). builtin-tools.ts is tested to offer exactly these.
 */

/** Offered only when `tools.enableLifecycle` is true. */
export const LIFECYCLE_TOOL_NAMES = ['docker_start', 'docker_stop', 'docker_restart'] as const;

/** Every built-in tool name, lifecycle tools included. */
export const BUILTIN_TOOL_NAMES = [
  'docker_ps', 'docker_container_list', 'docker_inspect', 'docker_logs', 'docker_exec', 'docker_images', ...LIFECYCLE_TOOL_NAMES, 'health',
] as const;

/** How a user switches the lifecycle tools on, in each place settings are written. */
export const ENABLE_LIFECYCLE_HINT =
  'enable it with MCP_DOCKER_ENABLE_LIFECYCLE=true (environment), "tools": {"enableLifecycle": true} (config file), ' +
  'or gateway_settings = { tools = { enableLifecycle = true } } (stack tfvars)';

/** The message for a call to a lifecycle tool while they are switched off; undefined for any other name. */
export function switchedOffToolMessage(name: string, lifecycleEnabled: boolean): string | undefined {
  if (lifecycleEnabled || !(LIFECYCLE_TOOL_NAMES as readonly string[]).includes(name)) return undefined;
  return `${name} is switched off: the lifecycle tools (docker_start, docker_stop, docker_restart) are offered only when enabled; ${ENABLE_LIFECYCLE_HINT}`;
}
