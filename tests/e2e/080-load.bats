#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Load: 50 containers created at once through the runtime wrapper (runc) and through podman's
# precreate hook, against one policy and one log file: every container gets exactly the policy's
# sets, every decision is one whole log line, nothing hangs.

load helpers
bats_require_minimum_version 1.5.0

N=50

setup_file ()
{
  bash "$SRCDIR/tests/rootfs.sh" "$BATS_FILE_TMPDIR/rootfs"
}

setup ()
{
  require_root "runc and podman need root here"
  LOG=$BATS_TEST_TMPDIR/decisions.log
  POLICY=$(policy_file "$SRCDIR/policy/default.json")
  jq --arg log "$LOG" '.log.file = $log | .log.syslog = false' "$SRCDIR/policy/default.json" > "$POLICY"
}

# all_clamped DIR: every DIR/out.* holds CapBnd and CapEff of exactly the nine.
all_clamped ()
{
  local f n=0
  for f in "$1"/out.*; do
    grep -qx $'CapBnd:\t00000000000005fb' "$f" && grep -qx $'CapEff:\t00000000000005fb' "$f" \
      || { echo "$f: $(cat "$f")"; return 1; }
    n=$((n + 1))
  done
  assert "$n" == "$N" "outputs"
}

@test "50 containers at once through capguard-runtime and runc" {
  require_tool runc
  wrapper=$(dirname "$CAPGUARD")/capguard-runtime
  export CAPGUARD_POLICY=$POLICY
  for i in $(seq $N); do
    b=$BATS_TEST_TMPDIR/b$i
    mkdir -p "$b"
    jq --arg rootfs "$BATS_FILE_TMPDIR/rootfs" '.process.terminal = false | .root = {path: $rootfs, readonly: true}
        | .process.args = ["/bin/grep", "^Cap", "/proc/self/status"]' \
      "$FIXTURES/bundles/containerd-ctr-default/config.json" > "$b/config.json"
    # containerd's bundle has no namespaces of its own for runc here: give it runc's.
    jq -s '.[0] * {linux: {namespaces: .[1].linux.namespaces, maskedPaths: [], readonlyPaths: []}} | del(.linux.cgroupsPath)' \
      "$b/config.json" "$FIXTURES/bundles/runc-spec/config.json" > "$b/c" && mv "$b/c" "$b/config.json"
  done
  start=$SECONDS
  for i in $(seq $N); do
    timeout 120 "$wrapper" --root "$BATS_TEST_TMPDIR/runc" run --bundle "$BATS_TEST_TMPDIR/b$i" "load-$i-$$" \
      > "$BATS_TEST_TMPDIR/out.$i" 2>&1 < /dev/null &
  done
  wait
  echo "# $N containers in $((SECONDS - start)) s"
  all_clamped "$BATS_TEST_TMPDIR"
  assert "$(wc -l < "$LOG")" == "$N" "one line per decision"
  run -0 jq -e -r '.decision' "$LOG"
  assert "$(sort -u <<<"$output")" == rewritten "every line is whole JSON (jq fails on any that is not)"
}

@test "50 containers at once through podman's precreate hook" {
  require_tool podman
  mkdir -p "$BATS_TEST_TMPDIR/hooks"
  jq -n --arg path "$CAPGUARD" --arg policy "$POLICY" \
    '{version: "1.0.0", hook: {path: $path, args: ["capguard", "--policy", $policy, "precreate"]},
      when: {always: true}, stages: ["precreate"]}' > "$BATS_TEST_TMPDIR/hooks/capguard.json"
  start=$SECONDS
  for i in $(seq $N); do
    timeout 300 podman --root "$BATS_TEST_TMPDIR/podman/storage" --runroot "$BATS_TEST_TMPDIR/podman/run" \
      --tmpdir "$BATS_TEST_TMPDIR/podman/tmp" --storage-driver vfs --runtime runc --cgroup-manager cgroupfs \
      --events-backend file --hooks-dir "$BATS_TEST_TMPDIR/hooks" \
      run --rm --net none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --cap-add SYS_ADMIN,NET_RAW \
      --rootfs "$BATS_FILE_TMPDIR/rootfs" /bin/grep ^Cap /proc/self/status \
      > "$BATS_TEST_TMPDIR/out.$i" 2>&1 < /dev/null &
  done
  wait
  echo "# $N podman containers in $((SECONDS - start)) s"
  all_clamped "$BATS_TEST_TMPDIR"
  assert "$(wc -l < "$LOG")" == "$N"
  run -0 jq -e -r '.decision' "$LOG"
  assert "$(sort -u <<<"$output")" == rewritten "every line is whole JSON (jq fails on any that is not)"
}
