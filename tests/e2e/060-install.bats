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
  assert "$(grep -c '^unchanged' <<<"$output")" == 3 "10-capguard.conf and the two hooks (no runtime under this root)"
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
  require_tool containerd
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
  require_tool containerd
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

@test "containerd: every TOML form is edited in place, a vendor's runc runs behind capguard, what cannot be read is refused with the file untouched" {
  require_tool containerd
  mkdir -p "$ROOT/etc/containerd"
  edited ()
  {
    printf '%b' "$1" > "$ROOT/etc/containerd/config.toml"
    cp "$ROOT/etc/containerd/config.toml" "$BATS_TEST_TMPDIR/before"
    inst 0 install containerd
    run -0 containerd --config "$ROOT/etc/containerd/config.toml" config dump
    assert "$(grep -c "BinaryName = \"$2\"" <<<"$output")" == 1 "containerd reads the wrapper: $1"
    inst 0 uninstall containerd
    cmp "$BATS_TEST_TMPDIR/before" "$ROOT/etc/containerd/config.toml"
  }
  # Version 1 (no version key): the CRI plugin is `cri`.
  edited '[plugins.cri]\n  x = 1\n' /opt/capguard/capguard-runtime
  # A vendor's runc: the wrapper for that path, which runs it.
  edited 'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]\nruntime_type = "io.containerd.runc.v2"\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]\nBinaryName = "/usr/local/bin/vendor-runc"\n' \
    /opt/capguard/capguard-runtime.d/usr/local/bin/vendor-runc
  assert "$(readlink "$ROOT/opt/capguard/capguard-runtime.d/usr/local/bin/vendor-runc")" == ../../../../capguard
  # An inline table, dotted keys, literal strings, an empty BinaryName.
  edited "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes]\nrunc = { runtime_type = 'io.containerd.runc.v2', options = { SystemdCgroup = true } }\n" \
    /opt/capguard/capguard-runtime
  edited "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc]\nruntime_type = 'io.containerd.runc.v2'\noptions.SystemdCgroup = true\noptions.BinaryName = ''\n" \
    /opt/capguard/capguard-runtime
  # What cannot be read is refused, the file untouched.
  printf 'version = 2\nx = """\n' > "$ROOT/etc/containerd/config.toml"
  cp "$ROOT/etc/containerd/config.toml" "$BATS_TEST_TMPDIR/before"
  inst 3 install containerd
  assert_one_error_line 'config.toml:2:5: a string that is not closed'
  cmp "$BATS_TEST_TMPDIR/before" "$ROOT/etc/containerd/config.toml"
}

@test "containerd: every handler that runs runc gets the wrapper; another kind is reported, not covered" {
  require_tool containerd
  kubeadm_toml
  cat >> "$ROOT/etc/containerd/config.toml" <<'TOML'
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc-fast]
      runtime_type = "io.containerd.runc.v2"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.kata]
      runtime_type = "io.containerd.kata.v2"
TOML
  cp "$ROOT/etc/containerd/config.toml" "$BATS_TEST_TMPDIR/before"
  inst 0 install containerd
  assert "$output" =~ "covered:   CRI handler \`runc\` \(runs runc behind capguard\)"
  assert "$output" =~ "covered:   CRI handler \`runc-fast\`"
  assert "$output" =~ "not covered: CRI handler \`kata\` \(runtime_type \`io.containerd.kata.v2\` is a shim of its own"
  run -0 containerd --config "$ROOT/etc/containerd/config.toml" config dump
  assert "$(grep -c 'BinaryName = "/opt/capguard/capguard-runtime"' <<<"$output")" == 2 "runc and runc-fast"
  inst 0 uninstall containerd
  cmp "$BATS_TEST_TMPDIR/before" "$ROOT/etc/containerd/config.toml"
}

@test "CRI-O: the hooks go into a directory CRI-O already reads; the node's hooks_dir is never replaced" {
  mkdir -p "$ROOT/etc/crio/crio.conf.d"
  printf '[crio.runtime]\nhooks_dir = ["/usr/share/containers/oci/hooks.d"]\n' > "$ROOT/etc/crio/crio.conf"
  printf '[crio.runtime]\nhooks_dir = [\n  "/etc/gpu/hooks.d",  # the vendor'"'"'s\n  "/usr/share/containers/oci/hooks.d",\n]\n' \
    > "$ROOT/etc/crio/crio.conf.d/50-gpu.conf"
  inst 0 install crio
  assert "$(jq -r .hook.path "$ROOT/etc/gpu/hooks.d/capguard-createRuntime.json")" == "$BIN"
  assert "$(jq -c .stages "$ROOT/etc/gpu/hooks.d/capguard-poststart.json")" == '["poststart"]'
  run grep -rl hooks_dir "$ROOT/etc/crio/crio.conf.d"
  assert "$output" == "$ROOT/etc/crio/crio.conf.d/50-gpu.conf" "capguard sets no hooks_dir"
  inst 0 uninstall crio
  run find "$ROOT/etc/gpu" "$ROOT/etc/crio/crio.conf.d" -type f
  assert "$output" == "$ROOT/etc/crio/crio.conf.d/50-gpu.conf" "uninstall removed what install wrote"
  # Without any hooks_dir, CRI-O's default directory.
  rm "$ROOT/etc/crio/crio.conf.d/50-gpu.conf" "$ROOT/etc/crio/crio.conf"
  inst 0 install crio
  [ -f "$ROOT/usr/share/containers/oci/hooks.d/capguard-createRuntime.json" ]
  inst 0 uninstall crio
  run find "$ROOT/usr/share" "$ROOT/etc/crio" -type f
  assert "$output" == "" "uninstall removed the hooks"
  printf '[crio.runtime]\nhooks_dir = "/not/an/array"\n' > "$ROOT/etc/crio/crio.conf.d/50-gpu.conf"
  inst 3 install crio
  assert_one_error_line "50-gpu.conf: line 2: \`hooks_dir\` is not an array of strings"
}

@test "podman: the drop-in keeps the node's hooks directories, and real podman runs the node's hook and capguard's" {
  require_tool podman
  require_root "podman with runc and cgroupfs needs root here"
  real=$(realpath "$CAPGUARD")
  mkdir -p "$ROOT$(dirname "$real")" "$ROOT/etc/containers/containers.conf.d" && cp "$real" "$ROOT$real"
  vendor=$BATS_TEST_TMPDIR/vendor-hooks
  printf '[engine]\nhooks_dir = ["%s"]\n' "$vendor" > "$ROOT/etc/containers/containers.conf"
  printf '[engine]\nevents_logger = "file"\n' > "$ROOT/etc/containers/containers.conf.d/00-node.conf"
  inst 0 install podman
  conf=$ROOT/etc/containers/containers.conf.d/zz-capguard.conf
  run "$PYTHON" -c 'import sys, tomllib; print(" ".join(tomllib.load(open(sys.argv[1], "rb"))["engine"]["hooks_dir"]))' "$conf"
  assert "$output" == "$vendor /etc/containers/capguard/hooks.d" "the node's list, then capguard's"
  # A hook of the node's own, which must still run: it leaves a mark.
  mkdir -p "$vendor"
  printf '#!/bin/sh\ntouch %s/vendor-ran\n' "$BATS_TEST_TMPDIR" > "$BATS_TEST_TMPDIR/vendor.sh"
  chmod 755 "$BATS_TEST_TMPDIR/vendor.sh"
  printf '{"version":"1.0.0","hook":{"path":"%s"},"when":{"always":true},"stages":["prestart"]}\n' \
    "$BATS_TEST_TMPDIR/vendor.sh" > "$vendor/vendor.json"
  # podman reads only the file CONTAINERS_CONF names; capguard's directory is under ROOT here.
  sed "s|\"/etc/containers/capguard/hooks.d\"|\"$ROOT/etc/containers/capguard/hooks.d\"|" "$conf" > "$BATS_TEST_TMPDIR/podman.conf"
  jq --arg p "$real" '.hook.path = $p' "$ROOT/etc/containers/capguard/hooks.d/capguard-precreate.json" > "$BATS_TEST_TMPDIR/pre.json"
  cp "$BATS_TEST_TMPDIR/pre.json" "$ROOT/etc/containers/capguard/hooks.d/capguard-precreate.json"
  bash "$SRCDIR/tests/rootfs.sh" "$BATS_TEST_TMPDIR/rootfs"
  run --separate-stderr env CONTAINERS_CONF="$BATS_TEST_TMPDIR/podman.conf" podman \
    --root "$BATS_TEST_TMPDIR/podman/storage" --runroot "$BATS_TEST_TMPDIR/podman/run" \
    --tmpdir "$BATS_TEST_TMPDIR/podman/tmp" --storage-driver vfs --runtime runc --cgroup-manager cgroupfs \
    --events-backend file run --rm --net none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
    --cap-add SYS_ADMIN --rootfs "$BATS_TEST_TMPDIR/rootfs" /bin/grep ^CapBnd /proc/self/status
  echo "# $status: $output / $stderr"
  assert "$output" =~ "^CapBnd:[[:space:]]+00000000000005fb$" "capguard's precreate hook clamped it"
  [ -e "$BATS_TEST_TMPDIR/vendor-ran" ] || { echo "the node's own hook did not run"; return 1; }
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
  require_tool podman
  require_root "podman with runc and cgroupfs needs root here"
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

@test "bad input names the file and writes nothing: a drop-in that does not parse, a FIFO, a link, daemon.json that is not JSON; crio-conf leaves out what the policy denies" {
  mkdir -p "$ROOT/etc/crio/crio.conf.d" "$ROOT/etc/docker" "$ROOT/etc/containers/containers.conf.d"
  nothing_written ()
  {
    run find "$ROOT" -name '*capguard*' ! -path "$ROOT$BIN" ! -path "$ROOT/opt/capguard"
    assert "$output" == "" "nothing written"
  }
  printf '[crio.runtime\n' > "$ROOT/etc/crio/crio.conf.d/50-broken.conf"
  inst 3 install crio
  assert_one_error_line "crio.conf.d/50-broken.conf:1:14: expected \`]\` at the end of a table header"
  nothing_written
  rm "$ROOT/etc/crio/crio.conf.d/50-broken.conf"
  mkfifo "$ROOT/etc/crio/crio.conf.d/60-fifo"
  timeout 10 "$CAPGUARD" --policy "$POLICY" install crio --root "$ROOT" --binary "$BIN" 2> "$BATS_TEST_TMPDIR/err" && false
  assert "$(cat "$BATS_TEST_TMPDIR/err")" =~ "60-fifo\` is not a regular file"
  rm "$ROOT/etc/crio/crio.conf.d/60-fifo"
  ln -s /etc/passwd "$ROOT/etc/crio/crio.conf.d/70-link.conf"
  inst 3 install crio
  assert_one_error_line "70-link.conf\` is a symbolic link"
  rm "$ROOT/etc/crio/crio.conf.d/70-link.conf"
  printf '{"runtimes": {"x": {"path": "/x"}' > "$ROOT/etc/docker/daemon.json"
  inst 3 install docker
  assert_one_error_line "daemon.json:1:"
  printf '{"Runtimes": {}, "runtimes": {}}' > "$ROOT/etc/docker/daemon.json"
  inst 3 install docker
  assert_one_error_line "key \`Runtimes\` would be read by dockerd as \`runtimes\`"
  printf '[engine]\nhooks_dir = "not-a-list"\n' > "$ROOT/etc/containers/containers.conf.d/50-x.conf"
  inst 3 install podman
  assert_one_error_line "50-x.conf: line 2: \`hooks_dir\` is not an array of strings"
  nothing_written
  # crio-conf: the ceiling less the deny list.
  p=$(write_policy '{"version":1,"capabilities":{"allow":["CHOWN","NET_RAW"],"deny":["NET_RAW"]}}' "$BATS_TEST_TMPDIR/p3/policy.json")
  run_capguard 0 crio-conf "$p"
  assert "$(grep -c NET_RAW <<<"$output")" == 0 "a denied capability is not a default"
  assert "$output" =~ '"CHOWN"'
}
