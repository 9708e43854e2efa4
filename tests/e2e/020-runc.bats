#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Real runc 1.1 with capguard in the bundle's config.json hooks: createRuntime refuses before the
# container runs, poststart kills a running container that holds more than the policy allows.

load helpers
bats_require_minimum_version 1.5.0

NINE="CAP_CHOWN CAP_DAC_OVERRIDE CAP_FOWNER CAP_FSETID CAP_KILL CAP_NET_BIND_SERVICE CAP_SETGID CAP_SETPCAP CAP_SETUID"

setup_file ()
{
  export ROOTFS=$BATS_FILE_TMPDIR/rootfs
  bash "$SRCDIR/tests/rootfs.sh" "$ROOTFS"
}

setup ()
{
  require_tool runc
  require_tool capsh "capsh (libcap2-bin)"
  require_root "runc with cgroupfs needs root here"
  RUNC_ROOT=$BATS_TEST_TMPDIR/runc
  LOG=$BATS_TEST_TMPDIR/decisions.log
  POLICY=$(policy_file "$SRCDIR/policy/default.json")
  jq --arg log "$LOG" '.log.file = $log | .log.syslog = false' "$SRCDIR/policy/default.json" > "$POLICY"
  ID=capguard-test-$BATS_TEST_NUMBER-$$
}

teardown ()
{
  runc --root "$RUNC_ROOT" delete -f "$ID" >/dev/null 2>&1 || true
}

# bundle CAPS STAGES ARGS_JSON: $BUNDLE with runc's own template, CAPS ("nine" or "runc") in the
# process, and capguard registered for each of STAGES (space-separated).
bundle ()
{
  local caps=$1 stages=$2 args=$3
  BUNDLE=$BATS_TEST_TMPDIR/bundle
  mkdir -p "$BUNDLE"
  (cd "$BUNDLE" && rm -f config.json && runc spec)
  jq --arg cg "$CAPGUARD" --arg p "$POLICY" --arg rootfs "$ROOTFS" --arg caps "$caps" --arg stages "$stages" --argjson args "$args" '
    .process.terminal = false | .process.args = $args | .root = {path: $rootfs, readonly: true}
    | if $caps == "nine" then .process.capabilities = {
        bounding: ["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_FOWNER","CAP_FSETID","CAP_KILL","CAP_NET_BIND_SERVICE","CAP_SETGID","CAP_SETPCAP","CAP_SETUID"],
        effective: ["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_FOWNER","CAP_FSETID","CAP_KILL","CAP_NET_BIND_SERVICE","CAP_SETGID","CAP_SETPCAP","CAP_SETUID"],
        permitted: ["CAP_CHOWN","CAP_DAC_OVERRIDE","CAP_FOWNER","CAP_FSETID","CAP_KILL","CAP_NET_BIND_SERVICE","CAP_SETGID","CAP_SETPCAP","CAP_SETUID"]}
      else . end
    | .hooks = ([$stages | splits(" ") | select(. != "")]
                | map({(.): [{path: $cg, args: ["capguard", "--policy", $p, "hook", .]}]}) | add)' \
    "$BUNDLE/config.json" > "$BUNDLE/config.new"
  mv "$BUNDLE/config.new" "$BUNDLE/config.json"
}


@test "createRuntime: a conforming container runs, and the kernel holds exactly the allowed sets" {
  bundle nine createRuntime '["/bin/grep", "^Cap", "/proc/self/status"]'
  run --separate-stderr runc --root "$RUNC_ROOT" run --bundle "$BUNDLE" "$ID"
  echo "# $output / $stderr"
  assert "$status" == 0
  for s in Bnd Eff Prm; do
    assert "$(live $s)" == "$NINE" "Cap$s"
  done
  assert "$(live Inh)" == "" && assert "$(live Amb)" == ""
  assert "$(jq -r '.stage + " " + .decision + " " + .id' "$LOG")" == "createRuntime allowed $ID"
}

@test "createRuntime: runc's own template (AUDIT_WRITE, ambient) is refused: runc run fails, nothing runs" {
  bundle runc createRuntime '["/bin/sh", "-c", "echo RAN"]'
  run --separate-stderr runc --root "$RUNC_ROOT" run --bundle "$BUNDLE" "$ID"
  echo "# $output / $stderr"
  assert "$status" != 0
  assert "$output" !~ RAN "the process never ran"
  assert "$stderr" =~ "capguard: hook: container $ID: refused by [^(]* \\(top level, action rewrite\\): bounding holds CAP_AUDIT_WRITE, beyond capabilities.allow"
  run runc --root "$RUNC_ROOT" state "$ID"
  assert "$status" != 0 "nothing left behind"
  assert "$(jq -r .decision "$LOG")" == refused
}

# run_detached: `runc run -d`, with the container's stdio on files, not on bats' pipes (a detached
# container keeps them open).  Leaves $status, and runc's and the container's output in $stderr.
run_detached ()
{
  local out=$BATS_TEST_TMPDIR/runc.out
  status=0
  runc --root "$RUNC_ROOT" run -d --bundle "$BUNDLE" "$ID" < /dev/null > "$out" 2>&1 || status=$?
  stderr=$(cat "$out")
  echo "# runc run -d: status $status: $stderr"
}

# container_pids: pids of processes whose command line is `/bin/sleep $MARK`.
container_pids ()
{
  local f
  for f in /proc/[0-9]*/cmdline; do
    [ "$(tr '\0' ' ' < "$f" 2>/dev/null)" = "/bin/sleep $MARK " ] && { f=${f#/proc/}; echo "${f%/cmdline}"; }
  done
  return 0
}

@test "poststart: a running container beyond the policy is killed, and runc reports the refusal" {
  MARK=$((31000 + RANDOM % 1000))
  bundle runc poststart "[\"/bin/sleep\", \"$MARK\"]"
  run_detached
  assert "$stderr" =~ "container $ID: refused .*killed the container's init \\(SIGKILL\\)"
  # The check below must be able to see the process: it ran as /bin/sleep $MARK.
  assert "$(jq -r '.decision' "$LOG")" == refused
  # The kill happens inside runc's poststart, before it returns; the reaping may lag on a loaded
  # machine: a generous bound, and no claim on speed (the benchmark measures that).
  for _ in $(seq 600); do [ -z "$(container_pids)" ] && break; sleep 0.05; done
  assert "$(container_pids)" == "" "the container's process is gone"
  assert "$(jq -r '.stage + " " + .decision' "$LOG")" == "poststart refused"
  assert "$(jq -c .removed.bounding "$LOG")" == '["CAP_AUDIT_WRITE"]' "the live bounding set, from /proc"
}

@test "poststart: a conforming container keeps running" {
  MARK=$((32000 + RANDOM % 1000))
  bundle nine "createRuntime poststart" "[\"/bin/sleep\", \"$MARK\"]"
  run_detached
  assert "$status" == 0
  sleep 0.3
  assert "$(container_pids)" != "" "still running"
  run runc --root "$RUNC_ROOT" state "$ID"
  assert "$(jq -r .status <<<"$output")" == running
  assert "$(jq -r '.stage + " " + .decision' "$LOG" | tr '\n' ,)" == "createRuntime allowed,poststart allowed,"
}
