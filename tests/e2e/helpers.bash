# SPDX-License-Identifier: GPL-2.0-or-later
# Shared helpers for the end-to-end tests, after podman's test/system/helpers.bash.

: "${CAPGUARD:?set CAPGUARD to the capguard binary (ctest does)}"
: "${FIXTURES:?set FIXTURES to tests/fixtures (ctest does)}"
: "${SRCDIR:=$(cd "$FIXTURES/../.." && pwd)}"

# Skips a test with a reason; CI (CAPGUARD_TEST_STRICT=1 or CI=true) turns the skip into a failure so
# that a machine missing a prerequisite is never counted as passing.
skip_or_fail ()
{
  if [ "${CAPGUARD_TEST_STRICT:-}" = 1 ] || [ "${CI:-}" = true ]; then
    echo "# required in CI, but: $*" >&2
    return 1
  fi
  skip "$*"
}

# run_capguard RC ARGS...: runs capguard with stdout and stderr apart, logs both, and checks the exit
# code.  Leaves $output, $stderr, $status and ${stderr_lines[@]} for the test.
run_capguard ()
{
  local want=$1; shift
  run -"$want" --separate-stderr "$CAPGUARD" "$@"
  echo "\$ capguard $*" >&3 2>/dev/null || true
  printf '# stdout: %s\n# stderr: %s\n' "${output:0:400}" "$stderr"
}

# Same, feeding FILE on stdin.
run_capguard_stdin ()
{
  local want=$1 file=$2; shift 2
  run -"$want" --separate-stderr "$CAPGUARD" "$@" < "$file"
  printf '# stdin: %s\n# stdout: %s\n# stderr: %s\n' "$file" "${output:0:400}" "$stderr"
}

# assert ACTUAL OP EXPECTED [WHY]: OP is ==, !=, =~, !~ or -lt (integers).
assert ()
{
  local actual=$1 op=$2 expect=$3 why=${4:-}
  local ok=1
  case "$op" in
    '==') [ "$actual" == "$expect" ] || ok=0 ;;
    '!=') [ "$actual" != "$expect" ] || ok=0 ;;
    '=~') [[ "$actual" =~ $expect ]] || ok=0 ;;
    '!~') [[ "$actual" =~ $expect ]] && ok=0 ;;
    '-lt') [ "$actual" -lt "$expect" ] 2>/dev/null || ok=0 ;;
    *) echo "assert: unknown operator $op" >&2; return 1 ;;
  esac
  if [ "$ok" = 0 ]; then
    {
      echo "#/vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv"
      echo "#|     FAIL: ${why:-assertion}"
      echo "#| expected: $op '${expect:0:2000}'"
      echo "#|   actual:    '${actual:0:2000}'"
      echo "#\\^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^"
    } >&2
    return 1
  fi
}

# The stderr of a failure is one line, naming what and why.
assert_one_error_line ()
{
  assert "${#stderr_lines[@]}" == 1 "exactly one line on stderr"
  assert "${stderr_lines[0]}" =~ "$1" "the error line"
}

# caps FILE SET: the set as a sorted, space-separated list (jq).
caps ()
{
  jq -r --arg s "$2" '(.process.capabilities[$s] // []) | sort | join(" ")' "$1"
}

# Everything but process.capabilities, compact, in document order.
rest ()
{
  jq -c 'del(.process.capabilities)' "$1"
}

# live SET: the Cap$SET line (Bnd, Eff, Prm, Inh, Amb) of /proc/self/status in the last $output,
# decoded by libcap's capsh, upper case, sorted, space-separated.
live ()
{
  local hex
  hex=$(printf '%s\n' "$output" | awk -v k="Cap$1:" '$1 == k { print $2 }')
  [ -n "$hex" ] || { echo "no Cap$1 in the output" >&2; return 1; }
  capsh --decode="$hex" | sed 's/^0x[0-9a-f]*=//' | tr ',' '\n' | { grep . || true; } | tr a-z A-Z | sort \
    | tr '\n' ' ' | sed 's/ $//'
}

# A policy file copied into a directory capguard accepts (root-owned, not group/world writable).
policy_file ()
{
  local src=$1 dest=${2:-$BATS_TEST_TMPDIR/policy.json}
  mkdir -p "$(dirname "$dest")"
  chmod 0755 "$(dirname "$dest")"
  cp "$src" "$dest"
  chmod 0644 "$dest"
  echo "$dest"
}

# write_policy JSON [DEST]: the same, from text.
# policy_fixture NAME [KEY=JSON...]: tests/fixtures/policy/NAME.json with each top-level KEY set
# to JSON (action='"audit"'), its log.file set to $LOG when LOG is set, written where capguard
# accepts a policy (root's, 0644, in a 0755 directory): $BATS_TEST_TMPDIR/policy.json, or
# $POLICY_DEST.  Prints its path.
policy_fixture ()
{
  local name=$1 dest=${POLICY_DEST:-$BATS_TEST_TMPDIR/policy.json} filter=. kv
  shift
  for kv; do filter+=" | .${kv%%=*} = (${kv#*=})"; done
  [ -z "${LOG:-}" ] || filter+=' | .log.file = $log'
  mkdir -p "$(dirname "$dest")"
  chmod 0755 "$(dirname "$dest")"
  jq --arg log "${LOG:-}" "$filter" "$FIXTURES/policy/$name.json" > "$dest"
  chmod 0644 "$dest"
  echo "$dest"
}

# skip_if_missing FILE: a file's setup wrote what this machine lacks into FILE: skip (fail in CI).
skip_if_missing ()
{
  if [ -s "$1" ]; then
    skip_or_fail "$(cat "$1")"
  fi
}

# require_tool COMMAND [WHY]: the test needs COMMAND on PATH (skipped, or failed in CI, without).
require_tool ()
{
  command -v "$1" >/dev/null || skip_or_fail "${2:-$1} is not installed"
}

# require_root WHY: the test needs root.
require_root ()
{
  [ "$(id -u)" = 0 ] || skip_or_fail "$1"
}

write_policy ()
{
  local dest=${2:-$BATS_TEST_TMPDIR/policy.json}
  mkdir -p "$(dirname "$dest")"
  chmod 0755 "$(dirname "$dest")"
  printf '%s\n' "$1" > "$dest"
  chmod 0644 "$dest"
  echo "$dest"
}

# The nine capabilities of CRI-O's default_capabilities, the built-in ceiling, sorted.
CRIO_NINE="CAP_CHOWN CAP_DAC_OVERRIDE CAP_FOWNER CAP_FSETID CAP_KILL CAP_NET_BIND_SERVICE CAP_SETGID CAP_SETPCAP CAP_SETUID"
