#!/usr/bin/env bash
# Regenerate every render fixture from K3s's own code (see tools/oracle/README.md):
#   tests/fixtures/k3s-unit, tests/fixtures/corners, examples/   at the newest K3s modelled
#   tests/fixtures/eras/<version>/                               at one release of each older era
# The era cases are copies of the inputs listed in ERA_CASES; their expected files come from the
# K3s commit named next to each version. Run from anywhere; needs the forks brought by `fetch`.
set -euo pipefail
cd "$(dirname "$0")/../.."
mirrors=${ORACLE_MIRRORS:-/work/.mirror}
vitorsavian="$mirrors/vitorsavian+k3s/repo"
muicoder="$mirrors/muicoder+k3s/repo"
run=tools/oracle/run.sh

# Newest: K3s v1.36.3 (vitorsavian/k3s, release-1.36: "[release-1.36] Bump k3s-io/kubernetes and
# Go references (#14456)"), era pause-3.10.2.
latest="$vitorsavian@d404855db"
"$run" -q "$latest" tests/fixtures/k3s-unit tests/fixtures/corners
# examples/ keep only their inputs and expected trees (no oracle-stderr).
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$run" -q --out "$tmp" "$latest" examples
for c in "$tmp"/examples/*/; do
  name=$(basename "$c")
  rm -rf "examples/$name/expected" "examples/$name/expected-v2" "examples/$name/expected-error"
  for r in expected expected-v2 expected-error; do
    [ ! -e "$c/$r" ] || cp -r "$c/$r" "examples/$name/"
  done
done

# The inputs whose config.toml tells the eras apart (node flags, auth sections, refusals).
ERA_CASES="
examples/ca-file-port-5000 examples/docker-mirror-auth-ca examples/docker-mirror-auth-ca-embedded
examples/insecure-skip-verify examples/mutual-tls examples/production
examples/production-literal-typo-keys examples/pull-through-cache examples/pull-through-cache-no-default
tests/fixtures/corners/node-data-dir-opt tests/fixtures/corners/node-data-dir-special-characters
tests/fixtures/corners/node-empty-pause-image-and-snapshotter tests/fixtures/corners/node-pause-image-with-quotes
tests/fixtures/corners/node-selinux-nonroot-devices tests/fixtures/corners/node-snapshotter-native
tests/fixtures/corners/node-snapshotter-stargz tests/fixtures/corners/node-snapshotter-nix
tests/fixtures/corners/node-snapshotter-fuse-overlayfs tests/fixtures/corners/auth-fields-each-alone
tests/fixtures/corners/auth-special-characters tests/fixtures/corners/auth-config-key-quote-breaks-toml
tests/fixtures/corners/long-password-over-scanner-limit-refused
tests/fixtures/corners/dir-key-dotdot-removes-containerd-dir tests/fixtures/corners/yaml-empty-file
tests/fixtures/corners/tls-path-special-characters tests/fixtures/corners/embedded-no-default-configs-only
tests/fixtures/corners/node-rootless tests/fixtures/corners/node-rootless-data-dir
tests/fixtures/corners/node-system-default-registry
"

era() {
  local version=$1 source=$2 dir=tests/fixtures/eras/$1
  rm -rf "$dir"
  mkdir -p "$dir"
  for c in $ERA_CASES; do
    mkdir -p "$dir/$(basename "$c")"
    for f in registries.yaml args description; do
      [ ! -e "$c/$f" ] || cp "$c/$f" "$dir/$(basename "$c")/"
    done
  done
  "$run" -q "$source" "$dir"
}

era v1.32.8 "$muicoder@fe896f7e7"     # containerd-2.0: release-1.32, Update to v1.32.8
era v1.34.3 "$muicoder@80b11e874"     # containerd-2.1: release-1.34, K3s's last commit in that fork
era v1.35.6 "$vitorsavian@897374b05"  # imports: release-1.35, Update to v1.35.6
