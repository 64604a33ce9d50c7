#!/usr/bin/env bash
# Runs the agent's test suite on one of the Node.js runtimes installed here by
# `npm ci --prefix .ci/runtimes`: `bash .ci/runtimes/test-on.sh node22` (or node24). A command
# after the runtime name runs in place of the tests, from the repository root, for example
# `bash .ci/runtimes/test-on.sh node24 node bench/run.mjs --only empty`.
#
# The runtime's bin directory goes first on PATH, so npm, the test runner and every fixture app
# (spawned with process.execPath) run on it. Native addons: sqlite3 is built on Node-API and loads
# on every runtime as installed. better-sqlite3 12 is built against one V8 ABI; its prebuilt
# binaries are downloaded from GitHub at install time, which is not reachable here, so `npm ci`
# compiled it for the default Node.js. This script compiles a copy for the runtime's ABI (cached
# in .ci/runtimes/addons/), swaps it in for the run and puts the original back on exit.
set -euo pipefail

runtime=${1:?usage: test-on.sh node22|node24}
repo=$(cd "$(dirname "$0")/../.." && pwd)
runtime_dir="$repo/.ci/runtimes/node_modules/$runtime"
runtime_node="$runtime_dir/bin/node"

if [ ! -x "$runtime_node" ]; then
  echo "error: $runtime_node is missing; run npm ci --prefix .ci/runtimes first" >&2
  exit 1
fi

addon_package="$repo/node_modules/better-sqlite3"
installed_addon="$addon_package/build/Release/better_sqlite3.node"
addon_version=$("$runtime_node" -p "require('$addon_package/package.json').version")
runtime_version=$("$runtime_node" -p process.version)
cached_addon="$repo/.ci/runtimes/addons/better-sqlite3-$addon_version-node-$runtime_version.node"

if [ ! -f "$cached_addon" ]; then
  echo "compiling better-sqlite3 $addon_version for Node.js $runtime_version"
  node_gyp="$(npm root -g)/npm/node_modules/node-gyp/bin/node-gyp.js"
  build_dir=$(mktemp -d)
  cp -r "$addon_package/." "$build_dir/"
  rm -rf "$build_dir/build"
  # --nodedir points at the headers shipped in the runtime's package, so nothing is downloaded.
  (cd "$build_dir" && PATH="$runtime_dir/bin:$PATH" "$runtime_node" "$node_gyp" rebuild \
    --release --nodedir="$runtime_dir" --jobs=2 >"$build_dir/node-gyp.log" 2>&1) || {
    tail -40 "$build_dir/node-gyp.log" >&2
    echo "error: compiling better-sqlite3 for Node.js $runtime_version failed" >&2
    exit 1
  }
  mkdir -p "$(dirname "$cached_addon")"
  cp "$build_dir/build/Release/better_sqlite3.node" "$cached_addon"
  rm -rf "$build_dir"
fi

original_addon=$(mktemp)
cp "$installed_addon" "$original_addon"
restore_addon() { cp "$original_addon" "$installed_addon" && rm -f "$original_addon"; }
trap restore_addon EXIT
cp "$cached_addon" "$installed_addon"

export PATH="$runtime_dir/bin:$PATH"
echo "node $(node --version) from $(command -v node)"
shift
cd "$repo"
if [ $# -gt 0 ]; then
  "$@"
else
  npm run test --workspace rampart
fi
