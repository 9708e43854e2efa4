#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# Debian's dockerd, started here with its own data-root, exec-root, pidfile and socket (no iptables,
# no bridge) and stopped by its pid, registered with `capguard install docker` as README tells an
# operator.  Every check reads the sets the kernel gave, inside the container.

load helpers
load cri-helpers
bats_require_minimum_version 1.5.0

DOCKER=/usr/bin/docker

setup_file ()
{
  export DK=$BATS_FILE_TMPDIR/docker
  export NODE=$DK/node
  export DECISIONS=$DK/decisions.log
  export CAPGUARD_POLICY=$DK/policy/policy.json
  local missing="" bin rootfs
  command -v dockerd >/dev/null && [ -x "$DOCKER" ] || missing="dockerd and docker (docker.io) are not installed"
  command -v capsh >/dev/null || missing="capsh (libcap2-bin) is not installed"
  [ "$(id -u)" = 0 ] || missing="dockerd needs root"
  printf %s "$missing" > "$BATS_FILE_TMPDIR/missing"
  [ -z "$missing" ] || return 0

  bin=$(cd "$(dirname "$CAPGUARD")" && pwd)
  rootfs=$BATS_FILE_TMPDIR/rootfs
  bash "$SRCDIR/tests/rootfs.sh" "$rootfs"
  cp "$ICMP_ECHO" "$rootfs/bin/icmp-echo"
  mkdir -p "$(dirname "$CAPGUARD_POLICY")" "$NODE/etc/docker" "$NODE$bin"
  chmod 755 "$(dirname "$CAPGUARD_POLICY")"
  jq --arg log "$DECISIONS" '.log.file = $log | .log.syslog = false' "$SRCDIR/policy/default.json" \
    > "$CAPGUARD_POLICY"
  cp "$CAPGUARD_POLICY" "$DK/policy.default"
  # The operator's own settings, which the registration must keep, and a GPU runtime as NVIDIA's
  # toolkit registers it, its path a stand-in that records how it is called and runs runc.
  mkdir -p "$DK/bin"
  printf '#!/bin/sh\necho "$*" >> %s/nvidia-argv\nexec runc "$@"\n' "$DK" > "$DK/bin/nvidia-container-runtime"
  chmod 755 "$DK/bin/nvidia-container-runtime"
  printf '{\n    "storage-driver": "vfs",\n    "log-level": "warn",\n    "runtimes": {\n        "nvidia": {\n            "args": [],\n            "path": "%s/bin/nvidia-container-runtime"\n        }\n    }\n}\n' \
    "$DK" > "$NODE/etc/docker/daemon.json"
  cp "$NODE/etc/docker/daemon.json" "$DK/daemon.json.orig"
  ln -sf "$bin/capguard" "$NODE$bin/capguard"
  "$CAPGUARD" install docker --root "$NODE" --binary "$bin/capguard" > "$DK/install.out"
  # The wrappers install made beside the binary under NODE, seen where the host runs them.
  ln -sfn "$NODE$bin/capguard-runtime.d" "$bin/capguard-runtime.d"

  # dockerd passes its environment to its containerd, the shim and so the wrapper: CAPGUARD_POLICY.
  dockerd --config-file "$NODE/etc/docker/daemon.json" --data-root "$DK/data" --exec-root "$DK/exec" \
    --pidfile "$DK/dockerd.pid" -H "unix://$DK/sock" --iptables=false --bridge=none \
    > "$DK/dockerd.log" 2>&1 3>&- &
  echo $! > "$DK/pid"
  for _ in $(seq 300); do
    "$DOCKER" -H "unix://$DK/sock" version >/dev/null 2>&1 && break
    sleep 0.1
  done
  tar -C "$rootfs" -c . | "$DOCKER" -H "unix://$DK/sock" import - "$IMAGE" >/dev/null
}

teardown_file ()
{
  [ -f "${DK:-/nonexistent}/pid" ] || return 0
  local c
  for c in $(dk ps -aq 2>/dev/null); do dk rm -f "$c" >/dev/null 2>&1 || true; done
  stop_pid_file "$DK/pid"
  unmount_under "$DK"
  local bin
  bin=$(cd "$(dirname "$CAPGUARD")" && pwd)
  [ ! -L "$bin/capguard-runtime.d" ] || rm "$bin/capguard-runtime.d"
}

setup ()
{
  skip_if_missing "$BATS_FILE_TMPDIR/missing"
  dk version >/dev/null || { tail -20 "$DK/dockerd.log"; echo "dockerd did not start"; return 1; }
  cp "$DK/policy.default" "$CAPGUARD_POLICY"
}

teardown ()
{
  local c
  for c in $(dk ps -aq 2>/dev/null); do dk rm -f "$c" >/dev/null 2>&1 || true; done
}

dk () { "$DOCKER" -H "unix://$DK/sock" "$@"; }

use_policy ()
{
  jq "$1" "$DK/policy.default" > "$CAPGUARD_POLICY.tmp"
  mv "$CAPGUARD_POLICY.tmp" "$CAPGUARD_POLICY"
}

check_nine ()
{
  local what=$1 s
  for s in Bnd Eff Prm; do
    assert "$(live $s)" == "$CRIO_NINE" "$what Cap$s"
  done
  assert "$(live Inh)" == "" "$what CapInh"
  assert "$(live Amb)" == "" "$what CapAmb"
}

# The config.json the runtime ran for container ID.
task_config () { echo "$DK/exec/containerd/daemon/io.containerd.runtime.v2.task/moby/$1/config.json"; }

@test "install docker keeps the operator's daemon.json settings, puts the NVIDIA runtime behind capguard and makes the wrapper the default" {
  cat "$DK/install.out"
  local bin
  bin=$(cd "$(dirname "$CAPGUARD")" && pwd)
  assert "$(jq -c . "$NODE/etc/docker/daemon.json")" == \
    "{\"storage-driver\":\"vfs\",\"log-level\":\"warn\",\"runtimes\":{\"nvidia\":{\"args\":[],\"path\":\"$bin/capguard-runtime.d$DK/bin/nvidia-container-runtime\"},\"capguard\":{\"path\":\"$bin/capguard-runtime\"}},\"default-runtime\":\"capguard\"}"
  cmp "$DK/daemon.json.orig" "$NODE/etc/docker/daemon.json.capguard-backup"
  run -0 dk info --format '{{.DefaultRuntime}} {{.Driver}}'
  assert "$output" == "capguard vfs" "dockerd's own view"
}

@test "docker run: the container holds the policy's nine, not Docker's 14" {
  run -0 dk run --rm "$IMAGE" cat /proc/self/status
  check_nine "docker run"
  assert "$(jq -r 'select(.stage == "create") | .decision' "$DECISIONS" | tail -n 1)" == rewritten
}

@test "docker run --cap-add SYS_ADMIN and --privileged are clamped" {
  run -0 dk run --rm --cap-add SYS_ADMIN "$IMAGE" cat /proc/self/status
  check_nine "--cap-add SYS_ADMIN"
  run -0 dk run --rm --privileged "$IMAGE" cat /proc/self/status
  check_nine "--privileged"
}

@test "docker exec and docker exec --privileged run with the ceiling" {
  run -0 dk run -d --name ex --cap-add SYS_ADMIN "$IMAGE" sleep 600
  run -0 dk exec ex cat /proc/self/status
  check_nine "docker exec"
  run -0 dk exec --privileged ex cat /proc/self/status
  check_nine "docker exec --privileged"
  run -0 dk exec ex cat /proc/1/status
  check_nine "the container's init"
}

@test "pingGroupRange auto: --network host starts without the sysctl; a container of its own pings" {
  use_policy '.pingGroupRange = "auto"'
  run -0 dk run -d --name hostnet --network host "$IMAGE" sleep 600
  jq -e '(.linux.sysctl // {}) | has("net.ipv4.ping_group_range") | not' "$(task_config "$(dk inspect -f '{{.Id}}' hostnet)")"
  run -0 dk exec hostnet cat /proc/1/status
  check_nine "host-network container"
  run -0 dk run --rm "$IMAGE" /bin/icmp-echo
  assert "$output" == reply "an ICMP echo without CAP_NET_RAW in a network namespace of its own"
}

@test "enforce: docker shows capguard's reason and the container does not run" {
  use_policy '.action = "enforce"'
  run -125 --separate-stderr dk run --rm --cap-add SYS_ADMIN "$IMAGE" true
  echo "# $stderr"
  assert "$stderr" =~ "refused by $CAPGUARD_POLICY \\(top level, action enforce\\): bounding holds .*CAP_SYS_ADMIN"
  assert "$(jq -r 'select(.stage == "create") | .decision' "$DECISIONS" | tail -n 1)" == refused
}

@test "privileged: refuse: docker run --privileged is refused with the reason; a plain container runs" {
  use_policy '.privileged = "refuse"'
  run -125 --separate-stderr dk run --rm --privileged "$IMAGE" true
  assert "$stderr" =~ "privileged: the device cgroup gives every character device; .*refused by privileged: refuse"
  # Its --security-opt variants change which signs show, not whether one does.
  for opt in systempaths=unconfined apparmor=unconfined seccomp=unconfined; do
    run -125 --separate-stderr dk run --rm --privileged --security-opt "$opt" "$IMAGE" true
    assert "$stderr" =~ "privileged: the device cgroup gives every character device; .*refused by privileged: refuse" "$opt"
  done
  # A device of its own and SYS_ADMIN are no sign.
  run -0 dk run --rm --cap-add SYS_ADMIN --device /dev/null:/dev/xnull "$IMAGE" true
  run -0 dk run --rm "$IMAGE" cat /proc/self/status
  check_nine "plain"
}

@test "docker run --runtime nvidia: the NVIDIA runtime still runs, behind capguard, for run and exec" {
  : > "$DK/nvidia-argv"
  run -0 dk run --rm --runtime nvidia --cap-add SYS_ADMIN "$IMAGE" cat /proc/self/status
  check_nine "--runtime nvidia"
  run -0 dk run -d --runtime nvidia "$IMAGE" sleep 300
  local c=$output
  run -0 dk exec --privileged "$c" cat /proc/self/status
  check_nine "docker exec --privileged, nvidia"
  dk rm -f "$c" >/dev/null
  run -0 cat "$DK/nvidia-argv"
  assert "$output" =~ "create --bundle" "the NVIDIA runtime created the containers"
  assert "$output" =~ "exec --process" "and ran the exec"
}

@test "docker run --runtime runc bypasses the wrapper (Docker reserves the name): install says so" {
  assert "$(cat "$DK/install.out")" =~ "not covered: \`docker run --runtime runc\`"
  run -0 dk run --rm --runtime runc "$IMAGE" cat /proc/self/status
  assert "$(live Bnd)" =~ CAP_NET_RAW "bare runc: Docker's defaults, unclamped"
}

@test "status on this node: Docker's default runtime covered, --runtime runc residual; report on its decision log" {
  run_capguard 0 status --root "$NODE" --json
  assert "$(jq -r '.engines[] | select(.engine == "docker") | .paths[] | .state' <<<"$output" | paste -sd' ')" == "covered covered residual residual"
  run_capguard 0 report "$DECISIONS"
  assert "${lines[0]}" =~ "^[0-9]+ decisions"
  assert "$output" =~ "CAP_NET_RAW"
}

@test "install docker over another default runtime chains it: nvidia stays the default, behind capguard; uninstall gives back the file byte for byte" {
  local bin n2=$BATS_TEST_TMPDIR/n2
  bin=$(cd "$(dirname "$CAPGUARD")" && pwd)
  mkdir -p "$n2/etc/docker" "$n2$bin"
  ln -sf "$bin/capguard" "$n2$bin/capguard"
  printf '{"default-runtime": "nvidia", "runtimes": {"nvidia": {"path": "/usr/bin/nvidia-container-runtime", "args": []}}}\n' \
    > "$n2/etc/docker/daemon.json"
  cp "$n2/etc/docker/daemon.json" "$BATS_TEST_TMPDIR/before"
  run_capguard 0 install docker --root "$n2" --binary "$bin/capguard"
  assert "$output" =~ "covered:   Docker runtime \`nvidia\` \\(runs /usr/bin/nvidia-container-runtime behind capguard\\)"
  assert "$(jq -c . "$n2/etc/docker/daemon.json")" == "{\"default-runtime\":\"nvidia\",\"runtimes\":{\"nvidia\":{\"path\":\"$bin/capguard-runtime.d/usr/bin/nvidia-container-runtime\",\"args\":[]}}}"
  assert "$(readlink "$n2$bin/capguard-runtime.d/usr/bin/nvidia-container-runtime")" == ../../../capguard
  run_capguard 0 uninstall docker --root "$n2"
  cmp "$BATS_TEST_TMPDIR/before" "$n2/etc/docker/daemon.json"
  [ ! -e "$n2/etc/docker/daemon.json.capguard-backup" ]

  printf '{ "default-runtime": "runc",\n  "debug": true }\n' > "$n2/etc/docker/daemon.json"
  cp "$n2/etc/docker/daemon.json" "$BATS_TEST_TMPDIR/before"
  run_capguard 0 install docker --root "$n2" --binary "$bin/capguard"
  assert "$(jq -r '."default-runtime"' "$n2/etc/docker/daemon.json")" == capguard
  run_capguard 0 uninstall docker --root "$n2"
  cmp "$BATS_TEST_TMPDIR/before" "$n2/etc/docker/daemon.json"
  [ ! -e "$n2/etc/docker/daemon.json.capguard-backup" ]
  # A file install never touched: uninstall leaves it, and asks for no restart.
  printf '{"debug":true}' > "$n2/etc/docker/daemon.json"
  run_capguard 0 uninstall docker --root "$n2"
  assert "$output" == "nothing changed: no restart needed"
  assert "$(cat "$n2/etc/docker/daemon.json")" == '{"debug":true}'
}
