#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The regression guard: callgrind's instruction count of the typical case (precreate on podman's
# default config, 10 KB, with a 10-rule policy) must stay within 10% of the committed reference for
# this kind of build; a 1 000-rule policy read from its compiled cache within 1.5 times that.
# Instruction counts, not times: they do not depend on the machine's load.
#   bash tests/bench/instructions.sh CAPGUARD REFERENCE-FILE
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
capguard=$1
reference=$(cat "$2")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bash "$top/tests/bench/inputs.sh" "$tmp"
ir=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$capguard" --policy "$tmp/policy-10.json" \
  precreate < "$tmp/podman-default.json" 2>&1 >/dev/null | sed -n 's/.*Collected : //p')
limit=$((reference * 110 / 100))
echo "instructions: $ir (reference $reference, limit $limit)"
if [ "$ir" -gt "$limit" ]; then
  echo "instructions.sh: the typical case grew by more than 10% over tests/bench/$(basename "$2")" >&2
  exit 1
fi
# A 1 000-rule policy read from the compiled cache (policy_cache.h) costs at most 1.5 times the
# typical case (about 1.2 today; parsing it is 16 times).  The first run writes the entry.
export CAPGUARD_CACHE_DIR=$tmp/cache
count ()
{
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$capguard" --policy "$tmp/policy-1000.json" \
    precreate < "$tmp/podman-default.json" 2>&1 >/dev/null | sed -n 's/.*Collected : //p'
}
count >/dev/null
cached=$(count)
echo "instructions, 1000 rules from the cache: $cached (limit $((ir * 3 / 2)))"
if [ -z "$cached" ] || [ "$cached" -gt $((ir * 3 / 2)) ]; then
  echo "instructions.sh: a 1000-rule policy from the cache costs more than 1.5 times the typical case" >&2
  exit 1
fi
