#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# capguard observe on real containers: the kernel's capability checks (eBPF on the
# capability:cap_capable tracepoint) per container, what is noise left out; report turning the
# observation into a rule and a securityContext patch, and the loop: observe, suggest, enforce,
# and the workload still does its job with the smaller set.

load helpers
load cri-helpers
bats_require_minimum_version 1.5.0

setup_file ()
{
  export CRI_T=$BATS_FILE_TMPDIR/cri
  export NODE=$CRI_T/node
  export DECISIONS=$CRI_T/decisions.log
  export CAPGUARD_POLICY=$CRI_T/policy/policy.json
  local rootfs
  rootfs=$BATS_FILE_TMPDIR/rootfs
  bash "$SRCDIR/tests/rootfs.sh" "$rootfs"
  export ROOTFS=$rootfs
  cri_prerequisites > "$BATS_FILE_TMPDIR/missing" || return 0
  mkdir -p "$CRI_T"
  bash "$SRCDIR/tests/image.sh" "$rootfs" "$CRI_T/image.tar" "$IMAGE"
  # Audit: every container keeps what it asked for, and the decision log says who it is.
  mkdir -p "$(dirname "$CAPGUARD_POLICY")"
  chmod 755 "$(dirname "$CAPGUARD_POLICY")"
  jq --arg log "$DECISIONS" '.log.file = $log | .log.syslog = false | .action = "audit"' \
    "$SRCDIR/policy/default.json" > "$CAPGUARD_POLICY"
  cri_write_config "$CRI_T" "$NODE/etc/containerd/config.toml"
  cri_install_node
  cri_start "$CRI_T" "$NODE/etc/containerd/config.toml"
}

teardown_file ()
{
  cri_teardown_node
}

setup ()
{
  require_root "observe needs CAP_BPF and CAP_PERFMON; podman and containerd need root here"
  OBS=$BATS_TEST_TMPDIR/observed.log
  OBS_PID=
}

teardown ()
{
  [ -z "$OBS_PID" ] || kill "$OBS_PID" 2>/dev/null || true
  local p
  for p in $(cri_ pods 2>/dev/null); do
    cri_ stopp "$p" >/dev/null 2>&1 || true
    cri_ rmp "$p" >/dev/null 2>&1 || true
  done
}

# observe_start [ARGS...]: capguard observe in the background, flushing every second, until it
# says it is attached.
observe_start ()
{
  "$CAPGUARD" observe --interval 1 --log "$OBS" --decisions "$DECISIONS" "$@" \
    > "$BATS_TEST_TMPDIR/observe.out" 2> "$BATS_TEST_TMPDIR/observe.err" &
  OBS_PID=$!
  for _ in $(seq 100); do
    grep -q "attached to tp_btf/cap_capable" "$BATS_TEST_TMPDIR/observe.err" && return 0
    kill -0 "$OBS_PID" 2>/dev/null || break
    sleep 0.1
  done
  cat "$BATS_TEST_TMPDIR/observe.err"
  return 1
}

# observe_stop: SIGTERM; it writes what it counted and exits 0, stdout empty.
observe_stop ()
{
  local rc=0
  kill -TERM "$OBS_PID"
  wait "$OBS_PID" || rc=$?
  OBS_PID=
  assert "$rc" == 0 "observe exits 0 on SIGTERM: $(cat "$BATS_TEST_TMPDIR/observe.err")"
  assert "$(cat "$BATS_TEST_TMPDIR/observe.out")" == ""
}

# The capabilities container ID used (or RESULT), as observe recorded them.
caps_of () { jq -r --arg id "$1" --arg r "${2:-used}" 'select(.id == $id and .result == $r) | .capability' "$OBS" | sort -u | xargs; }

# pm [OPTIONS...] -- COMMAND...: podman run --rm of COMMAND in the busybox root filesystem.
pm ()
{
  local opts=()
  while [ "$1" != -- ]; do
    opts+=("$1")
    shift
  done
  shift
  podman --root "$BATS_FILE_TMPDIR/podman/storage" --runroot "$BATS_FILE_TMPDIR/podman/run" \
    --tmpdir "$BATS_FILE_TMPDIR/podman/tmp" --storage-driver vfs --cgroup-manager cgroupfs \
    --events-backend file --runtime runc run --rm --net none --ulimit nofile=1024:1024 \
    --ulimit nproc=1024:1024 "${opts[@]}" --rootfs "$ROOTFS" "$@"
}

@test "observe, podman: ping uses NET_RAW, chown CHOWN, an idle container nothing, SYS_ADMIN held and never used nothing; the runtime's init and the kernel's no-audit checks are not use" {
  require_tool podman
  observe_start
  pm --cidfile "$BATS_TEST_TMPDIR/ping.cid" --cap-add NET_RAW -- /bin/ping -c1 -W1 127.0.0.1
  pm --cidfile "$BATS_TEST_TMPDIR/chown.cid" -- /bin/sh -c 'chown 1 /tmp && chown 0 /tmp'
  pm --cidfile "$BATS_TEST_TMPDIR/idle.cid" -- /bin/sleep 1
  pm --cidfile "$BATS_TEST_TMPDIR/admin.cid" --cap-add SYS_ADMIN -- /bin/sleep 1
  # Without NET_RAW, ping's raw socket is refused: tried, and refused.
  run pm --cidfile "$BATS_TEST_TMPDIR/noraw.cid" -- /bin/ping -c1 -W1 127.0.0.1
  sleep 1.5
  observe_stop
  assert "$(caps_of "$(cat "$BATS_TEST_TMPDIR/ping.cid")")" == CAP_NET_RAW
  assert "$(caps_of "$(cat "$BATS_TEST_TMPDIR/chown.cid")")" == CAP_CHOWN
  assert "$(jq -c --arg id "$(cat "$BATS_TEST_TMPDIR/idle.cid")" 'select(.id == $id)' "$OBS")" == "" "idle: no record"
  assert "$(jq -c --arg id "$(cat "$BATS_TEST_TMPDIR/admin.cid")" 'select(.id == $id)' "$OBS")" == "" "SYS_ADMIN held, unused: no record"
  assert "$(caps_of "$(cat "$BATS_TEST_TMPDIR/noraw.cid")" refused)" == CAP_NET_RAW
  assert "$(jq -r 'select(.id == "'"$(cat "$BATS_TEST_TMPDIR/ping.cid")"'") | .engine' "$OBS" | sort -u)" == podman
  # runc's init drops and sets capabilities, mounts and makes devices (SETPCAP, SYS_ADMIN, MKNOD)
  # in the container's cgroup before the workload's execve, and every fork and mmap makes a
  # no-audit CAP_SYS_ADMIN check: seen, and not counted.
  assert "$(tail -n 1 "$BATS_TEST_TMPDIR/observe.err")" =~ "not counted: [1-9][0-9]* no-audit, [1-9][0-9]* by the runtime's init"
  # Every record is one capguard report reads.
  run_capguard 0 report --observed "$OBS" --json
  assert "$(jq '.observation_records' <<<"$output")" == "$(grep -c . "$OBS")"
}

@test "observe, containerd CRI pods: the identity capguard recorded at create; report's least-privilege rule and securityContext patch; the loop: under enforce with them the pod still pings, now with NET_RAW alone" {
  skip_if_missing "$BATS_FILE_TMPDIR/missing"
  observe_start
  run_pod pinger default '.command = ["/bin/sh", "-c", "ping -c1 -W1 127.0.0.1 > /ping.out 2>&1; exec sleep 600"]
    | .linux.securityContext.capabilities.addCapabilities = ["NET_RAW", "SYS_ADMIN"]'
  PINGER=$CID
  run_pod idler default '.linux.securityContext.capabilities.addCapabilities = ["SYS_ADMIN"]'
  IDLER=$CID
  sleep 2
  observe_stop
  assert "$(caps_of "$PINGER")" == CAP_NET_RAW
  assert "$(jq -c --arg id "$IDLER" 'select(.id == $id)' "$OBS")" == ""
  # The identity is the one capguard logged when containerd created the container.
  assert "$(jq -r --arg id "$PINGER" 'select(.id == $id) | [.engine, .namespace, .pod, .container, .image] | join(" ")' "$OBS" | sort -u)" \
    == "containerd default pinger pinger $IMAGE"
  assert "$(jq -r --arg id "$PINGER" 'select(.id == $id) | .held | index("CAP_SYS_ADMIN") != null' "$OBS" | sort -u)" == true

  run_capguard 0 report --observed "$OBS" --suggest --json "$DECISIONS"
  report=$output
  pinger=$(jq -c '.observed[] | select(.container == "pinger")' <<<"$report")
  assert "$(jq -c .used <<<"$pinger")" == '["CAP_NET_RAW"]'
  assert "$(jq -r '.held | index("CAP_SYS_ADMIN") != null' <<<"$pinger")" == true "held, not used"
  assert "$(jq -c .rule.capabilities <<<"$pinger")" == '{"allow":["CAP_NET_RAW"]}' "allow what was used, never what was only held"
  assert "$(jq -c .securityContext <<<"$pinger")" == '{"capabilities":{"drop":["ALL"],"add":["NET_RAW"]}}'
  assert "$(jq -r .too_short <<<"$pinger")" == true
  idler=$(jq -c '.observed[] | select(.container == "idler")' <<<"$report")
  assert "$idler" == "" "an idle workload has no observation to suggest from"
  run_capguard 0 report --observed "$OBS" --suggest "$DECISIONS"
  assert "$output" =~ "held: .*CAP_SYS_ADMIN.*; used: CAP_NET_RAW; tried and refused: none; observed [0-9]+ s \\(too short"
  grep -qF 'Kubernetes container: {"name":"pinger","securityContext":{"capabilities":{"drop":["ALL"],"add":["NET_RAW"]}}}' <<<"$output"

  # The loop: the suggested rule in an enforcing policy that allows nothing else ...
  jq --argjson rule "$(jq -c .rule <<<"$pinger")" \
    '.action = "enforce" | .capabilities.allow = [] | .rules = [$rule]' "$CAPGUARD_POLICY" > "$BATS_TEST_TMPDIR/enforce.json"
  run_capguard 0 check "$BATS_TEST_TMPDIR/enforce.json"
  cp "$BATS_TEST_TMPDIR/enforce.json" "$CAPGUARD_POLICY.tmp" && mv "$CAPGUARD_POLICY.tmp" "$CAPGUARD_POLICY"
  # ... refuses the pod as it was (it asks for SYS_ADMIN and containerd's 14) ...
  pod=$(pod_json pinger2 default)
  ctr=$(ctr_json pinger '.linux.securityContext.capabilities.addCapabilities = ["NET_RAW", "SYS_ADMIN"]')
  POD=$(cri_ runp "$pod")
  CID=$(cri_ create "$POD" "$ctr" "$pod")
  run -1 --separate-stderr cri_ start "$CID"
  assert "$stderr" =~ "refused by"
  cri_ stopp "$POD" >/dev/null; cri_ rmp "$POD" >/dev/null
  # ... and runs it with the patch, holding NET_RAW alone, and it still pings.
  run_pod pinger3 default '.metadata.name = "pinger" | .command = ["/bin/sh", "-c", "ping -c1 -W1 127.0.0.1 > /ping.out 2>&1; exec sleep 600"]
    | .linux.securityContext.capabilities = {dropCapabilities: ["ALL"], addCapabilities: ["NET_RAW"]}'
  run -0 cri_ exec "$CID" cat /proc/1/status
  assert "$(awk '/^CapEff/ { print $2 }' <<<"$output")" == "0000000000002000" "NET_RAW (bit 13) alone"
  for _ in $(seq 20); do cri_ exec "$CID" cat /ping.out 2>/dev/null | grep -q "packets transmitted" && break; sleep 0.2; done
  run -0 cri_ exec "$CID" cat /ping.out
  assert "$output" =~ "1 packets transmitted"
  [[ "$output" != *"permission denied"* ]]
}

@test "observe: bad options and missing privileges are one line each, exit 2 or 3, stdout empty" {
  run_capguard 2 observe --for 0 --log "$OBS"
  assert_one_error_line "--for \`0\`: expected seconds"
  run_capguard 2 observe --for 1 --log relative.log
  assert_one_error_line "--log \`relative.log\`: expected an absolute path"
  run_capguard 2 observe --interval nope --log "$OBS"
  assert_one_error_line "--interval"
  run_capguard 2 observe --log "$OBS" extra
  assert_one_error_line "observe takes no arguments"
  run_capguard 2 --policy "$SRCDIR/policy/default.json" observe --for 1
  assert_one_error_line "--log FILE: the policy has no log.file"
  # Without CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN.
  run --separate-stderr capsh --drop=cap_bpf,cap_perfmon,cap_sys_admin -- -c "$CAPGUARD observe --for 1 --log $OBS"
  assert "$status" == 3
  assert "$output" == ""
  assert "$stderr" =~ "observe needs CAP_BPF and CAP_PERFMON"
  [ ! -e "$OBS" ]
}

@test "observe stops by itself after --for, on SIGINT too, and writes what it saw; a decision log of garbage is read past" {
  require_tool podman
  # The decision log is the engines' and capguard's, but observe reads it as untrusted: a cut line,
  # non-JSON, an id that is not a string, a 100 KB line, an id far too long.
  { printf '{"id":"x","action":"rewrite"\nnot json\n{"id":7,"action":"audit"}\n'
    printf '{"id":"%s","action":"audit"}\n' "$(head -c 100000 /dev/zero | tr '\0' a)"
    printf '{"id":"%s","action":"audit","namespace":{"x":1}}\n' "$(head -c 200 /dev/zero | tr '\0' b)"
  } > "$BATS_TEST_TMPDIR/garbage.log"
  run -0 --separate-stderr "$CAPGUARD" observe --for 2 --interval 1 --log "$OBS" --decisions "$BATS_TEST_TMPDIR/garbage.log"
  assert "$output" == ""
  assert "$stderr" =~ "checks counted"
  observe_start --interval 30
  pm --cidfile "$BATS_TEST_TMPDIR/c.cid" -- /bin/sh -c 'chown 1 /tmp'
  kill -INT "$OBS_PID"
  rc=0
  wait "$OBS_PID" || rc=$?
  OBS_PID=
  assert "$rc" == 0
  assert "$(caps_of "$(cat "$BATS_TEST_TMPDIR/c.cid")")" == CAP_CHOWN "flushed on SIGINT, before the first interval"
}

@test "report --observed: a missing, truncated, wrong-typed, hostile or oversized observation file is an error naming the line; an empty one is no observation" {
  good='{"time":"2026-12-04T10:00:10.000Z","kind":"observed","id":"0123","engine":"podman","namespace":null,"pod":null,"container":null,"image":null,"capability":"CAP_CHOWN","result":"used","in_user_namespace":false,"count":1,"first":"2026-12-04T10:00:01.000Z","last":"2026-12-04T10:00:01.000Z","since":"2026-12-04T10:00:00.000Z"}'
  run_capguard 3 report --observed "$BATS_TEST_TMPDIR/none.log"
  assert_one_error_line "open \`$BATS_TEST_TMPDIR/none.log\`"
  : > "$BATS_TEST_TMPDIR/empty.log"
  run_capguard 0 report --observed "$BATS_TEST_TMPDIR/empty.log" --json
  assert "$(jq .observation_records <<<"$output")" == 0
  printf '%s\n%s' "$good" "${good:0:80}" > "$BATS_TEST_TMPDIR/cut.log"
  run_capguard 3 report --observed "$BATS_TEST_TMPDIR/cut.log"
  assert_one_error_line "cut.log:2: not a JSON record .*the last line is cut short"
  printf '%s\n%s\n' "$good" "${good/\"count\":1/\"count\":\"1\"}" > "$BATS_TEST_TMPDIR/typed.log"
  run_capguard 3 report --observed "$BATS_TEST_TMPDIR/typed.log"
  assert_one_error_line "typed.log:2: \`count\` must be a positive integer"
  printf '%s\n' "${good/CAP_CHOWN/CAP_CHOWN; rm -rf \/}" > "$BATS_TEST_TMPDIR/hostile.log"
  run_capguard 3 report --observed "$BATS_TEST_TMPDIR/hostile.log"
  assert_one_error_line "hostile.log:1: \`capability\` must name a capability"
  printf '%s\n%s\n' "$good" '{"time":"x","action":"rewrite","decision":"rewritten","reasons":[]}' > "$BATS_TEST_TMPDIR/mixed.log"
  run_capguard 3 report --observed "$BATS_TEST_TMPDIR/mixed.log"
  assert_one_error_line "mixed.log:2: not an observation record"
  # Oversized: refused before a byte is read (a sparse file).
  truncate -s 300M "$BATS_TEST_TMPDIR/huge.log"
  run_capguard 3 report --observed "$BATS_TEST_TMPDIR/huge.log"
  assert_one_error_line "huge.log.* exceeds the limit of 268435456 bytes"
  printf '%s\n' "$good" "$good" > "$BATS_TEST_TMPDIR/two.log"
  run_capguard 0 report --observed "$BATS_TEST_TMPDIR/two.log" --json
  assert "$(jq -c '.observed[0] | [.id, .used, .rule]' <<<"$output")" == '["0123",["CAP_CHOWN"],null]'
}
