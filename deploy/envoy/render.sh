#!/usr/bin/env bash
# Renders the gateway's Envoy config for a deployment into OUT_DIR, from the gateway jar that
# `./mvnw -pl gateway-envoy -am package` builds (its envoy/ folder: envoy.yaml, lua/, descriptors/):
#
#   deploy/envoy/render.sh deploy/envoy-config                       # compose: upstreams server-1, server-2
#   RT_GATEWAY_UPSTREAMS=rendertrust-server:8000 deploy/envoy/render.sh deploy/k8s/envoy-config
#
# TLS is off (a load balancer in front terminates it); envoy.yaml keeps /etc/envoy/ paths, which is
# where compose and the Kubernetes Deployment mount OUT_DIR. OUT_DIR is git-ignored.
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
out="${1:?usage: render.sh OUT_DIR}"
jar="$(ls "$root"/gateway-envoy/target/rendertrust-gateway-envoy-*.jar 2>/dev/null | grep -v -e sources -e tests | head -n 1 || true)"
if [ -z "$jar" ]; then
  echo "render.sh: no gateway jar; build it first: ./mvnw -B -DskipTests -pl gateway-envoy -am package" >&2
  exit 2
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
python3 - "$jar" "$tmp" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as jar:
    for name in jar.namelist():
        if name.startswith("envoy/") and not name.endswith("/"):
            jar.extract(name, sys.argv[2])
PY
mkdir -p "$out/lua" "$out/descriptors"
RT_GATEWAY_TLS=off RT_GATEWAY_UPSTREAMS="${RT_GATEWAY_UPSTREAMS:-server-1:8000,server-2:8000}" \
  bash "$tmp/envoy/render-envoy-config.sh" "$tmp/envoy/envoy.yaml" > "$out/envoy.yaml"
cp "$tmp"/envoy/lua/*.lua "$out/lua/"
cp "$tmp"/envoy/descriptors/*.pb "$out/descriptors/"
echo "rendered $(ls "$out" "$out/lua" "$out/descriptors" | grep -c -e '\.yaml$' -e '\.lua$' -e '\.pb$') files into $out"
