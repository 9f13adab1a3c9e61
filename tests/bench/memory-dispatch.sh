#!/usr/bin/env bash
# Memory dispatch benchmark: lookups/s and accesses/s per reader thread
# (1 and 2 readers) and memory-map change latency with 0, 1, 2 readers.
# Usage: tests/bench/memory-dispatch.sh [seconds-per-measure]
# BUILD selects the build directory (default: build).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
BIN=$BUILD/tests/bench/memory-dispatch-bench
if [ ! -f "$BUILD/build.ninja" ]; then
    meson setup "$BUILD" >/dev/null
fi
ninja -C "$BUILD" tests/bench/memory-dispatch-bench >/dev/null
echo "host: $(nproc) cores, $(uname -m)"
"$BIN" "${1:-0.5}"
