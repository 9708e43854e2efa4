#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# seccomp (keep, require, baseline) and pingGroupRange (keep, auto): fixtures under every action, then
# the kernel's word: a user namespace refused by the baseline in a real podman container, and an ICMP
# echo through an unprivileged ICMP socket in a real runc container.

load helpers
bats_require_minimum_version 1.5.0

setup ()
{
  LOG=$BATS_TEST_TMPDIR/decisions.log
  DEFAULT=$FIXTURES/bundles/podman-default/config.json
  jq 'del(.linux.seccomp)' "$DEFAULT" > "$BATS_TEST_TMPDIR/no-seccomp.json"
  jq '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW"}' "$DEFAULT" > "$BATS_TEST_TMPDIR/unconfined.json"
  # runc's template: a network namespace, no sysctl.
  RUNC=$FIXTURES/bundles/runc-spec/config.json
}

# pol ACTION [KEY=JSON...]: a policy allowing podman's eleven, with these keys.
pol ()
{
  policy_fixture all-sets-all action="\"$1\"" "${@:2}"
}

builtin_profile () { jq -c '.syscalls |= map(del(.comment))' "$SRCDIR/policy/seccomp-baseline.json"; }

@test "seccomp baseline, rewrite: an unconfined container gets the node's profile; one with a profile keeps it" {
  p=$(pol rewrite 'seccomp="baseline"')
  for f in no-seccomp unconfined; do
    run_capguard_stdin 0 "$BATS_TEST_TMPDIR/$f.json" --policy "$p" precreate
    assert "$(jq -c .linux.seccomp <<<"$output")" == "$(builtin_profile)" "$f: the built-in baseline, comments dropped"
    assert "$(jq -c 'del(.linux.seccomp)' <<<"$output")" == "$(jq -c 'del(.linux.seccomp)' "$BATS_TEST_TMPDIR/$f.json")"
  done
  assert "$(jq -r '.reasons[0]' "$LOG" | tail -1)" == "linux.seccomp allows every syscall (unconfined): the node's seccomp baseline (<built-in baseline>) is required"
  run_capguard_stdin 0 "$DEFAULT" --policy "$p" precreate
  assert "$output" == "$(cat "$DEFAULT")" "podman's own profile is kept, byte for byte"
}

@test "seccomp baseline with a seccompProfile file inserts that profile" {
  mkdir -p "$BATS_TEST_TMPDIR/prof" && chmod 755 "$BATS_TEST_TMPDIR/prof"
  echo '{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64"],"syscalls":[{"names":["bpf"],"action":"SCMP_ACT_ERRNO","errnoRet":1}]}' \
    > "$BATS_TEST_TMPDIR/prof/p.json"
  p=$(pol rewrite 'seccomp="baseline"' "seccompProfile=\"$BATS_TEST_TMPDIR/prof/p.json\"")
  run_capguard_stdin 0 "$BATS_TEST_TMPDIR/no-seccomp.json" --policy "$p" precreate
  assert "$(jq -c .linux.seccomp <<<"$output")" == "$(jq -c . "$BATS_TEST_TMPDIR/prof/p.json")"
}

@test "seccomp baseline under enforce, audit, and in the createRuntime hook" {
  p=$(pol enforce 'seccomp="baseline"')
  run_capguard_stdin 1 "$BATS_TEST_TMPDIR/unconfined.json" --policy "$p" precreate
  assert_one_error_line ", action enforce\\): linux.seccomp allows every syscall \\(unconfined\\): the node's seccomp baseline \\(<built-in baseline>\\) is required$"
  run_capguard_stdin 0 "$DEFAULT" --policy "$p" precreate
  p=$(pol audit 'seccomp="baseline"')
  run_capguard_stdin 0 "$BATS_TEST_TMPDIR/unconfined.json" --policy "$p" precreate
  assert "$output" == "$(cat "$BATS_TEST_TMPDIR/unconfined.json")"
  assert "$(jq -r .decision "$LOG" | tail -1)" == audited
  p=$(pol rewrite 'seccomp="baseline"')
  mkdir "$BATS_TEST_TMPDIR/b" && cp "$BATS_TEST_TMPDIR/unconfined.json" "$BATS_TEST_TMPDIR/b/config.json"
  printf '{"id":"s1","bundle":"%s","pid":1}' "$BATS_TEST_TMPDIR/b" > "$BATS_TEST_TMPDIR/state.json"
  run_capguard_stdin 1 "$BATS_TEST_TMPDIR/state.json" --policy "$p" hook createRuntime
  assert_one_error_line "container s1: .*the node's seccomp baseline .*no rewrite step ran"
}

@test "seccomp require and keep, under each action" {
  for action in rewrite enforce; do
    p=$(pol $action 'seccomp="require"')
    run_capguard_stdin 1 "$BATS_TEST_TMPDIR/no-seccomp.json" --policy "$p" precreate
    assert_one_error_line "linux.seccomp is missing, required by seccomp: require$"
    run_capguard_stdin 0 "$DEFAULT" --policy "$p" precreate
  done
  p=$(pol audit 'seccomp="require"')
  run_capguard_stdin 0 "$BATS_TEST_TMPDIR/no-seccomp.json" --policy "$p" precreate
  assert "$(jq -r .decision "$LOG" | tail -1)" == audited
  p=$(pol rewrite 'seccomp="keep"')
  run_capguard_stdin 0 "$BATS_TEST_TMPDIR/unconfined.json" --policy "$p" precreate
  assert "$output" == "$(cat "$BATS_TEST_TMPDIR/unconfined.json")"
}

@test "pingGroupRange auto: set when NET_RAW is gone and the container has its own network" {
  p=$(policy_fixture kill-nbs-ping-auto)
  run_capguard_stdin 0 "$RUNC" --policy "$p" precreate
  assert "$(jq -c .linux.sysctl <<<"$output")" == '{"net.ipv4.ping_group_range":"0 2147483647"}'
  assert "$(jq -c 'del(.linux.sysctl, .process.capabilities)' <<<"$output")" == "$(jq -c 'del(.process.capabilities)' "$RUNC")"
  assert "$(jq -r '.reasons[-1]' "$LOG")" == 'net.ipv4.ping_group_range set to `0 2147483647`: CAP_NET_RAW is not held, and ping needs ICMP sockets'
  # Host network: no network namespace, the host's sysctl is not ours to change.
  jq '.linux.namespaces |= map(select(.type != "network"))' "$RUNC" > "$BATS_TEST_TMPDIR/host.json"
  run_capguard_stdin 0 "$BATS_TEST_TMPDIR/host.json" --policy "$p" precreate
  assert "$(jq -c .linux.sysctl <<<"$output")" == null
  # Already set (podman sets "0 0"): kept.
  run_capguard_stdin 0 "$DEFAULT" --policy "$p" precreate
  assert "$(jq -c .linux.sysctl <<<"$output")" == '{"net.ipv4.ping_group_range":"0 0"}'
  # A joined network namespace that is not the host's (a pod's) counts as the container's own.
  unshare --net sleep 60 3>&- &
  local pid=$!
  for _ in $(seq 50); do [ "$(readlink /proc/$pid/ns/net)" != "$(readlink /proc/self/ns/net)" ] && break; sleep 0.1; done
  joined () { jq --arg p "$1" '.linux.namespaces |= map(if .type == "network" then .path = $p else . end)' "$RUNC" > "$BATS_TEST_TMPDIR/joined.json"; }
  joined "/proc/$pid/ns/net"
  run_capguard_stdin 0 "$BATS_TEST_TMPDIR/joined.json" --policy "$p" precreate
  assert "$(jq -r '.linux.sysctl["net.ipv4.ping_group_range"]' <<<"$output")" == "0 2147483647"
  kill $pid
  # Joined by a path that is the host's namespace (containerd's hostNetwork sandbox, CRI-O's pinns,
  # Docker's --network host): runc refuses a net.* sysctl there, so none is set.
  joined "/proc/$$/ns/net"
  run_capguard_stdin 0 "$BATS_TEST_TMPDIR/joined.json" --policy "$p" precreate
  assert "$(jq -c .linux.sysctl <<<"$output")" == null "the host's namespace by path"
  # A path that cannot be read may be the host's: no sysctl, and the log says why.
  joined /var/run/netns/capguard-no-such-namespace
  run_capguard_stdin 0 "$BATS_TEST_TMPDIR/joined.json" --policy "$p" precreate
  assert "$(jq -c .linux.sysctl <<<"$output")" == null "an unreadable path"
  assert "$(tail -n 1 "$LOG" | jq -r '.reasons[-1]')" == 'net.ipv4.ping_group_range not set: the network namespace `/var/run/netns/capguard-no-such-namespace` cannot be read, so it may be the host'"'"'s'
}

@test "pingGroupRange: not when NET_RAW stays, not under enforce or audit, not with keep" {
  p=$(write_policy '{"version":1,"capabilities":{"allow":["ALL"],"ambient":["ALL"],"inheritable":["ALL"]},"pingGroupRange":"auto","log":{"syslog":false}}')
  jq '.process.capabilities.bounding += ["CAP_NET_RAW"]' "$RUNC" > "$BATS_TEST_TMPDIR/raw.json"
  run_capguard_stdin 0 "$BATS_TEST_TMPDIR/raw.json" --policy "$p" precreate
  assert "$(jq -c .linux.sysctl <<<"$output")" == null "CAP_NET_RAW kept: raw sockets work, nothing to open"
  for action in enforce audit; do
    p=$(LOG= policy_fixture all-sets-all action="\"$action\"" pingGroupRange='"auto"')
    run_capguard_stdin 0 "$RUNC" --policy "$p" precreate
    assert "$output" == "$(cat "$RUNC")" "$action changes nothing"
  done
  p=$(write_policy '{"version":1,"capabilities":{"allow":["KILL"]},"log":{"syslog":false}}')
  run_capguard_stdin 0 "$RUNC" --policy "$p" precreate
  assert "$(jq -c .linux.sysctl <<<"$output")" == null
}

@test "check: a profile naming an unknown syscall or architecture is refused, located in the profile" {
  mkdir -p "$BATS_TEST_TMPDIR/prof" && chmod 755 "$BATS_TEST_TMPDIR/prof"
  printf '{"defaultAction":"SCMP_ACT_ALLOW",\n "syscalls":[{"names":["unshare","frobnicate"],"action":"SCMP_ACT_ERRNO"}]}\n' > "$BATS_TEST_TMPDIR/prof/p.json"
  p=$(pol rewrite 'seccomp="baseline"' "seccompProfile=\"$BATS_TEST_TMPDIR/prof/p.json\"")
  run_capguard 2 check "$p"
  assert_one_error_line "^capguard: check: $BATS_TEST_TMPDIR/prof/p.json:2:34: syscall \`frobnicate\` is not known to libseccomp$"
  printf '{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_Z80"]}' > "$BATS_TEST_TMPDIR/prof/p.json"
  run_capguard 2 check "$p"
  assert_one_error_line "p.json:1:71: architecture \`SCMP_ARCH_Z80\` is not known to libseccomp$"
  chmod 0666 "$BATS_TEST_TMPDIR/prof/p.json"
  run_capguard 2 check "$p"
  assert_one_error_line "seccomp profile \`$BATS_TEST_TMPDIR/prof/p.json\` is writable by group or others"
  # The shipped baseline passes libseccomp's checks, and check says what applies.
  p=$(pol rewrite 'seccomp="baseline"' 'pingGroupRange="auto"')
  run_capguard 0 check "$p"
  assert "$output" =~ "seccomp      baseline for unconfined containers: <built-in baseline>"
  assert "$output" =~ "pingGroup    auto \\(0 2147483647 when CAP_NET_RAW is gone\\)"
}

@test "restricted.json: refuses an unconfined container, runs an ordinary one" {
  p=$(policy_file "$SRCDIR/policy/restricted.json")
  jq '.process.capabilities = {"bounding":["CAP_NET_BIND_SERVICE"]} | .process.noNewPrivileges = true' "$DEFAULT" > "$BATS_TEST_TMPDIR/ok.json"
  run_capguard_stdin 0 "$BATS_TEST_TMPDIR/ok.json" --policy "$p" precreate
  jq '.linux.seccomp = {"defaultAction":"SCMP_ACT_ALLOW"}' "$BATS_TEST_TMPDIR/ok.json" > "$BATS_TEST_TMPDIR/u.json"
  run_capguard_stdin 1 "$BATS_TEST_TMPDIR/u.json" --policy "$p" precreate
  assert_one_error_line "unconfined"
}

# Real engines from here on.

podman_run ()
{
  run --separate-stderr podman --root "$BATS_FILE_TMPDIR/podman/storage" --runroot "$BATS_FILE_TMPDIR/podman/run" \
    --tmpdir "$BATS_FILE_TMPDIR/podman/tmp" --storage-driver vfs --runtime runc --cgroup-manager cgroupfs \
    --events-backend file --hooks-dir "$BATS_TEST_TMPDIR/hooks" \
    run --rm --net none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --security-opt seccomp=unconfined \
    --rootfs "$BATS_FILE_TMPDIR/rootfs" "$@"
  echo "# podman run $*: $status: $output / $stderr"
}

teardown ()
{
  if [ -n "${NETNS:-}" ]; then
    ip netns del "$NETNS" 2>/dev/null || true
  fi
}

setup_file ()
{
  bash "$SRCDIR/tests/rootfs.sh" "$BATS_FILE_TMPDIR/rootfs"
}

@test "podman, seccomp=unconfined: unshare -U -r works without capguard, fails under the baseline" {
  require_tool podman
  require_root "podman with runc and cgroupfs needs root here"
  mkdir -p "$BATS_TEST_TMPDIR/hooks"
  podman_run /bin/sh -c 'unshare -U -r /bin/id -u'
  assert "$status" == 0 "control: an unconfined container can create a user namespace"
  assert "$output" == "0" "and be root in it"
  p=$(pol rewrite 'seccomp="baseline"')
  jq -n --arg path "$CAPGUARD" --arg policy "$p" \
    '{version: "1.0.0", hook: {path: $path, args: ["capguard", "--policy", $policy, "precreate"]},
      when: {always: true}, stages: ["precreate"]}' > "$BATS_TEST_TMPDIR/hooks/capguard.json"
  podman_run /bin/sh -c 'echo ordinary work; ls / > /dev/null && echo ls ok; unshare -U -r /bin/id -u; echo "unshare=$?"'
  assert "$status" == 0
  assert "${lines[0]}" == "ordinary work"
  assert "${lines[1]}" == "ls ok"
  assert "$output" =~ "unshare=1" "unshare(CLONE_NEWUSER) refused"
  assert "$output" !~ $'\n0\n' "never root in a new user namespace"
  assert "$stderr" =~ "unshare: unshare\\(0x10000000\\): Operation not permitted"
  assert "$(jq -r '.decision' "$LOG")" == rewritten
}

@test "runc: an ICMP echo through an unprivileged socket works when capguard set the sysctl, not without" {
  require_tool runc
  require_tool ip "ip (iproute2)"
  require_root "runc and network namespaces need root here"
  [ -x "${ICMP_ECHO:-}" ] || { echo "ICMP_ECHO=${ICMP_ECHO:-} is not built"; return 1; }
  # A network namespace of the test's own with loopback up, for the container to join.
  ns=capguard-test-$$
  NETNS=$ns
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  rootfs=$BATS_TEST_TMPDIR/rootfs
  cp -a "$BATS_FILE_TMPDIR/rootfs" "$rootfs"
  cp "$ICMP_ECHO" "$rootfs/bin/icmp-echo"
  b=$BATS_TEST_TMPDIR/bundle
  mkdir -p "$b"
  jq --arg rootfs "$rootfs" --arg ns "/var/run/netns/$ns" '
    .process.terminal = false | .process.args = ["/bin/icmp-echo"] | .root = {path: $rootfs, readonly: true}
    | .linux.namespaces |= map(if .type == "network" then .path = $ns else . end)' "$RUNC" > "$b/config.json"
  cp "$b/config.json" "$BATS_TEST_TMPDIR/config.orig"
  export CAPGUARD_POLICY
  CAPGUARD_POLICY=$(LOG= policy_fixture kill-nbs-ping-auto pingGroupRange='"keep"')
  wrapper=$(dirname "$CAPGUARD")/capguard-runtime
  run --separate-stderr "$wrapper" --root "$BATS_TEST_TMPDIR/runc" run --bundle "$b" "icmp-keep-$$"
  echo "# keep: $status: $output / $stderr"
  assert "$output" == "socket: Permission denied" "without the sysctl: no ICMP socket for gid 0"
  assert "$(ip netns exec "$ns" cat /proc/sys/net/ipv4/ping_group_range)" == $'1\t0'
  cp "$BATS_TEST_TMPDIR/config.orig" "$b/config.json"
  jq '.pingGroupRange = "auto"' "$CAPGUARD_POLICY" > "$BATS_TEST_TMPDIR/x" && cat "$BATS_TEST_TMPDIR/x" > "$CAPGUARD_POLICY"
  run --separate-stderr "$wrapper" --root "$BATS_TEST_TMPDIR/runc" run --bundle "$b" "icmp-auto-$$"
  echo "# auto: $status: $output / $stderr"
  assert "$status" == 0
  assert "$output" == "reply" "an echo reply through the ICMP socket"
  assert "$(jq -r '.linux.sysctl["net.ipv4.ping_group_range"]' "$b/config.json")" == "0 2147483647"
  assert "$(jq -c .process.capabilities.bounding "$b/config.json")" == '["CAP_KILL","CAP_NET_BIND_SERVICE"]' "no CAP_NET_RAW"
}
