#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs every libFuzzer target for SECONDS each, seeded from the fixtures, and prints each run's
# executions and coverage.  Exits non-zero when a target finds a crash (its input is kept in
# OUT/crash-*).   bash tests/fuzz/run.sh BUILD-FUZZ-DIR [SECONDS] [OUT]
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:?usage: run.sh BUILD-FUZZ-DIR [SECONDS] [OUT]}
seconds=${2:-15}
out=${3:-$(mktemp -d)}
mkdir -p "$out"

seed ()
{
  local dir=$out/corpus-$1; shift
  mkdir -p "$dir"
  for f in "$@"; do cp "$f" "$dir/$(echo "$f" | tr / _)"; done
  echo "$dir"
}

# The wrapper's argv: NUL-separated words, as engines call runc.
argv_dir=$out/corpus-runtime_args
mkdir -p "$argv_dir"
printf 'runc\0--root\0/run/r\0--log\0/l.json\0--log-format\0json\0create\0--bundle\0/b\0--pid-file\0/p\0id' > "$argv_dir/create"
printf 'runc\0exec\0--process\0/p.json\0--detach\0--cap\0CAP_KILL\0--cap=CAP_SYS_ADMIN\0id\0sh\0-c\0x' > "$argv_dir/exec"
printf 'runc\0--debug\0state\0id' > "$argv_dir/state"

declare -A corpus=(
  [config]=$(seed config "$top"/tests/fixtures/bundles/*/config.json)
  [policy]=$(seed policy "$top"/policy/*.json)
  [policy_cache]=$(seed policy_cache "$top"/policy/*.json)
  [state]=$(seed state "$top"/tests/fixtures/state/*.json "$top"/tests/fixtures/bundles/runc-spec/config.json)
  [runtime_args]=$argv_dir
  [toml]=$(seed toml $(find "$top"/tests/corpus -name '*.toml' -o -name '*.conf' | head -60))
)

status=0
for target in config policy policy_cache state runtime_args toml; do
  log=$out/$target.log
  if ! "$build/tests/fuzz/fuzz_$target" -max_total_time="$seconds" -max_len=65536 -timeout=10 \
      -rss_limit_mb=2048 -artifact_prefix="$out/" "${corpus[$target]}" > "$log" 2>&1; then
    echo "fuzz_$target: FAILED, see $log" >&2
    tail -30 "$log" >&2
    status=1
    continue
  fi
  done_line=$(grep -E '^#[0-9]+.*DONE' "$log" | tail -1)
  echo "fuzz_$target: $seconds s: ${done_line:-$(tail -1 "$log")}"
done
exit $status
