#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# The compiled policy cache (policy_cache.h): a big policy is parsed on the first start and read
# from its compiled form afterwards, with the same result; an edit of any kind is seen on the next
# start; an entry or a directory anyone but root controls is never used.

load helpers
bats_require_minimum_version 1.5.0

setup ()
{
  require_root "the cache is root's: these tests need root"
  export CAPGUARD_CACHE_DIR=$BATS_TEST_TMPDIR/cache
  POLICY=$BATS_TEST_TMPDIR/etc/policy.json
  mkdir -p "$BATS_TEST_TMPDIR/etc"
  chmod 0755 "$BATS_TEST_TMPDIR/etc"
  # 1 000 rules as a big cluster's per-namespace exemptions (tests/bench/inputs.sh's shape): 215 KB.
  big_policy 1000 > "$POLICY"
  chmod 0644 "$POLICY"
  CONFIG=$FIXTURES/bundles/podman-cap-add/config.json
}

# big_policy N: the shipped default policy with N-1 rules before its own.
big_policy ()
{
  jq --argjson n "$1" '.log.syslog = false
    | .rules = [range(0; $n - 1) | {name: "r\(.)", match: {namespace: "team-\(.)", container: "app-\(.)|worker-\(.)"},
                                    capabilities: {add: ["NET_RAW"]}}] + .rules' "$SRCDIR/policy/default.json"
}

# The one entry in the cache directory.
entry ()
{
  local e=("$CAPGUARD_CACHE_DIR"/policy-*)
  [ "${#e[@]}" = 1 ] && [ -f "${e[0]}" ] || { echo "entries: ${e[*]}" >&2; return 1; }
  echo "${e[0]}"
}

# precreate RC: capguard precreate on CONFIG, its stdout in $output.
precreate ()
{
  run_capguard_stdin "$1" "$CONFIG" --policy "$POLICY" precreate
}

@test "a big policy: the first start writes its compiled form, later starts read it, same result" {
  CAPGUARD_CACHE_DIR= run -0 --separate-stderr "$CAPGUARD" --policy "$POLICY" precreate < "$CONFIG"
  want=$output
  assert "$(caps <(echo "$want") bounding)" == "CAP_CHOWN CAP_DAC_OVERRIDE CAP_FOWNER CAP_FSETID CAP_NET_BIND_SERVICE CAP_SETGID CAP_SETPCAP CAP_SETUID"
  [ ! -e "$CAPGUARD_CACHE_DIR" ]

  precreate 0
  assert "$output" == "$want" "the start that writes the entry"
  e=$(entry)
  assert "$(stat -c %u:%a "$CAPGUARD_CACHE_DIR") $(stat -c %u:%a:%h "$e")" == "0:700 0:600:1"
  ino=$(stat -c %i "$e")

  # The next start reads the entry and writes nothing.  (LeakSanitizer cannot run under ptrace.)
  run -0 --separate-stderr strace -f -o "$BATS_TEST_TMPDIR/trace" -e trace=openat,rename,renameat,renameat2 \
    env ASAN_OPTIONS=detect_leaks=0 "$CAPGUARD" --policy "$POLICY" precreate < "$CONFIG"
  assert "$output" == "$want" "the start that reads the entry"
  run grep -c "openat(.*\"$(basename "$e")\", O_RDONLY.*= [0-9]" "$BATS_TEST_TMPDIR/trace"
  assert "$output" == 1 "the entry opened: $(cat "$BATS_TEST_TMPDIR/trace")"
  run grep -c rename "$BATS_TEST_TMPDIR/trace"
  assert "$output" == 0 "nothing written"
  assert "$(stat -c %i "$e")" == "$ino"

  # And does not parse the policy: callgrind's count, with the cache and without.
  bin=${CAPGUARD_VALGRIND:-$CAPGUARD}
  if ! ldd "$bin" 2>/dev/null | grep -q libasan; then
    require_tool valgrind
    count ()
    {
      valgrind --tool=callgrind --callgrind-out-file=/dev/null "$bin" --policy "$POLICY" precreate \
        < "$CONFIG" 2>&1 >/dev/null | sed -n 's/.*Collected : //p'
    }
    # This twin is another binary: its first run writes its own entry.
    count >/dev/null
    cached=$(count)
    uncached=$(CAPGUARD_CACHE_DIR= count)
    echo "# instructions: $cached cached, $uncached parsed"
    assert "$((cached * 5))" -lt "$uncached" "reading the entry costs a fifth of parsing or less"
  fi
}

@test "an edit is seen on the next start, even one that keeps the size and the timestamps" {
  precreate 0
  e=$(entry)
  ino=$(stat -c %i "$e")
  cp -p "$POLICY" "$BATS_TEST_TMPDIR/before"
  # Same length, same mtime: only the text tells.
  sed -i '0,/"action": "rewrite"/s//"action": "enforce"/' "$POLICY"
  touch -r "$BATS_TEST_TMPDIR/before" "$POLICY"
  assert "$(stat -c %s:%Y "$POLICY")" == "$(stat -c %s:%Y "$BATS_TEST_TMPDIR/before")"
  precreate 1
  assert "$output" == ""
  assert "$stderr" =~ "refused by $POLICY \\(top level, action enforce\\)"
  assert "$(stat -c %i "$(entry)")" != "$ino" "a new entry"
  precreate 1
}

@test "a torn, damaged or foreign entry is not used, and is made again" {
  CAPGUARD_CACHE_DIR= run -0 --separate-stderr "$CAPGUARD" --policy "$POLICY" precreate < "$CONFIG"
  want=$output
  precreate 0
  e=$(entry)
  cp "$e" "$BATS_TEST_TMPDIR/good"

  truncate -s $(($(stat -c %s "$e") / 2)) "$e"
  precreate 0
  assert "$output" == "$want" "torn"
  cmp "$e" "$BATS_TEST_TMPDIR/good"

  # Same size, other bytes: the payload's hash does not match.
  head -c "$(stat -c %s "$e")" /dev/zero | tr '\0' x > "$e.x" && cat "$e.x" > "$e" && rm "$e.x"
  precreate 0
  assert "$output" == "$want" "damaged"
  cmp "$e" "$BATS_TEST_TMPDIR/good"

  # Another policy's entry in this one's place.
  big_policy 900 > "$BATS_TEST_TMPDIR/etc/other.json"
  chmod 0644 "$BATS_TEST_TMPDIR/etc/other.json"
  run -0 "$CAPGUARD" --policy "$BATS_TEST_TMPDIR/etc/other.json" precreate < "$CONFIG"
  other=$(ls "$CAPGUARD_CACHE_DIR"/policy-* | grep -v "$e")
  cp "$other" "$e"
  precreate 0
  assert "$output" == "$want" "another policy's entry"
  cmp "$e" "$BATS_TEST_TMPDIR/good"

  chown 65534 "$e"
  precreate 0
  assert "$output" == "$want" "owned by nobody"
  assert "$(stat -c %u "$e")" == 0

  chmod 0644 "$e"
  precreate 0
  assert "$(stat -c %a "$e")" == 600
}

@test "a cache directory others can enter, a symlink, or a non-root caller: no cache at all" {
  CAPGUARD_CACHE_DIR= run -0 --separate-stderr "$CAPGUARD" --policy "$POLICY" precreate < "$CONFIG"
  want=$output

  mkdir -m 0755 "$CAPGUARD_CACHE_DIR"
  precreate 0
  assert "$output" == "$want"
  assert "$(ls -A "$CAPGUARD_CACHE_DIR")" == "" "nothing written where others can look"

  rmdir "$CAPGUARD_CACHE_DIR"
  mkdir -m 0700 "$BATS_TEST_TMPDIR/real"
  ln -s "$BATS_TEST_TMPDIR/real" "$CAPGUARD_CACHE_DIR"
  precreate 0
  assert "$output" == "$want"
  assert "$(ls -A "$BATS_TEST_TMPDIR/real")" == "" "a symlinked directory is not followed"

  # A rootless engine's hook: nobody reads root's policy from a directory it can reach.
  rm "$CAPGUARD_CACHE_DIR"
  shared=$(mktemp -d /tmp/capguard-cache-test.XXXXXX)
  chmod 0755 "$shared"
  cp "$POLICY" "$shared/policy.json"
  # The binary too: the checkout may sit in a directory nobody can enter.
  cp "$CAPGUARD" "$shared/capguard"
  run --separate-stderr setpriv --reuid 65534 --regid 65534 --clear-groups \
    env CAPGUARD_CACHE_DIR="$shared/cache" "$shared/capguard" --policy "$shared/policy.json" precreate < "$CONFIG"
  [ ! -e "$shared/cache" ] && created=no || created=yes
  rm -rf "$shared"
  assert "$status $created" == "0 no" "as nobody: $stderr"
  assert "$output" == "$want"
}

@test "the hook and the wrapper use it too; check, explain and a small policy never write it" {
  run_capguard 0 --policy "$POLICY" check
  run_capguard 0 --policy "$POLICY" explain "$CONFIG"
  [ ! -e "$CAPGUARD_CACHE_DIR" ]

  small=$(policy_file "$SRCDIR/policy/default.json" "$BATS_TEST_TMPDIR/etc/small.json")
  run_capguard_stdin 0 "$CONFIG" --policy "$small" precreate
  [ ! -e "$CAPGUARD_CACHE_DIR" ]

  sed "s|@BUNDLE@|$FIXTURES/bundles/caps-conforming|" "$FIXTURES/state/createRuntime.json" > "$BATS_TEST_TMPDIR/state.json"
  run_capguard_stdin 0 "$BATS_TEST_TMPDIR/state.json" --policy "$POLICY" hook createRuntime
  e=$(entry)
  rm "$e"

  mkdir "$BATS_TEST_TMPDIR/bundle"
  cp "$CONFIG" "$BATS_TEST_TMPDIR/bundle/config.json"
  run -0 env CAPGUARD_RUNTIME=/bin/true CAPGUARD_POLICY="$POLICY" "$(dirname "$CAPGUARD")/capguard-runtime" \
    create --bundle "$BATS_TEST_TMPDIR/bundle" cache-test
  assert "$(entry)" == "$e"
  assert "$(caps "$BATS_TEST_TMPDIR/bundle/config.json" bounding)" == "CAP_CHOWN CAP_DAC_OVERRIDE CAP_FOWNER CAP_FSETID CAP_NET_BIND_SERVICE CAP_SETGID CAP_SETPCAP CAP_SETUID"
}

@test "10 000 rules load, parsed and from the cache, with the same result" {
  big_policy 10000 > "$POLICY"
  assert "$(stat -c %s "$POLICY")" -lt $((4 * 1024 * 1024)) "under the 4 MiB limit"
  CAPGUARD_CACHE_DIR= run -0 --separate-stderr "$CAPGUARD" --policy "$POLICY" precreate < "$CONFIG"
  want=$output
  precreate 0
  assert "$output" == "$want"
  precreate 0
  assert "$output" == "$want"
  entry >/dev/null
  run_capguard 0 --policy "$POLICY" check
  assert "$output" =~ "10000 rules"
}
