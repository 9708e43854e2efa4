#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# capguard install / uninstall ENGINE --root DIR for podman, crio, containerd and docker.

load helpers
bats_require_minimum_version 1.5.0

setup ()
{
  ROOT=$BATS_TEST_TMPDIR/root
  BIN=/opt/capguard/capguard
  mkdir -p "$ROOT/opt/capguard"
  cp "$CAPGUARD" "$ROOT$BIN"
  POLICY=$(policy_file "$SRCDIR/policy/default.json")
  PYTHON=$(command -v python3) || skip_or_fail "python3 is not installed"
}

inst () { run_capguard "$1" --policy "$POLICY" "${2:-install}" "${@:3}" --root "$ROOT" --binary "$BIN"; }

toml_ok () { "$PYTHON" -c 'import sys, tomllib; tomllib.load(open(sys.argv[1], "rb"))' "$1"; }

@test "install all four engines: files parse, name the binary, no precreate where CRI-O or NRI read" {
  for e in podman crio containerd docker; do
    inst 0 install "$e"
    assert "$output" =~ "wrote " "$e wrote something"
    assert "${lines[-1]}" =~ "restart|nothing to restart" "$e says what to restart"
  done
  for f in $(find "$ROOT/etc" -name '*.json'); do jq -e . "$f" >/dev/null; done
  for f in $(find "$ROOT/etc" -name '*.toml' -o -name '*.conf'); do toml_ok "$f"; done
  run -1 grep -rl precreate "$ROOT/etc/containers/oci"
  assert "$(jq -c .stages "$ROOT/etc/containers/capguard/hooks.d/capguard-precreate.json")" == '["precreate"]'
  assert "$(jq -r .hook.path "$ROOT/etc/containers/oci/hooks.d/capguard-createRuntime.json")" == "$BIN"
  assert "$(readlink "$ROOT/opt/capguard/capguard-runtime")" == capguard
  assert "$(jq -r '.runtimes.capguard.path + " " + .["default-runtime"]' "$ROOT/etc/docker/daemon.json")" == "/opt/capguard/capguard-runtime capguard"
  run "$PYTHON" -c 'import sys, tomllib; print(" ".join(tomllib.load(open(sys.argv[1], "rb"))["crio"]["runtime"]["default_capabilities"]))' "$ROOT/etc/crio/crio.conf.d/10-capguard.conf"
  assert "$output" == "CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP NET_BIND_SERVICE" "the node policy's ceiling"
  if command -v containerd >/dev/null; then
    run -0 containerd --config "$ROOT/etc/containerd/conf.d/capguard.toml" config dump
    assert "$output" =~ 'BinaryName = "/opt/capguard/capguard-runtime"'
  fi
}

@test "install is idempotent; --dry-run writes nothing; a missing binary is refused" {
  inst 0 install crio
  inst 0 install crio
  assert "$(grep -c '^wrote\|^linked' <<<"$output")" == 0 "second run: nothing written"
  assert "$(grep -c '^unchanged' <<<"$output")" == 5
  rm -rf "$ROOT/etc"
  inst 0 install docker --dry-run
  assert "$output" =~ "would write $ROOT/etc/docker/daemon.json"
  [ ! -e "$ROOT/etc" ]
  rm "$ROOT$BIN"
  inst 3 install podman
  assert_one_error_line "capguard is not at \`$ROOT$BIN\`"
  run_capguard 2 install frobd
  assert_one_error_line "unknown engine \`frobd\`"
  run_capguard 2 install
  assert_one_error_line "install takes one engine"
}

@test "docker: daemon.json is merged, never clobbered, and uninstall restores the rest" {
  mkdir -p "$ROOT/etc/docker"
  echo '{"log-driver":"journald","runtimes":{"nvidia":{"path":"/usr/bin/nvidia-container-runtime"}}}' > "$ROOT/etc/docker/daemon.json"
  inst 0 install docker
  assert "$(jq -c '[.["log-driver"], (.runtimes | keys), .["default-runtime"]]' "$ROOT/etc/docker/daemon.json")" == '["journald",["capguard","nvidia"],"capguard"]'
  inst 0 uninstall docker
  assert "$(jq -c . "$ROOT/etc/docker/daemon.json")" == '{"log-driver":"journald","runtimes":{"nvidia":{"path":"/usr/bin/nvidia-container-runtime"}}}'
  echo '{"runtimes": [' > "$ROOT/etc/docker/daemon.json"
  inst 3 install docker
  assert_one_error_line "daemon.json:"
}

@test "uninstall removes what install wrote, and only that" {
  for e in podman crio containerd; do inst 0 install "$e"; done
  touch "$ROOT/etc/containers/oci/hooks.d/other-hook.json"
  for e in podman crio containerd; do inst 0 uninstall "$e"; done
  run find "$ROOT/etc" -type f
  assert "$output" == "$ROOT/etc/containers/oci/hooks.d/other-hook.json"
  [ -x "$ROOT$BIN" ]
}

@test "the installed podman precreate file clamps a real container" {
  command -v podman >/dev/null || skip_or_fail "podman is not installed"
  [ "$(id -u)" = 0 ] || skip_or_fail "podman with runc and cgroupfs needs root here"
  [ ! -e /etc/capguard/policy.json ] || skip_or_fail "/etc/capguard/policy.json exists"
  # The file names the binary by its path on the node: install for this build's own binary, which
  # must then also stand under the root.
  real=$(realpath "$CAPGUARD")
  mkdir -p "$ROOT$(dirname "$real")" && cp "$real" "$ROOT$real"
  run_capguard 0 install podman --root "$ROOT" --binary "$real"
  bash "$SRCDIR/tests/rootfs.sh" "$BATS_TEST_TMPDIR/rootfs"
  run --separate-stderr podman --root "$BATS_TEST_TMPDIR/podman/storage" --runroot "$BATS_TEST_TMPDIR/podman/run" \
    --tmpdir "$BATS_TEST_TMPDIR/podman/tmp" --storage-driver vfs --runtime runc --cgroup-manager cgroupfs \
    --events-backend file --hooks-dir "$ROOT/etc/containers/capguard/hooks.d" \
    run --rm --net none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --privileged \
    --rootfs "$BATS_TEST_TMPDIR/rootfs" /bin/grep ^CapBnd /proc/self/status
  echo "# $status: $output / $stderr"
  assert "$output" =~ "^CapBnd:[[:space:]]+00000000000005fb$"
}
