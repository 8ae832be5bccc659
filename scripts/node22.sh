#!/usr/bin/env bash
# Prints the path of a Node 22 binary for the things that need exactly that Node (the local base image, like the
# Dockerfile's node:22 default; the MCP Inspector CLI and the conformance runner, which need Node >= 22.19),
# fetching it once into a cache OUTSIDE node_modules: it is not a dependency of the project, so `npm ci` installs
# no foreign binary on any platform and nothing shadows the user's own `node` in `npm run` / `npx`.
#
# The binary is the npm package node-linux-<arch> (x64 or arm64; the base image and the Linux test machines need a
# Linux binary), fetched with the ordinary npm client (`npm pack`, so the user's registry, proxy and CA settings
# apply) and unpacked into ${MCP_NODE22_CACHE:-<repo>/.cache/node22}/<version>-<arch>/.
set -euo pipefail
version="${MCP_NODE22_VERSION:-22.23.3}"
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) arch=x64 ;;
  Linux-aarch64|Linux-arm64) arch=arm64 ;;
  *) echo "node22: no Linux Node 22 package for $(uname -s)-$(uname -m); the base image and interop tests run on Linux" >&2; exit 1 ;;
esac
here=$(cd "$(dirname "$0")/.." && pwd)
cache="${MCP_NODE22_CACHE:-$here/.cache/node22}/$version-$arch"
bin="$cache/package/bin/node"
if [ ! -x "$bin" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "node-linux-$arch@$version" >/dev/null) || { echo "node22: npm pack node-linux-$arch@$version failed" >&2; exit 1; }
  mkdir -p "$cache"
  tar -xzf "$tmp"/node-linux-"$arch"-*.tgz -C "$tmp"
  rm -rf "$cache/package"
  mv "$tmp/package" "$cache/package"
fi
"$bin" --version >/dev/null || { echo "node22: $bin does not run on this machine" >&2; exit 1; }
echo "$bin"
