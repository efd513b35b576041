#!/usr/bin/env bash
# Builds the creator web app (web/) with the system Node and npm, nothing downloaded but the npm
# packages of web/package-lock.json: `npm ci` when node_modules is missing or the lockfile changed
# since the last install, then a type check (tsc) and `vite build` into web/dist/ when a source
# (web/ or the SDK's sources in sdk-ts/src, which the app compiles in) changed since the last
# build; finally copies the bundle, with bundle.txt listing its files, to OUT_DIR if given.
# node_modules/ and dist/ are ignored by git; nothing tracked is written.
#   tools/build-web.sh [OUT_DIR]
# server/pom.xml runs it with OUT_DIR = server/target/classes/web (skip with -Drt.web.skip).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WEB="$ROOT/web"
OUT="${1:-}"
for tool in node npm; do
  command -v "$tool" >/dev/null || { echo "build-web: $tool is required (Node >= 20.19 with npm)" >&2; exit 1; }
done
node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' \
  || { echo "build-web: Node >= 20.19 is required (Vite), found $(node --version)" >&2; exit 1; }

installed="$WEB/node_modules/.rendertrust-lock"
if ! cmp -s "$WEB/package-lock.json" "$installed" 2>/dev/null; then
  echo "build-web: installing web's packages (npm ci)" >&2
  # npm ci installs what the lockfile says and never writes it (no command may modify a tracked file)
  (cd "$WEB" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$WEB/package-lock.json" "$installed"
fi

built="$WEB/dist/.rendertrust-build"
if [ ! -f "$built" ] || [ -n "$(find "$WEB/src" "$WEB/index.html" "$WEB/vite.config.ts" "$WEB/tsconfig.json" \
    "$WEB/package.json" "$ROOT/sdk-ts/src" "$installed" -newer "$built" -print -quit)" ]; then
  echo "build-web: type-checking and bundling the web app (tsc, vite build)" >&2
  (cd "$WEB" && ./node_modules/.bin/tsc -p tsconfig.json --noEmit && ./node_modules/.bin/vite build --logLevel warn)
  # the server serves exactly the files listed here (a jar cannot list a directory)
  (cd "$WEB/dist" && find . -type f ! -name bundle.txt ! -name .rendertrust-build | sed 's|^\./||' | LC_ALL=C sort \
    > bundle.txt)
  touch "$built"
fi

if [ -n "$OUT" ]; then
  rm -rf "$OUT"
  mkdir -p "$OUT"
  cp -R "$WEB/dist/." "$OUT/"
  rm -f "$OUT/.rendertrust-build"
fi
