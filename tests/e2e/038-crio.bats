#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# CRI-O with real pods, registered with `capguard install crio --root NODE` over a node's own
# drop-ins (a runc handler with settings of its own, and a GPU handler whose runtime is a stand-in
# that records how it is called and runs runc), driven through CRI by tests/tools/cri/cri.py and read
# in /proc/PID/status.  CRI-O is not packaged for Debian 12: this file runs when CAPGUARD_CRIO names a
# crio binary (v1.26 built from its source, its infra oom_score_adj patched to 0, since this VM lacks
# CAP_SYS_RESOURCE) with pinns beside it; ctest registers it only then.

load helpers
load cri-helpers
bats_require_minimum_version 1.5.0

setup_file ()
{
  export CRI_T=$BATS_FILE_TMPDIR/crio
  export NODE=$CRI_T/node DECISIONS=$CRI_T/decisions.log
  local missing="" bin rootfs crio=${CAPGUARD_CRIO:-}
  [ -x "$crio" ] || missing="CAPGUARD_CRIO does not name a crio binary"
  [ -x "$(dirname "$crio")/pinns" ] || missing="no pinns beside $crio"
  command -v conmon >/dev/null || missing="conmon is not installed"
  command -v podman >/dev/null || missing="podman (to load the test image) is not installed"
  missing=${missing:-$(cri_prerequisites)}
  printf '%s' "$missing" > "$BATS_FILE_TMPDIR/missing"
  [ -z "$missing" ] || return 0
  bin=$(cd "$(dirname "$CAPGUARD")" && pwd)
  rootfs=$BATS_FILE_TMPDIR/rootfs
  mkdir -p "$CRI_T"
  bash "$SRCDIR/tests/rootfs.sh" "$rootfs"
  # CRI-O's infra container runs /pause.
  printf '#!/bin/sh\nexec sleep 2147483647\n' > "$rootfs/pause" && chmod 755 "$rootfs/pause"
  bash "$SRCDIR/tests/image.sh" "$rootfs" "$CRI_T/image.tar" "$IMAGE"
  podman --root "$CRI_T/root" --runroot "$CRI_T/run" --storage-driver vfs load -i "$CRI_T/image.tar" >/dev/null

  # The node's own drop-ins: a runc handler with a root and annotations of its own, and NVIDIA's.
  mkdir -p "$NODE/etc/crio/crio.conf.d" "$CRI_T/bin"
  printf '#!/bin/sh\necho "$*" >> %s/nvidia-argv\nexec runc "$@"\n' "$CRI_T" > "$CRI_T/bin/nvidia-container-runtime"
  chmod 755 "$CRI_T/bin/nvidia-container-runtime"
  cat > "$NODE/etc/crio/crio.conf.d/10-node.conf" <<TOML
[crio.runtime]
default_runtime = "runc"
hooks_dir = ["$CRI_T/hooks.d"]
conmon_cgroup = "pod"
cgroup_manager = "cgroupfs"

[crio.runtime.runtimes.runc]
runtime_path = "$(command -v runc)"
runtime_type = "oci"
runtime_root = "$CRI_T/runc"
allowed_annotations = ["io.containers.trace-syscall"]
monitor_env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]

[crio.image]
pause_image = "$IMAGE"
pause_command = "/pause"
TOML
  cat > "$NODE/etc/crio/crio.conf.d/99-nvidia.toml" <<TOML
[crio.runtime.runtimes.nvidia]
runtime_path = "$CRI_T/bin/nvidia-container-runtime"
runtime_type = "oci"
runtime_root = "$CRI_T/runc-nvidia"
TOML
  cp -r "$NODE/etc/crio" "$CRI_T/crio.orig"
  "$crio" --config /dev/null --config-dir "$NODE/etc/crio/crio.conf.d" config 2>/dev/null > "$CRI_T/config.before"
  mkdir -p "$NODE$bin"
  ln -sf "$bin/capguard" "$NODE$bin/capguard"
  env -u CAPGUARD_POLICY "$CAPGUARD" install crio --root "$NODE" --binary "$bin/capguard" > "$CRI_T/install.out" \
    || { cat "$CRI_T/install.out"; return 1; }
  ln -sfn "$NODE$bin/capguard-runtime.d" "$bin/capguard-runtime.d"
  # The hooks install put into the node's hooks_dir name the binary by its path on the node.
  mkdir -p "$CRI_T/hooks.d"
  cp "$NODE$CRI_T/hooks.d/"* "$CRI_T/hooks.d/"
  "$crio" --config /dev/null --config-dir "$NODE/etc/crio/crio.conf.d" config 2>/dev/null > "$CRI_T/config.after"

  # The bridge of cri-helpers, with CRI-O's own paths for everything else.
  cri_write_config "$CRI_T" "$CRI_T/unused.toml"
  # The wrapper reads the node policy; the test's, with its log, through the environment CRI-O and
  # conmon pass on (monitor_env does not carry it: the policy is the built-in one there).
  "$crio" --config /dev/null --config-dir "$NODE/etc/crio/crio.conf.d" \
    --root "$CRI_T/root" --runroot "$CRI_T/run" --storage-driver vfs --listen "$CRI_T/sock" \
    --log "$CRI_T/crio.log" --log-dir "$CRI_T/logs" --conmon /usr/bin/conmon \
    --cni-config-dir "$CRI_T/cni" --cni-plugin-dir /usr/lib/cni \
    --pinns-path "$(dirname "$crio")/pinns" --namespaces-dir "$CRI_T/ns" \
    --version-file "$CRI_T/version" --version-file-persist "$CRI_T/version-p" \
    --clean-shutdown-file "$CRI_T/clean.shutdown" --container-exits-dir "$CRI_T/exits" \
    --container-attach-socket-dir "$CRI_T/attach" --cdi-spec-dirs "$CRI_T/cdi" \
    --irqbalance-config-file "$CRI_T/irqbalance" --decryption-keys-path "$CRI_T/keys" \
    --signature-policy /etc/containers/policy.json > "$CRI_T/crio.out" 2>&1 3>&- &
  echo $! > "$CRI_T/pid"
  for _ in $(seq 300); do
    [ -S "$CRI_T/sock" ] && cri_ -t 2 version >/dev/null 2>&1 && break
    sleep 0.1
  done
}

teardown_file ()
{
  local bin p
  [ -f "${CRI_T:-/nonexistent}/pid" ] || return 0
  for p in $(cri_ pods 2>/dev/null); do
    cri_ stopp "$p" >/dev/null 2>&1 || true
    cri_ rmp "$p" >/dev/null 2>&1 || true
  done
  stop_pid_file "$CRI_T/pid" 20
  [ -f "$CRI_T/bridge" ] && ip link del "$(cat "$CRI_T/bridge")" 2>/dev/null || true
  unmount_under "$CRI_T"
  bin=$(cd "$(dirname "$CAPGUARD")" && pwd)
  [ ! -L "$bin/capguard-runtime.d" ] || rm "$bin/capguard-runtime.d"
}

setup ()
{
  skip_if_missing "$BATS_FILE_TMPDIR/missing"
  [ ! -e /etc/capguard/policy.json ] || skip_or_fail "/etc/capguard/policy.json exists"
  cri_ version >/dev/null || { tail -20 "$CRI_T/crio.log" "$CRI_T/crio.out"; echo "CRI-O did not start"; return 1; }
}

teardown ()
{
  local p
  for p in $(cri_ pods 2>/dev/null); do
    cri_ stopp "$p" >/dev/null 2>&1 || true
    cri_ rmp "$p" >/dev/null 2>&1 || true
  done
}

@test "install crio over the node's drop-ins: CRI-O's own merge keeps every setting, each handler now runs capguard in front of its own runtime" {
  cat "$CRI_T/install.out"
  local bin
  bin=$(cd "$(dirname "$CAPGUARD")" && pwd)
  assert "$(grep -c '^covered:' "$CRI_T/install.out")" == 2 "runc and nvidia"
  # crio config prints the merged configuration; capguard's default_capabilities (the policy's
  # ceiling, here CRI-O's own nine in another order) and the runtime paths are all that differ.
  run diff <(grep -v '^#' "$CRI_T/config.before") <(grep -v '^#' "$CRI_T/config.after")
  assert "$(grep '^[<>]' <<<"$output" | grep -Evc 'runtime_path|default_capabilities|^>[[:space:]]+"[A-Z_]+",$|^> \]$')" == 0 \
    "only runtime_path and default_capabilities differ in crio config: $output"
  assert "$output" =~ "> runtime_path = \"$bin/capguard-runtime.d$(command -v runc)\""
  assert "$output" =~ "> runtime_path = \"$bin/capguard-runtime.d$CRI_T/bin/nvidia-container-runtime\""
}

@test "a pod through the default handler: container and exec hold the policy's nine, not CRI-O's defaults plus SYS_ADMIN" {
  run_pod plain default '.linux.securityContext.capabilities.addCapabilities = ["SYS_ADMIN", "NET_RAW"]'
  [ -d "$CRI_T/runc/$CID" ] || { ls "$CRI_T/runc"; echo "not run by the node's runc handler"; return 1; }
  run -0 cri_ exec "$CID" cat /proc/1/status
  for s in Bnd Eff Prm; do assert "$(live $s)" == "$CRIO_NINE" "container Cap$s"; done
  assert "$(live Inh)" == "" && assert "$(live Amb)" == ""
  run -0 cri_ exec "$CID" cat /proc/self/status
  assert "$(live Bnd)" == "$CRIO_NINE" "ExecSync"
}

@test "a pod through the NVIDIA handler: its runtime still runs, behind capguard, and the container is clamped" {
  : > "$CRI_T/nvidia-argv"
  local pod ctr
  pod=$(pod_json gpu default)
  ctr=$(ctr_json gpu '.linux.securityContext.capabilities.addCapabilities = ["SYS_ADMIN"]')
  POD=$(cri_ --handler nvidia runp "$pod")
  CID=$(cri_ create "$POD" "$ctr" "$pod")
  cri_ start "$CID"
  run -0 cri_ exec "$CID" cat /proc/self/status
  assert "$(live Bnd)" == "$CRIO_NINE"
  run -0 cat "$CRI_T/nvidia-argv"
  assert "$output" =~ "create" "the NVIDIA runtime created the container"
  assert "$output" =~ "exec" "and ran the exec"
}

@test "status agrees, and uninstall gives the node's drop-ins back" {
  run_capguard 0 status --root "$NODE" --json crio
  assert "$(jq -r '[.engines[0].paths[] | .state] | unique | join(" ")' <<<"$output")" == covered
  run_capguard 0 uninstall crio --root "$NODE"
  run diff -r "$CRI_T/crio.orig" "$NODE/etc/crio"
  assert "$status" == 0 "every byte back: $output"
}
