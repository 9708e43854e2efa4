#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Real podman (runc, hooks.d precreate): the kernel's view from inside the container.

load helpers
bats_require_minimum_version 1.5.0

setup_file ()
{
  export PODMAN_ROOT=$BATS_FILE_TMPDIR/podman
  export ROOTFS=$BATS_FILE_TMPDIR/rootfs
  mkdir -p "$PODMAN_ROOT"
  bash "$SRCDIR/tests/rootfs.sh" "$ROOTFS"
}

setup ()
{
  require_tool podman
  require_tool runc
  require_tool capsh "capsh (libcap2-bin)"
  require_root "podman with runc and cgroupfs needs root here"
  LOG=$BATS_TEST_TMPDIR/decisions.log
  HOOKS=$BATS_TEST_TMPDIR/hooks.d
  mkdir -p "$HOOKS"
}

# register POLICY: a hooks.d file for the precreate stage, as hooks/podman/ ships it but pointing at
# the binary under test and naming the policy (podman runs hooks with an empty environment).
register ()
{
  jq -n --arg path "$CAPGUARD" --arg policy "$1" \
    '{version: "1.0.0", hook: {path: $path, args: ["capguard", "--policy", $policy, "precreate"]},
      when: {always: true}, stages: ["precreate"]}' > "$HOOKS/capguard.json"
}

# podman_status [PODMAN RUN ARGS...]: the Cap* lines of /proc/self/status inside a container.
podman_status ()
{
  run --separate-stderr podman --root "$PODMAN_ROOT/storage" --runroot "$PODMAN_ROOT/run" \
    --tmpdir "$PODMAN_ROOT/tmp" --storage-driver vfs --runtime runc --cgroup-manager cgroupfs \
    --events-backend file --hooks-dir "$HOOKS" \
    run --rm --net none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 "$@" \
    --rootfs "$ROOTFS" /bin/grep ^Cap /proc/self/status
  printf '# podman run %s\n# status %s\n# stdout: %s\n# stderr: %s\n' "$*" "$status" "$output" "$stderr"
}


@test "control: without capguard podman grants more than the built-in ceiling" {
  podman_status --cap-add NET_RAW,SYS_ADMIN
  assert "$status" == 0
  assert "$(live Bnd)" =~ CAP_SYS_ADMIN "the test can see an unclamped container"
  assert "$(live Bnd)" != "$CRIO_NINE"
}

@test "the built-in policy clamps podman's defaults: the kernel holds exactly the nine" {
  p=$(policy_file "$SRCDIR/policy/default.json")
  jq --arg log "$LOG" '.log.file = $log' "$SRCDIR/policy/default.json" > "$p"
  register "$p"
  podman_status
  assert "$status" == 0
  for s in Bnd Eff Prm; do
    assert "$(live $s)" == "$CRIO_NINE" "Cap$s inside the container"
  done
  assert "$(live Inh)" == "" "CapInh"
  assert "$(live Amb)" == "" "CapAmb"
  assert "$(jq -r '.decision + " " + .engine' "$LOG")" == "rewritten podman"
}

@test "--privileged and --cap-add SYS_ADMIN are clamped too" {
  p=$(policy_file "$SRCDIR/policy/default.json")
  register "$p"
  podman_status --privileged
  assert "$status" == 0
  assert "$(live Bnd)" == "$CRIO_NINE" "privileged"
  assert "$(live Eff)" == "$CRIO_NINE" "privileged"
  podman_status --cap-add SYS_ADMIN,NET_ADMIN --cap-drop CHOWN
  assert "$status" == 0
  assert "$(live Bnd)" == "${CRIO_NINE/CAP_CHOWN /}" "a dropped capability stays dropped"
}

@test "a policy ceiling with ambient: a non-root process keeps only what ambient carries" {
  p=$(write_policy '{"version":1,"capabilities":{"allow":["NET_BIND_SERVICE","KILL"],"inheritable":["NET_BIND_SERVICE"],"ambient":["NET_BIND_SERVICE"]}}')
  register "$p"
  podman_status --user 65534:65534 --cap-add NET_BIND_SERVICE,SYS_ADMIN
  assert "$status" == 0
  assert "$(live Bnd)" == "CAP_KILL CAP_NET_BIND_SERVICE"
  # podman hands a non-root user its added capabilities through inheritable and ambient; SYS_ADMIN is
  # gone from both, NET_BIND_SERVICE survives execve through ambient.
  for s in Inh Amb Prm Eff; do
    assert "$(live $s)" == "CAP_NET_BIND_SERVICE" "Cap$s of uid 65534"
  done
}

@test "deny refuses the container: podman run fails, nothing runs, the reason is in the decision log" {
  p=$(policy_fixture all-deny-net-raw-sys-admin)
  register "$p"
  podman_status --cap-add NET_RAW
  assert "$status" != 0 "podman run must fail"
  assert "$output" !~ "CapBnd" "the container never ran"
  assert "$(jq -r .decision "$LOG")" == refused
  assert "$(jq -r '.reasons[0]' "$LOG")" == "bounding holds CAP_NET_RAW, denied by capabilities.deny"
  # Without the added capability the same policy lets it run.
  podman_status
  assert "$status" == 0
  assert "$(live Bnd)" !~ CAP_NET_RAW
}

@test "podman --runtime capguard-runtime clamps with the wrapper alone (no hooks.d)" {
  # podman gives the OCI runtime no environment of ours: the wrapper reads the default policy path,
  # and, with nothing there, the built-in policy.
  [ ! -e /etc/capguard/policy.json ] || skip_or_fail "/etc/capguard/policy.json exists: the built-in policy would not apply"
  run --separate-stderr podman --root "$PODMAN_ROOT/storage" --runroot "$PODMAN_ROOT/run" \
    --tmpdir "$PODMAN_ROOT/tmp" --storage-driver vfs --runtime "$(dirname "$CAPGUARD")/capguard-runtime" \
    --cgroup-manager cgroupfs --events-backend file --hooks-dir "$HOOKS" \
    run --rm --net none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --cap-add SYS_ADMIN,NET_RAW \
    --rootfs "$ROOTFS" /bin/grep ^Cap /proc/self/status
  echo "# $status: $output / $stderr"
  assert "$status" == 0
  assert "$(ls -A "$HOOKS")" == "" "no hooks registered"
  for s in Bnd Eff Prm; do
    assert "$(live $s)" == "$CRIO_NINE" "Cap$s"
  done
}
