#!/usr/bin/env bash
# Builds the local base image (default tag mcp-gateway-base:local) without any registry:
# a rootfs made of a Node 22 binary (scripts/node22.sh; else this machine's node) and the libraries it links, npm, Debian's
# busybox-static (sh, nc and the usual applets), tini, the CA bundle and a passwd/group file,
# then `docker import`. The Dockerfile's real default base stays a public node image; tests
# pass this one as BASE_IMAGE.
set -euo pipefail
tag="${1:-mcp-gateway-base:local}"
if docker image inspect "$tag" >/dev/null 2>&1 && [ -z "${REBUILD_BASE:-}" ]; then
  echo "base-image: $tag exists"
  exit 0
fi
for f in /usr/bin/busybox /usr/bin/tini-static; do
  [ -x "$f" ] || { echo "base-image: $f missing: apt-get install -y busybox-static tini" >&2; exit 1; }
done
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
# Node 22, as in the Dockerfile's default base (node:22-bookworm-slim): scripts/node22.sh fetches the npm package
# node-linux-<arch>@22 into a cache outside node_modules (so it never shadows the user's node); if it cannot,
# whatever node is on PATH.
here=$(cd "$(dirname "$0")/.." && pwd)
node_bin=$(bash "$here/scripts/node22.sh") || node_bin=$(readlink -f "$(command -v node)")
mkdir -p "$root"/{bin,usr/bin,usr/local/bin,usr/local/lib,etc/ssl/certs,tmp,root,home/node,lib64,var/run}
chmod 1777 "$root/tmp"
cp "$node_bin" "$root/usr/local/bin/node"
# The dynamic libraries node needs, at the paths the loader expects.
ldd "$node_bin" | awk '/=>/ {print $3} /ld-linux/ {print $1}' | while read -r lib; do
  [ -f "$lib" ] || continue
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done
npm_dir=$(dirname "$(dirname "$(readlink -f "$(command -v npm)")")")
mkdir -p "$root/usr/local/lib/node_modules"
cp -a "$npm_dir" "$root/usr/local/lib/node_modules/npm"
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
cp /usr/bin/busybox "$root/bin/busybox"
for applet in $("$root/bin/busybox" --list); do
  [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
done
ln -s /bin/env "$root/usr/bin/env"
cp /usr/bin/tini-static "$root/usr/bin/tini"
cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
cat > "$root/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/sh
node:x:1000:1000:node:/home/node:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
P
cat > "$root/etc/group" <<'G'
root:x:0:
node:x:1000:
nogroup:x:65534:
G
chown 1000:1000 "$root/home/node"
tar -C "$root" -c . | docker import \
  --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
  --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
  --change 'CMD ["node"]' - "$tag" >/dev/null
echo "base-image: built $tag ($(docker image inspect "$tag" --format '{{.Size}}') bytes)"
