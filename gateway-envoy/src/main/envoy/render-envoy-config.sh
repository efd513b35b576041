#!/usr/bin/env bash
# Renders envoy.yaml for one deployment and prints it on stdout:
#   RT_GATEWAY_UPSTREAMS="10.0.0.5:8000,10.0.0.6:8000" RT_GATEWAY_TLS=off \
#     ./render-envoy-config.sh envoy.yaml > /etc/envoy/envoy.yaml
#
#   RT_GATEWAY_UPSTREAMS   comma-separated host:port of the control-plane replicas (names are
#                          resolved by STRICT_DNS, every address of every name is used);
#                          default: keep envoy.yaml's rendertrust-server:8000
#   RT_GATEWAY_TLS         on (default) keeps the TLS listener on 8443, off drops it
#   RT_GATEWAY_CONFIG_DIR  where descriptors/, lua/ and tls/ are installed; default /etc/envoy
#   RT_CORS_ORIGINS        comma-separated browser origins (scheme://host[:port]) allowed by CORS,
#                          as the server reads it; default: keep envoy.yaml's app://rendertrust
#
# envoy.yaml itself is a complete, valid config; this only rewrites the marked blocks.
set -euo pipefail

input="${1:-$(dirname "$0")/envoy.yaml}"
upstreams="${RT_GATEWAY_UPSTREAMS:-}"
tls="${RT_GATEWAY_TLS:-on}"
config_dir="${RT_GATEWAY_CONFIG_DIR:-/etc/envoy}"
config_dir="${config_dir%/}"

case "$tls" in
  on|off) ;;
  *) echo "render-envoy-config: RT_GATEWAY_TLS must be on or off, got '$tls'" >&2; exit 2 ;;
esac
if [[ ! "$config_dir" =~ ^/[A-Za-z0-9._/-]*$ ]]; then
  echo "render-envoy-config: RT_GATEWAY_CONFIG_DIR must be an absolute path, got '$config_dir'" >&2
  exit 2
fi

endpoints=""
if [ -n "$upstreams" ]; then
  IFS=',' read -r -a hosts <<< "$upstreams"
  for host_port in "${hosts[@]}"; do
    host_port="${host_port#"${host_port%%[![:space:]]*}"}"   # trim leading blanks
    host_port="${host_port%"${host_port##*[![:space:]]}"}"   # trim trailing blanks
    if [[ ! "$host_port" =~ ^([A-Za-z0-9.-]+):([0-9]{1,5})$ ]]; then
      echo "render-envoy-config: '$host_port' in RT_GATEWAY_UPSTREAMS is not host:port" >&2
      exit 2
    fi
    host="${BASH_REMATCH[1]}"
    port="${BASH_REMATCH[2]}"
    if [ "$port" -lt 1 ] || [ "$port" -gt 65535 ]; then
      echo "render-envoy-config: port $port out of range" >&2
      exit 2
    fi
    endpoints+="        - endpoint:"$'\n'
    endpoints+="            address:"$'\n'
    endpoints+="              socket_address: {address: $host, port_value: $port}"$'\n'
  done
fi

origins=""
if [ -n "${RT_CORS_ORIGINS:-}" ]; then
  IFS=',' read -r -a listed <<< "$RT_CORS_ORIGINS"
  for origin in "${listed[@]}"; do
    origin="${origin#"${origin%%[![:space:]]*}"}"
    origin="${origin%"${origin##*[![:space:]]}"}"
    origin="${origin%/}"
    [ -z "$origin" ] && continue
    if [[ ! "$origin" =~ ^[a-z][a-z0-9+.-]*://[A-Za-z0-9.-]+(:[0-9]{1,5})?$ ]]; then
      echo "render-envoy-config: '$origin' in RT_CORS_ORIGINS is not an origin (scheme://host[:port], never *)" >&2
      exit 2
    fi
    origins+="                  - exact: ${origin,,}"$'\n'
  done
fi

awk -v endpoints="$endpoints" -v origins="$origins" -v tls="$tls" -v config_dir="$config_dir" '
  /# BEGIN TLS LISTENER/ { in_tls = 1; if (tls == "off") next }
  /# END TLS LISTENER/ { in_tls = 0; if (tls == "off") next }
  in_tls && tls == "off" { next }
  /# BEGIN CORS ORIGINS/ { print; if (origins != "") { printf "%s", origins; skipping = 1 }; next }
  /# END CORS ORIGINS/ { skipping = 0; print; next }
  /# BEGIN UPSTREAM ENDPOINTS/ { print; if (endpoints != "") { printf "%s", endpoints; skipping = 1 }; next }
  /# END UPSTREAM ENDPOINTS/ { skipping = 0; print; next }
  skipping { next }
  { gsub("/etc/envoy/", config_dir "/"); print }
' "$input"
