#!/usr/bin/env bash
# Installs everything atoll needs to build, test and benchmark. Idempotent: safe to run twice.
#  - Debian -dev packages (apt-get install; root or sudo).
#  - libnode108 + libnode-dev (V8 10.2) and node-llhttp (llhttp 8.1 sources), fetched with
#    `apt-get download` and extracted with `dpkg -x` into third_party/sysroot/ (git-ignored):
#    installing libnode-dev conflicts with the preinstalled nodejs 20 (see shared/notes/v8-stack.md).
#  - ada's headers (the WHATWG URL parser inside libnode108) from Debian's nodejs source package,
#    into third_party/ada/ (git-ignored): scripts/fetch_ada.sh.
#  - npm packages of package-lock.json (`npm ci`): esbuild and the spec implementations it
#    bundles into the lazily loaded built-ins at build time (bindings/README.md).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
sysroot="$root/third_party/sysroot"
stamp="$sysroot/.setup-done-v6"

if [[ -f "$stamp" && "${1:-}" != "--force" ]]; then
  exit 0
fi

sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then sudo_cmd=(sudo); fi

packages=(
  build-essential cmake pkg-config
  libuv1-dev libssl-dev libabsl-dev libgtest-dev libgmock-dev googletest libbenchmark-dev
  libtomlplusplus-dev libsqlite3-dev libicu-dev zlib1g-dev
  libbrotli-dev  # content codings: fetch() decodes br (bindings/compression.cc), responses are coded (server/body_encoder.cc)
  libseccomp-dev  # server/worker_sandbox.cc
  etcd-server etcd-client  # 3.4 (checked below): cluster mode's control plane (server/etcd_client.cc); tests/etcd_fixture.cc
  libpq-dev postgresql-15  # server/pg_kv.cc: shared KV in cluster mode; tests/postgres_fixture.cc
  wrk util-linux curl python3 openssl
  gnuplot-nox  # bench/placement.sh: the placement plots
  clang lld  # examples/wasm: C for wasm32
  libclang-rt-14-dev  # fuzz/ (bench/fuzz.sh): libFuzzer and the sanitizer runtimes
  # libnode108's shared-library dependencies (its JS-only ones are not needed: atoll never calls node::Start)
  libbrotli1 libc-ares2 libicu72 libnghttp2-14 libssl3 libuv1 zlib1g
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}"
fi

mkdir -p "$sysroot" "$root/third_party/debs"
cd "$root/third_party/debs"
for pkg in libnode108 libnode-dev node-llhttp; do
  if ! ls "${pkg}"_*.deb >/dev/null 2>&1; then
    apt-get download "$pkg" 2>/dev/null || { "${sudo_cmd[@]}" apt-get update -qq; apt-get download "$pkg"; }
  fi
  dpkg -x "$(ls "${pkg}"_*.deb | head -n1)" "$sysroot"
done

version_h="$sysroot/usr/include/node/v8-version.h"
major=$(awk '/#define V8_MAJOR_VERSION/ {print $3}' "$version_h")
minor=$(awk '/#define V8_MINOR_VERSION/ {print $3}' "$version_h")
if [[ "$major.$minor" != "10.2" ]]; then
  echo "setup: expected V8 10.2 headers in $version_h, found $major.$minor" >&2
  exit 1
fi
[[ -f "$sysroot/usr/share/llhttp/llhttp.c" || -n "$(find "$sysroot" -name llhttp.c -print -quit)" ]] || {
  echo "setup: node-llhttp sources missing" >&2; exit 1; }

# ada's headers, the exact version libnode108 exports (bindings/url.cc), from Debian's nodejs source.
"$root/scripts/fetch_ada.sh" "$(ls "$root"/third_party/debs/libnode108_*.deb | head -n1)"

# Cluster mode speaks etcd's v3 JSON gateway as etcd 3.4 serves it (bookworm's etcd-server).
etcd_version=$(etcd --version 2>/dev/null | awk '/etcd Version/ {print $3}')
if [[ "${etcd_version%.*}" != "3.4" ]]; then
  echo "setup: expected etcd 3.4 (etcd-server), found '${etcd_version}'" >&2
  exit 1
fi

# Node.js and npm run only at build time (esbuild). Any Node >= 18 does; Debian's packages are
# installed only when none is on the PATH (the machine image may bring its own).
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq nodejs npm
fi
(cd "$root" && npm ci --no-audit --no-fund --loglevel=error)

touch "$stamp"
echo "setup: done (V8 $major.$minor in $sysroot)"
