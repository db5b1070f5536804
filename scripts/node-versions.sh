#!/usr/bin/env bash
# Runs the SDK's unit tests (packages/sdk, `vitest run`) on this machine's Node 20 and on
# Node 24, prints which versions passed, and exits non-zero if any failed.
#
# Node 24 is the registry's `node` package at an exact version, installed once into a cache
# folder outside the repository (${XDG_CACHE_HOME:-$HOME/.cache}/lumminary-node-<version>)
# and reused afterwards without asking the registry. The SDK is built once, with Node 20.
# Not part of `npm test`.
#
# Usage: scripts/node-versions.sh
set -uo pipefail

# Pinned with `npm view node@24 version` (the newest 24.x when this was written).
readonly NODE24_VERSION=24.21.0

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
sdk="$repo/packages/sdk"
vitest="$repo/node_modules/vitest/vitest.mjs"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/lumminary-node-$NODE24_VERSION"
node24="$cache/node_modules/node/bin/node"

say() { printf 'node-versions: %s\n' "$*" >&2; }

# npm variables of an enclosing `npm run` (npm_config_local_prefix…) must not leak into the
# npm and vitest processes started here.
clean_env() {
  local name
  while IFS= read -r name; do
    case "$name" in
      npm_config_cache | npm_config_userconfig | npm_config_globalconfig | npm_config_cafile) ;;
      npm_* | NPM_* | INIT_CWD) unset "$name" ;;
    esac
  done < <(compgen -e)
}
clean_env

ensure_node24() {
  if [ -x "$node24" ] && [ "$("$node24" --version 2>/dev/null)" = "v$NODE24_VERSION" ]; then
    return 0
  fi
  say "installing node@$NODE24_VERSION from the registry into $cache"
  rm -rf "$cache"
  mkdir -p "$cache" || return 1
  # The `node` package fetches its platform's binary in a preinstall script: allow that one.
  printf '{\n  "private": true,\n  "allowScripts": { "node": true }\n}\n' >"$cache/package.json"
  npm install --prefix "$cache" --save-exact --no-audit --no-fund --no-package-lock --loglevel=error \
    "node@$NODE24_VERSION" >&2 || return 1
  if [ "$("$node24" --version 2>/dev/null)" != "v$NODE24_VERSION" ]; then
    say "$node24 is not Node $NODE24_VERSION after the install"
    return 1
  fi
}

node20="$(command -v node)"
node20_version="$("$node20" --version)"
case "$node20_version" in
  v20.*) ;;
  *) say "expected this machine's node to be Node 20, found $node20_version ($node20)"; exit 2 ;;
esac
if [ ! -f "$vitest" ]; then
  say "$vitest is missing: run npm ci at the repository root first"
  exit 2
fi

started=$SECONDS
say "building packages/sdk with Node $node20_version"
if ! (cd "$sdk" && npm run --silent build >&2); then
  say "the SDK build failed"
  exit 1
fi

results=()
failed=0

# run_tests <label> <node binary>: vitest on that node; `node` on PATH is the same binary, so
# whatever vitest spawns (the type-check's tsc) runs on it too.
run_tests() {
  local label=$1 node_bin=$2 version start code
  version="$("$node_bin" --version)"
  start=$SECONDS
  say "running the SDK's unit tests on Node $version ($node_bin)"
  (cd "$sdk" && PATH="$(dirname "$node_bin"):$PATH" "$node_bin" "$vitest" run)
  code=$?
  if [ $code -eq 0 ]; then
    results+=("$label ($version): passed in $((SECONDS - start)) s")
  else
    results+=("$label ($version): FAILED (vitest exited with $code)")
    failed=1
  fi
}

run_tests "Node 20" "$node20"
if ensure_node24; then
  run_tests "Node 24" "$node24"
else
  results+=("Node 24 (v$NODE24_VERSION): FAILED (could not install node@$NODE24_VERSION)")
  failed=1
fi

echo
echo "SDK unit tests by Node version ($((SECONDS - started)) s):"
printf '  %s\n' "${results[@]}"
exit $failed
