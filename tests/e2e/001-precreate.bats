#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# capguard precreate on the fixture bundles captured from real engines (tests/fixtures/capture.sh).

load helpers
bats_require_minimum_version 1.5.0

setup ()
{
  POLICY=$(policy_file "$SRCDIR/policy/default.json")
  LOG=$BATS_TEST_TMPDIR/decisions.log
  # The shipped default plus a decision log file, so the tests can read the record.
  jq --arg log "$LOG" '.log.file = $log' "$SRCDIR/policy/default.json" > "$POLICY"
}

# precreate_fixture NAME: runs precreate on the fixture, output in $BATS_TEST_TMPDIR/out.json.
precreate_fixture ()
{
  run_capguard_stdin 0 "$FIXTURES/bundles/$1/config.json" --policy "$POLICY" precreate
  printf '%s' "$output" > "$BATS_TEST_TMPDIR/out.json"
  assert "$stderr" == "" "nothing on stderr on success"
}

@test "podman default: SYS_CHROOT and SETFCAP clamped, the rest byte for byte" {
  in=$FIXTURES/bundles/podman-default/config.json
  precreate_fixture podman-default
  out=$BATS_TEST_TMPDIR/out.json
  for s in bounding effective permitted; do
    assert "$(caps "$out" $s)" == "$CRIO_NINE" "$s is the built-in ceiling"
  done
  assert "$(jq -c '.process.capabilities | keys' "$out")" == '["bounding","effective","permitted"]' \
    "no set was added"
  assert "$(rest "$out")" == "$(rest "$in")" "every other key and value, in the same order"
  # Entries keep podman's order: only the removed ones are gone.
  assert "$(jq -c .process.capabilities.bounding "$out")" == \
    "$(jq -c '[.process.capabilities.bounding[] | select(. != "CAP_SETFCAP" and . != "CAP_SYS_CHROOT")]' "$in")"
  run jq -c 'select(.decision == "rewritten") | .removed.bounding' "$LOG"
  assert "$output" == '["CAP_SYS_CHROOT","CAP_SETFCAP"]' "the decision log names what was removed"
}

@test "podman privileged: clamped to the nine" {
  precreate_fixture podman-privileged
  for s in bounding effective permitted; do
    assert "$(caps "$BATS_TEST_TMPDIR/out.json" $s)" == "$CRIO_NINE" "$s"
  done
  assert "$(rest "$BATS_TEST_TMPDIR/out.json")" == "$(rest "$FIXTURES/bundles/podman-privileged/config.json")"
}

@test "podman --cap-add NET_RAW,SYS_ADMIN --cap-drop KILL: added caps removed, dropped stays dropped" {
  precreate_fixture podman-cap-add
  want=${CRIO_NINE/CAP_KILL /}
  for s in bounding effective permitted; do
    assert "$(caps "$BATS_TEST_TMPDIR/out.json" $s)" == "$want" "$s"
  done
}

@test "containerd ctr run default: containerd's 14 clamped, NET_RAW and MKNOD gone" {
  precreate_fixture containerd-ctr-default
  for s in bounding effective permitted; do
    assert "$(caps "$BATS_TEST_TMPDIR/out.json" $s)" == "$CRIO_NINE" "$s"
  done
  assert "$(rest "$BATS_TEST_TMPDIR/out.json")" == "$(rest "$FIXTURES/bundles/containerd-ctr-default/config.json")"
}

@test "runc spec: AUDIT_WRITE removed from every set, ambient emptied" {
  precreate_fixture runc-spec
  for s in bounding effective permitted; do
    assert "$(caps "$BATS_TEST_TMPDIR/out.json" $s)" == "CAP_KILL CAP_NET_BIND_SERVICE" "$s"
  done
  assert "$(jq -c .process.capabilities.ambient "$BATS_TEST_TMPDIR/out.json")" == "[]" \
    "runc's ambient set is beyond the empty ambient ceiling; the key stays, empty"
}

@test "kube-system is audited by the built-in policy: config passes byte for byte, the log says what would change" {
  # A real kube-system pod's container from containerd's CRI plugin, which vouches for the namespace.
  in=$FIXTURES/bundles/containerd-cri-kube-proxy/config.json
  run_capguard_stdin 0 "$in" --policy "$POLICY" precreate
  assert "$output" == "$(cat "$in")" "audit changes nothing, not even whitespace"
  run jq -c '[.rule, .decision, .namespace, .pod, .container, .engine, .removed.bounding]' "$LOG"
  assert "$output" == '["kube-system audited","audited","kube-system","kube-proxy-x","kube-proxy","containerd",["CAP_NET_ADMIN","CAP_NET_RAW","CAP_SYS_CHROOT","CAP_MKNOD","CAP_AUDIT_WRITE","CAP_SETFCAP"]]'
}

@test "podman --annotation io.kubernetes.pod.namespace=kube-system is the caller's claim: rewritten, the log says why" {
  in=$FIXTURES/bundles/podman-k8s-kube-system/config.json
  run_capguard_stdin 0 "$in" --policy "$POLICY" precreate
  assert "$(jq -r '.process.capabilities.bounding | sort | join(" ")' <<<"$output")" == "$CRIO_NINE"
  run jq -c '[.rule, .decision, .namespace, .engine]' "$LOG"
  assert "$output" == '["default","rewritten",null,"podman"]'
  assert "$(jq -r '.reasons[0]' "$LOG")" =~ '`namespace` from `io.kubernetes.pod.namespace` ignored: no CRI engine made this config \(podman\), so nobody vouches for it'
}

@test "a conforming config is passed through byte for byte and logged as allowed" {
  jq '.process.capabilities = {"bounding":["CAP_KILL"],"effective":["CAP_KILL"],"permitted":["CAP_KILL"]}' \
    "$FIXTURES/bundles/podman-default/config.json" > "$BATS_TEST_TMPDIR/ok.json"
  run_capguard_stdin 0 "$BATS_TEST_TMPDIR/ok.json" --policy "$POLICY" precreate
  assert "$output" == "$(cat "$BATS_TEST_TMPDIR/ok.json")"
  assert "$(jq -r .decision "$LOG")" == allowed
}

@test "the built-in policy applies when the default path does not exist" {
  [ ! -e /etc/capguard/policy.json ] || skip_or_fail "/etc/capguard/policy.json exists on this machine"
  run -0 --separate-stderr env -u CAPGUARD_POLICY "$CAPGUARD" precreate < "$FIXTURES/bundles/podman-privileged/config.json"
  printf '%s' "$output" > "$BATS_TEST_TMPDIR/out.json"
  assert "$(caps "$BATS_TEST_TMPDIR/out.json" bounding)" == "$CRIO_NINE"
  run_capguard 0 check
  assert "${lines[0]}" =~ '^<built-in>: valid policy'
}

@test "CAPGUARD_POLICY names the policy; --policy wins over it" {
  deny=$(write_policy '{"version":1,"capabilities":{"allow":["ALL"],"deny":["NET_RAW"]}}' "$BATS_TEST_TMPDIR/p/deny.json")
  CAPGUARD_POLICY=$deny run -1 --separate-stderr "$CAPGUARD" precreate < "$FIXTURES/bundles/containerd-ctr-default/config.json"
  assert "$output" == ""
  CAPGUARD_POLICY=$deny run -0 --separate-stderr "$CAPGUARD" --policy "$POLICY" precreate < "$FIXTURES/bundles/containerd-ctr-default/config.json"
  CAPGUARD_POLICY=/nonexistent.json run -2 --separate-stderr "$CAPGUARD" precreate < /dev/null
  assert "$stderr" =~ "policy \`/nonexistent.json\`: No such file or directory"
}

@test "inheritable and ambient allowed by a rule are kept, within the kernel's invariants" {
  p=$(write_policy '{"version":1,"capabilities":{"allow":["KILL","NET_BIND_SERVICE","CHOWN"],"inheritable":["NET_BIND_SERVICE","CHOWN"],"ambient":["NET_BIND_SERVICE","CHOWN"]}}')
  jq '.process.capabilities.inheritable = ["CAP_NET_BIND_SERVICE","CAP_KILL"] | .process.capabilities.ambient = ["CAP_NET_BIND_SERVICE","CAP_CHOWN","CAP_KILL"]' \
    "$FIXTURES/bundles/runc-spec/config.json" > "$BATS_TEST_TMPDIR/in.json"
  run_capguard_stdin 0 "$BATS_TEST_TMPDIR/in.json" --policy "$p" precreate
  printf '%s' "$output" > "$BATS_TEST_TMPDIR/out.json"
  assert "$(caps "$BATS_TEST_TMPDIR/out.json" inheritable)" == "CAP_NET_BIND_SERVICE"
  # CHOWN is allowed in ambient but not permitted (runc spec never had it), so it cannot stay.
  assert "$(caps "$BATS_TEST_TMPDIR/out.json" ambient)" == "CAP_NET_BIND_SERVICE"
  assert "$(caps "$BATS_TEST_TMPDIR/out.json" bounding)" == "CAP_KILL CAP_NET_BIND_SERVICE"
}

@test "noNewPrivileges: true is set by rewrite" {
  p=$(write_policy '{"version":1,"capabilities":{"allow":["ALL"]},"noNewPrivileges":true}')
  jq '.process.noNewPrivileges = false' "$FIXTURES/bundles/runc-spec/config.json" > "$BATS_TEST_TMPDIR/in.json"
  run_capguard_stdin 0 "$BATS_TEST_TMPDIR/in.json" --policy "$p" precreate
  assert "$(jq -c .process.noNewPrivileges <<<"$output")" == true
  assert "$(jq -c 'del(.process.noNewPrivileges, .process.capabilities)' <<<"$output")" == \
    "$(jq -c 'del(.process.noNewPrivileges, .process.capabilities)' "$BATS_TEST_TMPDIR/in.json")"
}
