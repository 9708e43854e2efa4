#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# What capguard observe costs the node: a capability-check-heavy loop (tests/tools/cap-loop.c) timed
# without anything attached, with an empty BPF program on the same tracepoint (tests/tools/
# bpf-floor.c: what attaching anything there costs, the floor), and with observe, in alternating
# blocks within one run (these machines are shared and noisy: the ratios are the result, not the
# times); then the kernel memory of observe's maps.
#   bash tests/bench/observe.sh [BUILD-DIR] [BLOCKS]
# Needs root (CAP_BPF, CAP_PERFMON, CAP_SYSLOG).
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
build=$(realpath "${1:-$top/build}")
blocks=${2:-6}
capguard=$build/capguard
loop=$build/tests/cap-loop
floor=$build/tests/bpf-floor
n=200000
tmp=$(mktemp -d)
obs_pid=
trap '[ -z "$obs_pid" ] || kill "$obs_pid" 2>/dev/null; rm -rf "$tmp"' EXIT

start_observe ()
{
  "$capguard" observe --interval 60 --log "$tmp/observed.log" 2> "$tmp/observe.err" &
  obs_pid=$!
  for _ in $(seq 100); do grep -q "attached to" "$tmp/observe.err" && return 0; sleep 0.1; done
  cat "$tmp/observe.err" >&2
  exit 1
}

stop_observe ()
{
  kill "$obs_pid"
  wait "$obs_pid" || true
  obs_pid=
}

# run WHAT MODE: three runs of the loop (nanoseconds per iteration each) into $tmp/MODE.WHAT.
run ()
{
  local i
  for i in 1 2 3; do
    if [ "$1" = floor ]; then "$floor" "$loop" "$2" "$n"; else "$loop" "$2" "$n"; fi
  done >> "$tmp/$2.$1"
}

memlock=0
for b in $(seq "$blocks"); do
  for mode in sethostname mmap; do
    run none "$mode"
    run floor "$mode"
  done
  start_observe
  if [ "$b" = 1 ]; then
    # The maps' kernel memory, while attached: sized at load, whatever runs on the node (the
    # per-task record is the kernel's task storage: 16 bytes and its overhead per task).
    memlock=$(bpftool map show -j 2>/dev/null | python3 -c '
import json, sys
names = {"checks", "cgroups", "stats", "execs", "observe.rodata"}
print(sum(int(m.get("bytes_memlock", 0)) for m in json.load(sys.stdin) if m.get("name") in names))')
  fi
  for mode in sethostname mmap; do run observe "$mode"; done
  stop_observe
done
for mode in sethostname mmap; do
  python3 - "$mode" "$tmp/$mode.none" "$tmp/$mode.floor" "$tmp/$mode.observe" <<'PY'
import statistics, sys
mode = sys.argv[1]
none, floor, obs = ([float(x) for x in open(f)] for f in sys.argv[2:5])
k = 3
def paired(a, b):
    # Each block's median of A over the same block's median of B, then the median over blocks.
    return statistics.median(statistics.median(a[i:i + k]) / statistics.median(b[i:i + k])
                             for i in range(0, len(b), k))
what = {"sethostname": "sethostname (an audited CAP_SYS_ADMIN check each)",
        "mmap": "mmap+munmap (the kernel's no-audit CAP_SYS_ADMIN check each)"}[mode]
print(f"observe: {what}: {paired(obs, none):.2f}x without it; an empty program on the same "
      f"tracepoint {paired(floor, none):.2f}x; observe over that floor {paired(obs, floor):.2f}x "
      f"({statistics.median(none):.0f} ns a loop without, {len(none) // k} paired blocks)")
PY
done
echo "observe: kernel memory of its BPF maps: $((memlock / 1024)) KiB (sized at load)"
