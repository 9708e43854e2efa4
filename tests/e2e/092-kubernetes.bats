#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# The rollout on a real single-node Kubernetes v1.20.2 (k8s-helpers.bash) whose kubelet runs pods on
# a containerd 1.6 of the test's own, with capguard NOT installed on the node beforehand: the image
# from scripts/image.sh loaded into containerd, hooks/kubernetes/capguard.yaml applied with kubectl
# as shipped (only the capguard-node ConfigMap's paths point into the test's directory, and the
# decision log moves there), the engine restarted as an operator would, then pods made by the
# kubelet from kubectl's objects and static manifests, checked in /proc/self/status inside them.
# These tests run in order, each on what the one before left.

load helpers
load cri-helpers
load k8s-helpers
bats_require_minimum_version 1.5.0

MANIFEST=$SRCDIR/hooks/kubernetes/capguard.yaml
NINE="cap_chown cap_dac_override cap_fowner cap_fsetid cap_kill cap_net_bind_service cap_setgid cap_setpcap cap_setuid"
FOURTEEN="cap_audit_write cap_chown cap_dac_override cap_fowner cap_fsetid cap_kill cap_mknod cap_net_bind_service cap_net_raw cap_setfcap cap_setgid cap_setpcap cap_setuid cap_sys_chroot"

setup_file ()
{
  export CRI_T=$BATS_FILE_TMPDIR/cri K8S_T=$BATS_FILE_TMPDIR/k8s
  # The node's paths the capguard-node ConfigMap names, inside the test's directory.
  export NODE_DIR=$K8S_T/node/opt/capguard NODE_POLICY=$K8S_T/node/etc/capguard/policy.json
  export CONFIG=$CRI_T/etc/containerd/config.toml DECISIONS=$K8S_T/decisions.log
  # The engine's capguard reads the policy at that path, as capguard.yaml says for a moved policy.
  export CAPGUARD_POLICY=$NODE_POLICY
  { k8s_prerequisites && command -v podman >/dev/null && command -v busybox >/dev/null; } \
    > "$BATS_FILE_TMPDIR/missing" || return 0
  rm -f "$BATS_FILE_TMPDIR/missing"
  K8S_BIN=$(bash "$SRCDIR/tests/k8s/binaries.sh")
  export K8S_BIN
  mkdir -p "$CRI_T" "$K8S_T"
  ls -A /var/log/pods > "$K8S_T/pod-logs.before" 2>/dev/null || true
  # install containerd also places the refusal hooks in the node's hooks.d (for NRI and CRI-O).
  ls -A /etc/containers/oci/hooks.d > "$K8S_T/hooks.before" 2>/dev/null || true

  # The test's busybox (workloads and sandbox image), and capguard's image as scripts/image.sh saves it.
  bash "$SRCDIR/tests/rootfs.sh" "$BATS_FILE_TMPDIR/rootfs"
  bash "$SRCDIR/tests/image.sh" "$BATS_FILE_TMPDIR/rootfs" "$CRI_T/image.tar" "$IMAGE"
  PODMAN="podman --root $BATS_FILE_TMPDIR/podman/storage --runroot $BATS_FILE_TMPDIR/podman/run --tmpdir $BATS_FILE_TMPDIR/podman/tmp --storage-driver vfs --cgroup-manager cgroupfs --events-backend file --runtime runc" \
    bash "$SRCDIR/scripts/image.sh" "$(dirname "$CAPGUARD")" "$K8S_T/image" > "$K8S_T/image.built"

  cri_write_config "$CRI_T" "$CONFIG"
  cp "$CONFIG" "$K8S_T/config.toml.orig"
  cri_start "$CRI_T" "$CONFIG"
  # Loaded on the node as hooks/kubernetes/README.md says.
  ctr --address "$CRI_T/sock" -n k8s.io images import "$(sed -n 2p "$K8S_T/image.built")" > /dev/null
  k8s_start > "$K8S_T/start.out" 2>&1 || true
}

teardown_file ()
{
  [ -n "${K8S_T:-}" ] || return 0
  k8s_stop
  cri_stop "$CRI_T"
  # The kubelet writes pods' logs under /var/log/pods (fixed in v1.20), linked from /var/log/containers.
  local d
  for d in $(ls -A /var/log/pods 2>/dev/null); do
    grep -qxF "$d" "$K8S_T/pod-logs.before" 2>/dev/null || rm -rf "/var/log/pods/$d"
  done
  find /var/log/containers -maxdepth 1 -xtype l -delete 2>/dev/null || true
  # What the DaemonSet placed on the real root when a test failed before the uninstall.
  for d in capguard-createRuntime.json capguard-poststart.json; do
    grep -qxF "$d" "$K8S_T/hooks.before" 2>/dev/null || rm -f "/etc/containers/oci/hooks.d/$d"
  done
}

setup ()
{
  skip_if_missing "$BATS_FILE_TMPDIR/missing"
  k get --raw /readyz > /dev/null 2>&1 || { cat "$K8S_T/start.out"; echo "the cluster did not start"; return 1; }
}

# The manifest as shipped, with the node's paths of the capguard-node ConfigMap in the test's
# directory, and the policy's decision log there too; ACTION (default: as shipped) and a JQ filter
# on the policy.  As JSON, for kubectl apply -f -.
manifest ()
{
  python3 - "$MANIFEST" "${1:-}" "${2:-.}" <<'EOF'
import json, os, subprocess, sys, yaml
docs = [d for d in yaml.safe_load_all(open(sys.argv[1])) if d]
for d in docs:
    if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "capguard-node":
        d["data"].update(CAPGUARD_ENGINE="containerd", CAPGUARD_ENGINE_CONFIG=os.environ["CONFIG"],
                         CAPGUARD_HOST_DIR=os.environ["NODE_DIR"],
                         CAPGUARD_HOST_POLICY=os.environ["NODE_POLICY"])
    if d["kind"] == "ConfigMap" and d["metadata"]["name"] == "capguard-policy":
        p = json.loads(d["data"]["policy.json"])
        p["log"] = {"syslog": False, "file": os.environ["DECISIONS"]}
        if sys.argv[2]:
            p["action"] = sys.argv[2]
        text = subprocess.run(["jq", sys.argv[3]], input=json.dumps(p), capture_output=True,
                              text=True, check=True).stdout
        d["data"]["policy.json"] = text
    if d["kind"] == "DaemonSet":
        # observe writes beside the test's decision log, which it reads.
        logdir = os.path.dirname(os.environ["DECISIONS"])
        spec = d["spec"]["template"]["spec"]
        for c in spec["containers"]:
            if c["name"] == "observe":
                c["command"] = [a.replace("/var/log/capguard/decisions.log", os.environ["DECISIONS"])
                                 .replace("/var/log/capguard/observed.log", logdir + "/observed.log")
                                for a in c["command"]]
                for m in c["volumeMounts"]:
                    if m["name"] == "log":
                        m["mountPath"] = logdir
        for v in spec["volumes"]:
            if v["name"] == "log":
                v["hostPath"]["path"] = logdir
print(json.dumps({"apiVersion": "v1", "kind": "List", "items": docs}))
EOF
}

# The DaemonSet's pod (not one on its way out).
ds_pod ()
{
  k -n capguard-system get pods -l app.kubernetes.io/name=capguard -o json \
    | jq -r '.items[] | select(.metadata.deletionTimestamp == null) | .metadata.name' | tail -n 1
}

# Restarts the test's containerd by its pid, as `systemctl restart containerd` would: its config is
# read again; the running pods' shims stay.
restart_containerd ()
{
  stop_pid_file "$CRI_T/pid" 15
  containerd --config "$CONFIG" >> "$CRI_T/containerd.log" 2>&1 3>&- &
  echo $! > "$CRI_T/pid"
  for _ in $(seq 200); do
    cri_ version > /dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "containerd did not come back"
  return 1
}

# pod_manifest NAME NAMESPACE [ADD-CAPS-JSON] [hostnet|privileged]: a pod printing its sets, then
# sleeping.
pod_manifest ()
{
  jq -n --arg name "$1" --arg ns "$2" --argjson add "${3:-[]}" --arg kind "${4:-}" --arg image "$IMAGE" '
    {apiVersion: "v1", kind: "Pod", metadata: {name: $name, namespace: $ns},
     spec: {automountServiceAccountToken: false, hostNetwork: ($kind == "hostnet"),
       terminationGracePeriodSeconds: 1,
       containers: [{name: "c", image: $image, imagePullPolicy: "Never",
         command: ["/bin/sh", "-c", "grep ^Cap /proc/self/status; exec sleep 600"],
         securityContext: {capabilities: {add: $add}, privileged: ($kind == "privileged")}}]}}'
}

# run_pod NAME NAMESPACE [ADD-CAPS-JSON] [hostnet|privileged]: created with kubectl, Ready, its sets
# in $output.
run_pod ()
{
  pod_manifest "$@" | k apply -f - > /dev/null
  k -n "$2" wait --for=condition=Ready "pod/$1" --timeout=60s > /dev/null \
    || { k -n "$2" describe "pod/$1" | tail -20; return 1; }
  output=$(k -n "$2" logs "$1")
}

# set_names SET: a set of $output (CapEff, CapBnd, ...) as sorted capability names.
set_names ()
{
  local hex
  hex=$(awk -v s="$1:" '$1 == s { print $2 }' <<<"$output")
  [ -n "$hex" ] || { echo "no $1 in: $output" >&2; return 1; }
  capsh --decode="$hex" | sed 's/^0x[0-9a-f]*=//' | tr ',' '\n' | grep . | sort | tr '\n' ' ' | sed 's/ $//'
}

# The decision-log record of the last start of pod NAME's container c.
decision_of () { jq -c --arg pod "$1" 'select(.pod == $pod and .container == "c" and .stage != "exec")' "$DECISIONS" | tail -n 1; }

@test "rollout: kubectl apply on a node without capguard; the init container installs it for containerd, keeping the node's config; ready once containerd restarted; rollout status succeeds" {
  [ ! -e "$NODE_DIR" ] && [ ! -e "$NODE_POLICY" ]
  manifest | k apply -f -
  # The init container done, the idle one running: not ready while containerd runs the old config.
  for _ in $(seq 120); do
    [ "$(k -n capguard-system get pod "$(ds_pod)" -o jsonpath='{.status.phase}' 2>/dev/null)" = Running ] && break
    sleep 1
  done
  run -1 k -n capguard-system exec "$(ds_pod)" -c idle -- /bin/sh /state/ready
  assert "$(jq -r '.engines[0].paths[] | select(.state == "gap") | .path' <<<"$output")" == "the configuration in force" \
    "only the restart is missing: $output"
  assert "$(k -n capguard-system get ds capguard -o jsonpath='{.status.numberReady}')" == 0 "not ready before the restart"
  # The operator restarts the engine; the probe (every 10 s) turns ready and the rollout completes.
  restart_containerd
  run -0 k -n capguard-system rollout status ds/capguard --timeout=120s
  assert "$(k -n capguard-system get ds capguard -o jsonpath='{.status.numberReady}')" == 1 "the readiness probe passed"
  run -0 k -n capguard-system exec "$(ds_pod)" -c idle -- /bin/sh /state/ready
  assert "$(jq -r '[(.engines | map(.engine) | join(" ")), .gaps, .covered] | join(" ")' <<<"$output")" == "containerd 0 true"
  k -n capguard-system logs "$(ds_pod)" -c install
  cmp "$NODE_DIR/capguard" "$CAPGUARD"
  run diff "$K8S_T/config.toml.orig" "$CONFIG"
  assert "$(grep -c '^>' <<<"$output")" == 2 "a BinaryName line per handler (runc, runc-fast), nothing else: $output"
  assert "$(grep -c '^<' <<<"$output")" == 0 "nothing of the node's removed"
  cmp "$K8S_T/config.toml.orig" "$CONFIG.capguard-backup"
  run -0 containerd --config "$CONFIG" config dump
  assert "$(grep -c "BinaryName = \"$NODE_DIR/capguard-runtime\"" <<<"$output")" == 2
}

@test "audit as shipped, after the engine's restart: a pod keeps containerd's 14, and the log says what rewrite would take" {
  run_pod audited default
  assert "$(set_names CapEff)" == "$FOURTEEN"
  run -0 decision_of audited
  assert "$(jq -r .decision <<<"$output")" == audited "$output"
  assert "$(jq -r '.removed.bounding | sort | join(" ")' <<<"$output")" \
    == "CAP_AUDIT_WRITE CAP_MKNOD CAP_NET_RAW CAP_SETFCAP CAP_SYS_CHROOT"
}

@test "a new policy is rolled out with the ConfigMap and rollout restart, no engine restart: pods are clamped to its nine" {
  manifest rewrite | k apply -f -
  k -n capguard-system rollout restart ds/capguard
  run -0 k -n capguard-system rollout status ds/capguard --timeout=120s
  assert "$(jq -r .action "$NODE_POLICY")" == rewrite
  run_pod plain default
  for s in CapBnd CapEff CapPrm; do assert "$(set_names $s)" == "$NINE" "$s"; done
  assert "$(set_names CapInh)" == "" && assert "$(set_names CapAmb)" == ""
  assert "$(jq -r .decision <<<"$(decision_of plain)")" == rewritten
}

@test "a pod asking for SYS_ADMIN and NET_ADMIN gets the nine; a hostNetwork pod and a privileged one too" {
  run_pod admin default '["SYS_ADMIN", "NET_ADMIN"]'
  assert "$(set_names CapEff)" == "$NINE"
  assert "$(set_names CapBnd)" == "$NINE"
  run_pod hostnet default '["NET_RAW"]' hostnet
  assert "$(set_names CapEff)" == "$NINE"
  assert "$(k get pod hostnet -o jsonpath='{.spec.hostNetwork}')" == true
  run_pod priv default '[]' privileged
  assert "$(set_names CapEff)" == "$NINE"
  assert "$(set_names CapBnd)" == "$NINE"
  assert "$(k get pod priv -o jsonpath='{.spec.containers[0].securityContext.privileged}')" == true
}

@test "kubectl exec runs clamped, also in a pod that asked for more" {
  run -0 k exec admin -- grep ^Cap /proc/self/status
  assert "$(set_names CapEff)" == "$NINE"
  assert "$(set_names CapBnd)" == "$NINE"
  assert "$(jq -r 'select(.pod == "admin" and .stage == "exec") | .decision' "$DECISIONS" | tail -n 1)" \
    == rewritten "the exec's decision is logged"
}

@test "a static pod, made by the kubelet from its manifest directory, is clamped" {
  pod_manifest static default '["SYS_ADMIN"]' | python3 -c 'import json, sys, yaml; yaml.safe_dump(json.load(sys.stdin), sys.stdout)' \
    > "$K8S_T/manifests/static.yaml"
  for _ in $(seq 60); do
    k get pod static-localhost > /dev/null 2>&1 && break
    sleep 1
  done
  k wait --for=condition=Ready pod/static-localhost --timeout=60s
  output=$(k logs static-localhost)
  assert "$(set_names CapEff)" == "$NINE"
  assert "$(set_names CapBnd)" == "$NINE"
  rm "$K8S_T/manifests/static.yaml"
}

@test "kube-system is audited by the shipped rule: a pod there keeps SYS_ADMIN, logged" {
  run_pod system kube-system '["SYS_ADMIN"]'
  assert "$(set_names CapEff)" =~ "cap_sys_admin"
  run -0 decision_of system
  assert "$(jq -r '[.decision, .rule] | join(" / ")' <<<"$output")" == "audited / kube-system audited"
}

# cmd_pod NAME NAMESPACE ADD-CAPS-JSON COMMAND...: a pod running COMMAND, Ready.
cmd_pod ()
{
  local name=$1 ns=$2 add=$3
  shift 3
  jq -n --arg name "$name" --arg ns "$ns" --argjson add "$add" --arg image "$IMAGE" \
    --argjson cmd "$(printf '%s\n' "$@" | jq -R . | jq -s .)" '
    {apiVersion: "v1", kind: "Pod", metadata: {name: $name, namespace: $ns},
     spec: {automountServiceAccountToken: false, terminationGracePeriodSeconds: 1,
       containers: [{name: "c", image: $image, imagePullPolicy: "Never", command: $cmd,
         securityContext: {capabilities: {add: $add}}}]}}' | k apply -f - > /dev/null
  k -n "$ns" wait --for=condition=Ready "pod/$name" --timeout=60s > /dev/null
}

# The last start's decision of pod POD's container CONTAINER in namespace NS.
decision_of_container () { jq -c --arg pod "$1" --arg ns "$2" --arg c "$3" 'select(.pod == $pod and .namespace == $ns and .container == $c and .stage != "exec")' "$DECISIONS" | tail -n 1; }

# The capabilities pod NAME (namespace NS) used, as the DaemonSet's observe recorded them.
observed_used () { jq -r --arg pod "$1" --arg ns "$2" 'select(.pod == $pod and .namespace == $ns and .result == "used" and .container != null) | .capability' "$K8S_T/observed.log" 2>/dev/null | sort -u | xargs; }

@test "observe, the DaemonSet's second container: a pod that pings uses NET_RAW, one that chowns CHOWN, an idle one nothing, one holding SYS_ADMIN nothing for it; report turns it into a rule" {
  # kube-system is audited by the shipped rule: the pods hold what they ask for.
  cmd_pod pinger kube-system '["NET_RAW"]' /bin/sh -c 'ping -c1 -W1 127.0.0.1; exec sleep 600'
  cmd_pod chowner kube-system '[]' /bin/sh -c 'chown 1 /tmp; exec sleep 600'
  cmd_pod idler kube-system '[]' /bin/sleep 600
  cmd_pod holder kube-system '["SYS_ADMIN"]' /bin/sleep 600
  # observe writes every 10 s.
  for _ in $(seq 40); do
    [ -n "$(observed_used pinger kube-system)" ] && [ -n "$(observed_used chowner kube-system)" ] && break
    sleep 1
  done
  assert "$(observed_used pinger kube-system)" == CAP_NET_RAW
  assert "$(observed_used chowner kube-system)" == CAP_CHOWN
  sleep 11 # one more flush: nothing for the idle ones
  assert "$(observed_used idler kube-system)" == ""
  assert "$(observed_used holder kube-system)" == "" "SYS_ADMIN held, never used"
  # The shipped rule let the observe container keep BPF, PERFMON and SYSLOG under rewrite.
  run -0 decision_of_container "$(ds_pod)" capguard-system observe
  assert "$(jq -r '[.rule, (.held | sort | join(","))] | join(" ")' <<<"$output")" \
    == "capguard observe CAP_BPF,CAP_PERFMON,CAP_SYSLOG"
  run_capguard 0 report --observed "$K8S_T/observed.log" --suggest --json "$DECISIONS"
  assert "$(jq -c '.observed[] | select(.pod == "pinger") | .rule.capabilities.allow' <<<"$output")" == '["CAP_NET_RAW"]'
  assert "$(jq -c '.observed[] | select(.pod == "pinger") | .securityContext' <<<"$output")" == '{"capabilities":{"drop":["ALL"],"add":["NET_RAW"]}}'
  k -n kube-system delete pod pinger chowner idler holder --wait=false > /dev/null
}

@test "a broken policy in the ConfigMap: the init container fails, the policy in force stays, the rollout stops" {
  cp "$NODE_POLICY" "$K8S_T/in-force.json"
  manifest rewrite '.capabilities.allow += ["NOT_A_CAP"]' | k apply -f -
  k -n capguard-system rollout restart ds/capguard
  run k -n capguard-system rollout status ds/capguard --timeout=30s
  assert "$status" != 0 "the rollout does not complete: $output"
  # The new pod (once the old one is gone), its install container failed.
  local pod= failed=
  for _ in $(seq 90); do
    pod=$(ds_pod)
    [ -n "$pod" ] && failed=$(k -n capguard-system get pod "$pod" -o jsonpath='{.status.initContainerStatuses[0].state.terminated.exitCode}{.status.initContainerStatuses[0].lastState.terminated.exitCode}')
    [ -n "$failed" ] && break
    sleep 1
  done
  k -n capguard-system get pod "$pod"
  assert "$failed" =~ "^[1-9]" "the install container exited non-zero"
  assert "$(k -n capguard-system get ds capguard -o jsonpath='{.status.numberReady}')" == 0
  run -0 k -n capguard-system logs "$pod" -c install
  assert "$output" =~ "NOT_A_CAP"
  cmp "$NODE_POLICY" "$K8S_T/in-force.json"
  # Pods still start, under the policy in force.
  run_pod after-broken default '["SYS_ADMIN"]'
  assert "$(set_names CapEff)" == "$NINE"
  # The ConfigMap fixed: the rollout completes.
  manifest rewrite | k apply -f -
  k -n capguard-system rollout restart ds/capguard
  run -0 k -n capguard-system rollout status ds/capguard --timeout=120s
}

@test "kubectl delete and uninstall leave the node's containerd config as it was, and pods get containerd's 14 again" {
  # Each pod's grace period is 1 s; a slow delete shows what the kubelet was waiting for.
  k delete pod --all --wait=true --timeout=120s > /dev/null || {
    k describe pods | tail -n 40
    false
  }
  k -n kube-system delete pod system --wait=true --timeout=60s > /dev/null
  manifest rewrite | k delete -f - --wait=true --timeout=120s
  run_capguard 0 uninstall containerd --config "$CONFIG"
  cmp "$K8S_T/config.toml.orig" "$CONFIG"
  [ ! -e "$CONFIG.capguard-backup" ]
  restart_containerd
  run_pod unprotected default
  assert "$(set_names CapEff)" == "$FOURTEEN"
}
