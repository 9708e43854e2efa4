#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# capguard's speed, as ratios and instruction counts (these machines are shared and noisy: no
# absolute time is a result).  For each input and policy: the median paired wall-time ratio of
# `capguard precreate` to `cat` (the floor) and of a jq filter doing the same clamp to capguard,
# callgrind's instruction count, and the peak RSS.  Then `hook createRuntime`, the wrapper's
# overhead on `create`, and `podman run` with and without the hook.
#   bash tests/bench/bench.sh [CAPGUARD] [ROUNDS]
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
capguard=$(realpath "${1:-$top/build/capguard}")
rounds=${2:-200}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bash "$top/tests/bench/inputs.sh" "$tmp"
allow='["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_FOWNER","CAP_FSETID","CAP_KILL","CAP_NET_BIND_SERVICE","CAP_SETGID","CAP_SETPCAP","CAP_SETUID"]'
cat > "$tmp/clamp.jq" <<EOS
.process.capabilities |= with_entries(
  if .key == "inheritable" or .key == "ambient" then .value = [] else .value |= map(select(IN($allow[]))) end)
EOS

instructions ()
{
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null \
    | sed -n 's/.*Collected : //p'
}

# peak_rss_kb INPUT COMMAND...: GNU time's maximum resident set size (KB).
peak_rss_kb ()
{
  local input=$1; shift
  /usr/bin/time -f %M "$@" < "$input" 2>&1 >/dev/null | tail -1
}

# Big policies twice: parsed (no cache: the first start after an edit) and read from the compiled
# cache (every later start); small ones are always parsed.  The cache lives in the benchmark's own
# directory, warmed by one run.
export CAPGUARD_CACHE_DIR=$tmp/cache
printf '%-22s %-20s %-28s %12s %9s\n' input policy "median paired ratios" instructions "peak RSS"
for input in runc-spec podman-default podman-privileged generated-1mb; do
  for spec in 1 10 1000:parsed 1000:cached 10000:parsed 10000:cached; do
    n=${spec%%:*}
    [ "$input" = podman-default ] || [ "$n" = 10 ] || continue
    cfg=$tmp/$input.json
    pol=$tmp/policy-$n.json
    r=$([ "$input" = generated-1mb ] && echo $((rounds / 10)) || echo "$rounds")
    case $spec in
      *:parsed) export CAPGUARD_CACHE_DIR= ;;
      *) export CAPGUARD_CACHE_DIR=$tmp/cache ;;
    esac
    "$capguard" --policy "$pol" precreate < "$cfg" >/dev/null
    ratios=$(python3 "$top/tests/bench/paired.py" "$r" "$cfg" cat "cat=cat" \
      "capguard=$capguard --policy $pol precreate" "jq=jq -c -f $tmp/clamp.jq")
    rss=$(peak_rss_kb "$cfg" "$capguard" --policy "$pol" precreate)
    # Under valgrind /proc/self/exe is valgrind's own binary: its first run writes an entry of its own.
    instructions "$capguard" --policy "$pol" precreate < "$cfg" >/dev/null
    ir=$(instructions "$capguard" --policy "$pol" precreate < "$cfg")
    printf '%-22s %-20s %-28s %12s %7s KB\n' "$input ($(($(stat -c %s "$cfg") / 1024)) KB)" \
      "$n rules$([ "$n" = "$spec" ] || echo " (${spec#*:})")" \
      "$(sed 's/capguard\/cat=/cg\/cat=/; s/jq\/cat=\([0-9.]*\)/jq\/cat=\1/' <<<"$ratios")" "$ir" "$rss"
  done
done
export CAPGUARD_CACHE_DIR=$tmp/cache
echo "(cat: $(instructions cat < "$tmp/podman-default.json") instructions on podman-default)"

# hook createRuntime on the same config, against cat.
mkdir -p "$tmp/b"
cp "$tmp/podman-default.json" "$tmp/b/config.json"
printf '{"id":"bench","bundle":"%s","pid":1}' "$tmp/b" > "$tmp/state.json"
echo "hook createRuntime:      $(python3 "$top/tests/bench/paired.py" "$rounds" "$tmp/state.json" cat "cat=cat" \
  "hook=$capguard --policy $tmp/policy-10.json hook createRuntime")" \
  "instructions $(instructions "$capguard" --policy "$tmp/policy-10.json" hook createRuntime < "$tmp/state.json")"
# The wrapper's overhead on create, against the runtime alone (/bin/true stands for runc).
cp "$tmp/podman-default.json" "$tmp/b/config.orig"
echo "wrapper create:          $(CAPGUARD_RUNTIME=/bin/true CAPGUARD_POLICY=$tmp/policy-10.json python3 "$top/tests/bench/paired.py" \
  "$rounds" /dev/null runtime "runtime=/bin/true create --bundle $tmp/b x" \
  "wrapper=$(dirname "$capguard")/capguard-runtime create --bundle $tmp/b x")"

# The wrapper in front of real runc, against runc alone: exec (as an engine calls it, with a process
# file, and without), and a whole run.  The container and the process conform to the policy, so what is
# measured is what the wrapper costs on every exec probe and kubectl exec.
if command -v runc >/dev/null && [ "$(id -u)" = 0 ]; then
  rb=$tmp/runc-bundle
  mkdir -p "$rb"
  [ -d "$tmp/rootfs" ] || bash "$top/tests/rootfs.sh" "$tmp/rootfs"
  jq --arg rootfs "$tmp/rootfs" --argjson nine "$allow" '.process.terminal = false
    | .process.args = ["/bin/sleep", "600"] | .root = {path: $rootfs, readonly: true}
    | .process.capabilities = {bounding: $nine, effective: $nine, permitted: $nine}' \
    "$tmp/runc-spec.json" > "$rb/config.json"
  runc --root "$tmp/runc" run -d --bundle "$rb" bench-exec </dev/null >/dev/null 2>&1
  jq '.process | .args = ["/bin/true"]' "$rb/config.json" > "$tmp/process.json"
  wrapper="env CAPGUARD_RUNTIME=$(command -v runc) CAPGUARD_POLICY=$tmp/policy-10.json $(dirname "$capguard")/capguard-runtime"
  echo "wrapper exec -p:         $(python3 "$top/tests/bench/paired.py" "$((rounds / 4 > 10 ? rounds / 4 : 10))" /dev/null runc \
    "runc=env runc --root $tmp/runc exec -p $tmp/process.json bench-exec" \
    "wrapper=$wrapper --root $tmp/runc exec -p $tmp/process.json bench-exec")"
  echo "wrapper exec (no -p):    $(python3 "$top/tests/bench/paired.py" "$((rounds / 4 > 10 ? rounds / 4 : 10))" /dev/null runc \
    "runc=env runc --root $tmp/runc exec bench-exec /bin/true" \
    "wrapper=$wrapper --root $tmp/runc exec bench-exec /bin/true")"
  runc --root "$tmp/runc" delete -f bench-exec >/dev/null 2>&1 || true
  jq '.process.args = ["/bin/true"]' "$rb/config.json" > "$rb/c" && mv "$rb/c" "$rb/config.json"
  echo "wrapper run:             $(python3 "$top/tests/bench/paired.py" "$((rounds / 10 > 5 ? rounds / 10 : 5))" /dev/null runc \
    "runc=env runc --root $tmp/runc run --bundle $rb bench-run" \
    "wrapper=$wrapper --root $tmp/runc run --bundle $rb bench-run")"
  # create as the engines call it, then delete (the same delete on both sides).
  echo "wrapper create (runc):   $(python3 "$top/tests/bench/paired.py" "$((rounds / 10 > 5 ? rounds / 10 : 5))" /dev/null runc \
    "runc=sh -c 'runc --root $tmp/runc create --bundle $rb bench-create && runc --root $tmp/runc delete -f bench-create'" \
    "wrapper=sh -c '$wrapper --root $tmp/runc create --bundle $rb bench-create && runc --root $tmp/runc delete -f bench-create'")"
fi

# podman run with and without the precreate hook: the whole container start.
if command -v podman >/dev/null && [ "$(id -u)" = 0 ]; then
  [ -d "$tmp/rootfs" ] || bash "$top/tests/rootfs.sh" "$tmp/rootfs"
  mkdir -p "$tmp/hooks" "$tmp/nohooks"
  jq -n --arg path "$capguard" --arg policy "$tmp/policy-10.json" \
    '{version: "1.0.0", hook: {path: $path, args: ["capguard", "--policy", $policy, "precreate"]},
      when: {always: true}, stages: ["precreate"]}' > "$tmp/hooks/capguard.json"
  podman_cmd="podman --root $tmp/podman/storage --runroot $tmp/podman/run --tmpdir $tmp/podman/tmp --storage-driver vfs --runtime runc --cgroup-manager cgroupfs --events-backend file"
  run_args="run --rm --net none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --rootfs $tmp/rootfs /bin/true"
  echo "podman run:              $(python3 "$top/tests/bench/paired.py" "$((rounds / 10 > 5 ? rounds / 10 : 5))" /dev/null without \
    "without=$podman_cmd --hooks-dir $tmp/nohooks $run_args" "with=$podman_cmd --hooks-dir $tmp/hooks $run_args")"
fi
