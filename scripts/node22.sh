#!/usr/bin/env bash
# Prints the directory of a Node 22 binary (what the Function App runs, infra/modules/functionApp.bicep),
# fetched once from the npm registry's node-<os>-<arch> package, which ships the official binary: the
# registry is the only place our machines and CI can download from.
# Use: export PATH="$(bash scripts/node22.sh):$PATH"
set -euo pipefail
MAJOR=22
platform="$(node -p 'process.platform + "-" + process.arch')"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/causeway/node${MAJOR}-${platform}"
if [ ! -x "$cache/bin/node" ] || [[ "$("$cache/bin/node" --version)" != v${MAJOR}.* ]]; then
  work="$(mktemp -d)"
  (cd "$work" && npm pack --silent "node-${platform}@${MAJOR}" >/dev/null && tar xzf node-*.tgz)
  rm -rf "$cache"
  mkdir -p "$(dirname "$cache")"
  mv "$work/package" "$cache"
  rm -rf "$work"
fi
echo "$cache/bin"
