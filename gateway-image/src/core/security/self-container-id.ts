/**
 * Finds the id of the container the gateway runs in, so scope rules can protect it (exec into the gateway reads
 * its credentials; stopping it cuts everyone off).
 *
 * Docker bind-mounts /etc/hostname, /etc/hosts and /etc/resolv.conf from `<data-root>/containers/<id>/`, so
 * mountinfo names the container id in those lines. The first 64-hex string of mountinfo is NOT the id: the root
 * mount's `upperdir=/var/lib/docker/overlay2/<layer id>/diff` comes first. cgroup v1 paths (`/docker/<id>`) are
 * the fallback.
 */

/** The container id found in `/proc/self/mountinfo` or `/proc/self/cgroup` text; undefined when neither names one. */
export function selfContainerIdFrom(mountinfo: string | undefined, cgroup?: string): string | undefined {
  const fromMounts = mountinfo && /\/containers\/([0-9a-f]{64})\/(?:hostname|hosts|resolv\.conf)\b/.exec(mountinfo);
  if (fromMounts) return fromMounts[1];
  const fromCgroup = cgroup && /(?:\/docker\/|docker-)([0-9a-f]{64})(?:\.scope)?\s*$/m.exec(cgroup);
  return fromCgroup ? fromCgroup[1] : undefined;
}
