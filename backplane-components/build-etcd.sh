#!/usr/bin/env bash
# Builds etcd, etcdctl and etcdutl of one etcd release from etcd's Go modules (the Go module proxy),
# once: the binaries are cached in CACHE/v<version>/bin and reused by every later build. Then links
# them as LINK (e.g. target/components/etcd/3.6) for the backplane and the tests.
#
#   build-etcd.sh <version, e.g. 3.6.16> <cache dir> <link>
#
# `go install module@version` refuses etcd's modules (their go.mod files carry replace directives),
# so the binaries are built from a throw-away module that requires the three etcd modules.
set -euo pipefail
version="$1" cache="$2" link="$3"
bin="$cache/v$version/bin"
export PATH="$PATH:/usr/local/go/bin"
# a Go older than etcd's go.mod asks for fetches the toolchain it names from the module proxy
export GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
if [[ ! -x "$bin/etcd" || ! -x "$bin/etcdctl" || ! -x "$bin/etcdutl" ]]; then
  command -v go >/dev/null || { echo "go is not installed: it builds etcd $version (see README)" >&2; exit 1; }
  mkdir -p "$cache"
  exec 9>"$cache/.lock"
  flock 9   # two builds at once (a quick start while tests build) wait for each other
  if [[ ! -x "$bin/etcd" || ! -x "$bin/etcdctl" || ! -x "$bin/etcdutl" ]]; then
    work="$(mktemp -d "$cache/build-v$version.XXXXXX")"
    trap 'rm -rf "$work"' EXIT
    echo "building etcd $version with $(go version) (once; cached in $bin)"
    cd "$work"
    printf 'module etcdbuild\n\ngo 1.24\n' > go.mod
    printf '//go:build tools\n\npackage tools\n\nimport (\n\t_ "go.etcd.io/etcd/server/v3"\n\t_ "go.etcd.io/etcd/etcdctl/v3"\n\t_ "go.etcd.io/etcd/etcdutl/v3"\n)\n' > tools.go
    go get "go.etcd.io/etcd/server/v3@v$version" "go.etcd.io/etcd/etcdctl/v3@v$version" \
      "go.etcd.io/etcd/etcdutl/v3@v$version" >build.log 2>&1 && go mod tidy >>build.log 2>&1 \
      || { cat build.log >&2; exit 1; }
    mkdir -p out
    for tool in server:etcd etcdctl:etcdctl etcdutl:etcdutl; do
      go build -trimpath -o "out/${tool#*:}" "go.etcd.io/etcd/${tool%%:*}/v3" >>build.log 2>&1 || { cat build.log >&2; exit 1; }
    done
    mkdir -p "$(dirname "$bin")"
    rm -rf "$bin" && mv out "$bin"
  fi
fi
# read it whole: with pipefail, `| head -1` may cut etcd off (SIGPIPE) and fail a good binary
built="$("$bin/etcd" --version)"
[[ "$built" == *"etcd Version: $version"* ]] || { echo "$bin/etcd is not etcd $version: $built" >&2; exit 1; }
mkdir -p "$(dirname "$link")"
ln -sfn "$bin" "$link"
