#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# capguard runtime (capguard-runtime): argv handling, the in-place rewrite, exec, refusals in the
# runtime's log, and crash safety, against a stand-in runtime that records how it was called.

load helpers
bats_require_minimum_version 1.5.0

setup ()
{
  WRAPPER=$(dirname "$CAPGUARD")/capguard-runtime
  [ -L "$WRAPPER" ] || { echo "no capguard-runtime link beside $CAPGUARD"; return 1; }
  LOG=$BATS_TEST_TMPDIR/decisions.log
  export CAPGUARD_POLICY=$BATS_TEST_TMPDIR/p/policy.json
  policy_file "$SRCDIR/policy/default.json" "$CAPGUARD_POLICY" >/dev/null
  jq --arg log "$LOG" '.log.file = $log | .log.syslog = false' "$SRCDIR/policy/default.json" > "$CAPGUARD_POLICY"
  # The stand-in runtime: records its argv, one word a line, and answers `state` like runc.
  FAKE=$BATS_TEST_TMPDIR/fake-runc
  cat > "$FAKE" <<EOS
#!/bin/sh
printf '%s\n' "\$@" > "$BATS_TEST_TMPDIR/argv"
for a; do
  if [ "\$prev" = state ]; then
    printf '{"ociVersion":"1.0.2","id":"%s","pid":1,"status":"running","bundle":"%s"}' "\$a" "\${FAKE_BUNDLE:-/nonexistent}"
    exit 0
  fi
  prev=\$a
done
EOS
  chmod 755 "$FAKE"
  export CAPGUARD_RUNTIME=$FAKE
  BUNDLE=$BATS_TEST_TMPDIR/bundle
  mkdir -p "$BUNDLE"
  cp "$FIXTURES/bundles/containerd-ctr-default/config.json" "$BUNDLE/config.json"
}

# wrap RC ARGS...: the wrapper with runc's argv.
wrap ()
{
  local rc=$1; shift
  run -"$rc" --separate-stderr "$WRAPPER" "$@"
  printf '# capguard-runtime %s\n# status %s\n# stdout %s\n# stderr %s\n' "$*" "$status" "$output" "$stderr"
}

recorded () { paste -sd' ' "$BATS_TEST_TMPDIR/argv"; }

@test "create: config.json clamped in place, then the real runtime runs with the same argv" {
  wrap 0 --root /run/x --log "$BATS_TEST_TMPDIR/log.json" --log-format json create --bundle "$BUNDLE" --pid-file /run/x/pid c1
  assert "$(recorded)" == "--root /run/x --log $BATS_TEST_TMPDIR/log.json --log-format json create --bundle $BUNDLE --pid-file /run/x/pid c1"
  assert "$(caps "$BUNDLE/config.json" bounding)" == "$CRIO_NINE"
  assert "$(rest "$BUNDLE/config.json")" == "$(rest "$FIXTURES/bundles/containerd-ctr-default/config.json")"
  assert "$(jq -r '[.command, .stage, .id, .decision] | join(" ")' "$LOG")" == "runtime create c1 rewritten"
}

@test "argv: --bundle=DIR, -b DIR, options after the id, the working directory, run" {
  wrap 0 create c1 --bundle="$BUNDLE"
  assert "$(caps "$BUNDLE/config.json" bounding)" == "$CRIO_NINE"
  cp "$FIXTURES/bundles/containerd-ctr-default/config.json" "$BUNDLE/config.json"
  wrap 0 --debug create -b "$BUNDLE" c1
  assert "$(caps "$BUNDLE/config.json" effective)" == "$CRIO_NINE"
  cp "$FIXTURES/bundles/containerd-ctr-default/config.json" "$BUNDLE/config.json"
  cd "$BUNDLE"
  wrap 0 run -d c1
  assert "$(caps "$BUNDLE/config.json" permitted)" == "$CRIO_NINE" "the bundle is the working directory"
  assert "$(recorded)" == "run -d c1"
}

@test "a conforming config is not rewritten at all" {
  cp "$FIXTURES/bundles/caps-conforming/config.json" "$BUNDLE/config.json"
  before=$(stat -c %i "$BUNDLE/config.json")
  wrap 0 create --bundle "$BUNDLE" c1
  assert "$(stat -c %i "$BUNDLE/config.json")" == "$before" "same inode: never replaced"
  cmp "$BUNDLE/config.json" "$FIXTURES/bundles/caps-conforming/config.json"
}

@test "the rewrite keeps the file's mode and owner and leaves no temporary file" {
  chmod 0640 "$BUNDLE/config.json"
  chown 1234:5678 "$BUNDLE/config.json"
  wrap 0 create --bundle "$BUNDLE" c1
  assert "$(stat -c '%a %u %g' "$BUNDLE/config.json")" == "640 1234 5678"
  assert "$(ls -A "$BUNDLE")" == "config.json"
}

@test "everything else is passed through untouched, at once" {
  for cmd in "state c1" "kill c1 9" "delete --force c1" "start c1" "ps --format json c1" "features" "--version" "frobnicate --x y"; do
    # shellcheck disable=SC2086
    wrap 0 --root /run/r $cmd
    assert "$(recorded)" == "--root /run/r $cmd"
  done
  cmp "$BUNDLE/config.json" "$FIXTURES/bundles/containerd-ctr-default/config.json"
  [ ! -e "$LOG" ] || assert "$(cat "$LOG")" == "" "pass-through leaves no decision"
}

@test "refused: exit 1, the runtime never runs, the reason on stderr and in runc's json log" {
  jq '.capabilities.deny = ["NET_RAW"]' "$CAPGUARD_POLICY" > "$BATS_TEST_TMPDIR/x" && cat "$BATS_TEST_TMPDIR/x" > "$CAPGUARD_POLICY"
  wrap 1 --root /run/x --log "$BATS_TEST_TMPDIR/log.json" --log-format json create --bundle "$BUNDLE" c1
  assert_one_error_line '^capguard: runtime: container c1: refused by [^(]* \(top level, action rewrite\): bounding holds CAP_NET_RAW, denied by capabilities.deny'
  [ ! -e "$BATS_TEST_TMPDIR/argv" ] || { echo "the runtime ran"; return 1; }
  run jq -r '.level + ": " + .msg' "$BATS_TEST_TMPDIR/log.json"
  assert "$output" =~ '^error: container c1: refused by [^(]* \(top level'
  assert "$(jq -r .time "$BATS_TEST_TMPDIR/log.json")" =~ '^[0-9-]+T[0-9:]+Z$'
  cmp "$BUNDLE/config.json" "$FIXTURES/bundles/containerd-ctr-default/config.json"
  # runc's default text log format too.
  wrap 1 --log "$BATS_TEST_TMPDIR/log.txt" create --bundle "$BUNDLE" c1
  assert "$(cat "$BATS_TEST_TMPDIR/log.txt")" =~ '^time="[0-9TZ:-]+" level=error msg="container c1: refused by'
}

@test "bad input: missing bundle, missing or symlinked config.json, bad config, unknown runtime option" {
  wrap 3 create --bundle "$BATS_TEST_TMPDIR/none" c1
  assert_one_error_line "^capguard: runtime: container c1: bundle \`$BATS_TEST_TMPDIR/none\`: No such file or directory$"
  mkdir "$BATS_TEST_TMPDIR/link"
  ln -s "$FIXTURES/bundles/caps-conforming/config.json" "$BATS_TEST_TMPDIR/link/config.json"
  wrap 3 create --bundle "$BATS_TEST_TMPDIR/link" c1
  assert_one_error_line 'is a symbolic link: refusing to follow it$'
  echo '{"process":{"capabilities":{"bounding":"CAP_KILL"}}}' > "$BUNDLE/config.json"
  wrap 3 --log "$BATS_TEST_TMPDIR/log.json" --log-format json create --bundle "$BUNDLE" c1
  assert_one_error_line 'process.capabilities.bounding: expected an array of strings$'
  assert "$(jq -r .msg "$BATS_TEST_TMPDIR/log.json")" =~ 'expected an array of strings$' "bad input reaches the engine too"
  wrap 2 --frobnicate create --bundle "$BUNDLE" c1
  assert_one_error_line 'unknown runtime option `--frobnicate`: cannot tell where the command starts$'
  wrap 2 --root
  assert_one_error_line 'runtime option `--root` needs a value$'
  [ ! -e "$BATS_TEST_TMPDIR/argv" ] || { echo "the runtime ran"; return 1; }
}

@test "the real runtime: --runtime, CAPGUARD_RUNTIME, the policy's runtime, runc on PATH; never capguard" {
  run_capguard 0 runtime --runtime "$FAKE" -- state c1
  assert "$(recorded)" == "state c1"
  unset CAPGUARD_RUNTIME
  jq --arg r "$FAKE" '.runtime = $r' "$CAPGUARD_POLICY" > "$BATS_TEST_TMPDIR/x" && cat "$BATS_TEST_TMPDIR/x" > "$CAPGUARD_POLICY"
  rm -f "$BATS_TEST_TMPDIR/argv"
  wrap 0 state c2
  assert "$(recorded)" == "state c2" "the policy's runtime"
  jq 'del(.runtime)' "$CAPGUARD_POLICY" > "$BATS_TEST_TMPDIR/x" && cat "$BATS_TEST_TMPDIR/x" > "$CAPGUARD_POLICY"
  # capguard installed as `runc` ahead of the real one on PATH is skipped.
  mkdir -p "$BATS_TEST_TMPDIR/bin1" "$BATS_TEST_TMPDIR/bin2"
  ln -s "$CAPGUARD" "$BATS_TEST_TMPDIR/bin1/runc"
  ln -s "$FAKE" "$BATS_TEST_TMPDIR/bin2/runc"
  rm -f "$BATS_TEST_TMPDIR/argv"
  run -0 --separate-stderr env PATH="$BATS_TEST_TMPDIR/bin1:$BATS_TEST_TMPDIR/bin2" "$WRAPPER" state c3
  assert "$(recorded)" == "state c3" "runc on PATH, skipping capguard"
  run -2 --separate-stderr env PATH="$BATS_TEST_TMPDIR/bin1" "$WRAPPER" state c3
  assert "$stderr" == "capguard: runtime: container c3: no \`runc\` on PATH other than capguard itself"
  CAPGUARD_RUNTIME=$CAPGUARD run -2 --separate-stderr "$WRAPPER" state c3
  assert "$stderr" =~ "is capguard itself: refusing to loop$"
  CAPGUARD_RUNTIME=runc run -2 --separate-stderr "$WRAPPER" state c3
  assert "$stderr" == "capguard: runtime: container c3: runtime \`runc\` is not an absolute path"
}

@test "exec: the --process file is clamped by the container's rule, --cap flags beyond it are dropped" {
  export FAKE_BUNDLE=$BUNDLE
  jq '.process' "$FIXTURES/bundles/containerd-ctr-default/config.json" > "$BATS_TEST_TMPDIR/process.json"
  wrap 0 --root /run/x exec --process "$BATS_TEST_TMPDIR/process.json" --detach --cap CAP_KILL --cap=CAP_SYS_ADMIN -c CAP_NET_RAW c1
  assert "$(recorded)" == "--root /run/x exec --process $BATS_TEST_TMPDIR/process.json --detach --cap CAP_KILL c1"
  assert "$(jq -r '.capabilities.bounding | sort | join(" ")' "$BATS_TEST_TMPDIR/process.json")" == "$CRIO_NINE"
  assert "$(jq -c 'del(.capabilities)' "$BATS_TEST_TMPDIR/process.json")" == "$(jq -c '.process | del(.capabilities)' "$FIXTURES/bundles/containerd-ctr-default/config.json")"
  assert "$(jq -r '.stage + " " + .decision + " " + (.removed.bounding | join(","))' "$LOG" | tail -1)" =~ '^exec rewritten .*CAP_SYS_ADMIN'
}

@test "exec: the rule comes from the container, and without --process the container's own process is checked" {
  export FAKE_BUNDLE=$BUNDLE
  cp "$FIXTURES/bundles/containerd-cri-kube-proxy/config.json" "$BUNDLE/config.json"
  jq '.capabilities.deny = ["SYS_ADMIN"]' "$CAPGUARD_POLICY" > "$BATS_TEST_TMPDIR/x" && cat "$BATS_TEST_TMPDIR/x" > "$CAPGUARD_POLICY"
  # kube-system is audited by the default policy: even a denied --cap is only recorded.
  wrap 0 exec --cap CAP_SYS_ADMIN c1 /bin/sh -c 'echo -p --cap'
  assert "$(recorded)" == "exec --cap CAP_SYS_ADMIN c1 /bin/sh -c echo -p --cap" "the command after the id is not parsed"
  assert "$(jq -r '.rule + " " + .decision' "$LOG")" == "kube-system audited audited"
  cp "$FIXTURES/bundles/caps-conforming/config.json" "$BUNDLE/config.json"
  wrap 1 exec --cap CAP_SYS_ADMIN c1 /bin/true
  assert_one_error_line 'container c1: refused by [^(]* \(top level, .*bounding holds CAP_SYS_ADMIN, denied by capabilities.deny'
  wrap 1 exec --cap cap_kill c1 /bin/true
  assert_one_error_line '^capguard: runtime: container c1: --cap `cap_kill` is not a capability runc knows$'
  unset FAKE_BUNDLE
  wrap 3 exec c1 /bin/true
  assert_one_error_line 'bundle `/nonexistent`: No such file or directory$'
}

@test "crash safety: SIGKILL before or at the rename leaves the old config.json whole" {
  require_tool strace
  # LeakSanitizer cannot run under ptrace; the sanitizer build keeps the rest of ASan here.
  export ASAN_OPTIONS=detect_leaks=0
  killed=0
  for syscall in write renameat renameat2 rename; do
    cp "$FIXTURES/bundles/containerd-ctr-default/config.json" "$BUNDLE/config.json"
    run strace -f -o /dev/null -e trace=write,rename,renameat,renameat2 -e inject=$syscall:signal=SIGKILL:when=1 \
      "$WRAPPER" create --bundle "$BUNDLE" c1
    # libc calls one of the rename variants; the others are never reached.
    [ "$status" = 137 ] || continue
    killed=$((killed + 1))
    cmp "$BUNDLE/config.json" "$FIXTURES/bundles/containerd-ctr-default/config.json"
    [ ! -e "$BATS_TEST_TMPDIR/argv" ] || { echo "the runtime ran"; return 1; }
    rm -f "$BUNDLE"/.config.json.capguard-*
  done
  assert "$killed" == 2 "killed at the write of the new file and at the rename"
  # Renamed into place, not fsync'd: the runtime reads it next, and a crash takes the container
  # with it (src/cli/mode_runtime.c argues it).
  cp "$FIXTURES/bundles/containerd-ctr-default/config.json" "$BUNDLE/config.json"
  run -0 strace -f -o "$BATS_TEST_TMPDIR/trace" -e trace=fsync,fdatasync,sync_file_range "$WRAPPER" create --bundle "$BUNDLE" c1
  assert "$(grep -c sync "$BATS_TEST_TMPDIR/trace")" == 0 "no fsync"
  assert "$(caps "$BUNDLE/config.json" bounding)" == "$CRIO_NINE"
  assert "$(ls -A "$BUNDLE")" == "config.json"
}

@test "crash safety: a failing write or rename fails the create cleanly" {
  require_tool strace
  export ASAN_OPTIONS=detect_leaks=0
  failed=0
  for fault in "write:error=EIO" "renameat:error=EXDEV" "renameat2:error=EXDEV" "rename:error=EXDEV"; do
    cp "$FIXTURES/bundles/containerd-ctr-default/config.json" "$BUNDLE/config.json"
    run --separate-stderr strace -f -o /dev/null -e trace=write,rename,renameat,renameat2 -e inject=$fault:when=1 \
      "$WRAPPER" create --bundle "$BUNDLE" c1
    [ "$status" = 0 ] && continue
    failed=$((failed + 1))
    assert "$status" == 3
    assert "$stderr" =~ "rewrite \`config.json\`: (write: Input/output error|Invalid cross-device link)"
    cmp "$BUNDLE/config.json" "$FIXTURES/bundles/containerd-ctr-default/config.json"
    assert "$(ls -A "$BUNDLE")" == "config.json" "the temporary file is removed"
    [ ! -e "$BATS_TEST_TMPDIR/argv" ] || { echo "the runtime ran"; return 1; }
  done
  assert "$failed" == 2 "the write and the rename libc uses both failed the create"
}

@test "crash safety: a full disk and a read-only bundle fail the create cleanly" {
  require_root "mounting a small tmpfs needs root"
  require_tool unshare "unshare (util-linux)"
  cp "$FIXTURES/bundles/containerd-ctr-default/config.json" "$BATS_TEST_TMPDIR/orig.json"
  run --separate-stderr unshare --mount --propagation private bash -euc '
    b=$1 wrapper=$2 orig=$3
    mount -t tmpfs -o size=8k tmpfs "$b"
    cp "$orig" "$b/config.json"
    # Fill what is left, so the temporary file cannot be written.
    head -c 1M /dev/zero > "$b/fill" 2>/dev/null || true
    rc=0; "$wrapper" create --bundle "$b" c1 || rc=$?
    echo "full=$rc"
    cmp "$b/config.json" "$orig" && echo same-full
    ls -A "$b" | tr "\n" " "; echo
    rm -f "$b/fill"
    mount -o remount,ro "$b"
    rc=0; "$wrapper" create --bundle "$b" c1 || rc=$?
    echo "ro=$rc"
    cmp "$b/config.json" "$orig" && echo same-ro' _ "$BUNDLE" "$WRAPPER" "$BATS_TEST_TMPDIR/orig.json"
  echo "# $output / $stderr"
  assert "$output" =~ "full=3"
  assert "$output" =~ "same-full"
  assert "$output" =~ "config.json fill "$'\n' "only the original and the filler: no temporary file left"
  assert "$output" =~ "ro=3"
  assert "$output" =~ "same-ro"
  assert "$stderr" =~ "No space left on device"
  assert "$stderr" =~ "Read-only file system"
}

@test "a broken policy fails create and exec closed, but never stops the engine from deleting containers" {
  echo '{"version":1,"capabilities":{"allow":["KILL"]},"acton":"audit"}' > "$CAPGUARD_POLICY"
  wrap 2 --log "$BATS_TEST_TMPDIR/log.json" --log-format json create --bundle "$BUNDLE" c1
  assert_one_error_line "unknown key \`acton\` in the policy$"
  assert "$(jq -r .msg "$BATS_TEST_TMPDIR/log.json")" =~ "unknown key \`acton\` in the policy$"
  [ ! -e "$BATS_TEST_TMPDIR/argv" ] || { echo "the runtime ran"; return 1; }
  wrap 2 exec c1 /bin/true
  for cmd in "delete --force c1" "kill c1 KILL" "state c1"; do
    # shellcheck disable=SC2086
    wrap 0 --root /run/r $cmd
    assert "$(recorded)" == "--root /run/r $cmd"
    assert_one_error_line "^capguard: warning: .*unknown key \`acton\` in the policy; passing the command through to the runtime unchanged$"
  done
}

@test "the wrapper applies noNewPrivileges, the seccomp baseline and pingGroupRange as precreate does" {
  jq '.noNewPrivileges = true | .seccomp = "baseline" | .pingGroupRange = "auto"' "$CAPGUARD_POLICY" > "$BATS_TEST_TMPDIR/x"
  cat "$BATS_TEST_TMPDIR/x" > "$CAPGUARD_POLICY"
  jq 'del(.linux.seccomp)' "$FIXTURES/bundles/containerd-ctr-default/config.json" > "$BUNDLE/config.json"
  wrap 0 create --bundle "$BUNDLE" c1
  assert "$(jq -c '[.process.noNewPrivileges, .linux.sysctl["net.ipv4.ping_group_range"], .linux.seccomp.defaultAction]' "$BUNDLE/config.json")" == '[true,"0 2147483647","SCMP_ACT_ALLOW"]'
  assert "$(jq -r '.linux.seccomp.syscalls[0].names[0]' "$BUNDLE/config.json")" == unshare
  # exec: no_new_privs on the exec'd process too.
  export FAKE_BUNDLE=$BUNDLE
  jq '.process | .noNewPrivileges = false' "$FIXTURES/bundles/containerd-ctr-default/config.json" > "$BATS_TEST_TMPDIR/process.json"
  wrap 0 exec --process "$BATS_TEST_TMPDIR/process.json" c1
  assert "$(jq -c .noNewPrivileges "$BATS_TEST_TMPDIR/process.json")" == true
}
