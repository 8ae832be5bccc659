#!/usr/bin/env bash
# Builds the socket proxy's local base image (default tag mcp-socket-proxy-base:local) without any registry, the way
# build-base-image.sh does for the gateway: this host's Debian haproxy binary and the libraries it links, busybox
# (sh for the Dockerfile's RUN, wget for the healthcheck), passwd/group; then `docker import`.
# socket-proxy/Dockerfile's real default base stays debian:bookworm-slim (which installs haproxy from Debian).
set -euo pipefail
tag="${1:-mcp-socket-proxy-base:local}"
if docker image inspect "$tag" >/dev/null 2>&1 && [ -z "${REBUILD_BASE:-}" ]; then
  echo "socket-proxy-base: $tag exists"
  exit 0
fi
if [ ! -x /usr/sbin/haproxy ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends haproxy >/dev/null
  else
    echo "socket-proxy-base: /usr/sbin/haproxy missing: apt-get install -y haproxy" >&2; exit 1
  fi
fi
[ -x /usr/bin/busybox ] || { echo "socket-proxy-base: /usr/bin/busybox missing: apt-get install -y busybox-static" >&2; exit 1; }
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,usr/bin,usr/sbin,etc,tmp,lib64,var/run}
chmod 1777 "$root/tmp"
cp /usr/sbin/haproxy "$root/usr/sbin/haproxy"
ldd /usr/sbin/haproxy | awk '/=>/ {print $3} /ld-linux/ {print $1}' | while read -r lib; do
  [ -f "$lib" ] || continue
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
cp /usr/bin/busybox "$root/bin/busybox"
for applet in sh wget; do ln -s busybox "$root/bin/$applet"; done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"
tar -C "$root" -c . | docker import --change 'ENV PATH=/usr/sbin:/usr/bin:/bin' - "$tag" >/dev/null
echo "socket-proxy-base: built $tag ($(docker image inspect "$tag" --format '{{.Size}}') bytes)"
