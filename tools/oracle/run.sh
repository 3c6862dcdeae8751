#!/usr/bin/env bash
# Build the K3s oracle from a K3s source and run it over case directories.
# See tools/oracle/README.md.
set -euo pipefail

usage() {
  cat >&2 <<'USAGE'
usage: tools/oracle/run.sh [--commit REV] [--out DIR] [-q] [--build-only] K3S [CASES...]

  K3S          a K3s checkout, or a K3s git directory (bare or not) with --commit REV
               (also written GITDIR@REV)
  CASES        case directories, or directories above them (each case: registries.yaml,
               optional args); results are written into them, or under --out DIR
  --build-only build (or find in the cache) and print the oracle binary's path

environment:
  WHARFIE_GIT, CONTAINERD_GIT, YAML_GIT   git dirs of rancher/wharfie, containerd/containerd,
                                          go-yaml/yaml (default: $ORACLE_MIRRORS/<owner>+<name>/repo)
  ORACLE_MIRRORS                          default /work/.mirror (where `fetch` puts repositories)
  K3S_ORACLE_CACHE                        build cache (default ${XDG_CACHE_HOME:-~/.cache}/k3s-registries-oracle)
  GO                                      the go command (default: go on PATH, else /opt/gobin/bin/go)
USAGE
  exit 2
}

here=$(cd "$(dirname "$0")" && pwd)
commit="" out="" quiet=() build_only=0 pos=()
while [ $# -gt 0 ]; do
  case "$1" in
    --commit) commit=$2; shift 2 ;;
    --commit=*) commit=${1#*=}; shift ;;
    --out) out=$2; shift 2 ;;
    --out=*) out=${1#*=}; shift ;;
    -q) quiet=(-q); shift ;;
    --build-only) build_only=1; shift ;;
    -h|--help) usage ;;
    --) shift; pos+=("$@"); break ;;
    -*) echo "run.sh: unknown option $1" >&2; usage ;;
    *) pos+=("$1"); shift ;;
  esac
done
set -- ${pos[@]+"${pos[@]}"}
[ $# -ge 1 ] || usage
k3s=$1; shift
if [ -z "$commit" ] && [[ "$k3s" == *@* ]] && [ ! -e "$k3s" ]; then
  commit=${k3s##*@}; k3s=${k3s%@*}
fi
[ $build_only = 1 ] || [ $# -ge 1 ] || usage

mirrors=${ORACLE_MIRRORS:-/work/.mirror}
wharfie=${WHARFIE_GIT:-$mirrors/rancher+wharfie/repo}
ctrd=${CONTAINERD_GIT:-$mirrors/containerd+containerd/repo}
yaml=${YAML_GIT:-$mirrors/go-yaml+yaml/repo}
for d in "$wharfie" "$ctrd" "$yaml"; do
  [ -d "$d" ] || { echo "run.sh: $d missing: bring it with fetch (github:rancher/wharfie, github:containerd/containerd, github:go-yaml/yaml) or set WHARFIE_GIT/CONTAINERD_GIT/YAML_GIT" >&2; exit 2; }
done

go=${GO:-}
if [ -z "$go" ]; then
  if command -v go >/dev/null 2>&1; then go=go; else go=/opt/gobin/bin/go; fi
fi
export GOPROXY=off GOFLAGS=-mod=mod GOTOOLCHAIN=local GOWORK=off GOSUMDB=off CGO_ENABLED=0

cache=${K3S_ORACLE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/k3s-registries-oracle}
mkdir -p "$cache"
prep="$cache/prepare"
(cd "$here/prepare" && "$go" build -o "$prep" .)

src_args=(-k3s "$k3s" -oracle "$here")
[ -z "$commit" ] || src_args+=(-commit "$commit")
key=$("$prep" "${src_args[@]}" -key)
bin="$cache/$key/oracle"
if [ ! -x "$bin" ]; then
  build="$cache/$key/build"
  "$prep" "${src_args[@]}" -wharfie-git "$wharfie" -containerd-git "$ctrd" -yaml-git "$yaml" -out "$build"
  (cd "$build/k3s" && "$go" build -trimpath -o "$bin.tmp" ./cmd/oracle)
  mv "$bin.tmp" "$bin"
  echo "run.sh: built $bin from:" >&2
  sed 's/^/  /' "$build/PROVENANCE" >&2
fi
if [ $build_only = 1 ]; then
  echo "$bin"
  exit 0
fi
args=("${quiet[@]}")
[ -z "$out" ] || args+=(-out "$out")
exec "$bin" "${args[@]}" "$@"
