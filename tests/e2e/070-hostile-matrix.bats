#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# The hostile-input matrix of SPEC §6, the rows the per-command suites do not already cover: every
# failure has its exact exit code and an empty stdout, and no output ever holds a capability beyond
# the policy.

load helpers
bats_require_minimum_version 1.5.0

setup ()
{
  POLICY=$(write_policy '{"version":1,"capabilities":{"allow":["KILL","CHOWN"]},"log":{"syslog":false}}')
  RUNC=$FIXTURES/bundles/runc-spec/config.json
}

# within_policy JSON: every set of the output is within KILL CHOWN.
within_policy ()
{
  jq -e '[.process.capabilities // {} | to_entries[] | .value[]] - ["CAP_KILL","CAP_CHOWN"] == []' <<<"$1" >/dev/null
}

@test "config truncated at every byte of a real fixture: exit 3, nothing on stdout" {
  size=$(stat -c %s "$RUNC")
  for n in $(seq 0 $((size - 1))); do
    head -c "$n" "$RUNC" > "$BATS_TEST_TMPDIR/t"
    rc=0
    out=$("$CAPGUARD" --policy "$POLICY" precreate < "$BATS_TEST_TMPDIR/t" 2>/dev/null) || rc=$?
    # A prefix that ends after the closing brace but before the final newline is the whole document.
    if [ "$rc" = 0 ] && [ "$n" -ge $((size - 1)) ]; then continue; fi
    [ "$rc" = 3 ] && [ -z "$out" ] || { echo "prefix of $n bytes: exit $rc, stdout ${#out} bytes"; return 1; }
  done
}

@test "wrong types at every level of the capabilities object" {
  for edit in '.process = []' '.process = 1' '.process = "x"' \
              '.process.capabilities = []' '.process.capabilities = 1' '.process.capabilities = "CAP_KILL"' \
              '.process.capabilities = true' '.process.capabilities.bounding = {}' \
              '.process.capabilities.bounding = "CAP_KILL"' '.process.capabilities.effective = 5' \
              '.process.capabilities.permitted = true' '.process.capabilities.inheritable = [1]' \
              '.process.capabilities.ambient = [null]' '.process.capabilities.bounding = [["CAP_KILL"]]' \
              '.process.capabilities.bounding = [{"name":"CAP_KILL"}]' '.process.noNewPrivileges = "yes"' \
              '.process.user = []' '.process.user.uid = "0"' '.process.user.uid = 1.5' '.annotations = "x"' \
              '.linux = []' '.linux.namespaces = {}' '.linux.sysctl = []' '.linux.seccomp = "unconfined"'; do
    jq "$edit" "$RUNC" > "$BATS_TEST_TMPDIR/in.json"
    run_capguard_stdin 3 "$BATS_TEST_TMPDIR/in.json" --policy "$POLICY" precreate
    assert "$output" == "" "$edit: stdout empty"
    assert "${#stderr_lines[@]}" == 1 "$edit: one line"
  done
  # null is absence, as Go reads it: the process then holds no capability.
  jq '.process.capabilities = null' "$RUNC" > "$BATS_TEST_TMPDIR/in.json"
  run_capguard_stdin 0 "$BATS_TEST_TMPDIR/in.json" --policy "$POLICY" precreate
}

@test "size, depth, NUL bytes and integers beyond int64" {
  { printf '{"a":"'; head -c 70000000 /dev/zero | tr '\0' x; printf '"}'; } > "$BATS_TEST_TMPDIR/70mb"
  run_capguard_stdin 3 "$BATS_TEST_TMPDIR/70mb" --policy "$POLICY" precreate
  assert "$output" == ""
  { printf '{"a":'; head -c 100000 /dev/zero | tr '\0' '['; head -c 100000 /dev/zero | tr '\0' ']'; printf '}'; } > "$BATS_TEST_TMPDIR/deep"
  run_capguard_stdin 3 "$BATS_TEST_TMPDIR/deep" --policy "$POLICY" precreate
  assert_one_error_line 'maximum parsing depth'
  printf '{"process":{"args":["a\0b"]}}' > "$BATS_TEST_TMPDIR/nul"
  run_capguard_stdin 3 "$BATS_TEST_TMPDIR/nul" --policy "$POLICY" precreate
  assert "$output" == ""
  # uint64 max is legal in linux.resources for runc, but jansson cannot hold it: refused, never
  # changed (a rewrite would have to print it back).
  sed 's/"linux": {/"linux": {"resources": {"memory": {"limit": 18446744073709551615}},/' "$RUNC" > "$BATS_TEST_TMPDIR/u64"
  grep -q 18446744073709551615 "$BATS_TEST_TMPDIR/u64"
  run_capguard_stdin 3 "$BATS_TEST_TMPDIR/u64" --policy "$POLICY" precreate
  assert_one_error_line 'too big integer'
  assert "$output" == ""
}

@test "case-variant keys at every level runc reads, and PROCESS at the top" {
  for edit in '.PROCESS = .process' '.Process = {"capabilities":{"bounding":["CAP_SYS_ADMIN"]}}' \
              '.process.Capabilities = .process.capabilities' '.process.capabilities.Bounding = ["CAP_SYS_ADMIN"]' \
              '.process.capabilities.AMBIENT = []' '.process.User = {"uid":0}' '.process.NoNewPrivileges = false' \
              '.Linux = {}' '.linux.SECCOMP = null'; do
    jq "$edit" "$RUNC" > "$BATS_TEST_TMPDIR/in.json"
    run_capguard_stdin 3 "$BATS_TEST_TMPDIR/in.json" --policy "$POLICY" precreate
    assert "$output" == "" "$edit"
    assert_one_error_line 'would be read by runc as'
  done
}

@test "sloppy capability names in a config are never passed on: lower case, spaces, numbers, junk" {
  for name in cap_sys_admin CAP_SYS_ADMIN_ "CAP_SYS_ADMIN " " CAP_SYS_ADMIN" CAP_21 21 \
              "CAP_KILL,CAP_SYS_ADMIN" "CAP_KILL CAP_SYS_ADMIN" SYS_ADMIN "CAP_SYS ADMIN" ""; do
    jq --arg n "$name" '.process.capabilities.bounding += [$n] | .process.capabilities.permitted += [$n]' "$RUNC" > "$BATS_TEST_TMPDIR/in.json"
    run_capguard_stdin 0 "$BATS_TEST_TMPDIR/in.json" --policy "$POLICY" precreate
    within_policy "$output" || { echo "\`$name\` passed through: $(jq -c .process.capabilities <<<"$output")"; return 1; }
    assert "$(jq -r '.process.capabilities.bounding | join(",")' <<<"$output")" == "CAP_KILL" "$name"
  done
}

@test "the process file of exec: empty, truncated, not an object, case variants, a symlink, a FIFO" {
  export CAPGUARD_POLICY=$POLICY
  fake=$BATS_TEST_TMPDIR/fake-runc
  printf '#!/bin/sh\n[ "$1" = state ] && printf %s '"'"'{"id":"c1","bundle":"%s"}'"'"'\nexit 0\n' "$FIXTURES/bundles/runc-spec" > "$fake"
  chmod 755 "$fake"
  export CAPGUARD_RUNTIME=$fake
  wrapper=$(dirname "$CAPGUARD")/capguard-runtime
  d=$BATS_TEST_TMPDIR/p
  mkdir -p "$d"
  check_proc ()
  {
    run --separate-stderr "$wrapper" exec --process "$d/process.json" c1
    echo "# $1: $status: $stderr"
    assert "$status" == 3 "$1"
    assert "${#stderr_lines[@]}" == 1 "$1: one line"
  }
  : > "$d/process.json"; check_proc empty
  jq -c .process "$RUNC" | head -c 40 > "$d/process.json"; check_proc truncated
  echo '[]' > "$d/process.json"; check_proc "not an object"
  jq '.process | .Capabilities = .capabilities' "$RUNC" > "$d/process.json"; check_proc "case variant"
  jq '.process | .capabilities.bounding = "CAP_KILL"' "$RUNC" > "$d/process.json"; check_proc "wrong type"
  rm "$d/process.json"; ln -s "$RUNC" "$d/process.json"; check_proc symlink
  rm "$d/process.json"; mkfifo "$d/process.json"; check_proc fifo
}

@test "the wrapper's bundle: a FIFO config.json and an oversized one" {
  export CAPGUARD_POLICY=$POLICY CAPGUARD_RUNTIME=/bin/true
  wrapper=$(dirname "$CAPGUARD")/capguard-runtime
  mkdir -p "$BATS_TEST_TMPDIR/b1" "$BATS_TEST_TMPDIR/b2"
  mkfifo "$BATS_TEST_TMPDIR/b1/config.json"
  run -3 --separate-stderr "$wrapper" create --bundle "$BATS_TEST_TMPDIR/b1" c1
  assert "$stderr" =~ '`config.json` is not a regular file$'
  head -c 5000000 /dev/zero > "$BATS_TEST_TMPDIR/b2/config.json"
  run -3 --separate-stderr "$wrapper" create --bundle "$BATS_TEST_TMPDIR/b2" c1
  assert "$stderr" =~ 'exceeds the limit of 4194304 bytes$'
}

@test "valgrind: no leak and no memory error on the fixture runs" {
  require_tool valgrind
  # The static binary's twin with a dynamic libc (valgrind cannot follow a static malloc).
  bin=${CAPGUARD_VALGRIND:-$CAPGUARD}
  if ldd "$bin" 2>/dev/null | grep -q libasan; then
    # The sanitizer build checks the same runs with LeakSanitizer; valgrind cannot run under ASan.
    for f in "$FIXTURES"/bundles/*/config.json; do
      run -0 --separate-stderr env ASAN_OPTIONS=detect_leaks=1 "$bin" --policy "$POLICY" precreate < "$f"
    done
    return 0
  fi
  for f in "$FIXTURES"/bundles/*/config.json; do
    run --separate-stderr valgrind --quiet --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect \
      --errors-for-leak-kinds=definite,indirect "$bin" --policy "$POLICY" precreate < "$f"
    assert "$status" == 0 "$f under valgrind: $stderr"
  done
  run --separate-stderr valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
    "$bin" --policy "$POLICY" explain --json --diff "$FIXTURES/bundles/podman-privileged"
  assert "$status" == 0 "explain under valgrind: $stderr"
}

@test "fail closed when memory runs out: exit 3, nothing on stdout" {
  python3 -c 'import json; print(json.dumps({"process": {"args": ["sh"]}, "annotations": {"k%d" % i: "v" for i in range(200000)}}))' \
    > "$BATS_TEST_TMPDIR/many.json" || skip_or_fail "python3 is not installed"
  if ldd "$CAPGUARD" 2>/dev/null | grep -q libasan; then
    # ASan reserves terabytes of address space: a memory limit stops it before main.  Its own
    # allocator limit makes the same point.
    run --separate-stderr env ASAN_OPTIONS=max_allocation_size_mb=1:allocator_may_return_null=1 \
      "$CAPGUARD" --policy "$POLICY" precreate < "$BATS_TEST_TMPDIR/many.json"
  else
    run --separate-stderr bash -c "ulimit -v 10000; exec '$CAPGUARD' --policy '$POLICY' precreate" < "$BATS_TEST_TMPDIR/many.json"
    assert "$stderr" == "capguard: precreate: <stdin>: cannot be parsed (jansson gave no reason: out of memory?)"
  fi
  echo "# $status: $stderr"
  assert "$status" != 0
  assert "$output" == ""
}
