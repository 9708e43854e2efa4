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
    run -0 containerd --config "$ROOT/etc/containerd/config.toml" config dump
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

# A kubeadm node's config.toml: version 2, its own sandbox image, CNI directories, systemd cgroups and
# runc Root, with comments and quoting styles that must survive.
kubeadm_toml ()
{
  mkdir -p "$ROOT/etc/containerd"
  cat > "$ROOT/etc/containerd/config.toml" <<'TOML'
version = 2
# the node's own
[plugins]
  [plugins."io.containerd.grpc.v1.cri"]
    sandbox_image = "registry.k8s.io/pause:3.6"
    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = "/opt/cni/bin"
      conf_dir = "/etc/cni/net.d"
    [plugins.'io.containerd.grpc.v1.cri'.containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = true   # kubelet's cgroupDriver: systemd
        Root = """/run/containerd/runc"""
TOML
}

@test "containerd: one line added to config.toml, every node setting kept (config dump), uninstall restores it byte for byte" {
  command -v containerd >/dev/null || skip_or_fail "containerd is not installed"
  kubeadm_toml
  cp "$ROOT/etc/containerd/config.toml" "$BATS_TEST_TMPDIR/before"
  containerd --config "$ROOT/etc/containerd/config.toml" config dump > "$BATS_TEST_TMPDIR/dump.before"
  inst 0 install containerd
  run diff "$BATS_TEST_TMPDIR/before" "$ROOT/etc/containerd/config.toml"
  assert "${lines[1]}" == '>         BinaryName = "/opt/capguard/capguard-runtime"  # capguard-install' "the one line, indented as its table"
  assert "${#lines[@]}" == 2
  containerd --config "$ROOT/etc/containerd/config.toml" config dump > "$BATS_TEST_TMPDIR/dump.after"
  run diff "$BATS_TEST_TMPDIR/dump.before" "$BATS_TEST_TMPDIR/dump.after"
  assert "${#lines[@]}" == 2 "containerd's own view differs by one line"
  assert "${lines[1]}" =~ '^>  +BinaryName = "/opt/capguard/capguard-runtime"$'
  for key in 'SystemdCgroup = true' 'sandbox_image = "registry.k8s.io/pause:3.6"' 'conf_dir = "/etc/cni/net.d"' \
    'Root = "/run/containerd/runc"'; do
    grep -qF "$key" "$BATS_TEST_TMPDIR/dump.after" || { echo "lost: $key"; return 1; }
  done
  inst 0 install containerd
  assert "$output" =~ "unchanged  $ROOT/etc/containerd/config.toml"
  inst 0 uninstall containerd
  cmp "$BATS_TEST_TMPDIR/before" "$ROOT/etc/containerd/config.toml"
  [ ! -e "$ROOT/etc/containerd/config.toml.capguard-backup" ]
}

@test "containerd: a config with no CRI section gets the runc table; none at all is created and removed" {
  command -v containerd >/dev/null || skip_or_fail "containerd is not installed"
  mkdir -p "$ROOT/etc/containerd"
  printf 'version = 2\n\n[plugins."io.containerd.internal.v1.opt"]\n  path = "/var/lib/containerd/opt"\n' \
    > "$ROOT/etc/containerd/config.toml"
  cp "$ROOT/etc/containerd/config.toml" "$BATS_TEST_TMPDIR/before"
  inst 0 install containerd
  run -0 containerd --config "$ROOT/etc/containerd/config.toml" config dump
  assert "$output" =~ 'BinaryName = "/opt/capguard/capguard-runtime"'
  assert "$output" =~ 'runtime_type = "io.containerd.runc.v2"'
  assert "$output" =~ 'path = "/var/lib/containerd/opt"'
  inst 0 uninstall containerd
  cmp "$BATS_TEST_TMPDIR/before" "$ROOT/etc/containerd/config.toml"
  rm "$ROOT/etc/containerd/config.toml"
  inst 0 install containerd
  assert "$(head -n 1 "$ROOT/etc/containerd/config.toml")" == "version = 2  # capguard-install"
  inst 0 uninstall containerd
  [ ! -e "$ROOT/etc/containerd/config.toml" ]
}

@test "containerd: refused, file untouched, where the edit would not be safe or would replace a runtime" {
  mkdir -p "$ROOT/etc/containerd"
  refused ()
  {
    printf '%b' "$1" > "$ROOT/etc/containerd/config.toml"
    cp "$ROOT/etc/containerd/config.toml" "$BATS_TEST_TMPDIR/before"
    inst "$2" install containerd
    assert_one_error_line "$3"
    cmp "$BATS_TEST_TMPDIR/before" "$ROOT/etc/containerd/config.toml"
  }
  refused '[plugins.cri]\n  x = 1\n' 3 'config version 1 \(no `version` key\): capguard edits versions 2 and 3'
  refused 'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]\nBinaryName = "/usr/local/bin/vendor-runc"\n' \
    3 'runc.s BinaryName is already "/usr/local/bin/vendor-runc"; the wrapper would run `runc` from PATH instead'
  refused 'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes]\nrunc = { runtime_type = "io.containerd.runc.v2", options = { SystemdCgroup = true } }\n' \
    3 'line 3: the table is also set as a key of a parent table'
  refused 'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]\noptions.SystemdCgroup = true\n' \
    3 'line 3: the table is also set as a key of a parent table'
  refused 'version = 2\nx = """\n' 3 'a string or array is not closed'
  # A vendor runc the policy names as capguard's runtime: capguard stands in front of it.
  printf 'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]\n  BinaryName = "/usr/local/bin/vendor-runc"\n' \
    > "$ROOT/etc/containerd/config.toml"
  cp "$ROOT/etc/containerd/config.toml" "$BATS_TEST_TMPDIR/before"
  POLICY=$(write_policy "$(jq -c '.runtime = "/usr/local/bin/vendor-runc"' "$SRCDIR/policy/default.json")" "$BATS_TEST_TMPDIR/p2/policy.json")
  inst 0 install containerd
  assert "$(sed -n 3,4p "$ROOT/etc/containerd/config.toml")" == '# capguard-saved:   BinaryName = "/usr/local/bin/vendor-runc"
  BinaryName = "/opt/capguard/capguard-runtime"  # capguard-install'
  inst 0 uninstall containerd
  cmp "$BATS_TEST_TMPDIR/before" "$ROOT/etc/containerd/config.toml"
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
