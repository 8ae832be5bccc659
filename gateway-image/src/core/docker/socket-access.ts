/**
 * Explains a refused unix socket (EACCES): which path, who the gateway runs as, who may use the socket, and the
 * setting that fixes it. "Engine unreachable" alone sends operators looking at the engine when the fix is a group.
 */
import { statSync } from 'node:fs';

/** The process identity the message reports; injectable for tests. */
export interface ProcessIdentity {
  readonly uid?: number;
  readonly gid?: number;
  readonly groups?: readonly number[];
}

/** The current process's uid, gid and supplementary groups (undefined where the platform has none). */
export function currentIdentity(): ProcessIdentity {
  return { uid: process.getuid?.(), gid: process.getgid?.(), groups: process.getgroups?.() };
}

/** The message for a permission-denied socket, with the socket's owner read now (when it can be). */
export function socketPermissionMessage(socketPath: string, who: ProcessIdentity = currentIdentity(), stat: (p: string) => { uid: number; gid: number; mode: number } = statSync): string {
  let owner = 'its owner could not be read';
  let gid: number | undefined;
  try {
    const s = stat(socketPath);
    gid = s.gid;
    owner = `it is owned by uid ${s.uid} gid ${s.gid} with mode ${(s.mode & 0o777).toString(8)}`;
  } catch { /* the message still names the path and the fix */ }
  const groups = who.groups?.length ? who.groups.join(',') : 'none';
  const group = gid === undefined ? '<the socket\'s gid>' : String(gid);
  return `permission denied on the Docker socket ${socketPath}: the gateway runs as uid ${who.uid ?? '?'} gid ${who.gid ?? '?'} (groups ${groups}) ` +
    `and ${owner}; give the gateway the socket's group: docker_socket_gid = ${group} in the stack, or docker run --group-add ${group}`;
}
