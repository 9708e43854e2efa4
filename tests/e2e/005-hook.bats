#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# capguard hook createRuntime/prestart/poststart on state fixtures and captured bundles.

load helpers
bats_require_minimum_version 1.5.0

setup ()
{
  LOG=$BATS_TEST_TMPDIR/decisions.log
  POLICY=$(policy_file "$SRCDIR/policy/default.json")
  jq --arg log "$LOG" '.log.file = $log | .log.syslog = false' "$SRCDIR/policy/default.json" > "$POLICY"
}

# state CASE BUNDLE: the state fixture with @BUNDLE@ filled in, as a file path.
state ()
{
  local out=$BATS_TEST_TMPDIR/state-$1.json
  sed "s|@BUNDLE@|$2|" "$FIXTURES/state/$1.json" > "$out"
  echo "$out"
}

hook ()
{
  local rc=$1 state=$2; shift 2
  run_capguard_stdin "$rc" "$state" --policy "$POLICY" hook "$@"
  assert "$output" == "" "a hook writes nothing on stdout"
}

@test "createRuntime (the default stage): a conforming config passes and is logged as allowed" {
  s=$(state createRuntime "$FIXTURES/bundles/caps-conforming")
  hook 0 "$s"
  hook 0 "$s" createRuntime
  hook 0 "$s" prestart
  assert "$stderr" == ""
  run jq -r '[.command, .stage, .id, .decision] | join(" ")' "$LOG"
  assert "${lines[0]}" == "hook createRuntime 0123456789abcdef allowed"
  assert "${lines[2]}" == "hook prestart 0123456789abcdef allowed"
}

@test "createRuntime: beyond the ceiling means no rewrite step ran: refused, naming the id, the set and the capabilities" {
  s=$(state createRuntime "$FIXTURES/bundles/podman-default")
  hook 1 "$s" createRuntime
  assert_one_error_line '^capguard: hook: container 0123456789abcdef: refused by [^(]* \(top level, action rewrite\): bounding holds CAP_SYS_CHROOT CAP_SETFCAP, beyond capabilities.allow; .*no rewrite step ran'
  assert "$(jq -r '.decision + " " + (.removed.bounding | join(","))' "$LOG")" == "refused CAP_SYS_CHROOT,CAP_SETFCAP"
}

@test "createRuntime: a denied capability refuses; enforce refuses an excess; audit lets both through" {
  p=$(write_policy '{"version":1,"capabilities":{"allow":["ALL"],"deny":["NET_RAW"]},"log":{"syslog":false}}')
  s=$(state createRuntime "$FIXTURES/bundles/containerd-ctr-default")
  run_capguard_stdin 1 "$s" --policy "$p" hook
  assert_one_error_line 'bounding holds CAP_NET_RAW, denied by capabilities.deny'
  p=$(write_policy '{"version":1,"action":"enforce","capabilities":{"allow":["KILL"]},"log":{"syslog":false}}')
  run_capguard_stdin 1 "$s" --policy "$p" hook
  assert_one_error_line ', action enforce\): bounding holds .*CAP_NET_RAW.*, beyond capabilities.allow'
  p=$(policy_fixture audit-kill-deny-net-raw)
  run_capguard_stdin 0 "$s" --policy "$p" hook
  assert "$stderr" == ""
  assert "$(jq -r .decision "$LOG")" == audited
}

@test "createRuntime: a rule matches through the state's annotations (CRI-O's sandbox annotations)" {
  s=$(state kube-system-from-state "$FIXTURES/bundles/containerd-ctr-default")
  hook 0 "$s"
  run jq -r '[.rule, .decision, .namespace, .pod, .container] | join(" ")' "$LOG"
  assert "$output" == "kube-system audited audited kube-system kube-proxy-x kube-proxy"
}

@test "createRuntime: config and state disagreeing on an annotation match nothing" {
  jq '.annotations["io.kubernetes.pod.namespace"] = "tenant-a"' "$FIXTURES/bundles/containerd-ctr-default/config.json" \
    > "$BATS_TEST_TMPDIR/config.json"
  mkdir "$BATS_TEST_TMPDIR/b" && mv "$BATS_TEST_TMPDIR/config.json" "$BATS_TEST_TMPDIR/b/"
  s=$(state kube-system-from-state "$BATS_TEST_TMPDIR/b")
  hook 1 "$s"
  assert "$(jq -r .rule "$LOG")" == default "not audited as kube-system"
  assert "$(jq -r '.reasons[0]' "$LOG")" =~ 'annotation `io.kubernetes.pod.namespace` is `tenant-a` in the config but `kube-system` in the state'
}

@test "createRuntime: a missing bundle, a missing config.json, a symlinked config.json are bad input" {
  s=$(state createRuntime "$BATS_TEST_TMPDIR/nonexistent")
  hook 3 "$s"
  assert_one_error_line "^capguard: hook: container 0123456789abcdef: bundle \`$BATS_TEST_TMPDIR/nonexistent\`: No such file or directory$"
  mkdir "$BATS_TEST_TMPDIR/empty"
  s=$(state createRuntime "$BATS_TEST_TMPDIR/empty")
  hook 3 "$s"
  assert_one_error_line "bundle \`$BATS_TEST_TMPDIR/empty\`: open \`config.json\`: No such file or directory$"
  # A container's bundle must not point capguard at another document, conforming or not.
  mkdir "$BATS_TEST_TMPDIR/link"
  ln -s "$FIXTURES/bundles/caps-conforming/config.json" "$BATS_TEST_TMPDIR/link/config.json"
  s=$(state createRuntime "$BATS_TEST_TMPDIR/link")
  hook 3 "$s"
  assert_one_error_line "\`config.json\` is a symbolic link: refusing to follow it$"
  mkdir "$BATS_TEST_TMPDIR/fifo" && mkfifo "$BATS_TEST_TMPDIR/fifo/config.json"
  s=$(state createRuntime "$BATS_TEST_TMPDIR/fifo")
  hook 3 "$s"
  assert_one_error_line "\`config.json\` is not a regular file$"
  mkdir "$BATS_TEST_TMPDIR/big" && head -c 5000000 /dev/zero > "$BATS_TEST_TMPDIR/big/config.json"
  s=$(state createRuntime "$BATS_TEST_TMPDIR/big")
  hook 3 "$s"
  assert_one_error_line "exceeds the limit of 4194304 bytes$"
  mkdir "$BATS_TEST_TMPDIR/bad" && echo '{"process":{"Capabilities":{}}}' > "$BATS_TEST_TMPDIR/bad/config.json"
  s=$(state createRuntime "$BATS_TEST_TMPDIR/bad")
  hook 3 "$s"
  assert_one_error_line 'container 0123456789abcdef: process: key `Capabilities` would be read by runc'
  # Every failure reaches the decision log, with the id.
  assert "$(jq -r 'select(.id == "0123456789abcdef") | .decision' "$LOG" | sort -u)" == refused
}

@test "bad state: empty, truncated, wrong types, oversized, hostile" {
  b=$FIXTURES/bundles/caps-conforming
  bad ()
  {
    printf '%s' "$1" > "$BATS_TEST_TMPDIR/s.json"
    hook 3 "$BATS_TEST_TMPDIR/s.json" "${@:3}"
    assert_one_error_line "$2"
  }
  bad '' '^capguard: hook: <stdin>: empty input$'
  bad '{"id":"x","bundle":"'"$b" '^capguard: hook: <stdin>:1:[0-9]+: premature end of input'
  bad '[]' 'expected a JSON object at the top level'
  bad '{"bundle":"'"$b"'"}' '<stdin>: `id` must be a non-empty string$'
  bad '{"id":"","bundle":"'"$b"'"}' '<stdin>: `id` must be a non-empty string$'
  bad '{"id":7,"bundle":"'"$b"'"}' '<stdin>: `id` must be a non-empty string$'
  bad '{"id":"x"}' '<stdin>: `bundle` must be an absolute path$'
  bad '{"id":"x","bundle":"relative/dir"}' '<stdin>: `bundle` must be an absolute path$'
  bad '{"id":"x","bundle":"'"$b"'","pid":"12"}' '<stdin>: `pid` must be a positive process id$'
  bad '{"id":"x","bundle":"'"$b"'","pid":-1}' '<stdin>: `pid` must be a positive process id$'
  bad '{"id":"x","bundle":"'"$b"'","pid":99999999999}' '<stdin>: `pid` must be a positive process id$'
  bad '{"id":"x","bundle":"'"$b"'","annotations":{"a":1}}' '<stdin>: annotations.a: expected a string$'
  bad '{"id":"x","id":"y","bundle":"'"$b"'"}' 'duplicate object key'
  bad '{"id":"x","bundle":"'"$b"'"}' '<stdin>: the state has no `pid` to check$' poststart
  { printf '{"id":"x","bundle":"%s","annotations":{"a":"' "$b"; head -c 1100000 /dev/zero | tr '\0' x; printf '"}}'; } > "$BATS_TEST_TMPDIR/s.json"
  hook 3 "$BATS_TEST_TMPDIR/s.json"
  assert_one_error_line 'state on stdin exceeds the limit of 1048576 bytes$'
}

@test "argv: an unknown stage is a usage error" {
  run_capguard 2 hook precreate
  assert_one_error_line "^capguard: unknown hook stage \`precreate\` \\(createRuntime, prestart or poststart\\)$"
  run_capguard 2 hook createRuntime extra
  assert_one_error_line "hook takes one stage, got \`extra\` too"
}

# spawn_bounded CAPS: a root process whose bounding set is CAPS (a comma-separated list of libcap
# names); after execve a root process holds its bounding set as permitted and effective
# (capabilities(7)).  Its pid in $PID.
spawn_bounded ()
{
  local drop
  drop=$(capsh --print | sed -n 's/^Bounding set =//p' | tr ',' '\n' | grep -vxF -f <(tr ',' '\n' <<<"$1") | paste -sd,)
  capsh --drop="$drop" -- -c 'exec sleep 60' &
  PID=$!
  for _ in $(seq 100); do grep -q sleep "/proc/$PID/cmdline" 2>/dev/null && break; sleep 0.02; done
}

NINE=cap_chown,cap_dac_override,cap_fowner,cap_fsetid,cap_kill,cap_setgid,cap_setuid,cap_setpcap,cap_net_bind_service

@test "poststart: a live process beyond the policy is killed (SIGKILL) and the hook fails" {
  require_tool capsh "capsh (libcap2-bin)"
  spawn_bounded "$NINE,cap_net_raw"
  printf '{"id":"live-1","bundle":"%s","pid":%d}' "$FIXTURES/bundles/caps-conforming" "$PID" > "$BATS_TEST_TMPDIR/s.json"
  hook 1 "$BATS_TEST_TMPDIR/s.json" poststart
  assert_one_error_line 'container live-1: refused .*bounding holds CAP_NET_RAW, beyond capabilities.allow.* killed the container.s init \(SIGKILL\)$'
  run wait "$PID"
  assert "$status" == 137 "the process died of SIGKILL"
  for set in bounding permitted effective; do
    assert "$(jq -c ".removed.$set" "$LOG")" == '["CAP_NET_RAW"]' "the live $set set"
  done
}

@test "poststart: a live process within the policy keeps running" {
  require_tool capsh "capsh (libcap2-bin)"
  spawn_bounded "$NINE"
  printf '{"id":"live-2","bundle":"%s","pid":%d}' "$FIXTURES/bundles/caps-conforming" "$PID" > "$BATS_TEST_TMPDIR/s.json"
  hook 0 "$BATS_TEST_TMPDIR/s.json" poststart
  kill -0 "$PID"
  kill "$PID"
  assert "$(jq -r .decision "$LOG")" == allowed
}

@test "poststart: live no_new_privs and seccomp are checked too" {
  require_tool capsh "capsh (libcap2-bin)"
  jq --arg log "$LOG" '.log.file = $log | .log.syslog = false | .noNewPrivileges = true | .action = "enforce"' \
    "$SRCDIR/policy/default.json" > "$POLICY"
  spawn_bounded "$NINE"
  printf '{"id":"live-3","bundle":"%s","pid":%d}' "$FIXTURES/bundles/caps-conforming" "$PID" > "$BATS_TEST_TMPDIR/s.json"
  hook 1 "$BATS_TEST_TMPDIR/s.json" poststart
  assert_one_error_line 'process.noNewPrivileges is not set'
  run wait "$PID"
  assert "$status" == 137
}

@test "poststart: a process that already exited holds nothing" {
  sleep 0 & pid=$!; wait "$pid"
  printf '{"id":"gone","bundle":"%s","pid":%d}' "$FIXTURES/bundles/podman-privileged" "$pid" > "$BATS_TEST_TMPDIR/s.json"
  hook 0 "$BATS_TEST_TMPDIR/s.json" poststart
  assert "$(jq -r '.reasons[-1]' "$LOG")" == "the process had already exited"
}
