#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# The Debian package: built offline with `dpkg-buildpackage -b -uc -us` from a copy of the source,
# inspected, installed into an empty root with `dpkg --root` and run from there; lintian finds no
# error.  Installing it registers capguard with no engine.

load helpers
bats_require_minimum_version 1.5.0

setup_file ()
{
  local src=$BATS_FILE_TMPDIR/src
  mkdir -p "$src"
  # The sources only: no build directories of the checkout.
  tar -C "$SRCDIR" --exclude='./build*' --exclude=./.git -cf - . | tar -C "$src" -xf -
  (cd "$src" && dpkg-buildpackage -b -uc -us) > "$BATS_FILE_TMPDIR/build.log" 2>&1 \
    || { tail -40 "$BATS_FILE_TMPDIR/build.log" >&3; return 1; }
}

setup ()
{
  require_tool dpkg-deb
  DEB=$(echo "$BATS_FILE_TMPDIR"/capguard_*.deb)
  [ -f "$DEB" ] || { echo "no package: $(tail -20 "$BATS_FILE_TMPDIR/build.log")"; return 1; }
}

@test "the package holds the binary, its link, the policies, the engines' files, man pages and an example policy" {
  run -0 dpkg-deb -c "$DEB"
  files=$(awk '{print $6 ($7 ? " " $7 " " $8 : "")}' <<<"$output")
  for f in ./usr/libexec/capguard/capguard ./usr/share/capguard/policy/default.json \
    ./usr/share/capguard/policy/seccomp-baseline.json ./usr/share/capguard/podman-hooks.d/capguard-precreate.json \
    ./usr/share/capguard/oci-hooks.d/capguard-createRuntime.json ./usr/share/capguard/containerd/runtime-v2.toml \
    ./usr/share/capguard/docker/daemon.json ./usr/share/capguard/kubernetes/capguard.yaml \
    ./usr/share/man/man8/capguard.8.gz ./usr/share/man/man5/capguard-policy.5.gz \
    ./etc/logrotate.d/capguard ./usr/share/doc/capguard/examples/default.json; do
    grep -qx -- "$f" <<<"$files" || { echo "missing $f in: $files"; return 1; }
  done
  grep -qx -- "./usr/libexec/capguard/capguard-runtime -> capguard" <<<"$files"
  grep -qx -- "./usr/sbin/capguard -> ../libexec/capguard/capguard" <<<"$files"
  # Nothing where an engine looks for hooks or configuration, nothing under /etc but logrotate's.
  run grep -E '^\./(usr/share/containers|etc/(containers|crio|containerd|docker|capguard))' <<<"$files"
  assert "$output" == "" "installing registers nothing"
  # The hooks files name the installed binary.
  dpkg-deb -x "$DEB" "$BATS_TEST_TMPDIR/x"
  assert "$(jq -r .hook.path "$BATS_TEST_TMPDIR/x/usr/share/capguard/oci-hooks.d/capguard-createRuntime.json")" \
    == /usr/libexec/capguard/capguard
}

@test "no maintainer script: the admin runs capguard install ENGINE" {
  dpkg-deb -e "$DEB" "$BATS_TEST_TMPDIR/control"
  run ls "$BATS_TEST_TMPDIR/control"
  assert "$(tr '\n' ' ' <<<"$output")" == "conffiles control md5sums "
  assert "$(cat "$BATS_TEST_TMPDIR/control/conffiles")" == "/etc/logrotate.d/capguard"
}

@test "installed with dpkg --root into an empty root: version, check and precreate run from there" {
  require_root "dpkg --root needs root"
  root=$BATS_TEST_TMPDIR/root
  mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates"
  : > "$root/var/lib/dpkg/status"
  run -0 dpkg --root="$root" --force-depends --force-script-chrootless -i "$DEB"
  run -0 dpkg --root="$root" -s capguard
  assert "$output" =~ "Status: install ok installed"
  run -0 "$root/usr/sbin/capguard" version
  assert "${lines[0]}" =~ "^capguard [0-9]"
  run -0 "$root/usr/sbin/capguard" check "$root/usr/share/capguard/policy/restricted.json"
  assert "${lines[0]}" =~ "valid policy"
  # The runtime link is the wrapper: a `state` passes through to the runtime it names.
  run -0 env CAPGUARD_RUNTIME=/bin/echo "$root/usr/libexec/capguard/capguard-runtime" state x
  assert "$output" == "state x"
  run -0 --separate-stderr "$root/usr/sbin/capguard" --policy "$root/usr/share/capguard/policy/default.json" \
    precreate < "$FIXTURES/bundles/podman-default/config.json"
  assert "$(caps <(echo "$output") bounding)" == "$CRIO_NINE"
  run -0 dpkg --root="$root" --force-script-chrootless -r capguard
  [ ! -e "$root/usr/libexec/capguard/capguard" ]
}

@test "lintian finds no error" {
  require_tool lintian
  run lintian --fail-on error "$DEB"
  echo "# $output"
  assert "$status" == 0 "lintian: $output"
}
