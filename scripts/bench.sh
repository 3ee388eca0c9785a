#!/bin/bash
# Run the benchmarks against one build tree and print their tables.
#   scripts/bench.sh BUILD_DIR
# Record results in docs/BENCHMARKS.md with the command, machine and date.
set -eu
BUILD=$1
echo "== bench_core ($(nproc) cores, $(date -u +%Y-%m-%d)) =="
"$BUILD"/tests/bench/bench_core "${BENCH_SECONDS:-1}"
