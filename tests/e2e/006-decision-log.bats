#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# The decision log file: SPEC §5's fields, one line per decision, whole lines under concurrency, and
# a log that cannot be written changes no decision.

load helpers
bats_require_minimum_version 1.5.0

setup ()
{
  LOG=$BATS_TEST_TMPDIR/log/decisions.log
  POLICY=$(policy_fixture kill-deny-sys-admin)
}

@test "one line per decision with every field of SPEC §5, in order; the log's directory is created" {
  run_capguard_stdin 0 "$FIXTURES/bundles/podman-default/config.json" --policy "$POLICY" precreate
  assert "$(stat -c %a "$(dirname "$LOG")")" == 750
  assert "$(stat -c %a "$LOG")" == 640
  assert "$(wc -l < "$LOG")" == 1
  # SPEC §5's fields in its order (the violations as data after the reasons), then `held` (the
  # bounding set the container runs with, which observe and report weigh use against).
  assert "$(jq -c 'keys_unsorted' "$LOG")" == '["time","command","stage","id","engine","namespace","pod","container","image","rule","action","decision","removed","reasons","violations","held"]'
  assert "$(jq -c '.held' "$LOG")" == '["CAP_KILL"]' "the policy's ceiling: KILL"
  assert "$(jq -c '.violations[0] | [.kind, .set, .ceiling, (.capabilities | length)]' "$LOG")" == '["capabilities","bounding","capabilities.allow",10]'
  assert "$(jq -c '.removed | keys_unsorted' "$LOG")" == '["bounding","effective","permitted","inheritable","ambient"]'
}

@test "50 concurrent writers: 50 whole lines, none interleaved" {
  for i in $(seq 50); do
    "$CAPGUARD" --policy "$POLICY" precreate < "$FIXTURES/bundles/podman-privileged/config.json" > /dev/null &
  done
  wait
  assert "$(wc -l < "$LOG")" == 50
  run -0 jq -e -c 'select(.decision == "refused" and (.reasons | length) > 0)' "$LOG"
  assert "${#lines[@]}" == 50 "every line is one whole JSON record"
}

@test "a log that cannot be written is reported, and the decision stands either way" {
  mkdir -p "$(dirname "$LOG")"
  mkdir "$LOG"   # a directory where the file should be
  run_capguard_stdin 1 "$FIXTURES/bundles/podman-privileged/config.json" --policy "$POLICY" precreate
  assert "$output" == "" "still refused"
  assert "${stderr_lines[0]}" =~ "^capguard: warning: decision log: open log file \`$LOG\`: Is a directory$"
  assert "${stderr_lines[1]}" =~ "^capguard: precreate: refused by [^(]* \(top level"
  jq '.process.capabilities = {"bounding":["CAP_KILL"],"effective":["CAP_KILL"],"permitted":["CAP_KILL"]}' \
    "$FIXTURES/bundles/podman-default/config.json" > "$BATS_TEST_TMPDIR/ok.json"
  run_capguard_stdin 0 "$BATS_TEST_TMPDIR/ok.json" --policy "$POLICY" precreate
  assert "$output" == "$(cat "$BATS_TEST_TMPDIR/ok.json")" "still allowed"
  assert "$stderr" =~ "warning: decision log"
}
