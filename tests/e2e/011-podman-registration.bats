#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# The registration files as `cmake --install` lays them out: podman finds the precreate hook through
# the containers.conf drop-in alone, and the installed binary clamps with the built-in policy.

load helpers
bats_require_minimum_version 1.5.0

setup_file ()
{
  export PREFIX=$BATS_FILE_TMPDIR/prefix
  export ROOTFS=$BATS_FILE_TMPDIR/rootfs
  export PODMAN_ROOT=$BATS_FILE_TMPDIR/podman
  bash "$SRCDIR/tests/rootfs.sh" "$ROOTFS"
  cmake -S "$SRCDIR" -B "$BATS_FILE_TMPDIR/build" -DCMAKE_INSTALL_PREFIX="$PREFIX" -DBUILD_TESTING=OFF >/dev/null
  cmake --build "$BATS_FILE_TMPDIR/build" -j2 >/dev/null
  cmake --install "$BATS_FILE_TMPDIR/build" >/dev/null
}

setup ()
{
  command -v podman >/dev/null || skip_or_fail "podman is not installed"
  [ "$(id -u)" = 0 ] || skip_or_fail "podman with runc and cgroupfs needs root here"
}

@test "install layout: binary in libexec, precreate file in its own directory, never in the shared hooks.d" {
  [ -x "$PREFIX/libexec/capguard/capguard" ]
  hook=$PREFIX/share/capguard/podman-hooks.d/capguard-precreate.json
  assert "$(jq -r .hook.path "$hook")" == "$PREFIX/libexec/capguard/capguard"
  assert "$(jq -c .stages "$hook")" == '["precreate"]'
  # CRI-O and NRI's hook-injector read this directory and reject the precreate stage.
  run -0 find "$PREFIX" -path '*containers/oci/hooks.d*'
  assert "$output" == "" "nothing installed into containers/oci/hooks.d"
  for p in default baseline restricted; do
    [ -f "$PREFIX/share/capguard/policy/$p.json" ]
  done
}

@test "podman picks the hook up through the containers.conf drop-in and the container is clamped" {
  [ ! -e /etc/capguard/policy.json ] || skip_or_fail "/etc/capguard/policy.json exists: the built-in policy would not apply"
  conf=$PREFIX/share/capguard/containers.conf.d/capguard-hooks.conf
  run --separate-stderr env CONTAINERS_CONF="$conf" podman --root "$PODMAN_ROOT/storage" \
    --runroot "$PODMAN_ROOT/run" --tmpdir "$PODMAN_ROOT/tmp" --storage-driver vfs --runtime runc \
    --cgroup-manager cgroupfs --events-backend file \
    run --rm --net none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --privileged \
    --rootfs "$ROOTFS" /bin/grep ^CapBnd /proc/self/status
  echo "# $output / $stderr"
  assert "$status" == 0
  # The nine of CRI-O's defaults: CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP NET_BIND_SERVICE.
  assert "$output" =~ "^CapBnd:[[:space:]]+00000000000005fb$" "--privileged clamped by the installed hook"
}
