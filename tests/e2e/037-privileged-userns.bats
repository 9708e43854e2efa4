#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# privileged: refuse and userNamespaces: deny (issue 18), on configs captured from podman and
# containerd's CRI, and on real podman reading what the kernel allows inside the container.

load helpers
bats_require_minimum_version 1.5.0

setup ()
{
  LOG=$BATS_TEST_TMPDIR/decisions.log
}

# pol ACTION EXTRA-JSON: the built-in ceiling with ACTION and EXTRA merged, logging to LOG.
pol ()
{
  jq --arg log "$LOG" --arg a "$1" --argjson extra "$2" \
    '.log = {syslog: false, file: $log} | .action = $a | del(.rules) | . * $extra' "$SRCDIR/policy/default.json" \
    > "$BATS_TEST_TMPDIR/p.json"
  policy_file "$BATS_TEST_TMPDIR/p.json" "$BATS_TEST_TMPDIR/p/policy.json"
}

@test "privileged: refuse refuses what podman, containerd's CRI and Docker made privileged, under rewrite and enforce; audit logs it" {
  for action in rewrite enforce; do
    p=$(pol $action '{"privileged": "refuse"}')
    for f in podman-privileged containerd-cri-privileged docker-privileged; do
      run_capguard_stdin 1 "$FIXTURES/bundles/$f/config.json" --policy "$p" precreate
      assert_one_error_line "privileged: the device cgroup gives every character device; the device cgroup gives every block device; /sys is writable; /proc/sys, /proc/sysrq-trigger or /proc/kcore is neither masked nor read-only, refused by privileged: refuse"
      assert "$output" == ""
    done
  done
  p=$(pol audit '{"privileged": "refuse"}')
  in=$FIXTURES/bundles/containerd-cri-privileged/config.json
  run_capguard_stdin 0 "$in" --policy "$p" precreate
  assert "$output" == "$(cat "$in")" "audit changes nothing"
  assert "$(tail -n 1 "$LOG" | jq -r '.decision + " " + (.reasons | map(select(startswith("privileged: "))) | length | tostring)')" == "audited 1"
}

@test "privileged: ordinary containers show no sign (--cap-add SYS_ADMIN, default podman, Docker and CRI pods); the privileged pod's sandbox is logged, not refused" {
  p=$(pol enforce '{"privileged": "refuse", "capabilities": {"allow": ["ALL"], "inheritable": ["ALL"], "ambient": ["ALL"]}}')
  for f in podman-cap-add podman-default containerd-cri-pod containerd-cri-privileged-sandbox runc-spec \
    docker-default docker-cap-add; do
    run_capguard_stdin 0 "$FIXTURES/bundles/$f/config.json" --policy "$p" precreate
  done
  run_capguard 0 --policy "$p" explain --json "$FIXTURES/bundles/containerd-cri-pod/config.json"
  assert "$(jq -c .privileged <<<"$output")" == '{"privileged":false,"criteria_met":[]}'
}

@test "privileged: each sign alone is refused, named in the reason: every char or block device (split rules counted together), a writable /sys, an unmasked /proc/sys, sysrq-trigger or kcore" {
  p=$(pol rewrite '{"privileged": "refuse"}')
  in=$FIXTURES/bundles/podman-default/config.json
  sign ()
  {
    jq "$1" "$in" > "$BATS_TEST_TMPDIR/s.json"
    run_capguard_stdin 1 "$BATS_TEST_TMPDIR/s.json" --policy "$p" precreate
    assert_one_error_line "privileged: $2, refused by privileged: refuse"
    assert "$output" == ""
  }
  sign '.linux.resources.devices += [{"allow": true, "type": "c", "access": "rwm"}]' 'the device cgroup gives every character device'
  sign '.linux.resources.devices += [{"allow": true, "type": "c", "access": "rw"}, {"allow": true, "type": "c", "major": -1, "access": "m"}]' \
    'the device cgroup gives every character device'
  sign '.linux.resources.devices += [{"allow": true, "type": "b", "access": "rwm"}]' 'the device cgroup gives every block device'
  sign '.linux.resources.devices += [{"allow": true, "access": "rwm"}, {"allow": false, "type": "b", "access": "w"}]' \
    'the device cgroup gives every character device'
  sign '(.mounts[] | select(.type == "sysfs") | .options) -= ["ro"]' '/sys is writable'
  sign '.mounts += [{"destination": "/host-sys", "type": "bind", "source": "/sys", "options": ["rbind", "rw"]}]' '/sys is writable'
  sign '.linux.readonlyPaths -= ["/proc/sys"]' '/proc/sys, /proc/sysrq-trigger or /proc/kcore is neither masked nor read-only'
  sign '.linux.maskedPaths -= ["/proc/kcore"]' '/proc/sys, /proc/sysrq-trigger or /proc/kcore is neither masked nor read-only'
  # Not a sign: one device of each kind, a read-only bind of /sys, /proc/sys read-only under /proc.
  for f in '.linux.resources.devices += [{"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"}]' \
    '.mounts += [{"destination": "/host-sys", "type": "bind", "source": "/sys", "options": ["rbind", "ro"]}]' \
    '.linux.resources.devices += [{"allow": true, "type": "c", "access": "rwm"}, {"allow": false, "type": "c", "access": "rwm"}]'; do
    jq "$f" "$in" > "$BATS_TEST_TMPDIR/s.json"
    run_capguard_stdin 0 "$BATS_TEST_TMPDIR/s.json" --policy "$p" precreate
  done
}

@test "privileged: a rule allows it per namespace (a CNI or storage daemonset)" {
  p=$(pol rewrite '{"privileged": "refuse", "rules": [{"name": "storage", "match": {"namespace": "default", "container": "capture-p"}, "privileged": "keep"}]}')
  run_capguard_stdin 0 "$FIXTURES/bundles/containerd-cri-privileged/config.json" --policy "$p" precreate
  assert "$(tail -n 1 "$LOG" | jq -r '.rule + " " + .decision')" == "storage rewritten" "clamped to the nine, not refused"
  run_capguard 0 --policy "$p" check
  assert "$output" =~ "privileged   refuse"
}

@test "userNamespaces: deny, rewrite: podman's profile keeps every other rule; unshare and clone lose CLONE_NEWUSER, clone3 goes" {
  p=$(pol rewrite '{"userNamespaces": "deny"}')
  in=$FIXTURES/bundles/podman-default/config.json
  run_capguard_stdin 0 "$in" --policy "$p" precreate
  out=$output
  assert "$(jq -c '[.linux.seccomp.syscalls[] | select(.names | index("unshare")) | {action, args, errnoRet}]' <<<"$out")" \
    == '[{"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":268435456,"valueTwo":0,"op":"SCMP_CMP_MASKED_EQ"}],"errnoRet":null},{"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":268435456,"valueTwo":268435456,"op":"SCMP_CMP_MASKED_EQ"}],"errnoRet":1}]'
  assert "$(jq -c '[.linux.seccomp.syscalls[] | select(.names | index("clone3")) | {action, errnoRet}]' <<<"$out")" == '[{"action":"SCMP_ACT_ERRNO","errnoRet":38}]'
  # Every other syscall the profile allowed is still allowed, and nothing else changed.
  assert "$(jq -r '[.linux.seccomp.syscalls[] | select(.action == "SCMP_ACT_ALLOW") | .names[]] | unique | length' <<<"$out")" \
    == "$(jq -r '[.linux.seccomp.syscalls[] | select(.action == "SCMP_ACT_ALLOW") | .names[]] | unique | map(select(. != "clone3")) | length' "$in")"
  assert "$(jq -c 'del(.linux.seccomp, .process.capabilities)' <<<"$out")" == "$(jq -c 'del(.linux.seccomp, .process.capabilities)' "$in")"
  # A container with no profile gets the baseline; one that already denies it is left alone.
  run_capguard_stdin 0 "$FIXTURES/bundles/containerd-cri-pod/config.json" --policy "$p" precreate
  assert "$(jq -r '.linux.seccomp.defaultAction' <<<"$output")" == SCMP_ACT_ALLOW "the baseline"
  jq --argjson s "$(jq -c .linux.seccomp <<<"$out")" '.linux.seccomp = $s' "$FIXTURES/bundles/runc-spec/config.json" > "$BATS_TEST_TMPDIR/denied.json"
  run_capguard 0 --policy "$p" explain --json "$BATS_TEST_TMPDIR/denied.json"
  assert "$(jq -c .user_namespaces <<<"$output")" == '{"allowed_because":null,"denied_by_rewrite":false}'
}

@test "userNamespaces: deny under enforce refuses a profile that allows them; rewrite composes a rule comparing clone's flags itself, and refuses two overlapping actions rather than guess libseccomp's order" {
  p=$(pol enforce '{"userNamespaces": "deny", "capabilities": {"allow": ["ALL"]}}')
  run_capguard_stdin 1 "$FIXTURES/bundles/podman-default/config.json" --policy "$p" precreate
  assert_one_error_line "linux.seccomp lets it create a user namespace \\(unshare\\(CLONE_NEWUSER\\) is allowed\\), denied by userNamespaces: deny"
  p=$(pol rewrite '{"userNamespaces": "deny", "capabilities": {"allow": ["ALL"]}}')
  # clone allowed for flags below 2^29: the values below 2^29 with CLONE_NEWUSER (2^28) clear are
  # one block, (x & 0x7ffffffff0000000) == 0.
  jq '.linux.seccomp.syscalls |= map(.names -= ["clone"])
      | .linux.seccomp.syscalls += [{"names": ["clone"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 536870912, "op": "SCMP_CMP_LT"}]}]' "$FIXTURES/bundles/podman-default/config.json" > "$BATS_TEST_TMPDIR/cmp.json"
  run_capguard_stdin 0 "$BATS_TEST_TMPDIR/cmp.json" --policy "$p" precreate
  # (python: jq 1.6 reads integers as doubles)
  assert "$(python3 -c 'import json, sys; print(json.dumps([{"action": r["action"], "args": r.get("args")} for r in json.load(sys.stdin)["linux"]["seccomp"]["syscalls"] if "clone" in r["names"]], separators=(",", ":")))' <<<"$output")" \
    == '[{"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":9223372036586340352,"valueTwo":0,"op":"SCMP_CMP_MASKED_EQ"}]},{"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":268435456,"valueTwo":268435456,"op":"SCMP_CMP_MASKED_EQ"}]}]'
  # A second rule logging clone for CLONE_FILES meets the first below 2^28: which wins is
  # libseccomp's order, which capguard's conditions could change.
  jq '.linux.seccomp.syscalls += [{"names": ["clone"], "action": "SCMP_ACT_LOG", "args": [{"index": 0, "value": 1024, "valueTwo": 1024, "op": "SCMP_CMP_MASKED_EQ"}]}]' \
    "$BATS_TEST_TMPDIR/cmp.json" > "$BATS_TEST_TMPDIR/overlap.json"
  run_capguard_stdin 3 "$BATS_TEST_TMPDIR/overlap.json" --policy "$p" precreate
  assert_one_error_line "two rules for \`clone\` \\(SCMP_ACT_ALLOW and SCMP_ACT_LOG\\) both hold for some call without CLONE_NEWUSER"
  assert "$output" == ""
}

@test "userNamespaces: deny, real podman with its default profile: unshare -U works without capguard, fails with it; ordinary work runs" {
  require_tool podman
  require_root "podman with runc and cgroupfs needs root here"
  bash "$SRCDIR/tests/rootfs.sh" "$BATS_TEST_TMPDIR/rootfs"
  p=$(pol rewrite '{"userNamespaces": "deny"}')
  mkdir -p "$BATS_TEST_TMPDIR/hooks" "$BATS_TEST_TMPDIR/nohooks"
  jq -n --arg path "$CAPGUARD" --arg policy "$p" '{version: "1.0.0", hook: {path: $path,
    args: ["capguard", "--policy", $policy, "precreate"]}, when: {always: true}, stages: ["precreate"]}' \
    > "$BATS_TEST_TMPDIR/hooks/capguard.json"
  pm ()
  {
    podman --root "$BATS_TEST_TMPDIR/podman/storage" --runroot "$BATS_TEST_TMPDIR/podman/run" \
      --tmpdir "$BATS_TEST_TMPDIR/podman/tmp" --storage-driver vfs --runtime runc --cgroup-manager cgroupfs \
      --events-backend file --hooks-dir "$1" run --rm --net none --ulimit nofile=1024:1024 \
      --ulimit nproc=1024:1024 --rootfs "$BATS_TEST_TMPDIR/rootfs" "${@:2}"
  }
  run -0 pm "$BATS_TEST_TMPDIR/nohooks" /bin/unshare -U -r /bin/id
  assert "$output" =~ "uid=0\\(root\\)" "control: podman's default profile lets it"
  run -1 --separate-stderr pm "$BATS_TEST_TMPDIR/hooks" /bin/unshare -U -r /bin/id
  assert "$stderr" =~ "unshare\\(0x10000000\\): Operation not permitted"
  run -0 pm "$BATS_TEST_TMPDIR/hooks" /bin/sh -c 'id -u; echo ok > /tmp/f; cat /tmp/f; sleep 0 & wait'
  assert "$output" == "0
ok" "fork (clone without CLONE_NEWUSER), files, exec"
}

@test "privileged: refuse on real podman: --privileged with --security-opt mask=/anything, unmask=ALL or unmask=/proc/sys is refused, the log naming the signs; --cap-add SYS_ADMIN alone runs" {
  require_tool podman
  require_root "podman with runc and cgroupfs needs root here"
  bash "$SRCDIR/tests/rootfs.sh" "$BATS_TEST_TMPDIR/rootfs"
  p=$(pol rewrite '{"privileged": "refuse"}')
  mkdir -p "$BATS_TEST_TMPDIR/hooks"
  jq -n --arg path "$CAPGUARD" --arg policy "$p" '{version: "1.0.0", hook: {path: $path,
    args: ["capguard", "--policy", $policy, "precreate"]}, when: {always: true}, stages: ["precreate"]}' \
    > "$BATS_TEST_TMPDIR/hooks/capguard.json"
  # pm [RUN-OPTION...] -- COMMAND...: podman's --rootfs takes the first argument as the root
  pm ()
  {
    local -a o=()
    while [[ $1 != -- ]]; do o+=("$1") && shift; done
    podman --root "$BATS_TEST_TMPDIR/podman/storage" --runroot "$BATS_TEST_TMPDIR/podman/run" \
      --tmpdir "$BATS_TEST_TMPDIR/podman/tmp" --storage-driver vfs --runtime runc --cgroup-manager cgroupfs \
      --events-backend file --hooks-dir "$BATS_TEST_TMPDIR/hooks" run --rm --net none \
      --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 "${o[@]}" --rootfs "$BATS_TEST_TMPDIR/rootfs" "${@:2}"
  }
  for opt in mask=/anything unmask=ALL unmask=/proc/sys; do
    run pm --privileged --security-opt "$opt" -- /bin/echo ran
    assert "$status" != 0 "--privileged --security-opt $opt must not run"
    [[ "$output" != *ran* ]]
    assert "$(tail -n 1 "$LOG" | jq -r '.decision')" == refused "$opt"
    assert "$(tail -n 1 "$LOG" | jq -r '.reasons[] | select(startswith("privileged: "))')" =~ "the device cgroup gives every character device; the device cgroup gives every block device; /sys is writable" "$opt"
  done
  run -0 pm --cap-add SYS_ADMIN -- /bin/echo ran
  assert "$output" == ran
}

@test "report and status know both keys: audited privileged and user-namespace starts would break under enforce, and the suggested rule keeps them" {
  p=$(pol audit '{"privileged": "refuse", "userNamespaces": "deny"}')
  run_capguard_stdin 0 "$FIXTURES/bundles/containerd-cri-privileged/config.json" --policy "$p" precreate
  run_capguard 0 report --json --suggest "$LOG"
  assert "$(jq -c '.would_break[0].capabilities | map(select(. == "privileged" or . == "userNamespaces"))' <<<"$output")" == '["privileged","userNamespaces"]'
  assert "$(jq -c '.suggested_rules[0] | [.privileged, .userNamespaces, .match.container]' <<<"$output")" == '["keep","keep","capture-p"]'
  run_capguard 1 --policy "$p" status --root "$BATS_TEST_TMPDIR/empty-node" --json
  assert "$(jq -c .policy.top_level <<<"$output")" == '{"action":"audit","privileged":"refuse","userNamespaces":"deny"}'
}
