#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Installs the dependencies, builds with -Werror, runs every test (C unit tests, bats over the captured
# fixtures, real podman), then builds again with ASan+UBSan and runs every test again, checks the
# formatting, and prints the benchmark.  Skipped tests fail when CI=true or CAPGUARD_TEST_STRICT=1.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

bash scripts/deps.sh
jobs=$(nproc)

echo "== build (-Werror)"
cmake -S . -B build -DCAPGUARD_WERROR=ON >/dev/null
cmake --build build -j"$jobs"
echo "== tests"
ctest --test-dir build --output-on-failure -j1

echo "== build and tests under AddressSanitizer + UndefinedBehaviorSanitizer"
cmake -S . -B build-asan -DCAPGUARD_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-asan -j"$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j1

echo "== format (clang-format --dry-run -Werror)"
clang-format --dry-run -Werror src/*.c include/*.h tests/unit/*.c tests/unit/*.h

echo "== benchmark (informational: ratios against cat and jq on this machine)"
bash tests/bench/bench.sh build/capguard || echo "benchmark failed (not a test)" >&2
