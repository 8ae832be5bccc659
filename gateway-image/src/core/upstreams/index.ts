/** Upstream MCP servers: config, factory and the pieces tests and the gateway need. */
export { createUpstreams, type Upstreams, type UpstreamsDeps } from './create-upstreams.js';
export {
  parseUpstreamsConfig,
  validateUpstreams,
  formatProblem,
  UpstreamsConfigError,
  type UpstreamsConfig,
  type UpstreamServerConfig,
  type UpstreamSettings,
  type UpstreamConfigProblem,
  type Lifecycle,
} from './upstreams-config.js';
export { buildUpstreamContainerSpec } from './image-launcher.js';
export { LABELS, reapLeftovers } from './reaper.js';
export { RESOURCE_SCHEME, type SecretsRedactedEvent, type RequestContext } from './aggregator.js';
export type { UpstreamServerStatus } from './upstream-pool.js';
export { UpstreamCallError } from './upstream-instance.js';
