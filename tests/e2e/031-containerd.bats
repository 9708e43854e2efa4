#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# A real containerd 1.6, started here with its own root, state and address and stopped by its pid:
# `ctr run --runc-binary capguard-runtime` and `ctr task exec` give processes the policy's sets.

load helpers
bats_require_minimum_version 1.5.0

setup_file ()
{
  command -v containerd >/dev/null || return 0
  export CD=$BATS_FILE_TMPDIR/cd
  export ROOTFS=$BATS_FILE_TMPDIR/rootfs
  export CAPGUARD_POLICY=$BATS_FILE_TMPDIR/p/policy.json
  export DECISIONS=$BATS_FILE_TMPDIR/decisions.log
  bash "$SRCDIR/tests/rootfs.sh" "$ROOTFS"
  mkdir -p "$CD" "$(dirname "$CAPGUARD_POLICY")"
  chmod 755 "$(dirname "$CAPGUARD_POLICY")"
  jq --arg log "$DECISIONS" '.log.file = $log | .log.syslog = false' "$SRCDIR/policy/default.json" > "$CAPGUARD_POLICY"
  # The shim inherits containerd's environment, and so the wrapper gets CAPGUARD_POLICY.
  containerd --root "$CD/root" --state "$CD/state" --address "$CD/sock" --config /dev/null \
    > "$CD/containerd.log" 2>&1 3>&- &
  echo $! > "$CD/pid"
  for _ in $(seq 100); do [ -S "$CD/sock" ] && break; sleep 0.1; done
}

teardown_file ()
{
  [ -f "${CD:-/nonexistent}/pid" ] || return 0
  for c in $(ctr --address "$CD/sock" containers list -q 2>/dev/null); do
    ctr --address "$CD/sock" task kill -s KILL "$c" >/dev/null 2>&1 || true
    ctr --address "$CD/sock" task delete -f "$c" >/dev/null 2>&1 || true
    ctr --address "$CD/sock" containers delete "$c" >/dev/null 2>&1 || true
  done
  kill "$(cat "$CD/pid")" 2>/dev/null || true
  wait "$(cat "$CD/pid")" 2>/dev/null || true
}

setup ()
{
  require_tool containerd
  require_tool capsh "capsh (libcap2-bin)"
  require_root "containerd needs root here"
  [ -S "$CD/sock" ] || { cat "$CD/containerd.log"; echo "containerd did not start"; return 1; }
  WRAPPER=$(dirname "$CAPGUARD")/capguard-runtime
  ID=c$BATS_TEST_NUMBER-$$
}

ctr_ () { ctr --address "$CD/sock" "$@"; }


@test "control: plain runc gives containerd's 14 capabilities" {
  run --separate-stderr ctr_ run --rm --rootfs "$ROOTFS" "$ID" /bin/grep ^Cap /proc/self/status
  echo "# $status: $output / $stderr"
  assert "$status" == 0
  assert "$(live Bnd)" =~ CAP_NET_RAW
  assert "$(live Bnd | wc -w)" == 14
}

@test "ctr run --runc-binary capguard-runtime: the kernel holds the policy's sets, not containerd's 14" {
  run --separate-stderr ctr_ run --rm --runc-binary "$WRAPPER" --rootfs "$ROOTFS" "$ID" /bin/grep ^Cap /proc/self/status
  echo "# $status: $output / $stderr"
  assert "$status" == 0
  for s in Bnd Eff Prm; do
    assert "$(live $s)" == "$CRIO_NINE" "Cap$s"
  done
  assert "$(live Amb)" == ""
  assert "$(jq -r "select(.id == \"$ID\") | .stage + \" \" + .decision" "$DECISIONS")" == "create rewritten"
}

@test "ctr task exec into a running container: the exec'd process is clamped the same way" {
  run -0 ctr_ run -d --runc-binary "$WRAPPER" --rootfs "$ROOTFS" "$ID" /bin/sleep 600
  run --separate-stderr ctr_ task exec --exec-id e1 "$ID" /bin/grep ^Cap /proc/self/status
  echo "# $status: $output / $stderr"
  assert "$status" == 0
  for s in Bnd Eff Prm; do
    assert "$(live $s)" == "$CRIO_NINE" "exec'd Cap$s"
  done
  # containerd builds the exec process from its own copy of the spec, with all 14: capguard saw them.
  assert "$(jq -r "select(.id == \"$ID\" and .stage == \"exec\") | .decision + \" \" + (.removed.bounding | length | tostring)" "$DECISIONS")" == "rewritten 5"
  ctr_ task kill -s KILL "$ID" >/dev/null
  for _ in $(seq 50); do ctr_ task delete "$ID" >/dev/null 2>&1 && break; sleep 0.1; done
  ctr_ containers delete "$ID"
}

@test "a denied capability fails ctr run with capguard's reason in ctr's error" {
  jq '.capabilities.deny = ["NET_RAW"]' "$CAPGUARD_POLICY" > "$BATS_TEST_TMPDIR/p.json"
  cp "$CAPGUARD_POLICY" "$BATS_TEST_TMPDIR/saved.json"
  cat "$BATS_TEST_TMPDIR/p.json" > "$CAPGUARD_POLICY"
  run --separate-stderr ctr_ run --rm --runc-binary "$WRAPPER" --rootfs "$ROOTFS" "$ID" /bin/true
  cat "$BATS_TEST_TMPDIR/saved.json" > "$CAPGUARD_POLICY"
  echo "# $status: $output / $stderr"
  assert "$status" != 0
  assert "$stderr" =~ "OCI runtime create failed: container $ID: refused by $CAPGUARD_POLICY \\(top level, action rewrite\\): bounding holds CAP_NET_RAW, denied by capabilities.deny"
  run ctr_ containers list -q
  assert "$output" !~ "$ID" "nothing left behind"
}
