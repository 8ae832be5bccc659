/** What the built-in Docker tools need, injected by the gateway. */
import type { BaseConfig } from '../../config.js';
import type { DockerClient } from '../docker/docker-client.js';

/** Dependencies shared by all built-in tools. */
export interface ToolDeps {
  readonly docker: DockerClient;
  readonly limits: BaseConfig['tools'];
  /** The gateway's version, reported by `health`. */
  readonly version: string;
  /** Gateway start time (ms since epoch), for uptime. */
  readonly startedAt: number;
  /** User for docker_exec when the call names none (the same default the exec policy decided on). */
  readonly defaultExecUser?: string;
  /** Counts bytes streamed from Docker, per tool, for /metrics. */
  readonly onBytes?: (tool: string, bytes: number) => void;
}
