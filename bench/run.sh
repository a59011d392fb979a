#!/usr/bin/env bash
# run.sh: `make bench` runs every bench/bench_* program built in $BUILD/bench, then bench/*.sh.
# Benchmarks report ratios against a reference measured in the same run; they are not tests.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
for b in "$BUILD"/bench/bench_*; do
    [ -x "$b" ] || continue
    echo "== $(basename "$b")"
    "$b"
done
for s in bench/bench_*.sh; do
    [ -f "$s" ] || continue
    echo "== $(basename "$s")"
    bash "$s"
done
