#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# The registration files as `cmake --install` lays them out, read by the real consumers: podman (the
# containers/common hooks.d parser CRI-O and NRI's hook-injector share) and runc.  The installed
# binary runs with the built-in policy.

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
  require_tool podman
  require_tool runc
  require_root "podman and runc with cgroupfs need root here"
  [ ! -e /etc/capguard/policy.json ] || skip_or_fail "/etc/capguard/policy.json exists: the built-in policy would not apply"
}

# podman_installed ENV... -- RUN-ARGS...: podman run with the given environment (CONTAINERS_CONF)
# and run arguments; the container prints its bounding set.
podman_installed ()
{
  local envs=()
  while [ "$1" != -- ]; do envs+=("$1"); shift; done; shift
  run --separate-stderr env "${envs[@]}" podman --root "$PODMAN_ROOT/storage" \
    --runroot "$PODMAN_ROOT/run" --tmpdir "$PODMAN_ROOT/tmp" --storage-driver vfs --runtime runc \
    --cgroup-manager cgroupfs --events-backend file \
    run --rm --net none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 "$@" \
    --rootfs "$ROOTFS" /bin/grep ^CapBnd /proc/self/status
  echo "# status $status: $output / $stderr"
}

@test "install layout: binary in libexec, hooks files in capguard's own directories, none where an engine reads" {
  [ -x "$PREFIX/libexec/capguard/capguard" ]
  hook=$PREFIX/share/capguard/podman-hooks.d/capguard-precreate.json
  # Installing registers nothing: no file where an engine looks for hooks.
  [ ! -e "$PREFIX/share/containers" ]
  assert "$(jq -r .hook.path "$hook")" == "$PREFIX/libexec/capguard/capguard"
  assert "$(jq -c .stages "$hook")" == '["precreate"]'
  # CRI-O and NRI's hook-injector reject the precreate stage: never beside the refusal hooks.
  run -1 grep -l precreate -r "$PREFIX/share/capguard/oci-hooks.d"
  assert "$output" == "" "no precreate stage beside the refusal hooks"
  for p in default baseline restricted; do
    [ -f "$PREFIX/share/capguard/policy/$p.json" ]
  done
}

@test "podman picks the precreate hook up through the containers.conf drop-in and the container is clamped" {
  podman_installed CONTAINERS_CONF="$PREFIX/share/capguard/containers.conf.d/capguard-hooks.conf" -- --privileged
  assert "$status" == 0
  # The nine of CRI-O's defaults: CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP NET_BIND_SERVICE.
  assert "$output" =~ "^CapBnd:[[:space:]]+00000000000005fb$" "--privileged clamped by the installed hook"
}

@test "the createRuntime and poststart files are valid hooks.d files: podman loads and runs them" {
  hooks=$PREFIX/share/capguard/oci-hooks.d
  for f in "$hooks"/capguard-*.json; do
    assert "$(jq -r .version "$f")" == 1.0.0
    [ -x "$(jq -r .hook.path "$f")" ] || { echo "hook.path of $f does not exist"; return 1; }
    assert "$(jq -c '.stages - ["createRuntime", "poststart"]' "$f")" == "[]" "known stages only, never precreate"
  done
  # With only the refusal hooks, podman's default set (SYS_CHROOT, SETFCAP) is refused...
  podman_installed -- --hooks-dir "$hooks"
  assert "$status" != 0
  assert "$stderr" =~ "capguard: hook: container [0-9a-f]+: refused by [^(]* \\(top level, action rewrite\\): bounding holds CAP_SYS_CHROOT CAP_SETFCAP"
  # ...and a container within the ceiling runs through both stages.
  podman_installed -- --hooks-dir "$hooks" --cap-drop SYS_CHROOT,SETFCAP
  assert "$status" == 0
  assert "$output" =~ "^CapBnd:[[:space:]]+00000000000005fb$"
}

@test "rewrite and refusal together: precreate clamps, then createRuntime and poststart find nothing to refuse" {
  hooks=$PREFIX/share/capguard/oci-hooks.d
  podman_installed -- --hooks-dir "$PREFIX/share/capguard/podman-hooks.d" --hooks-dir "$hooks" --cap-add SYS_ADMIN
  assert "$status" == 0
  assert "$output" =~ "^CapBnd:[[:space:]]+00000000000005fb$"
}

@test "the runc snippet merged into a bundle's config.json refuses runc's own template" {
  b=$BATS_TEST_TMPDIR/bundle
  mkdir -p "$b" && (cd "$b" && runc spec)
  jq -s --arg rootfs "$ROOTFS" '.[0] * .[1] | .process.terminal = false | .root.path = $rootfs
        | .process.args = ["/bin/true"]' \
    "$b/config.json" "$PREFIX/share/capguard/runc/config-hooks.json" > "$b/config.new"
  mv "$b/config.new" "$b/config.json"
  run --separate-stderr runc --root "$BATS_TEST_TMPDIR/runc" run --bundle "$b" "capguard-snippet-$$"
  echo "# $status: $stderr"
  assert "$status" != 0
  assert "$stderr" =~ "capguard: hook: container capguard-snippet-$$: refused by [^(]* \(top level"
}

@test "the shipped CRI-O drop-in sets default_capabilities to the built-in ceiling, as capguard crio-conf says" {
  conf=$PREFIX/share/capguard/crio.conf.d/10-capguard.conf
  names () { sed -n 's/^  "\([A-Z_]*\)",$/\1/p' | sort; }
  assert "$(names < "$conf")" == "$(env -u CAPGUARD_POLICY "$PREFIX/libexec/capguard/capguard" crio-conf | names)"
  assert "$(names < "$conf" | paste -sd' ')" == "CHOWN DAC_OVERRIDE FOWNER FSETID KILL NET_BIND_SERVICE SETGID SETPCAP SETUID"
  grep -qx '\[crio.runtime\]' "$conf"
}

@test "the runtime wrapper's registration: containerd reads the handler, every snippet parses, the link is installed" {
  wrapper=$PREFIX/libexec/capguard/capguard-runtime
  assert "$(readlink "$wrapper")" == capguard "capguard-runtime is a link to capguard"
  [ -x "$wrapper" ]
  # containerd 1.6 itself parses the version-2 snippet and resolves the handler's BinaryName.
  if command -v containerd >/dev/null; then
    run -0 containerd --config "$PREFIX/share/capguard/containerd/runtime-v2.toml" config dump
    assert "$output" =~ "BinaryName = \"$wrapper\""
  else
    skip_or_fail "containerd is not installed"
  fi
  PYTHON=$(command -v python3) || skip_or_fail "python3 is not installed"
  for f in containerd/runtime-v3.toml containerd/nri-config-v2.toml containerd/nri-config-v3.toml \
           crio.conf.d/10-capguard.conf crio.conf.d/20-capguard-runtime.conf; do
    "$PYTHON" -c 'import sys, tomllib; tomllib.load(open(sys.argv[1], "rb"))' "$PREFIX/share/capguard/$f"
  done
  run "$PYTHON" -c 'import sys, tomllib; print(tomllib.load(open(sys.argv[1], "rb"))["crio"]["runtime"]["runtimes"]["capguard"]["runtime_path"])' \
    "$PREFIX/share/capguard/crio.conf.d/20-capguard-runtime.conf"
  assert "$output" == "$wrapper"
  assert "$(jq -r '.runtimes.capguard.path + " " + .["default-runtime"]' "$PREFIX/share/capguard/docker/daemon.json")" == "$wrapper capguard"
}

@test "the man pages are installed and render without warnings" {
  for page in man8/capguard.8 man5/capguard-policy.5; do
    f=$PREFIX/share/man/$page
    [ -f "$f" ] || { echo "not installed: $f"; return 1; }
    run -0 --separate-stderr groff -man -ww -z "$f"
    assert "$stderr" == "" "$page: groff warnings"
    run -0 --separate-stderr env MANWIDTH=80 man -l "$f"
    assert "$stderr" == ""
    assert "${lines[0]}" =~ "^CAPGUARD"
    assert "$output" =~ "EXIT STATUS|KEYS"
  done
}

@test "the cluster rollout: the YAML parses, and its ConfigMap's policy passes capguard check" {
  py=/usr/bin/python3
  [ -x "$py" ] && "$py" -c 'import yaml' 2>/dev/null || skip_or_fail "Debian's python3-yaml is not installed"
  run -0 "$py" -c '
import sys, yaml
docs = list(yaml.safe_load_all(open(sys.argv[1])))
print(" ".join(d["kind"] for d in docs))
cm = next(d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "capguard-policy")
open(sys.argv[2], "w").write(cm["data"]["policy.json"])
node = next(d for d in docs if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "capguard-node")
assert sorted(node["data"]) == ["CAPGUARD_ENGINE", "CAPGUARD_ENGINE_CONFIG", "CAPGUARD_HOST_DIR", "CAPGUARD_HOST_POLICY"]
ds = next(d for d in docs if d["kind"] == "DaemonSet")
init = ds["spec"]["template"]["spec"]["initContainers"][0]
assert "install \"$engine\" --root /host" in init["command"][2], "runs capguard install"
assert init["envFrom"][0]["configMapRef"]["name"] == "capguard-node"
assert ds["spec"]["selector"]["matchLabels"] == ds["spec"]["template"]["metadata"]["labels"]
' "$SRCDIR/hooks/kubernetes/capguard.yaml" "$BATS_TEST_TMPDIR/policy.json.tmp"
  assert "$output" == "Namespace ConfigMap ConfigMap DaemonSet"
  p=$(policy_file "$BATS_TEST_TMPDIR/policy.json.tmp" "$BATS_TEST_TMPDIR/q/policy.json")
  run_capguard 0 check "$p"
  assert "$output" =~ "action       audit" "the shipped rollout starts in audit"
}
