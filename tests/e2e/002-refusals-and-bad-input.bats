#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Refusals, and every input path given empty, truncated, wrong-typed, oversized and hostile input:
# one clear line on stderr, the documented exit code, nothing on stdout.

load helpers
bats_require_minimum_version 1.5.0

setup ()
{
  LOG=$BATS_TEST_TMPDIR/decisions.log
  POLICY=$(policy_fixture three-deny-two)
  DEFAULT=$FIXTURES/bundles/podman-default/config.json
}

# refuse_input RC FILE PATTERN: precreate on FILE exits RC with one stderr line matching PATTERN.
refuse_input ()
{
  run_capguard_stdin "$1" "$2" --policy "$POLICY" precreate
  assert "$output" == "" "stdout stays empty on failure"
  assert_one_error_line "$3"
}

@test "deny refuses: exit 1, empty stdout, the reason on stderr and in the decision log" {
  refuse_input 1 "$FIXTURES/bundles/containerd-ctr-default/config.json" \
    '^capguard: precreate: refused by [^(]* \(top level, action rewrite\): .*holds CAP_NET_RAW, denied by capabilities.deny'
  run jq -r '[.command, .stage, .decision, .rule, .action] | join(" ")' "$LOG"
  assert "$output" == "precreate precreate refused default rewrite"
  run jq -r '.reasons[0]' "$LOG"
  assert "$output" == "bounding holds CAP_NET_RAW, denied by capabilities.deny"
  run jq -r '.time' "$LOG"
  assert "$output" =~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z$'
}

@test "enforce refuses what exceeds a ceiling, naming the set and the capabilities" {
  POLICY=$(policy_fixture enforce-all-no-ambient)
  refuse_input 1 "$FIXTURES/bundles/runc-spec/config.json" \
    'refused by [^(]* \(top level, action enforce\): ambient holds CAP_KILL CAP_NET_BIND_SERVICE CAP_AUDIT_WRITE, beyond capabilities.ambient$'
}

@test "audit lets a denied capability through unchanged, and records it" {
  POLICY=$(policy_fixture audit-kill-deny-net-raw)
  in=$FIXTURES/bundles/containerd-ctr-default/config.json
  run_capguard_stdin 0 "$in" --policy "$POLICY" precreate
  assert "$output" == "$(cat "$in")"
  assert "$(jq -r .decision "$LOG")" == audited
}

@test "capability names runc would not know are removed by rewrite, refused by enforce" {
  jq '.process.capabilities.bounding += ["cap_sys_admin", "CAP_KILL,CAP_SYS_ADMIN", "CAP_999"]' "$DEFAULT" > "$BATS_TEST_TMPDIR/in.json"
  run_capguard_stdin 0 "$BATS_TEST_TMPDIR/in.json" --policy "$POLICY" precreate
  assert "$(jq -c .process.capabilities.bounding <<<"$output")" == '["CAP_CHOWN","CAP_KILL","CAP_NET_BIND_SERVICE"]'
  # Each name as the config wrote it, after the known capabilities removed.
  assert "$(jq -c '.removed.bounding[-3:]' "$LOG")" == '["cap_sys_admin","CAP_KILL,CAP_SYS_ADMIN","CAP_999"]'
  POLICY=$(write_policy '{"version":1,"action":"enforce","capabilities":{"allow":["ALL"]},"log":{"syslog":false}}')
  jq '.process.capabilities.effective += ["cap_kill"]' "$FIXTURES/bundles/runc-spec/config.json" > "$BATS_TEST_TMPDIR/in2.json"
  refuse_input 1 "$BATS_TEST_TMPDIR/in2.json" 'effective holds "cap_kill", not a capability of this kernel'
}

@test "bad config: empty, truncated, not an object, wrong types" {
  : > "$BATS_TEST_TMPDIR/empty"
  refuse_input 3 "$BATS_TEST_TMPDIR/empty" '^capguard: precreate: <stdin>: empty input$'
  head -c 300 "$DEFAULT" > "$BATS_TEST_TMPDIR/trunc"
  refuse_input 3 "$BATS_TEST_TMPDIR/trunc" '^capguard: precreate: <stdin>:[0-9]+:[0-9]+: premature end of input'
  echo '[1,2]' > "$BATS_TEST_TMPDIR/arr"
  refuse_input 3 "$BATS_TEST_TMPDIR/arr" 'expected a JSON object at the top level'
  jq '.process.capabilities.bounding = "CAP_SYS_ADMIN"' "$DEFAULT" > "$BATS_TEST_TMPDIR/t1"
  refuse_input 3 "$BATS_TEST_TMPDIR/t1" '<stdin>: process.capabilities.bounding: expected an array of strings$'
  jq '.process.capabilities.effective = [1]' "$DEFAULT" > "$BATS_TEST_TMPDIR/t2"
  refuse_input 3 "$BATS_TEST_TMPDIR/t2" 'process.capabilities.effective\[0\]: expected a string$'
  jq '.process.user.uid = -5' "$DEFAULT" > "$BATS_TEST_TMPDIR/t3"
  refuse_input 3 "$BATS_TEST_TMPDIR/t3" 'process.user.uid: expected an integer'
  jq '.annotations = ["x"]' "$DEFAULT" > "$BATS_TEST_TMPDIR/t4"
  refuse_input 3 "$BATS_TEST_TMPDIR/t4" 'annotations: expected an object of strings'
  # A failure is a decision too: podman hides the hook's stderr, so the log carries it.
  assert "$(jq -r 'select(.reasons[0] | test("annotations")) | .decision' "$LOG")" == refused
}

@test "oversized config: refused at the 4 MiB cap" {
  { printf '{"a":"'; head -c 5000000 /dev/zero | tr '\0' x; printf '"}'; } > "$BATS_TEST_TMPDIR/big"
  refuse_input 3 "$BATS_TEST_TMPDIR/big" 'config on stdin exceeds the limit of 4194304 bytes'
}

@test "hostile config: what runc would read differently is refused" {
  # Go's encoding/json matches keys case-insensitively, last one wins.
  jq -c '.process.Capabilities = {"bounding":["CAP_SYS_ADMIN"]}' "$DEFAULT" > "$BATS_TEST_TMPDIR/h1"
  refuse_input 3 "$BATS_TEST_TMPDIR/h1" 'process: key `Capabilities` would be read by runc as `capabilities`'
  jq -c '.process.capabilities.BOUNDING = ["CAP_SYS_ADMIN"]' "$DEFAULT" > "$BATS_TEST_TMPDIR/h2"
  refuse_input 3 "$BATS_TEST_TMPDIR/h2" 'key `BOUNDING` would be read by runc as `bounding`'
  # Duplicate keys: jq cannot write them, so build the text by hand.
  sed 's/"bounding": \[/"bounding": ["CAP_SYS_ADMIN"], "bounding": [/' "$DEFAULT" > "$BATS_TEST_TMPDIR/h3"
  grep -q '"bounding": \["CAP_SYS_ADMIN"\], "bounding"' "$BATS_TEST_TMPDIR/h3"
  refuse_input 3 "$BATS_TEST_TMPDIR/h3" 'duplicate object key'
  # Inside linux.seccomp too: runc would apply an unconfined profile capguard read as confined.
  jq -c '.linux.seccomp = {"defaultAction": "SCMP_ACT_ERRNO", "DefaultAction": "SCMP_ACT_ALLOW"}' "$DEFAULT" > "$BATS_TEST_TMPDIR/h5"
  refuse_input 3 "$BATS_TEST_TMPDIR/h5" 'linux.seccomp: key `DefaultAction` would be read by runc as `defaultAction`'
  jq -c '.linux.namespaces += [{"Type": "user"}]' "$DEFAULT" > "$BATS_TEST_TMPDIR/h6"
  refuse_input 3 "$BATS_TEST_TMPDIR/h6" 'linux.namespaces\[[0-9]+\]: key `Type`'
  # Kelvin sign and long s fold to k and s in Go.
  sed 's/"process"/"proce\xc5\xbfs"/' "$FIXTURES/bundles/runc-spec/config.json" > "$BATS_TEST_TMPDIR/h4"
  refuse_input 3 "$BATS_TEST_TMPDIR/h4" 'would be read by runc as `process`'
  # A raw NUL byte between tokens, which jansson would skip and Go refuses (found by the fuzzer).
  printf '{"process":{"args":["sh"]},\0"annotations":{}}' > "$BATS_TEST_TMPDIR/h0"
  refuse_input 3 "$BATS_TEST_TMPDIR/h0" '^capguard: precreate: <stdin>:1:28: a NUL byte, which JSON does not allow$'
  # Integers jansson cannot hold, invalid UTF-8, NUL escapes, trailing documents.
  printf '{"process":{"user":{"uid":99999999999999999999}}}' > "$BATS_TEST_TMPDIR/h5"
  refuse_input 3 "$BATS_TEST_TMPDIR/h5" 'too big integer'
  printf '{"process":{"args":["\xff"]}}' > "$BATS_TEST_TMPDIR/h6"
  refuse_input 3 "$BATS_TEST_TMPDIR/h6" 'unable to decode byte 0xff'
  printf '{"annotations":{"a":"\\u0000"}}' > "$BATS_TEST_TMPDIR/h7"
  refuse_input 3 "$BATS_TEST_TMPDIR/h7" 'u0000 is not allowed'
  { cat "$DEFAULT"; echo '{}'; } > "$BATS_TEST_TMPDIR/h8"
  refuse_input 3 "$BATS_TEST_TMPDIR/h8" 'end of file expected'
  # Deep nesting is bounded by jansson's parser.
  { printf '{"a":'; for i in $(seq 3000); do printf '['; done; for i in $(seq 3000); do printf ']'; done; printf '}'; } > "$BATS_TEST_TMPDIR/h9"
  refuse_input 3 "$BATS_TEST_TMPDIR/h9" 'maximum parsing depth'
}

@test "a pod claiming another namespace through a second engine's annotation matches nothing" {
  POLICY=$(policy_fixture kill-kube-system-audited)
  # containerd's own key says tenant-a; CRI-O's, passed through by the pod, says kube-system.
  jq '.annotations["io.kubernetes.cri.sandbox-namespace"] = "tenant-a" | .annotations["io.kubernetes.pod.namespace"] = "kube-system"' \
    "$FIXTURES/bundles/containerd-cri-kube-proxy/config.json" > "$BATS_TEST_TMPDIR/in.json"
  run_capguard_stdin 0 "$BATS_TEST_TMPDIR/in.json" --policy "$POLICY" precreate
  assert "$(jq -c .process.capabilities.bounding <<<"$output")" == '["CAP_KILL"]' "not audited: the rule did not match"
  assert "$(jq -r '[.rule, .decision, (.namespace // "null")] | join(" ")' "$LOG")" == "default rewritten null"
  assert "$(jq -r '.reasons[0]' "$LOG")" =~ 'annotations disagree: `namespace` is `tenant-a` \(containerd\) but `kube-system` \(cri-o\)'
}

@test "bad policy: exit 2 with file:line:column, before the config is read" {
  p=$(write_policy '{"version":1,"capabilities":{"allow":["KILL","NET_RAWW"]}}')
  run_capguard_stdin 2 "$DEFAULT" --policy "$p" precreate
  assert "$output" == ""
  assert_one_error_line "^capguard: precreate: $p:1:46: in \`capabilities.allow\`: \`NET_RAWW\` is not a capability this kernel knows"
  p=$(write_policy '{"version":1,"capabilities":{"allow":[]},"sekcomp":"keep"}')
  run_capguard_stdin 2 "$DEFAULT" --policy "$p" precreate
  assert_one_error_line ":1:42: unknown key \`sekcomp\` in the policy$"
  : > "$p"
  run_capguard_stdin 2 "$DEFAULT" --policy "$p" precreate
  assert_one_error_line ": empty input$"
  printf '{"version":1,"capabilities":{"allow":[' > "$p"
  run_capguard_stdin 2 "$DEFAULT" --policy "$p" precreate
  assert_one_error_line ":1:38: .* expected near end of file$"
  printf '{"version":1,"capabilities":{"allow":[]},"log":{"syslog":true\0}}' > "$p"
  run_capguard_stdin 2 "$DEFAULT" --policy "$p" precreate
  assert_one_error_line ":1:62: a NUL byte, which JSON does not allow$"
  head -c 5000000 /dev/zero > "$p"
  run_capguard_stdin 2 "$DEFAULT" --policy "$p" precreate
  assert_one_error_line "policy exceeds the limit of 4194304 bytes"
  jq -n '{version: 1, capabilities: {allow: []}, rules: [range(0; 16385) | {name: "r", match: {}}]}' > "$p"
  run_capguard_stdin 2 "$DEFAULT" --policy "$p" precreate
  assert_one_error_line "policy.json:6:12: more than 16384 rules$"
}

@test "unsafe policy: group- or world-writable file or directory, not a regular file" {
  p=$(write_policy '{"version":1,"capabilities":{"allow":["ALL"]}}' "$BATS_TEST_TMPDIR/d/p.json")
  chmod 0666 "$p"
  run_capguard_stdin 2 "$DEFAULT" --policy "$p" precreate
  assert "$output" == ""
  assert_one_error_line "policy \`$p\` is writable by group or others \\(mode 0666\\): refusing it"
  chmod 0644 "$p"; chmod 0777 "$BATS_TEST_TMPDIR/d"
  run_capguard_stdin 2 "$DEFAULT" --policy "$p" precreate
  assert_one_error_line "policy directory \`$BATS_TEST_TMPDIR/d\` is writable by group or others"
  chmod 0755 "$BATS_TEST_TMPDIR/d"
  chown 4242 "$p"
  run_capguard_stdin 2 "$DEFAULT" --policy "$p" precreate
  assert_one_error_line "is owned by uid 4242, not by root"
  run_capguard_stdin 2 "$DEFAULT" --policy /dev/null precreate
  assert_one_error_line "policy \`/dev/null\` is not a regular file"
}

@test "argv: unknown command, option, extra arguments, missing command" {
  run_capguard 2 frobnicate
  assert "${stderr_lines[0]}" == "capguard: unknown command \`frobnicate\`"
  assert "$output" == ""
  run_capguard 2 --frob precreate
  assert_one_error_line '^capguard: unknown option `--frob`$'
  run_capguard 2 -x check
  assert_one_error_line '^capguard: unknown option `-x`$'
  run_capguard 2 precreate extra
  assert "${stderr_lines[0]}" == "capguard: precreate takes no arguments, got \`extra\`"
  run_capguard 2
  assert "${stderr_lines[0]}" == "capguard: no command given"
  run_capguard 2 --policy
  assert_one_error_line '^capguard: option `--policy` needs an argument$'
  run_capguard 2 --policy "" check
  assert "${stderr_lines[0]}" == "capguard: --policy needs a file name"
  run_capguard 2 check a b
  run_capguard 2 check a b
  assert_one_error_line '^capguard: check takes at most one policy file, got `b` too$'
  run_capguard 2 runtime
  assert_one_error_line "^capguard: runtime needs the runtime's arguments: capguard runtime -- create ...$"
  run_capguard 2 runtime --runtime
  assert_one_error_line '^capguard: option `--runtime` needs an argument$'
  run_capguard 2 explain a b
  assert_one_error_line '^capguard: explain takes one config file or bundle directory$'
}

@test "a closed stdin or stdout is an error, never a silent pass" {
  run -3 --separate-stderr bash -c "'$CAPGUARD' --policy '$POLICY' precreate < '$DEFAULT' >&-"
  assert "$stderr" == 'capguard: precreate: standard output is closed'
  run -3 --separate-stderr bash -c "'$CAPGUARD' --policy '$POLICY' precreate <&-"
  assert "$stderr" == 'capguard: precreate: standard input is closed'
  assert "$output" == ""
}

@test "stdout that fails mid-write is an error (full disk)" {
  [ -e /dev/full ] || skip_or_fail "no /dev/full"
  run -3 --separate-stderr bash -c "'$CAPGUARD' --policy '$POLICY' precreate < '$DEFAULT' > /dev/full"
  assert "$stderr" =~ '^capguard: precreate: stdout: write'
  # The log records the failure, not a rewrite that never reached podman.
  assert "$(jq -r '.decision + ": " + .reasons[0]' "$LOG")" =~ '^refused: stdout: write'
}
