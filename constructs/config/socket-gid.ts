import { statSync } from 'node:fs';
import type { StackConfig } from './stack-config';

/** The group id Docker packages commonly give the socket when it cannot be detected (docker-ce; Debian's docker.io uses another). */
export const FALLBACK_SOCKET_GID = 999;

/** Reads the group id owning a path; undefined when it cannot be read. Injected so tests need no socket. */
export type StatGid = (path: string) => number | undefined;

/** The real `stat`: the socket's group on this machine. */
export const statGid: StatGid = (path) => {
  try {
    return statSync(path).gid;
  } catch {
    return undefined;
  }
};

/** What {@link chooseSocketGid} decided, and a sentence saying why (printed by synth). */
export interface SocketGidChoice {
  readonly config: StackConfig;
  /** One line for the synth output; undefined when nothing is mounted (tcp:// engine or no gateway). */
  readonly note?: string;
}

/**
 * Picks the group added to the gateway's user so it can open the mounted socket. An explicit `docker_socket_gid`
 * wins. Otherwise, when Terraform manages this machine's engine (`docker_host` is a `unix://` socket) and the
 * socket to mount is a path, the socket's real group is read here at synth time: the machine that synthesizes is
 * the Docker host. Else the fallback, with a note saying how to set it.
 */
export function chooseSocketGid(config: StackConfig, stat: StatGid = statGid): SocketGidChoice {
  if (!config.enableGateway || config.dockerSocketPath.startsWith('tcp://')) return { config };
  const socket = config.dockerSocketPath;
  if (config.dockerSocketGidSource === 'tfvars') {
    return { config, note: `docker_socket_gid = ${config.dockerSocketGid} (from the tfvars file)` };
  }
  if (config.dockerHost.startsWith('unix://')) {
    const gid = stat(socket);
    if (gid !== undefined) {
      return {
        config: Object.freeze({ ...config, dockerSocketGid: gid, dockerSocketGidSource: 'detected' as const }),
        note: `docker_socket_gid = ${gid} (the group of ${socket} on this machine; set docker_socket_gid to override)`,
      };
    }
    return { config, note: `docker_socket_gid = ${config.dockerSocketGid} (default: ${socket} cannot be read here; set docker_socket_gid to \`stat -c %g ${socket}\` on the Docker host)` };
  }
  return { config, note: `docker_socket_gid = ${config.dockerSocketGid} (default: docker_host is remote, so the socket's group cannot be read here; set docker_socket_gid to \`stat -c %g ${socket}\` on the Docker host)` };
}
