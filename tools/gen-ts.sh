#!/usr/bin/env bash
# Generates the TypeScript SDK's protobuf-es code (sdk-ts/src/gen: the rendertrust.v1 messages and
# service descriptors, the google.api messages they import, google.rpc.ErrorInfo) from proto/ with
# buf.gen.yaml and the pinned local plugin of tools/package.json (@bufbuild/protoc-gen-es).
#   tools/gen-ts.sh [OUT_ROOT]   writes OUT_ROOT/sdk-ts/src/gen (default: this repository;
#                                ./rendertrust gen runs it after installing the pinned tools)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUT_ROOT="$(mkdir -p "${1:-$ROOT}" && cd "${1:-$ROOT}" && pwd)"
for tool in buf protoc-gen-es; do
  [ -x "$ROOT/tools/node_modules/.bin/$tool" ] || {
    echo "gen-ts: tools/node_modules/.bin/$tool is missing: run npm ci in tools/ (./rendertrust gen does)" >&2; exit 1; }
done
rm -rf "$OUT_ROOT/sdk-ts/src/gen"
cd "$ROOT"
tools/node_modules/.bin/buf generate --template buf.gen.yaml --output "$OUT_ROOT"
