#!/usr/bin/env bash
# Builds the TypeScript SDK (sdk-ts/) with the system Node and npm, nothing downloaded but the
# npm packages of its lockfile: `npm ci` when node_modules is missing or sdk-ts/package-lock.json
# changed since the last install, then tsc (the pinned TypeScript) into sdk-ts/dist/ when a source
# changed since the last build. node_modules/ and dist/ are ignored by git.
#   tools/build-sdk-ts.sh     (./rendertrust sdk-example ts and the e2e TypeScriptSdkIT run it)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SDK="$ROOT/sdk-ts"
for tool in node npm; do
  command -v "$tool" >/dev/null || { echo "build-sdk-ts: $tool is required (Node >= 20 with npm)" >&2; exit 1; }
done
major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$major" -ge 20 ] || { echo "build-sdk-ts: Node >= 20 is required, found $(node --version)" >&2; exit 1; }

installed="$SDK/node_modules/.rendertrust-lock"
if ! cmp -s "$SDK/package-lock.json" "$installed" 2>/dev/null; then
  echo "build-sdk-ts: installing sdk-ts's packages (npm ci)" >&2
  # npm ci installs what the lockfile says and never writes it (no command may modify a tracked file)
  (cd "$SDK" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$SDK/package-lock.json" "$installed"
fi

built="$SDK/dist/.rendertrust-build"
if [ ! -f "$built" ] || [ -n "$(find "$SDK/src" "$SDK/test" "$SDK/tsconfig.json" "$SDK/package.json" \
    "$installed" -newer "$built" -print -quit)" ]; then
  echo "build-sdk-ts: compiling sdk-ts (tsc)" >&2
  rm -rf "$SDK/dist"
  (cd "$SDK" && ./node_modules/.bin/tsc -p tsconfig.json)
  touch "$built"
fi
