#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Every way an attacker found around the guard (issue 11), tried again on the real engines, reading
# the sets the kernel gave inside the container: podman exec (also --privileged), identity claimed
# through annotations, runc exec without --process or with a process that names no capabilities,
# and restore (with a stand-in runtime: CRIU cannot run on this kernel, its vdso check fails).

load helpers
bats_require_minimum_version 1.5.0

setup_file ()
{
  export ROOTFS=$BATS_FILE_TMPDIR/rootfs
  bash "$SRCDIR/tests/rootfs.sh" "$ROOTFS"
}

setup ()
{
  require_tool runc
  require_tool capsh "capsh (libcap2-bin)"
  require_root "runc with cgroupfs needs root here"
  WRAPPER=$(dirname "$CAPGUARD")/capguard-runtime
  LOG=$BATS_TEST_TMPDIR/decisions.log
  export CAPGUARD_POLICY=$BATS_TEST_TMPDIR/p/policy.json
  mkdir -p "$(dirname "$CAPGUARD_POLICY")"
  jq --arg log "$LOG" '.log.file = $log | .log.syslog = false' "$SRCDIR/policy/default.json" > "$CAPGUARD_POLICY"
  RUNC_ROOT=$BATS_TEST_TMPDIR/runc
  ID=capguard-bypass-$BATS_TEST_NUMBER-$$
}

teardown ()
{
  runc --root "$RUNC_ROOT" delete -f "$ID" >/dev/null 2>&1 || true
  [ -n "${PODMAN_ID:-}" ] && pm rm -f "$PODMAN_ID" >/dev/null 2>&1 || true
  [ -f "$BATS_TEST_TMPDIR/fake/pid" ] && kill -9 "$(cat "$BATS_TEST_TMPDIR/fake/pid")" 2>/dev/null || true
}

# A container created and started by plain runc, before capguard was registered: runc's template
# with SYS_ADMIN and NET_RAW added to every set but ambient, sleeping.
plain_runc_container ()
{
  BUNDLE=$BATS_TEST_TMPDIR/bundle
  mkdir -p "$BUNDLE"
  (cd "$BUNDLE" && runc spec)
  jq --arg rootfs "$ROOTFS" '.process.terminal = false | .process.args = ["/bin/sleep", "600"]
    | .root = {path: $rootfs, readonly: true} | .process.noNewPrivileges = false
    | .process.capabilities |= with_entries(.value += ["CAP_SYS_ADMIN", "CAP_NET_RAW"])' \
    "$BUNDLE/config.json" > "$BUNDLE/c" && mv "$BUNDLE/c" "$BUNDLE/config.json"
  runc --root "$RUNC_ROOT" create --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1 3>&-
  runc --root "$RUNC_ROOT" start "$ID"
}

# The container's process as a process file (what containerd, CRI-O and conmon pass to exec -p).
process_file ()
{
  jq --argjson args "$1" '.process | .args = $args' "$BUNDLE/config.json" | jq "${2:-.}" > "$BATS_TEST_TMPDIR/process.json"
}

@test "runc exec without --process into a container capguard never clamped: the exec'd process holds the ceiling, as the log says" {
  plain_runc_container
  run -0 runc --root "$RUNC_ROOT" exec "$ID" cat /proc/self/status
  assert "$(live Bnd)" =~ CAP_SYS_ADMIN "control: plain runc exec keeps what the container has"
  run -0 env CAPGUARD_RUNTIME="$(command -v runc)" "$WRAPPER" --root "$RUNC_ROOT" exec "$ID" cat /proc/self/status
  assert "$(live Bnd)" == "CAP_KILL CAP_NET_BIND_SERVICE" "the container's sets within the nine"
  assert "$(live Eff)" == "CAP_KILL CAP_NET_BIND_SERVICE"
  assert "$(live Inh)" == ""
  assert "$(jq -r 'select(.stage == "exec") | .decision + " " + (.removed.bounding | sort | join(","))' "$LOG")" \
    == "rewritten CAP_AUDIT_WRITE,CAP_NET_RAW,CAP_SYS_ADMIN" "logged as what was really done"
  # The container's own init is untouched (a running process cannot be changed from outside).
  run -0 runc --root "$RUNC_ROOT" exec "$ID" cat /proc/1/status
  assert "$(live Bnd)" =~ CAP_SYS_ADMIN
}

@test "runc exec --process with no capabilities (or null): runc's fallback is clamped too" {
  plain_runc_container
  for caps in 'del(.capabilities)' '.capabilities = null'; do
    process_file '["/bin/cat", "/proc/self/status"]' "$caps"
    run -0 runc --root "$RUNC_ROOT" exec --process "$BATS_TEST_TMPDIR/process.json" "$ID"
    assert "$(live Bnd)" =~ CAP_SYS_ADMIN "control ($caps): runc falls back to the container's stored sets"
    run -0 env CAPGUARD_RUNTIME="$(command -v runc)" "$WRAPPER" --root "$RUNC_ROOT" exec \
      --process "$BATS_TEST_TMPDIR/process.json" "$ID"
    assert "$(live Bnd)" == "CAP_KILL CAP_NET_BIND_SERVICE" "$caps"
    assert "$(live Prm)" == "CAP_KILL CAP_NET_BIND_SERVICE" "$caps"
    assert "$(jq -r 'select(.stage == "exec") | .decision' "$LOG" | tail -n 1)" == rewritten
  done
}

@test "runc exec --cap beyond the ceiling is dropped, and the process file's sets clamped" {
  plain_runc_container
  process_file '["/bin/cat", "/proc/self/status"]'
  run -0 env CAPGUARD_RUNTIME="$(command -v runc)" "$WRAPPER" --root "$RUNC_ROOT" exec \
    --cap CAP_SYS_MODULE --process "$BATS_TEST_TMPDIR/process.json" "$ID"
  assert "$(live Bnd)" == "CAP_KILL CAP_NET_BIND_SERVICE"
  run -0 env CAPGUARD_RUNTIME="$(command -v runc)" "$WRAPPER" --root "$RUNC_ROOT" exec --cap CAP_SYS_MODULE "$ID" cat /proc/self/status
  assert "$(live Bnd)" == "CAP_KILL CAP_NET_BIND_SERVICE"
}

@test "exec trusts the runtime's own record: an annotation named bundle pointing at a kube-system config neither lends its identity nor its process" {
  # The decoy: a config that claims CRI identity in kube-system (audited by the built-in policy),
  # whose process keeps every capability.
  local decoy=$BATS_TEST_TMPDIR/decoy
  mkdir -p "$decoy"
  plain_runc_container
  jq '.annotations = {"io.kubernetes.cri.sandbox-namespace": "kube-system", "io.kubernetes.cri.container-type": "container",
      "io.kubernetes.cri.container-name": "x", "io.kubernetes.cri.sandbox-name": "x"}'     "$BUNDLE/config.json" > "$decoy/config.json"
  runc --root "$RUNC_ROOT" delete -f "$ID" >/dev/null
  jq --arg d "$decoy" '.annotations = {"bundle": $d}' "$BUNDLE/config.json" > "$BUNDLE/c" && mv "$BUNDLE/c" "$BUNDLE/config.json"
  runc --root "$RUNC_ROOT" create --bundle "$BUNDLE" "$ID" </dev/null >/dev/null 2>&1 3>&-
  runc --root "$RUNC_ROOT" start "$ID"
  assert "$(jq -r '[.config.labels[] | select(startswith("bundle="))] | length' "$RUNC_ROOT/$ID/state.json")" == 2 \
    "runc wrote the annotation as a label before its own bundle="
  # With --process (as every engine calls it): judged by the real bundle, no kube-system audit.
  process_file '["/bin/cat", "/proc/self/status"]'
  run -0 env CAPGUARD_RUNTIME="$(command -v runc)" "$WRAPPER" --root "$RUNC_ROOT" exec \
    --process "$BATS_TEST_TMPDIR/process.json" "$ID"
  assert "$(live Bnd)" == "CAP_KILL CAP_NET_BIND_SERVICE" "clamped: the decoy's namespace was not taken"
  assert "$(jq -r 'select(.stage == "exec") | .rule + " " + .decision' "$LOG" | tail -n 1)" == "default rewritten"
  # Without --process, runc itself would build the process from the decoy's config: refused.
  run_capguard 1 --policy "$CAPGUARD_POLICY" runtime --runtime "$(command -v runc)" -- --root "$RUNC_ROOT" exec "$ID" cat /proc/self/status
  assert_one_error_line "an annotation \`bundle\` shadows the container's bundle"
}

# podman as the other suites run it; `run` gets rlimits within this VM's (no CAP_SYS_RESOURCE).
# --runtime runc: with crun installed podman picks crun, which refuses this kernel's hybrid cgroups;
# the name `runc` is still looked up in the registration's [engine.runtimes].
pm ()
{
  local sub=$1
  shift
  podman --root "$BATS_FILE_TMPDIR/podman/storage" --runroot "$BATS_FILE_TMPDIR/podman/run" \
    --tmpdir "$BATS_FILE_TMPDIR/podman/tmp" --storage-driver vfs --cgroup-manager cgroupfs \
    --events-backend file --runtime runc "$sub" $([ "$sub" = run ] && echo --ulimit nofile=1024:1024 --ulimit nproc=1024:1024) "$@"
}

# The registration podman reads: only the files `capguard install podman` wrote under NODE (podman
# reads the one file CONTAINERS_CONF names), with the node's paths pointing at NODE.
PYTHON=$(command -v python3)

podman_installed ()
{
  require_tool podman
  local bin real
  real=$(realpath "$CAPGUARD")
  bin=$(dirname "$real")
  NODE=$BATS_TEST_TMPDIR/node
  mkdir -p "$NODE$bin"
  ln -sf "$real" "$NODE$real"
  # The node's runc, which podman finds at its usual place.
  mkdir -p "$NODE/usr/sbin" && ln -sf "$(command -v runc)" "$NODE/usr/sbin/runc"
  run_capguard 0 install podman --root "$NODE" --binary "$real"
  # podman reads the drop-in's paths on this machine: they point into NODE.
  sed -e "s|\"/etc/containers/capguard/hooks.d\"|\"$NODE/etc/containers/capguard/hooks.d\"|" \
    -e "s|\"$bin/capguard-runtime|\"$NODE$bin/capguard-runtime|" \
    "$NODE/etc/containers/containers.conf.d/zz-capguard.conf" > "$BATS_TEST_TMPDIR/containers.conf"
  export CONTAINERS_CONF=$BATS_TEST_TMPDIR/containers.conf
}

@test "podman exec, --privileged too, after capguard install podman: the exec'd process holds the ceiling" {
  podman_installed
  assert "$(cat "$CONTAINERS_CONF")" =~ "runc = \\[\"$NODE[^\"]*/capguard-runtime.d/usr/sbin/runc\"\\]"
  # podman gives the runtime no environment: the wrapper reads /etc/capguard/policy.json, else the
  # built-in policy, whose ceiling is the nine.
  [ ! -e /etc/capguard/policy.json ] || skip_or_fail "/etc/capguard/policy.json exists"
  run -0 pm run -d --net none --cap-add SYS_ADMIN --rootfs "$ROOTFS" /bin/sleep 600
  PODMAN_ID=$output
  run -0 pm exec "$PODMAN_ID" cat /proc/1/status
  assert "$(live Bnd)" == "$CRIO_NINE" "the container's init"
  run -0 pm exec "$PODMAN_ID" cat /proc/self/status
  assert "$(live Bnd)" == "$CRIO_NINE" "podman exec"
  run -0 pm exec --privileged "$PODMAN_ID" cat /proc/self/status
  assert "$(live Bnd)" == "$CRIO_NINE" "podman exec --privileged"
  assert "$(live Eff)" == "$CRIO_NINE" "podman exec --privileged"
  run -0 pm exec --privileged --user 0 "$PODMAN_ID" cat /proc/self/status
  assert "$(live Prm)" == "$CRIO_NINE" "podman exec --privileged --user 0"
}

@test "install podman over a podman that runs crun: crun, runc and every runtime name podman finds run behind capguard, under their own names" {
  NODE=$BATS_TEST_TMPDIR/node
  mkdir -p "$NODE/etc/containers" "$NODE/opt/capguard" "$NODE/usr/bin" "$NODE/usr/local/bin"
  cp "$CAPGUARD" "$NODE/opt/capguard/capguard"
  install -m 755 /dev/null "$NODE/usr/bin/crun"
  install -m 755 /dev/null "$NODE/usr/bin/runc"
  install -m 755 /dev/null "$NODE/usr/local/bin/vendor-oci"
  printf '[engine]\nruntime = "crun"\n[engine.runtimes]\nvendor = ["/usr/local/bin/vendor-oci"]\n' \
    > "$NODE/etc/containers/containers.conf"
  run_capguard 0 install podman --root "$NODE" --binary /opt/capguard/capguard
  assert "$output" =~ "covered:   runtime \`crun\` \\(runs /usr/bin/crun behind capguard\\)"
  assert "$output" =~ "covered:   runtime \`runc\` \\(runs /usr/bin/runc behind capguard\\)"
  assert "$output" =~ "covered:   runtime \`vendor\` \\(runs /usr/local/bin/vendor-oci behind capguard\\)"
  run "$PYTHON" -c 'import sys, tomllib; e = tomllib.load(open(sys.argv[1], "rb"))["engine"]; print(e.get("runtime"), e["runtimes"]["crun"], e["runtimes"]["vendor"])' \
    "$NODE/etc/containers/containers.conf.d/zz-capguard.conf"
  assert "$output" == "None ['/opt/capguard/capguard-runtime.d/usr/bin/crun'] ['/opt/capguard/capguard-runtime.d/usr/local/bin/vendor-oci']" \
    "engine.runtime stays the node's; each name runs the wrapper for its own binary"
  run_capguard 0 status --root "$NODE" --json podman
  assert "$(jq -r '.engines[0].paths[] | select(.path | startswith("runtime `crun`")) | .state' <<<"$output")" == covered
  run_capguard 0 uninstall podman --root "$NODE" --binary /opt/capguard/capguard
  [ ! -e "$NODE/etc/containers/containers.conf.d/zz-capguard.conf" ]
}

@test "identity the caller sets is not vouched for: podman --annotation io.kubernetes...=kube-system is clamped, under precreate and the wrapper" {
  podman_installed
  [ ! -e /etc/capguard/policy.json ] || skip_or_fail "/etc/capguard/policy.json exists"
  for ann in io.kubernetes.pod.namespace=kube-system io.kubernetes.cri.sandbox-namespace=kube-system; do
    run -0 pm run --rm --net none --annotation "$ann" --annotation io.kubernetes.cri.container-type=container \
      --cap-add SYS_ADMIN --rootfs "$ROOTFS" /bin/cat /proc/self/status
    assert "$(live Bnd)" == "$CRIO_NINE" "$ann (through the installed precreate hook and wrapper)"
    run -0 pm run --rm --net none --privileged --annotation "$ann" --rootfs "$ROOTFS" /bin/cat /proc/self/status
    assert "$(live Bnd)" == "$CRIO_NINE" "$ann, --privileged"
  done
  # Through the wrapper alone (no precreate hook): the same.
  unset CONTAINERS_CONF
  run -0 podman --root "$BATS_FILE_TMPDIR/podman/storage" --runroot "$BATS_FILE_TMPDIR/podman/run" \
    --tmpdir "$BATS_FILE_TMPDIR/podman/tmp" --storage-driver vfs --cgroup-manager cgroupfs \
    --events-backend file --runtime "$WRAPPER" run --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --rm --net none --annotation io.kubernetes.pod.namespace=kube-system \
    --cap-add SYS_ADMIN --rootfs "$ROOTFS" /bin/cat /proc/self/status
  assert "$(live Bnd)" == "$CRIO_NINE" "the wrapper"
}

# The stand-in runtime for restore: `restore` starts a process holding the bounding set FAKE_CAPS
# (setpriv, as root: it then holds that set in permitted and effective too) and, without --detach,
# waits for it as runc does; `state` answers like runc from the pid file.
fake_restore_runtime ()
{
  FAKE=$BATS_TEST_TMPDIR/fake
  mkdir -p "$FAKE"
  BUNDLE=$BATS_TEST_TMPDIR/bundle
  mkdir -p "$BUNDLE"
  cp "$FIXTURES/bundles/containerd-ctr-default/config.json" "$BUNDLE/config.json"
  cat > "$FAKE/runtime" <<EOS
#!/bin/sh
for a; do id=\$a; done
case " \$* " in
  *" state "*)
    pid=\$(cat "$FAKE/pid" 2>/dev/null)
    if [ -n "\$pid" ] && kill -0 "\$pid" 2>/dev/null; then st=running; else st=stopped; pid=0; fi
    printf '{"ociVersion":"1.0.2","id":"%s","pid":%s,"status":"%s","bundle":"%s"}' "\$id" "\$pid" "\$st" "$BUNDLE"
    exit 0 ;;
  *" restore "*)
    echo restored >> "$FAKE/calls"
    # The pid is written once the process holds its final sets, as runc reports it running only
    # after CRIU has restored it.
    setpriv --bounding-set -all,\$FAKE_CAPS --inh-caps -all sh -c 'echo \$\$ > "$FAKE/pid.new" && mv "$FAKE/pid.new" "$FAKE/pid" && exec sleep 600' </dev/null >/dev/null 2>&1 &
    while [ ! -s "$FAKE/pid" ]; do sleep 0.01; done
    case " \$* " in *" --detach "*|*" -d "*) exit 0 ;; esac
    wait \$!
    exit \$? ;;
esac
exit 0
EOS
  chmod 755 "$FAKE/runtime"
  export CAPGUARD_RUNTIME=$FAKE/runtime
}

@test "restore (stand-in runtime): the config is rewritten and logged, and a restored process within the policy runs" {
  fake_restore_runtime
  export FAKE_CAPS=+kill,+chown
  run -0 --separate-stderr "$WRAPPER" restore --detach --image-path /nonexistent/image --bundle "$BUNDLE" "$ID"
  assert "$(caps "$BUNDLE/config.json" bounding)" == "$CRIO_NINE" "config.json clamped like create"
  kill -0 "$(cat "$FAKE/pid")"
  run capsh --decode="$(awk '/^CapEff/ {print $2}' "/proc/$(cat "$FAKE/pid")/status")"
  assert "$output" =~ "cap_chown,cap_kill"
  assert "$(jq -r '.stage + " " + .decision' "$LOG" | paste -sd,)" == "restore rewritten,restored allowed"
}

@test "restore (stand-in runtime): a restored process beyond the policy (the checkpoint's own credentials) is killed and the restore fails" {
  fake_restore_runtime
  export FAKE_CAPS=+kill,+sys_admin
  run -1 --separate-stderr "$WRAPPER" restore -d --bundle "$BUNDLE" "$ID"
  assert "$stderr" =~ "container $ID: refused by $CAPGUARD_POLICY \\(top level, action rewrite\\): bounding holds CAP_SYS_ADMIN, beyond capabilities.allow"
  pid=$(cat "$FAKE/pid")
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  run ! kill -0 "$pid"
  assert "$(jq -r 'select(.stage == "restored") | .decision + " " + (.reasons | join(";"))' "$LOG")" =~ "^refused .*the restored process holds the credentials saved in its checkpoint.*killed the restored process"
  # In the foreground (no --detach) the runtime waits for the process: killing it ends the restore.
  run -1 --separate-stderr timeout 20 "$WRAPPER" restore --bundle "$BUNDLE" "$ID"
  assert "$stderr" =~ "bounding holds CAP_SYS_ADMIN"
}

@test "restore fails closed on a broken policy: the runtime never runs" {
  fake_restore_runtime
  echo '{"version": 1,' > "$CAPGUARD_POLICY"
  run -2 --separate-stderr "$WRAPPER" restore -d --bundle "$BUNDLE" "$ID"
  [ ! -e "$FAKE/calls" ]
  # state, kill and delete still pass through, so the engine can clean up.
  run -0 "$WRAPPER" state "$ID"
}

@test "exec reads runc's own state.json (no \`runc state\` per exec), and asks runc when that file cannot be trusted" {
  plain_runc_container
  # A runtime that is runc, except that `state` fails and leaves a mark.
  cat > "$BATS_TEST_TMPDIR/runc-nostate" <<EOS
#!/bin/sh
for a; do [ "\$a" = state ] && { touch "$BATS_TEST_TMPDIR/state-called"; exit 1; }; done
exec runc "\$@"
EOS
  chmod 755 "$BATS_TEST_TMPDIR/runc-nostate"
  run -0 env CAPGUARD_RUNTIME="$BATS_TEST_TMPDIR/runc-nostate" "$WRAPPER" --root "$RUNC_ROOT" exec "$ID" cat /proc/self/status
  assert "$(live Bnd)" == "CAP_KILL CAP_NET_BIND_SERVICE"
  [ ! -e "$BATS_TEST_TMPDIR/state-called" ]
  # A root directory others can write to is not runc's as runc makes it: the runtime is asked.
  chmod 0777 "$RUNC_ROOT"
  run -3 --separate-stderr env CAPGUARD_RUNTIME="$BATS_TEST_TMPDIR/runc-nostate" "$WRAPPER" --root "$RUNC_ROOT" exec "$ID" /bin/true
  [ -e "$BATS_TEST_TMPDIR/state-called" ]
  assert "$stderr" =~ "state $ID\` failed"
  chmod 0700 "$RUNC_ROOT"
}
