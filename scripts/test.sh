#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Installs the dependencies, builds with -Werror, checks the formatting, prints the benchmark, then
# runs every test (C unit tests, bats over the captured fixtures, real podman), and again in a build
# with ASan+UBSan.  With CI=true or CAPGUARD_TEST_STRICT=1, a skipped test is a failed test.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

bash scripts/deps.sh
jobs=$(nproc)
strict=0
{ [ "${CI:-}" = true ] || [ "${CAPGUARD_TEST_STRICT:-}" = 1 ]; } && strict=1
export CAPGUARD_TEST_STRICT=$strict
log=$(mktemp)
trap 'rm -f "$log"' EXIT

echo "== build (-Werror) and build with AddressSanitizer + UndefinedBehaviorSanitizer"
cmake -S . -B build -DCAPGUARD_WERROR=ON >/dev/null
cmake --build build -j"$jobs"
cmake -S . -B build-asan -DCAPGUARD_WERROR=ON -DCAPGUARD_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-asan -j"$jobs"

echo "== GCC Release and clang builds (-Werror): what packagers and other compilers see"
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DCAPGUARD_WERROR=ON >/dev/null
cmake --build build-release -j"$jobs"
CC=clang cmake -S . -B build-clang -DCAPGUARD_WERROR=ON >/dev/null
cmake --build build-clang -j"$jobs"
ctest --test-dir build-clang -R '^unit/' --output-on-failure

echo "== libFuzzer targets (clang), a smoke run of each"
CC=clang cmake -S . -B build-fuzz -DCAPGUARD_FUZZ=ON -DBUILD_TESTING=OFF -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-fuzz -j"$jobs"
bash tests/fuzz/run.sh build-fuzz "${CAPGUARD_FUZZ_SECONDS:-15}"

echo "== format (clang-format --dry-run -Werror)"
clang-format --dry-run -Werror src/*/*.c include/*.h tests/unit/*.c tests/unit/*.h tests/fuzz/*.c \
  tests/tools/*.c

echo "== speed: instruction count of the typical case against the committed reference (+10% fails)"
bash tests/bench/instructions.sh build/capguard tests/bench/reference-instructions.txt

echo "== Kubernetes v1.20.2 binaries for the rollout test (built once per machine, then cached)"
bash tests/k8s/binaries.sh

total=0
for dir in build build-asan; do
  echo "== tests ($dir)"
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir "$dir" --output-on-failure -j1 2>&1 | tee "$log"
  status=${PIPESTATUS[0]}
  [ "$status" = 0 ] || exit "$status"
  if [ "$strict" = 1 ] && grep -Eq 'Not Run|\*\*\*Skipped|# skip' "$log"; then
    echo "test.sh: a test was skipped, and skips fail in CI" >&2
    exit 1
  fi
  n=$(sed -n 's/.*tests passed, 0 tests failed out of \([0-9]*\)$/\1/p' "$log")
  total=$((total + n))
done
echo "ctest: $total passed, 0 failed"
