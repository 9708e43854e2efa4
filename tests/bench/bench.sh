#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Whole-process time of `capguard precreate` on a real podman config, in one hyperfine run beside
# `cat` (the floor: a process that only copies stdin to stdout) and a jq filter that clamps the same
# sets (what people write by hand).  Reports ratios, not absolute times: these machines are shared.
#   bash tests/bench/bench.sh [CAPGUARD] [RUNS]
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
capguard=$(realpath "${1:-$top/build/capguard}")
runs=${2:-300}
command -v hyperfine >/dev/null || { echo "bench.sh: hyperfine is not installed" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chmod 755 "$tmp"
config=$top/tests/fixtures/bundles/podman-privileged/config.json
jq '.log.syslog = false' "$top/policy/default.json" > "$tmp/policy.json"
chmod 644 "$tmp/policy.json"
allow='["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_FOWNER","CAP_FSETID","CAP_KILL","CAP_NET_BIND_SERVICE","CAP_SETGID","CAP_SETPCAP","CAP_SETUID"]'
cat > "$tmp/clamp.jq" <<EOS
.process.capabilities |= with_entries(
  if .key == "inheritable" or .key == "ambient" then .value = [] else .value |= map(select(IN($allow[]))) end)
EOS

# Same answer first: the benchmark compares equals.
"$capguard" --policy "$tmp/policy.json" precreate < "$config" | jq -S .process.capabilities > "$tmp/a"
jq -c -f "$tmp/clamp.jq" "$config" | jq -S .process.capabilities > "$tmp/b"
diff -u "$tmp/b" "$tmp/a" >&2 || { echo "bench.sh: capguard and the jq filter disagree" >&2; exit 1; }

hyperfine --style basic --warmup 20 --runs "$runs" --export-json "$tmp/r.json" \
  -n cat "cat < '$config' > /dev/null" \
  -n jq "jq -c -f '$tmp/clamp.jq' < '$config' > /dev/null" \
  -n capguard "'$capguard' --policy '$tmp/policy.json' precreate < '$config' > /dev/null" >&2

jq -r '
  (.results | map({(.command): .}) | add) as $r
  | "capguard precreate on tests/fixtures/bundles/podman-privileged/config.json, \($runs) runs each:",
    "  mean: cat \($r.cat.mean * 1e6 | floor) us, jq \($r.jq.mean * 1e6 | floor) us, capguard \($r.capguard.mean * 1e6 | floor) us",
    "  capguard / cat = \(($r.capguard.mean / $r.cat.mean) * 100 | round / 100)",
    "  capguard / jq  = \(($r.capguard.mean / $r.jq.mean) * 100 | round / 100)"' \
  --arg runs "$runs" "$tmp/r.json"
