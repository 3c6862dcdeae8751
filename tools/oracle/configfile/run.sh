#!/usr/bin/env bash
# Build the configfile oracle from a K3s source and run it over case directories: what K3s's
# pkg/configfilearg readConfigFile makes of config.yaml and config.yaml.d/. See README.md.
set -euo pipefail

usage() {
  echo "usage: tools/oracle/configfile/run.sh K3S_GITDIR@REV CASE_DIR..." >&2
  exit 2
}
[ $# -ge 2 ] || usage
here=$(cd "$(dirname "$0")" && pwd)
k3s=${1%@*} rev=${1##*@}; shift
mirrors=${ORACLE_MIRRORS:-/work/.mirror}
yaml=${YAML_GIT:-$mirrors/go-yaml+yaml/repo}
wrangler=${WRANGLER_GIT:-$mirrors/rancher+wrangler/repo}
for d in "$k3s" "$yaml" "$wrangler"; do
  [ -d "$d" ] || { echo "run.sh: $d missing: bring it with fetch (github:go-yaml/yaml, github:rancher/wrangler) or set YAML_GIT/WRANGLER_GIT" >&2; exit 2; }
done
go=${GO:-}
if [ -z "$go" ]; then
  if command -v go >/dev/null 2>&1; then go=go; else go=/opt/gobin/bin/go; fi
fi
export GOPROXY=off GOFLAGS=-mod=mod GOTOOLCHAIN=local GOWORK=off GOSUMDB=off CGO_ENABLED=0

# The versions K3s builds with, from its go.mod at REV.
gomod=$(git -C "$k3s" show "$rev:go.mod")
ver() { awk -v m="$1" '$1 == m && $2 ~ /^v/ { print $2; exit } $1 == "require" && $2 == m { print $3; exit }' <<<"$gomod"; }
yv=$(ver gopkg.in/yaml.v2); wv=$(ver github.com/rancher/wrangler/v3)
[ -n "$yv" ] && [ -n "$wv" ] || { echo "run.sh: go.mod at $rev names no yaml.v2 or wrangler/v3" >&2; exit 2; }

cache=${K3S_ORACLE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/k3s-registries-oracle}
build=$cache/configfile-$(git -C "$k3s" rev-parse --short=12 "$rev")-yaml$yv-wrangler$wv-$(cat "$here/extract/main.go" "$here/glue/main.go" "$0" | sha256sum | cut -c1-12)
bin=$build/oracle
if [ ! -x "$bin" ]; then
  rm -rf "$build.tmp"; mkdir -p "$build.tmp/src" "$build.tmp/yaml" "$build.tmp/extract"
  git -C "$k3s" show "$rev:pkg/configfilearg/parser.go" > "$build.tmp/src/parser.go"
  git -C "$k3s" show "$rev:pkg/agent/util/strings.go" > "$build.tmp/src/strings.go"
  git -C "$wrangler" show "$wv:pkg/data/convert/convert.go" > "$build.tmp/src/convert.go"
  git -C "$yaml" archive "$yv" | tar -x -C "$build.tmp/yaml"
  printf 'module gopkg.in/yaml.v2\n\ngo 1.15\n' > "$build.tmp/yaml/go.mod"
  cp "$here/extract/main.go" "$build.tmp/extract/main.go"
  printf 'module extract\n\ngo 1.24\n' > "$build.tmp/extract/go.mod"
  (cd "$build.tmp/extract" && "$go" build -o ../extract-bin .)
  mkdir -p "$build.tmp/oracle"
  "$build.tmp/extract-bin" -pkg main -out "$build.tmp/oracle/k3s.go" \
    -imports fmt,io,net/http,net/url,os,path/filepath,strings,time,gopkg.in/yaml.v2 \
    "$build.tmp/src/parser.go:dotDFiles,readConfigFile,toSlice,readConfigFileData:util,convert" \
    "$build.tmp/src/strings.go:HasSuffixI" \
    "$build.tmp/src/convert.go:Singular,ToStringNoTrim,ToString"
  cp "$here/glue/main.go" "$build.tmp/oracle/main.go"
  printf 'module oracle\n\ngo 1.24\n\nrequire gopkg.in/yaml.v2 %s\n\nreplace gopkg.in/yaml.v2 => ../yaml\n' "$yv" > "$build.tmp/oracle/go.mod"
  (cd "$build.tmp/oracle" && "$go" build -o "$build.tmp/oracle-bin" .)
  mkdir -p "$build"; mv "$build.tmp/oracle-bin" "$bin"; rm -rf "$build.tmp"
fi
"$bin" "$@"
