import type { ProblemCollector } from '../errors';
import type { ConfigKey } from './config-keys';
import type { Target } from './kubernetes-config';

const IMAGE_REF = /^[a-z0-9][a-z0-9._/:@-]*$/i;

/** The socket proxy keys (Docker target), documented like the rest (config-keys.ts appends them). */
export const SOCKET_PROXY_CONFIG_KEYS: readonly ConfigKey[] = [
  { name: 'docker_socket_proxy', field: 'dockerSocketProxy', type: 'bool', defaultHcl: 'false', description: 'Put a filtering socket proxy (socket-proxy/, HAProxy) between the gateway and the engine: the gateway gets DOCKER_HOST=tcp://mcp-gateway-socket-proxy:2375 and no socket.' },
  { name: 'socket_proxy_base_image', field: 'socketProxyBaseImage', type: 'string', description: 'BASE_IMAGE build argument of socket-proxy/Dockerfile (unset keeps debian:bookworm-slim).' },
];

/**
 * Reads `docker_socket_proxy` and `socket_proxy_base_image`. The proxy fronts a socket: with a `tcp://`
 * docker_socket_path there is no socket to protect, so the combination is a problem.
 */
export function validateSocketProxyConfig(
  raw: Readonly<Record<string, unknown>>,
  context: { readonly target: Target; readonly dockerSocketPath: string },
  problems: ProblemCollector,
): { dockerSocketProxy: boolean; socketProxyBaseImage?: string } {
  let dockerSocketProxy = false;
  const value = raw.docker_socket_proxy;
  if (value !== undefined && value !== null) {
    if (typeof value === 'boolean') dockerSocketProxy = value;
    else problems.add('docker_socket_proxy', value, 'must be a bool; write docker_socket_proxy = true or false (no quotes)');
  }
  let socketProxyBaseImage: string | undefined;
  const base = raw.socket_proxy_base_image;
  if (base !== undefined && base !== null) {
    if (typeof base !== 'string' || !IMAGE_REF.test(base)) problems.add('socket_proxy_base_image', base, 'is not an image reference; write it like "debian:bookworm-slim"');
    else socketProxyBaseImage = base;
    if (!dockerSocketProxy) problems.add('socket_proxy_base_image', base, 'has no effect without docker_socket_proxy = true; set it or remove this key');
  }
  if (dockerSocketProxy && context.target === 'docker' && context.dockerSocketPath.startsWith('tcp://')) {
    problems.add('docker_socket_proxy', true, `fronts a local socket, but docker_socket_path is ${context.dockerSocketPath} (no socket to protect); set docker_socket_path to the socket path or docker_socket_proxy = false`);
  }
  return { dockerSocketProxy, socketProxyBaseImage };
}
