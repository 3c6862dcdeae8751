#!/usr/bin/env bash
# Differential run: generated registries files rendered by us and by K3s's own code (the oracle
# in tools/oracle/), compared byte for byte and for refusals. See tests/fixtures/differential/.
#
#   tools/differential.sh [--count N] [--start I] [--seed S] [--k3s GITDIR@REV --version V]
#                         [--write-corpus [SIZE]]
#
# Defaults: 15,000 cases from case 0 of the corpus seed, against the newest K3s modelled
# (vitorsavian/k3s d404855db, v1.36.3). --write-corpus rewrites the committed corpus with the
# first SIZE (default 1500) compared cases. Needs Go and the git mirrors tools/oracle needs.
set -euo pipefail
cd "$(dirname "$0")/.."
mirrors=${ORACLE_MIRRORS:-/work/.mirror}
k3s="$mirrors/vitorsavian+k3s/repo@d404855db"
version=v1.36.3
count=15000 start=0 seed=2026 corpus=
while [ $# -gt 0 ]; do
  case $1 in
    --count) count=$2; shift 2 ;;
    --start) start=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --k3s) k3s=$2; shift 2 ;;
    --version) version=$2; shift 2 ;;
    --write-corpus)
      corpus=${2:-1500}
      if [ $# -ge 2 ] && [[ $2 =~ ^[0-9]+$ ]]; then shift 2; else corpus=1500; shift; fi ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
oracle=$(tools/oracle/run.sh --build-only "$k3s" | tail -n 1)
export K3S_ORACLE=$oracle K3S_VERSION=$version DIFF_SEED=$seed DIFF_START=$start DIFF_COUNT=$count
# "owner/name@rev" for the corpus header (from .../owner+name/repo@rev).
src=$(basename "$(dirname "${k3s%@*}")")
export K3S_SOURCE="${src/+//}@${k3s##*@}"
if [ -n "$corpus" ]; then
  export DIFF_WRITE_CORPUS=$PWD/tests/fixtures/differential/corpus.txt DIFF_CORPUS_SIZE=$corpus
fi
exec cargo test --release --lib differential::against_the_oracle -- --ignored --nocapture
