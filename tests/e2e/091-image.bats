#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# The DaemonSet's image (scripts/image.sh, hooks/kubernetes/Containerfile), built offline with
# podman into a storage of the test's own; the DaemonSet's init script from capguard.yaml run in it
# against a node's root as the kubelet would mount it; the saved archive loaded elsewhere.

load helpers
bats_require_minimum_version 1.5.0

setup_file ()
{
  command -v podman >/dev/null && command -v busybox >/dev/null || return 0
  export PODMAN="podman --root $BATS_FILE_TMPDIR/podman/storage --runroot $BATS_FILE_TMPDIR/podman/run --tmpdir $BATS_FILE_TMPDIR/podman/tmp --storage-driver vfs --cgroup-manager cgroupfs --events-backend file --runtime runc"
  bash "$SRCDIR/scripts/image.sh" "$(dirname "$CAPGUARD")" "$BATS_FILE_TMPDIR/out" > "$BATS_FILE_TMPDIR/built" \
    2> "$BATS_FILE_TMPDIR/build.err" || true
}

setup ()
{
  require_root "podman with runc and cgroupfs needs root here"
  require_tool podman
  require_tool busybox "busybox (busybox-static)"
  IMAGE=$(sed -n 1p "$BATS_FILE_TMPDIR/built")
  ARCHIVE=$(sed -n 2p "$BATS_FILE_TMPDIR/built")
  [ -n "$IMAGE" ] && [ -f "$ARCHIVE" ] || { echo "image.sh failed: $(cat "$BATS_FILE_TMPDIR/build.err")"; return 1; }
}

pm ()
{
  local sub=$1
  shift
  $PODMAN "$sub" $([ "$sub" = run ] && echo --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --net none) "$@"
}

# The init container's script and the ConfigMap's policy, from capguard.yaml as shipped.
from_manifest ()
{
  python3 - "$SRCDIR/hooks/kubernetes/capguard.yaml" "$1" <<'EOF'
import sys, yaml
docs = list(yaml.safe_load_all(open(sys.argv[1])))
ds = next(d for d in docs if d["kind"] == "DaemonSet")
if sys.argv[2] == "script":
    print(ds["spec"]["template"]["spec"]["initContainers"][0]["command"][2])
elif sys.argv[2] == "image":
    print(ds["spec"]["template"]["spec"]["initContainers"][0]["image"])
else:
    print(next(d for d in docs if d["metadata"]["name"] == "capguard-policy")["data"]["policy.json"])
EOF
}

@test "the image: the static capguard and its link, busybox for the script, the policies; the manifest names it" {
  assert "$IMAGE" == "localhost/capguard:$("$CAPGUARD" version | sed -n '1s/^capguard //p')"
  assert "$(from_manifest image)" == "$IMAGE" "capguard.yaml runs this image"
  run -0 pm run --rm "$IMAGE"
  assert "${lines[0]}" =~ "^capguard [0-9]"
  # The link is the wrapper: a command it does not rewrite goes through to the runtime it names.
  run -0 pm run --rm -e CAPGUARD_RUNTIME=/bin/busybox "$IMAGE" /usr/libexec/capguard/capguard-runtime echo passed through
  assert "$output" == "passed through"
  run -0 pm run --rm "$IMAGE" /usr/libexec/capguard/capguard check /usr/share/capguard/policy/restricted.json
  # What the init script uses, and no libc: FROM scratch.
  run -0 pm run --rm "$IMAGE" /bin/sh -c 'for a in mkdir cp mv chmod chown sleep dirname; do [ -x /bin/$a ] || echo missing $a; done; ls -d /lib /usr/lib 2>&1; true'
  assert "$output" =~ "No such file" "no shared libraries in the image: $output"
  run grep missing <<<"$output"
  assert "$output" == ""
}

@test "the DaemonSet's init script, in the image: capguard installed for containerd, the node's config kept, a broken policy stops it" {
  node=$BATS_TEST_TMPDIR/node
  state=$BATS_TEST_TMPDIR/state
  mkdir -p "$node/etc/containerd" "$BATS_TEST_TMPDIR/policy" "$state"
  cat > "$node/etc/containerd/config.toml" <<'TOML'
version = 2
[plugins]
  [plugins."io.containerd.grpc.v1.cri"]
    sandbox_image = "registry.k8s.io/pause:3.6"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = true
TOML
  cp "$node/etc/containerd/config.toml" "$BATS_TEST_TMPDIR/before.toml"
  from_manifest policy > "$BATS_TEST_TMPDIR/policy/policy.json"
  script=$(from_manifest script)
  run -0 pm run --rm -v "$node:/host" -v "$BATS_TEST_TMPDIR/policy:/policy:ro" -v "$state:/state" \
    -e CAPGUARD_ENGINE=containerd "$IMAGE" /bin/sh -ec "$script"
  echo "# $output"
  run -0 pm run --rm -v "$node:/host:ro" -v "$state:/state:ro" "$IMAGE" /bin/sh /state/ready
  assert "$(jq -r '[(.engines | map(.engine) | join(" ")), .covered] | join(" ")' <<<"$output")" == "containerd true" "ready"
  # Uninstalled by hand on the node: the probe says not covered.
  cp -a "$node/etc/containerd/config.toml" "$BATS_TEST_TMPDIR/installed.toml"
  cp "$BATS_TEST_TMPDIR/before.toml" "$node/etc/containerd/config.toml"
  run -1 pm run --rm -v "$node:/host:ro" -v "$state:/state:ro" "$IMAGE" /bin/sh /state/ready
  assert "$(jq -r '[.gaps, .covered] | join(" ")' <<<"$output")" == "1 false" "not ready once uninstalled"
  cp -a "$BATS_TEST_TMPDIR/installed.toml" "$node/etc/containerd/config.toml"
  cmp "$node/opt/capguard/capguard" "$CAPGUARD"
  assert "$(readlink "$node/opt/capguard/capguard-runtime")" == capguard
  assert "$(stat -c %u:%a "$node/etc/capguard" "$node/etc/capguard/policy.json" | tr '\n' ' ')" == "0:755 0:644 "
  cmp "$node/etc/capguard/policy.json" "$BATS_TEST_TMPDIR/policy/policy.json"
  run -0 "$CAPGUARD" check "$node/etc/capguard/policy.json"
  # One marked line: the node's settings stay, the backup is the file as it was.
  run diff "$BATS_TEST_TMPDIR/before.toml" "$node/etc/containerd/config.toml"
  assert "$(grep -c '^>' <<<"$output")" == 1 "one line added: $output"
  assert "$output" =~ 'BinaryName = "/opt/capguard/capguard-runtime"'
  cmp "$node/etc/containerd/config.toml.capguard-backup" "$BATS_TEST_TMPDIR/before.toml"

  # A broken policy in the ConfigMap: the script fails and the one in force stays.
  cp "$node/etc/capguard/policy.json" "$BATS_TEST_TMPDIR/in-force.json"
  echo '{"version": 1, "capabilities": {"allow": ["KILL", "NOT_A_CAP"]}}' > "$BATS_TEST_TMPDIR/policy/policy.json"
  run pm run --rm -v "$node:/host" -v "$BATS_TEST_TMPDIR/policy:/policy:ro" -v "$state:/state" \
    -e CAPGUARD_ENGINE=containerd "$IMAGE" /bin/sh -ec "$script"
  assert "$status" != 0 "the init container fails: $output"
  assert "$output" =~ "NOT_A_CAP"
  cmp "$node/etc/capguard/policy.json" "$BATS_TEST_TMPDIR/in-force.json"
  assert "$(ls -A "$node/etc/capguard")" == "policy.json" "nothing half-written left"

  # The node's settings from the capguard-node ConfigMap, wrong: refused before anything is written.
  for env in "CAPGUARD_ENGINE_CONFIG=/etc/k3s/config.toml" "CAPGUARD_ENGINE=containerd CAPGUARD_HOST_DIR=opt" \
    "CAPGUARD_ENGINE=containerd CAPGUARD_HOST_POLICY=policy.json"; do
    run pm run --rm -v "$node:/host" -v "$BATS_TEST_TMPDIR/policy:/policy:ro" -v "$state:/state" \
      $(printf -- '-e %s ' $env) "$IMAGE" /bin/sh -ec "$script"
    assert "$status" != 0 "$env"
    assert "$output" =~ "needs CAPGUARD_ENGINE|is not an absolute path" "$env"
  done
  cmp "$node/etc/capguard/policy.json" "$BATS_TEST_TMPDIR/in-force.json"
}

@test "the saved archive loads elsewhere as the same image" {
  other="podman --root $BATS_TEST_TMPDIR/other/storage --runroot $BATS_TEST_TMPDIR/other/run --storage-driver vfs --cgroup-manager cgroupfs --events-backend file --runtime runc"
  run -0 $other load -q -i "$ARCHIVE"
  assert "$($other image inspect --format '{{.Id}}' "$IMAGE")" == "$(pm image inspect --format '{{.Id}}' "$IMAGE")"
  $other rmi -a -f >/dev/null 2>&1 || true
}
