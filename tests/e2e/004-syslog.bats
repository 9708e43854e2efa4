#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# The decision log's syslog half: run capguard in a private mount namespace whose /dev/log is a socket
# the test reads, so no system logger is needed or touched.

load helpers
bats_require_minimum_version 1.5.0

setup ()
{
  require_root "a private /dev needs root"
  require_tool unshare "unshare (util-linux)"
  PYTHON=$(command -v python3) || skip_or_fail "python3 is not installed"
}

# with_syslog COUNT COMMAND...: runs COMMAND with /dev/log captured; messages in $BATS_TEST_TMPDIR/syslog.
# The listener waits up to $SYSLOG_WAIT seconds (5) for COUNT messages.
with_syslog ()
{
  local count=$1; shift
  local t=$BATS_TEST_TMPDIR
  mkdir -p "$t/olddev"
  run --separate-stderr unshare --mount --propagation private bash -euc '
    t=$1 py=$2 listen=$3 count=$4 wait=$5; shift 5
    mount --bind /dev "$t/olddev"
    mount -t tmpfs -o mode=0755 tmpfs /dev
    for f in null zero full urandom random; do touch "/dev/$f"; mount --bind "$t/olddev/$f" "/dev/$f"; done
    "$py" "$listen" /dev/log "$t/syslog" "$count" "$wait" &
    for _ in $(seq 100); do [ -S /dev/log ] && break; sleep 0.05; done
    rc=0; "$@" || rc=$?
    wait
    exit $rc' with_syslog "$t" "$PYTHON" "$SRCDIR/tests/e2e/syslog-listen.py" "$count" "${SYSLOG_WAIT:-5}" "$@"
  printf '# status %s\n# stdout %s\n# stderr %s\n' "$status" "${output:0:300}" "$stderr"
  touch "$t/syslog"
}

@test "a rewrite is logged to syslog as one JSON object, ident capguard, facility authpriv" {
  p=$(policy_file "$SRCDIR/policy/default.json")
  with_syslog 1 bash -c "'$CAPGUARD' --policy '$p' precreate < '$FIXTURES/bundles/podman-default/config.json' > /dev/null"
  assert "$status" == 0
  run cat "$BATS_TEST_TMPDIR/syslog"
  assert "${#lines[@]}" == 1 "one message"
  # <PRI>: authpriv (10) * 8 + notice (5) = 85.
  assert "${lines[0]}" =~ '^<85>.* capguard\[[0-9]+\]: \{"time":'
  json=${lines[0]#*]: }
  assert "$(jq -r '[.command, .decision, .rule] | join(" ")' <<<"$json")" == "precreate rewritten default"
  assert "$(jq -c .removed.bounding <<<"$json")" == '["CAP_SYS_CHROOT","CAP_SETFCAP"]'
}

@test "a refusal is logged at warning, with the reason" {
  p=$(write_policy '{"version":1,"capabilities":{"allow":["ALL"],"deny":["NET_RAW"]}}')
  with_syslog 1 bash -c "'$CAPGUARD' --policy '$p' precreate < '$FIXTURES/bundles/containerd-ctr-default/config.json'"
  assert "$status" == 1
  run cat "$BATS_TEST_TMPDIR/syslog"
  assert "${lines[0]}" =~ '^<84>'
  assert "$(jq -r '.reasons[0]' <<<"${lines[0]#*]: }")" == "bounding holds CAP_NET_RAW, denied by capabilities.deny"
}

@test "log.syslog false sends nothing to syslog" {
  p=$(write_policy '{"version":1,"capabilities":{"allow":["ALL"]},"log":{"syslog":false}}')
  SYSLOG_WAIT=1 with_syslog 1 bash -c "'$CAPGUARD' --policy '$p' precreate < '$FIXTURES/bundles/runc-spec/config.json' > /dev/null"
  assert "$status" == 0
  assert "$(cat "$BATS_TEST_TMPDIR/syslog")" == ""
}

@test "a precreate that cannot load its policy still tells syslog why the container was refused" {
  p=$(write_policy '{"version":1,"capabilities":{"allow":["KILL"]},"acton":"audit"}')
  with_syslog 1 bash -c "'$CAPGUARD' --policy '$p' precreate < '$FIXTURES/bundles/runc-spec/config.json'"
  assert "$status" == 2
  run cat "$BATS_TEST_TMPDIR/syslog"
  assert "${lines[0]}" =~ '^<83>'
  assert "$(jq -r '.decision + ": " + .reasons[0]' <<<"${lines[0]#*]: }")" == "refused: $p:1:48: unknown key \`acton\` in the policy"
}
