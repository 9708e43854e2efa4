#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Pods as the kubelet makes them, on containerd 1.6's CRI plugin registered with
# `capguard install containerd`: sandboxes, namespaces joined by path, CRI annotations, ExecSync.
# Every check reads the sets the kernel gave (/proc/PID/status inside the container, or the
# sandbox's from the host), not only what a config says.

load helpers
load cri-helpers
bats_require_minimum_version 1.5.0

setup_file ()
{
  export CRI_T=$BATS_FILE_TMPDIR/cri
  export NODE=$CRI_T/node
  export DECISIONS=$CRI_T/decisions.log
  export CAPGUARD_POLICY=$CRI_T/policy/policy.json
  cri_prerequisites > "$BATS_FILE_TMPDIR/missing" || return 0
  local rootfs
  rootfs=$BATS_FILE_TMPDIR/rootfs
  bash "$SRCDIR/tests/rootfs.sh" "$rootfs"
  cp "$ICMP_ECHO" "$rootfs/bin/icmp-echo"
  mkdir -p "$CRI_T"
  bash "$SRCDIR/tests/image.sh" "$rootfs" "$CRI_T/image.tar" "$IMAGE"

  mkdir -p "$(dirname "$CAPGUARD_POLICY")"
  chmod 755 "$(dirname "$CAPGUARD_POLICY")"
  jq --arg log "$DECISIONS" '.log.file = $log | .log.syslog = false' "$SRCDIR/policy/default.json" \
    > "$CAPGUARD_POLICY"
  cp "$CAPGUARD_POLICY" "$CRI_T/policy.default"
  cri_write_config "$CRI_T" "$NODE/etc/containerd/config.toml" gpu
  cp "$NODE/etc/containerd/config.toml" "$CRI_T/config.toml.orig"
  containerd --config "$NODE/etc/containerd/config.toml" config dump > "$CRI_T/dump.before"
  cri_install_node
  containerd --config "$NODE/etc/containerd/config.toml" config dump > "$CRI_T/dump.after"

  # The shim inherits containerd's environment, and so the wrapper gets CAPGUARD_POLICY.
  cri_start "$CRI_T" "$NODE/etc/containerd/config.toml"
}

teardown_file ()
{
  cri_teardown_node
}

setup ()
{
  skip_if_missing "$BATS_FILE_TMPDIR/missing"
  cri_ version >/dev/null || { tail -20 "$CRI_T/containerd.log"; echo "containerd's CRI did not start"; return 1; }
  cp "$CRI_T/policy.default" "$CAPGUARD_POLICY"
}

teardown ()
{
  local p
  for p in $(cri_ pods 2>/dev/null); do
    cri_ stopp "$p" >/dev/null 2>&1 || true
    cri_ rmp "$p" >/dev/null 2>&1 || true
  done
}

# use_policy JQ-FILTER: the default policy (with the test's log), edited, replaced atomically.
use_policy ()
{
  jq "$1" "$CRI_T/policy.default" > "$CAPGUARD_POLICY.tmp"
  mv "$CAPGUARD_POLICY.tmp" "$CAPGUARD_POLICY"
}

# check_sets WHAT BND EFF PRM INH AMB: the five live sets in $output.
check_sets ()
{
  local what=$1
  assert "$(live Bnd)" == "$2" "$what CapBnd"
  assert "$(live Eff)" == "$3" "$what CapEff"
  assert "$(live Prm)" == "$4" "$what CapPrm"
  assert "$(live Inh)" == "$5" "$what CapInh"
  assert "$(live Amb)" == "$6" "$what CapAmb"
}

@test "install containerd keeps every setting of the node (containerd config dump) and only adds the wrapper" {
  cat "$CRI_T/install.out"
  run diff "$CRI_T/dump.before" "$CRI_T/dump.after"
  local bin
  bin=$(cd "$(dirname "$CAPGUARD")" && pwd)
  assert "$(grep -c '^<' <<<"$output")" == 1 "nothing of the node's is lost but the NVIDIA runtime's own BinaryName"
  assert "$(grep '^<' <<<"$output")" =~ "BinaryName = \"$CRI_T/bin/nvidia-container-runtime\"\$"
  assert "$(grep '^>' <<<"$output" | sort -u | head -1)" =~ "^>  +BinaryName = \"$bin/capguard-runtime\"\$" "only BinaryName lines added"
  assert "$(grep -c '^>' <<<"$output")" == 3 "one for each handler: runc, runc-fast and nvidia"
  assert "$output" =~ "BinaryName = \"$bin/capguard-runtime.d$CRI_T/bin/nvidia-container-runtime\"" "nvidia's runtime, behind capguard"
  for key in 'sandbox_image = "localhost/capguard-test/busybox:1"' "conf_dir = \"$CRI_T/cni\"" \
    'SystemdCgroup = false' "Root = \"$CRI_T/runc\"" 'restrict_oom_score_adj = true'; do
    grep -qF "$key" "$CRI_T/dump.after" || { echo "lost: $key"; return 1; }
  done
  assert "$(grep -c capguard-install "$NODE/etc/containerd/config.toml")" == 3 "one line added for each handler"
  cmp "$CRI_T/config.toml.orig" "$NODE/etc/containerd/config.toml.capguard-backup"
}

@test "an ordinary pod: the container and its sandbox hold the policy's nine, not containerd's 14" {
  run_pod plain default .
  run -0 cri_ exec "$CID" cat /proc/1/status
  check_sets "container init" "$CRIO_NINE" "$CRIO_NINE" "$CRIO_NINE" "" ""
  run -0 cat "/proc/$(sandbox_pid "$POD")/status"
  check_sets "sandbox (pause)" "$CRIO_NINE" "$CRIO_NINE" "$CRIO_NINE" "" ""
  assert "$(decision "$CID" | jq -r '[.engine, .namespace, .pod, .container, .decision] | join(" ")')" \
    == "containerd default plain plain rewritten" "the container's record, identity from CRI"
  assert "$(decision "$POD" | jq -r '.removed.bounding | sort | join(" ")')" \
    == "CAP_AUDIT_WRITE CAP_MKNOD CAP_NET_RAW CAP_SETFCAP CAP_SYS_CHROOT" "the sandbox lost containerd's five"
}

@test "add_capabilities SYS_ADMIN and NET_ADMIN are clamped" {
  run_pod adder default '.linux.securityContext.capabilities.addCapabilities = ["SYS_ADMIN", "NET_ADMIN"]'
  jq -e '.process.capabilities.bounding | index("CAP_SYS_ADMIN") == null' "$(task_config "$CID")"
  run -0 cri_ exec "$CID" cat /proc/1/status
  check_sets "container init" "$CRIO_NINE" "$CRIO_NINE" "$CRIO_NINE" "" ""
  assert "$(decision "$CID" | jq -r '.removed.bounding | sort | join(" ")')" =~ "CAP_NET_ADMIN.*CAP_SYS_ADMIN"
}

@test "a privileged pod is clamped to the nine" {
  run_pod priv default '.linux.securityContext.privileged = true' "" privileged
  run -0 cri_ exec "$CID" cat /proc/1/status
  check_sets "privileged container" "$CRIO_NINE" "$CRIO_NINE" "$CRIO_NINE" "" ""
}

@test "ExecSync (kubectl exec, exec probes) runs with the ceiling, though containerd asks for all 14 and more" {
  run_pod execd default '.linux.securityContext.capabilities.addCapabilities = ["SYS_ADMIN"]'
  run -0 cri_ exec "$CID" cat /proc/self/status
  check_sets "exec'd process" "$CRIO_NINE" "$CRIO_NINE" "$CRIO_NINE" "" ""
  assert "$(jq -r --arg id "$CID" 'select(.id == $id and .stage == "exec") | .decision' "$DECISIONS" | tail -n 1)" \
    == rewritten
}

@test "kube-system is audited under the built-in policy: the container keeps what it asked for, logged" {
  run_pod proxy kube-system '.linux.securityContext.capabilities.addCapabilities = ["NET_ADMIN"]'
  run -0 cri_ exec "$CID" cat /proc/1/status
  assert "$(live Bnd)" =~ CAP_NET_ADMIN
  assert "$(live Bnd)" =~ CAP_NET_RAW
  assert "$(decision "$CID" | jq -r '[.namespace, .action, .decision] | join(" ")')" == "kube-system audit audited"
}

@test "pingGroupRange auto: a pod on the pod network gets the sysctl and pings without CAP_NET_RAW" {
  use_policy '.pingGroupRange = "auto"'
  run_pod pinger default .
  jq -e '.linux.sysctl["net.ipv4.ping_group_range"] == "0 2147483647"' "$(task_config "$CID")"
  run -0 cri_ exec "$CID" cat /proc/1/status
  assert "$(live Bnd)" !~ CAP_NET_RAW
  run -0 cri_ exec "$CID" /bin/icmp-echo
  assert "$output" == reply
}

@test "pingGroupRange auto: a hostNetwork pod starts (no sysctl in the host's network namespace)" {
  use_policy '.pingGroupRange = "auto"'
  run_pod hostnet default '.linux.securityContext.namespaceOptions.network = "NODE"' hostnet
  jq -e '(.linux.sysctl // {}) | has("net.ipv4.ping_group_range") | not' "$(task_config "$CID")"
  jq -e '(.linux.sysctl // {}) | has("net.ipv4.ping_group_range") | not' "$(task_config "$POD")"
  run -0 cri_ exec "$CID" cat /proc/1/status
  check_sets "host-network container" "$CRIO_NINE" "$CRIO_NINE" "$CRIO_NINE" "" ""
  assert "$(readlink "/proc/$(sandbox_pid "$POD")/ns/net")" == "$(readlink /proc/self/ns/net)" \
    "the sandbox is on the host's network"
}

@test "enforce: a container beyond the ceiling is refused with capguard's reason, while its sandbox starts" {
  use_policy '.action = "enforce"'
  local pod ctr
  pod=$(pod_json strict default)
  ctr=$(ctr_json strict '.linux.securityContext.capabilities.addCapabilities = ["SYS_ADMIN"]')
  POD=$(cri_ runp "$pod")
  run -0 cat "/proc/$(sandbox_pid "$POD")/status"
  check_sets "sandbox under enforce" "$CRIO_NINE" "$CRIO_NINE" "$CRIO_NINE" "" ""
  CID=$(cri_ create "$POD" "$ctr" "$pod")
  run -1 --separate-stderr cri_ start "$CID"
  echo "# $stderr"
  assert "$stderr" =~ "refused by $CAPGUARD_POLICY \\(top level, action enforce\\): bounding holds .*CAP_SYS_ADMIN"
  assert "$(decision "$CID" | jq -r .decision)" == refused
  assert "$(decision "$POD" | jq -r .decision)" == rewritten "the sandbox was rewritten, not refused"
}

@test "privileged: refuse: a privileged pod's container is refused with the reason, its sandbox starts; a plain pod runs" {
  use_policy '.privileged = "refuse"'
  local pod ctr
  pod=$(pod_json privpod default "" privileged)
  ctr=$(ctr_json privpod '.linux.securityContext.privileged = true')
  POD=$(cri_ runp "$pod")
  CID=$(cri_ create "$POD" "$ctr" "$pod")
  run -1 --separate-stderr cri_ start "$CID"
  assert "$stderr" =~ "privileged: the device cgroup gives every character device; the device cgroup gives every block device; /sys is writable; /proc/sys, /proc/sysrq-trigger or /proc/kcore is neither masked nor read-only, refused by privileged: refuse"
  run_pod plainpod default .
  run -0 cri_ exec "$CID" cat /proc/1/status
  check_sets "plain container" "$CRIO_NINE" "$CRIO_NINE" "$CRIO_NINE" "" ""
}

@test "userNamespaces: deny: pods still start (the sandbox too), and no container can make a user namespace" {
  use_policy '.userNamespaces = "deny"'
  run_pod userns default .
  run -0 cri_ exec "$CID" cat /proc/1/status
  check_sets "container" "$CRIO_NINE" "$CRIO_NINE" "$CRIO_NINE" "" ""
  run -1 --separate-stderr cri_ exec "$CID" /bin/unshare -U -r /bin/id
  assert "$stderr" =~ "Operation not permitted"
  run -0 cri_ exec "$CID" /bin/sh -c 'echo ok > /tmp/f && cat /tmp/f && sleep 0 & wait'
  assert "$(jq -r '.linux.seccomp.syscalls[] | select(.names | index("clone3")) | .errnoRet' "$(task_config "$CID")")" == 38
  assert "$(jq -r '.linux.seccomp | type' "$(task_config "$POD")")" == object "the sandbox got the baseline too, and runs"
}

@test "a pod of another handler (a RuntimeClass naming runc-fast) is clamped too" {
  local pod ctr
  pod=$(pod_json fast default)
  ctr=$(ctr_json fast '.linux.securityContext.capabilities.addCapabilities = ["SYS_ADMIN"]')
  POD=$(cri_ --handler runc-fast runp "$pod")
  CID=$(cri_ create "$POD" "$ctr" "$pod")
  cri_ start "$CID"
  [ -d "$CRI_T/runc-fast/k8s.io/$CID" ] || { echo "not run by the runc-fast handler"; return 1; }
  run -0 cri_ exec "$CID" cat /proc/1/status
  check_sets "runc-fast container" "$CRIO_NINE" "$CRIO_NINE" "$CRIO_NINE" "" ""
  run -0 cat "/proc/$(sandbox_pid "$POD")/status"
  check_sets "runc-fast sandbox" "$CRIO_NINE" "$CRIO_NINE" "$CRIO_NINE" "" ""
}

@test "a GPU node's handler: the NVIDIA runtime it named still runs (behind capguard) for create and exec, and the container is clamped" {
  local pod ctr
  : > "$CRI_T/nvidia-argv"
  pod=$(pod_json gpu default)
  ctr=$(ctr_json gpu '.linux.securityContext.capabilities.addCapabilities = ["SYS_ADMIN"]')
  POD=$(cri_ --handler nvidia runp "$pod")
  CID=$(cri_ create "$POD" "$ctr" "$pod")
  cri_ start "$CID"
  [ -d "$CRI_T/runc-nvidia/k8s.io/$CID" ] || { echo "not run by the nvidia handler"; return 1; }
  run -0 cri_ exec "$CID" cat /proc/self/status
  check_sets "nvidia exec" "$CRIO_NINE" "$CRIO_NINE" "$CRIO_NINE" "" ""
  run -0 cri_ exec "$CID" cat /proc/1/status
  check_sets "nvidia container" "$CRIO_NINE" "$CRIO_NINE" "$CRIO_NINE" "" ""
  run -0 cat "$CRI_T/nvidia-argv"
  assert "$output" =~ "create --bundle [^ ]*$CID" "the NVIDIA runtime created the container, given capguard's argv"
  assert "$output" =~ "exec --process" "and ran its exec"
  assert "$(jq -r "select(.id == \"$CID\") | .stage + \" \" + .decision" "$DECISIONS" | sort -u | paste -sd,)" == "create rewritten,exec rewritten"
}

@test "20 pods started at once: each container clamped, the decision log whole" {
  local i
  : > "$DECISIONS"
  for i in $(seq 20); do
    (
      pod=$(pod_json "many$i" default)
      ctr=$(ctr_json "many$i" '.linux.securityContext.capabilities.addCapabilities = ["SYS_ADMIN"]')
      p=$(cri_ runp "$pod") && c=$(cri_ create "$p" "$ctr" "$pod") && cri_ start "$c" && echo "$c" > "$BATS_TEST_TMPDIR/cid$i"
    ) &
  done
  wait
  for i in $(seq 20); do
    [ -s "$BATS_TEST_TMPDIR/cid$i" ] || { echo "pod $i did not start"; return 1; }
    run -0 cri_ exec "$(cat "$BATS_TEST_TMPDIR/cid$i")" cat /proc/1/status
    check_sets "pod $i" "$CRIO_NINE" "$CRIO_NINE" "$CRIO_NINE" "" ""
  done
  run jq -e . "$DECISIONS"
  assert "$status" == 0 "every line is whole JSON"
  assert "$(jq -r 'select(.stage == "create") | .decision' "$DECISIONS" | sort | uniq -c | tr -s ' ')" \
    == " 40 rewritten" "20 sandboxes and 20 containers"
}

@test "status on this node: the three CRI handlers covered, from containerd's own config dump; report on its decision log" {
  run_capguard 0 status --root "$NODE" --json
  assert "$(jq -r '.engines[] | select(.engine == "containerd") | .paths[] | .state + " " + .path' <<<"$output" | sort)" \
    == "covered CRI handler \`nvidia\` (create, exec, restore)
covered CRI handler \`runc-fast\` (create, exec, restore)
covered CRI handler \`runc\`, the default (create, exec, restore)
residual \`ctr run\` without --runc-binary"
  : > "$DECISIONS"
  run_pod reported default '.linux.securityContext.capabilities.addCapabilities = ["SYS_ADMIN"]'
  run_capguard 0 report --json "$DECISIONS"
  assert "$(jq -r '[.workloads[] | select(.pod == "reported") | .starts.rewritten] | add' <<<"$output")" == 2 "the sandbox and the container"
  assert "$(jq -r '.would_break[] | select(.container == "reported") | .capabilities | index("CAP_SYS_ADMIN") != null' <<<"$output")" == true
}
