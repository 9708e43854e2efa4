#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# crun (Debian's 1.8.1) behind the runtime wrapper, through the wrapper link install makes for it
# (capguard-runtime.d/usr/bin/crun): create, run, exec with and without --process, --cap, crun's
# own --config; and podman running crun, registered with `capguard install podman`.  crun keeps its
# own copy of each container's config and builds an exec without --process from it, not from the
# bundle.  crun refuses this kernel's hybrid cgroups unless it runs in a private mount namespace
# without /sys/fs/cgroup/unified: every crun and podman here runs in one (`ns`).

load helpers
bats_require_minimum_version 1.5.0

setup_file ()
{
  export T=$BATS_FILE_TMPDIR/crun
  export CAPGUARD_POLICY=$T/policy/policy.json LOG=$T/decisions.log
  local missing=""
  command -v crun >/dev/null || missing="crun is not installed"
  command -v unshare >/dev/null || missing="unshare (util-linux) is not installed"
  command -v capsh >/dev/null || missing="capsh (libcap2-bin) is not installed"
  [ "$(id -u)" = 0 ] || missing="crun with cgroups needs root"
  printf "%s" "$missing" > "$BATS_FILE_TMPDIR/missing"
  [ -z "$missing" ] || return 0
  mkdir -p "$T/policy" "$T/libexec/capguard-runtime.d/usr/bin"
  chmod 755 "$T/policy"
  jq --arg log "$LOG" '.log.file = $log | .log.syslog = false' "$SRCDIR/policy/default.json" > "$CAPGUARD_POLICY"
  # The links install makes: capguard beside them, the wrapper for /usr/bin/crun.
  ln -s "$(realpath "$CAPGUARD")" "$T/libexec/capguard"
  ln -s ../../../capguard "$T/libexec/capguard-runtime.d/usr/bin/crun"
  export WRAP=$T/libexec/capguard-runtime.d/usr/bin/crun
  # crun spec's three, plus the three the bundle adds, within the policy's nine: what the rewrite keeps.
  export KEPT="CAP_CHOWN CAP_KILL CAP_NET_BIND_SERVICE"
  bash "$SRCDIR/tests/rootfs.sh" "$T/rootfs"
  # A bundle whose process asks for SYS_ADMIN and NET_ADMIN beyond the policy's nine.
  (cd "$T" && crun spec && mv config.json spec.json)
  jq --arg root "$T/rootfs" '.root = {path: $root, readonly: true} | .process.terminal = false
      | .process.capabilities |= with_entries(.value += ["CAP_SYS_ADMIN", "CAP_NET_ADMIN", "CAP_CHOWN"])
      | .process.args = ["sleep", "600"] | del(.linux.cgroupsPath)' "$T/spec.json" > "$T/config.template"
}

teardown_file ()
{
  local c
  [ -d "${T:-/nonexistent}/crun" ] || return 0
  for c in $(ls "$T/crun" 2>/dev/null); do ns crun --root "$T/crun" delete -f "$c" >/dev/null 2>&1 || true; done
}

setup ()
{
  skip_if_missing "$BATS_FILE_TMPDIR/missing"
  : > "$LOG"
}

ns () { unshare -m --propagation private sh -c 'umount /sys/fs/cgroup/unified 2>/dev/null; exec "$@"' sh "$@"; }
# crun through capguard, and crun alone.
cg () { ns "$WRAP" --root "$T/crun" "$@"; }
plain () { ns crun --root "$T/crun" "$@"; }

# bundle NAME [JQ]: a bundle of its own, from the template.
bundle ()
{
  mkdir -p "$T/b/$1"
  jq "${2:-.}" "$T/config.template" > "$T/b/$1/config.json"
  echo "$T/b/$1"
}

@test "crun run through the wrapper: the kernel holds only what the policy allows" {
  local b
  b=$(bundle run '.process.args = ["cat", "/proc/self/status"]')
  run -0 cg run -b "$b" run1
  assert "$(live Bnd)" == "$KEPT"
  assert "$(live Eff)" == "$KEPT"
  assert "$(jq -r '.stage + " " + .decision' "$LOG")" == "run rewritten"
  # crun's own copy of the config, which it keeps for exec, is the clamped one.
  run -0 cg run -b "$b" -d run2
  assert "$(jq -r '.process.capabilities.bounding | length' "$T/crun/run2/config.json")" == 3
  plain delete -f run2
}

@test "exec without --process into a container crun made without capguard: crun's own copy is clamped, and so is the process" {
  local b
  b=$(bundle c1)
  plain run -d -b "$b" c1
  run -0 plain exec c1 cat /proc/self/status
  assert "$(live Bnd)" =~ CAP_SYS_ADMIN "control: crun alone gives what the config asks"
  run -0 cg exec c1 cat /proc/self/status
  assert "$(live Bnd)" == "$KEPT" "through capguard"
  assert "$(live Prm)" == "$KEPT"
  assert "$(jq -r '.stage + " " + .decision' "$LOG")" == "exec rewritten"
  assert "$(jq -r '.process.capabilities.bounding | sort | join(" ")' "$T/crun/c1/config.json")" == "$KEPT"
  plain delete -f c1
}

@test "exec --process: a file without capabilities gets crun's copy's, clamped; a file asking for more is clamped" {
  local b
  b=$(bundle c2)
  plain run -d -b "$b" c2
  jq '.process | del(.capabilities) | .args = ["cat", "/proc/self/status"]' "$b/config.json" > "$T/p1.json"
  run -0 cg exec --process "$T/p1.json" c2
  assert "$(live Bnd)" == "$KEPT" "no capabilities in the file"
  jq '.process | .args = ["cat", "/proc/self/status"] | .capabilities |= with_entries(.value += ["CAP_SYS_MODULE"])' \
    "$b/config.json" > "$T/p2.json"
  run -0 cg exec --process "$T/p2.json" c2
  assert "$(live Bnd)" == "$KEPT" "more than the policy in the file"
  plain delete -f c2
}

@test "exec --cap: crun makes the flags the whole set; one beyond the policy is dropped, and with none left crun's clamped copy applies" {
  local b
  b=$(bundle c3)
  plain run -d -b "$b" c3
  run -0 cg exec --cap CAP_KILL c3 cat /proc/self/status
  assert "$(live Bnd)" == "CAP_KILL" "crun replaces the sets with the flags"
  run -0 cg exec --cap CAP_KILL --cap CAP_SYS_ADMIN c3 cat /proc/self/status
  assert "$(live Bnd)" == "CAP_KILL" "SYS_ADMIN dropped from the command line"
  run -0 cg exec --cap CAP_SYS_ADMIN c3 cat /proc/self/status
  assert "$(live Bnd)" == "$KEPT" "no flag left: crun's copy, clamped"
  plain delete -f c3
}

@test "crun --config FILE: the file crun applies is the one rewritten" {
  local b
  b=$(bundle c4 '.process.args = ["cat", "/proc/self/status"]')
  mv "$b/config.json" "$b/other.json"
  run -0 cg run -b "$b" -f "$b/other.json" c4
  assert "$(live Bnd)" == "$KEPT"
  assert "$(jq -r '.process.capabilities.bounding | length' "$b/other.json")" == 3
}

# podman as install podman registers it: only the files it wrote under NODE, with the node's paths
# pointing at NODE (podman reads the one file CONTAINERS_CONF names).
pm ()
{
  local sub=$1
  shift
  ns env CONTAINERS_CONF="$T/containers.conf" podman --root "$T/podman/storage" \
    --runroot "$T/podman/run" --tmpdir "$T/podman/tmp" --storage-driver vfs --cgroup-manager cgroupfs \
    --events-backend file "$sub" $([ "$sub" = run ] && echo --ulimit nofile=1024:1024 --ulimit nproc=1024:1024) "$@"
}

@test "podman running crun, registered with capguard install podman: run and exec (--privileged too) hold the nine, and crun runs them" {
  require_tool podman
  # podman gives the runtime no environment: the wrapper reads /etc/capguard/policy.json, else the
  # built-in policy, whose ceiling is the nine.
  [ ! -e /etc/capguard/policy.json ] || skip_or_fail "/etc/capguard/policy.json exists"
  local node=$T/node real bin
  real=$(realpath "$CAPGUARD")
  bin=$(dirname "$real")
  mkdir -p "$node$bin" "$node/usr/bin" "$node/etc/containers"
  ln -sf "$real" "$node$real"
  ln -sf /usr/bin/crun "$node/usr/bin/crun"
  printf '[engine]\nruntime = "crun"\n' > "$node/etc/containers/containers.conf"
  run_capguard 0 install podman --root "$node" --binary "$real"
  assert "$output" =~ "covered:   runtime \`crun\`, the default|covered:   runtime \`crun\` \\(runs /usr/bin/crun behind capguard\\)"
  sed -e "s|\"/etc/containers/capguard/hooks.d\"|\"$node/etc/containers/capguard/hooks.d\"|" \
    -e "s|\"$bin/capguard-runtime|\"$node$bin/capguard-runtime|" \
    "$node/etc/containers/containers.conf.d/zz-capguard.conf" > "$T/containers.conf"
  run -0 pm info --format '{{.Host.OCIRuntime.Name}} {{.Host.OCIRuntime.Path}}'
  assert "$output" == "crun $node$bin/capguard-runtime.d/usr/bin/crun" "podman's own view: crun, through capguard"
  run -0 pm run --rm --net none --cap-add SYS_ADMIN --rootfs "$T/rootfs" cat /proc/self/status
  assert "$(live Bnd)" == "$CRIO_NINE" "podman run"
  run -0 pm run -d --net none --cap-add SYS_ADMIN --rootfs "$T/rootfs" sleep 600
  local id=$output
  run -0 pm exec "$id" cat /proc/self/status
  assert "$(live Bnd)" == "$CRIO_NINE" "podman exec"
  run -0 pm exec --privileged "$id" cat /proc/self/status
  assert "$(live Bnd)" == "$CRIO_NINE" "podman exec --privileged"
  pm rm -f -t 0 "$id" >/dev/null
}
