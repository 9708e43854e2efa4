# SPDX-License-Identifier: GPL-2.0-or-later
# A containerd 1.6 with its CRI plugin, as a kubeadm node has it, started by the test with its own
# config, root, state and socket, registered with `capguard install containerd --root NODE` exactly as
# README tells an operator, and stopped by its pid.  Pods are made with tests/tools/cri/cri.py, the
# kubelet's calls (RunPodSandbox, CreateContainer, StartContainer, ExecSync) over CRI runtime.v1.

PY=/usr/bin/python3
IMAGE=localhost/capguard-test/busybox:1

# stop_pid_file FILE [SECONDS]: stops the daemon whose pid FILE holds (never by name) and waits
# for it to exit, SECONDS at most (15).
stop_pid_file ()
{
  local pid
  [ -f "$1" ] || return 0
  pid=$(cat "$1")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq $((${2:-15} * 10))); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
}

cri_prerequisites ()
{
  command -v containerd >/dev/null || { echo "containerd is not installed"; return 1; }
  command -v protoc >/dev/null || { echo "protoc (protobuf-compiler) is not installed"; return 1; }
  $PY -c 'import grpc, google.protobuf' 2>/dev/null || { echo "python3-grpcio is not installed"; return 1; }
  [ -x /usr/lib/cni/bridge ] || { echo "containernetworking-plugins is not installed"; return 1; }
  command -v capsh >/dev/null || { echo "capsh (libcap2-bin) is not installed"; return 1; }
  [ "$(id -u)" = 0 ] || { echo "containerd needs root"; return 1; }
}

# The kubeadm-like config.toml of the node under test: version 2, a sandbox image, CNI, runc with
# cgroupfs and a Root of its own.  restrict_oom_score_adj: this VM's root lacks CAP_SYS_RESOURCE, so a
# sandbox's negative oom_score_adj would fail inside runc (nothing to do with capguard).
cri_write_config ()
{
  local t=$1 config=$2 gpu=${3:-}
  mkdir -p "$(dirname "$config")"
  cat > "$config" <<TOML
version = 2
root = "$t/root"
state = "$t/state"

[grpc]
  address = "$t/sock"

[plugins]
  [plugins."io.containerd.grpc.v1.cri"]
    sandbox_image = "$IMAGE"
    restrict_oom_score_adj = true
    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = "/usr/lib/cni"
      conf_dir = "$t/cni"
    [plugins."io.containerd.grpc.v1.cri".containerd]
      default_runtime_name = "runc"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes]
        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
          runtime_type = "io.containerd.runc.v2"
          [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
            SystemdCgroup = false
            Root = "$t/runc"
        # A second handler for a RuntimeClass, also runc.
        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc-fast]
          runtime_type = "io.containerd.runc.v2"
          [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc-fast.options]
            Root = "$t/runc-fast"
TOML
  # cri_write_config T CONFIG gpu: a GPU node's handler as NVIDIA's toolkit writes it, its
  # BinaryName a stand-in for nvidia-container-runtime that records how it is called and runs runc,
  # as NVIDIA's does.
  if [ "$gpu" = gpu ]; then
    mkdir -p "$t/bin"
    printf '#!/bin/sh\necho "$*" >> %s/nvidia-argv\nexec runc "$@"\n' "$t" > "$t/bin/nvidia-container-runtime"
    chmod 755 "$t/bin/nvidia-container-runtime"
    cat >> "$config" <<TOML
        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.nvidia]
          privileged_without_host_devices = false
          runtime_engine = ""
          runtime_root = ""
          runtime_type = "io.containerd.runc.v2"
          [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.nvidia.options]
            BinaryName = "$t/bin/nvidia-container-runtime"
            Root = "$t/runc-nvidia"
TOML
  fi
  # A bridge of the test's own; no gateway, no masquerade: pods talk to nothing outside.
  mkdir -p "$t/cni"
  cat > "$t/cni/10-capguard-test.conflist" <<JSON
{"cniVersion": "0.4.0", "name": "capguard-test", "plugins": [
  {"type": "bridge", "bridge": "cgtest$$", "isGateway": false, "ipMasq": false,
   "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.254.77.0/24"}]], "dataDir": "$t/ipam"}}]}
JSON
  echo "cgtest$$" > "$t/bridge"
}

# cri_install_node: `capguard install containerd --root $NODE` as the DaemonSet does with --root
# /host: the node's files under NODE, the binary at a path that is the same on the host (the build
# directory, mirrored into NODE by a link); the wrappers install made beside the binary under NODE
# are then seen where the host runs them.  install's output in $CRI_T/install.out.
cri_install_node ()
{
  local bin
  bin=$(cd "$(dirname "$CAPGUARD")" && pwd)
  mkdir -p "$NODE$bin"
  ln -sf "$bin/capguard" "$NODE$bin/capguard"
  "$CAPGUARD" install containerd --root "$NODE" --binary "$bin/capguard" > "$CRI_T/install.out"
  ln -sfn "$NODE$bin/capguard-runtime.d" "$bin/capguard-runtime.d"
}

# cri_teardown_node: stops the node's containerd and removes cri_install_node's link on the host.
cri_teardown_node ()
{
  cri_stop "${CRI_T:-/nonexistent}"
  local bin
  bin=$(cd "$(dirname "$CAPGUARD")" && pwd)
  [ ! -L "$bin/capguard-runtime.d" ] || rm "$bin/capguard-runtime.d"
}

# cri_start T CONFIG: starts containerd on CONFIG, waits for its CRI, imports the test image.
cri_start ()
{
  local t=$1 config=$2
  containerd --config "$config" > "$t/containerd.log" 2>&1 3>&- &
  echo $! > "$t/pid"
  for _ in $(seq 200); do
    [ -S "$t/sock" ] && $PY "$SRCDIR/tests/tools/cri/cri.py" -s "$t/sock" -t 2 version >/dev/null 2>&1 && break
    sleep 0.1
  done
  ctr --address "$t/sock" -n k8s.io images import "$t/image.tar" >/dev/null
}

cri_stop ()
{
  local t=$1 p
  [ -f "$t/pid" ] || return 0
  for p in $(cri_ pods 2>/dev/null); do
    cri_ stopp "$p" >/dev/null 2>&1 || true
    cri_ rmp "$p" >/dev/null 2>&1 || true
  done
  stop_pid_file "$t/pid" 10
  rm -f "$t/pid"
  [ -f "$t/bridge" ] && ip link del "$(cat "$t/bridge")" 2>/dev/null || true
  # A shim whose task was not deleted keeps running: stop it by the pid it recorded.
  for p in "$t"/state/io.containerd.runtime.v2.task/k8s.io/*/shim.pid; do
    [ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null || true
  done
  unmount_under "$t"
}

cri_ () { $PY "$SRCDIR/tests/tools/cri/cri.py" -s "$CRI_T/sock" "$@"; }

# pod_json NAME NAMESPACE [hostnet] [privileged]: a PodSandboxConfig as the kubelet sends it.
pod_json ()
{
  local name=$1 ns=$2 hostnet=${3:-} priv=${4:-}
  local out=$BATS_TEST_TMPDIR/pod-$name.json
  jq -n --arg name "$name" --arg ns "$ns" --arg logs "$BATS_TEST_TMPDIR/logs/$name" \
    --argjson hostnet "$([ "$hostnet" = hostnet ] && echo true || echo false)" \
    --argjson priv "$([ "$priv" = privileged ] && echo true || echo false)" '
    {metadata: {name: $name, uid: ("uid-" + $name), namespace: $ns, attempt: 0},
     hostname: (if $hostnet then "" else $name end), logDirectory: $logs,
     labels: {"io.kubernetes.pod.name": $name, "io.kubernetes.pod.namespace": $ns,
              "io.kubernetes.pod.uid": ("uid-" + $name)},
     linux: {cgroupParent: "", securityContext: {privileged: $priv,
       namespaceOptions: {network: (if $hostnet then "NODE" else "POD" end), pid: "CONTAINER", ipc: "POD"}}}}' > "$out"
  echo "$out"
}

# ctr_json NAME [JQ-FILTER]: a ContainerConfig running sleep, edited by the filter, with the masked
# and read-only paths the kubelet sends for procMount Default (pkg/securitycontext/util.go;
# containerd drops them for a privileged container).
ctr_json ()
{
  local name=$1 filter=${2:-.}
  local out=$BATS_TEST_TMPDIR/ctr-$name.json
  jq -n --arg name "$name" --arg image "$IMAGE" '
    {metadata: {name: $name, attempt: 0}, image: {image: $image},
     command: ["/bin/sleep", "600"], logPath: ($name + ".log"),
     labels: {"io.kubernetes.container.name": $name},
     linux: {securityContext: {namespaceOptions: {network: "POD", pid: "CONTAINER", ipc: "POD"},
       maskedPaths: ["/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
                     "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware"],
       readonlyPaths: ["/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]}}}' \
    | jq "$filter" > "$out"
  echo "$out"
}

# run_pod NAME NAMESPACE CTR-FILTER [hostnet] [privileged]: RunPodSandbox, CreateContainer,
# StartContainer.  Sets POD and CID.
run_pod ()
{
  local pod ctr
  pod=$(pod_json "$1" "$2" "${4:-}" "${5:-}")
  ctr=$(ctr_json "$1" "$3")
  POD=$(cri_ runp "$pod")
  CID=$(cri_ create "$POD" "$ctr" "$pod")
  cri_ start "$CID"
}

# The sandbox's init pid, as containerd's shim recorded it.
sandbox_pid () { cat "$CRI_T/state/io.containerd.runtime.v2.task/k8s.io/$1/init.pid"; }

# The config.json the runtime ran for a task (sandbox or container).
task_config () { echo "$CRI_T/state/io.containerd.runtime.v2.task/k8s.io/$1/config.json"; }

# The decision-log record of the last start of task ID.
decision () { jq -c --arg id "$1" 'select(.id == $id and .stage != "exec")' "$DECISIONS" | tail -n 1; }

# Unmounts whatever an engine left mounted under DIR (network namespaces, rootfs), deepest first, so
# that bats can remove its temporary directory.
unmount_under ()
{
  local m
  for m in $(awk -v d="$1/" 'index($2, d) == 1 { print $2 }' /proc/self/mounts | sort -r); do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done
}
