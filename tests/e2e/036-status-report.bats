#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# capguard status on the engines' configuration files as `capguard install` leaves them (covered),
# changed by hand afterwards (half covered), with the binary gone, and after uninstall; capguard
# report on decision logs.  The real engines' own status and logs are checked in 032 (containerd's
# CRI plugin) and 033 (dockerd).

load helpers
bats_require_minimum_version 1.5.0

setup ()
{
  ROOT=$BATS_TEST_TMPDIR/root
  BIN=/opt/capguard/capguard
  mkdir -p "$ROOT/opt/capguard"
  cp "$CAPGUARD" "$ROOT$BIN"
  POLICY=$(policy_file "$SRCDIR/policy/default.json")
}

inst () { run_capguard 0 --policy "$POLICY" "$1" "$2" --root "$ROOT" --binary "$BIN"; }

# status_json RC: capguard status --root ROOT --json, its exit code checked; the document in $output.
status_json ()
{
  run_capguard "$1" --policy "$POLICY" status --root "$ROOT" --json
  jq -e . <<<"$output" >/dev/null
}

# path_state ENGINE PATH-PREFIX: the state of that engine's path.
path_state ()
{
  jq -r --arg e "$1" --arg p "$2" '.engines[] | select(.engine == $e) | .paths[]
    | select(.path | startswith($p)) | .state' <<<"$output"
}

@test "status: containerd installed is covered, handler by handler; a handler added later, a missing binary and an uninstall are gaps" {
  require_tool containerd
  mkdir -p "$ROOT/etc/containerd"
  printf 'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]\n  runtime_type = "io.containerd.runc.v2"\n' \
    > "$ROOT/etc/containerd/config.toml"
  status_json 1
  assert "$(path_state containerd 'CRI handler `runc`')" == gap "before install"
  inst install containerd
  status_json 0
  assert "$(jq -r '.engines | map(.engine) | join(" ")' <<<"$output")" == containerd "only the engine under the root"
  assert "$(jq -r '.engines[0].config' <<<"$output")" =~ "^containerd config dump"
  assert "$(path_state containerd 'CRI handler `runc`')" == covered
  assert "$(path_state containerd '`ctr run`')" == residual
  assert "$(jq -r '[.gaps, .covered] | join(" ")' <<<"$output")" == "0 true"
  # Half covered: a handler added after install.
  printf '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.late]\n  runtime_type = "io.containerd.runc.v2"\n' \
    >> "$ROOT/etc/containerd/config.toml"
  status_json 1
  assert "$(path_state containerd 'CRI handler `late`')" == gap
  assert "$(jq -r '.engines[0].paths[] | select(.path | startswith("CRI handler `late`")) | .fix' <<<"$output")" == "capguard install containerd"
  inst install containerd
  status_json 0
  # The binary gone: the wrapper the config names no longer runs.
  mv "$ROOT$BIN" "$ROOT$BIN.gone"
  status_json 1
  assert "$(jq -r '.engines[0].paths[0].detail' <<<"$output")" =~ "capguard-runtime\): (missing|not a capguard that runs)"
  mv "$ROOT$BIN.gone" "$ROOT$BIN"
  inst uninstall containerd
  status_json 1
  assert "$(path_state containerd 'CRI handler `runc`')" == gap "after uninstall"
  # The human form: a line per path, the fix under each gap, the verdict last.
  run_capguard 1 --policy "$POLICY" status --root "$ROOT"
  assert "$output" =~ "GAP       CRI handler \`runc\`, the default \\(create, exec, restore\\): runs \`runc\` itself, not through capguard's wrapper"
  assert "$output" =~ "fix: capguard install containerd"
  assert "${lines[-1]}" == "NOT PROTECTED: close the gaps above"
}

@test "status --config: containerd's and Docker's files where install --config put them (k3s, RKE2); bad arguments are usage errors" {
  local k3s=/var/lib/rancher/k3s/agent/etc/containerd/config.toml
  mkdir -p "$ROOT$(dirname "$k3s")" "$ROOT/etc/dockerd"
  printf 'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]\n  runtime_type = "io.containerd.runc.v2"\n' \
    > "$ROOT$k3s"
  echo '{}' > "$ROOT/etc/dockerd/daemon.json"
  run_capguard 0 --policy "$POLICY" install containerd --root "$ROOT" --binary "$BIN" --config "$k3s"
  run_capguard 0 --policy "$POLICY" install docker --root "$ROOT" --binary "$BIN" --config /etc/dockerd/daemon.json
  # The default files are not there: without --config, status sees nothing installed.
  run_capguard 1 --policy "$POLICY" status --root "$ROOT" --json
  run_capguard 0 --policy "$POLICY" status --root "$ROOT" --json \
    --config "containerd=$k3s" --config docker=/etc/dockerd/daemon.json
  assert "$(path_state containerd 'CRI handler `runc`')" == covered
  assert "$(jq -r '.engines[] | select(.engine == "containerd") | .config' <<<"$output")" =~ "$k3s\$"
  assert "$(path_state docker 'Docker runtime `capguard`, the default')" == covered
  # A gap's fix names the same file.
  run_capguard 0 --policy "$POLICY" uninstall containerd --root "$ROOT" --config "$k3s"
  run_capguard 1 --policy "$POLICY" status --root "$ROOT" --json --config "containerd=$k3s"
  assert "$(jq -r '.engines[] | select(.engine == "containerd") | .paths[0].fix' <<<"$output")" == "capguard install containerd --config $k3s"
  for bad in crio=/etc/crio/crio.conf containerd=relative containerd containerd= =/x; do
    run_capguard 2 status --root "$ROOT" --config "$bad"
    assert "$output" == "" "nothing on stdout"
    assert_one_error_line "^capguard: status --config \`$bad\`: want containerd=FILE or docker=FILE, FILE an absolute path\$"
  done
  run_capguard 2 status --root relative
  assert_one_error_line "^capguard: status --root \`relative\` is not an absolute path\$"
}

@test "status: a config.toml written after the running containerd started is not in force until it restarts" {
  mkdir -p "$ROOT/etc/containerd"
  sock=$BATS_TEST_TMPDIR/containerd.sock
  printf 'version = 2\n[grpc]\n  address = "%s"\n' "$sock" > "$ROOT/etc/containerd/config.toml"
  # A daemon creates its socket when it starts (the socket is made under the root, where status looks).
  listen () { rm -f "$ROOT$sock"; mkdir -p "$(dirname "$ROOT$sock")"; python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$ROOT$sock"; }
  listen
  sleep 0.05
  inst install containerd
  status_json 1
  assert "$(path_state containerd 'CRI handler `runc`')" == covered
  assert "$(path_state containerd 'the configuration in force')" == gap
  assert "$(jq -r '.engines[0].paths[] | select(.path == "the configuration in force") | .fix' <<<"$output")" == "systemctl restart containerd"
  assert "$(jq -r '.engines[0].paths[] | select(.path == "the configuration in force") | .detail' <<<"$output")" \
    =~ "^/etc/containerd/config.toml changed after the running containerd started \\(its socket $sock is older\\)"
  # Restarted: a new socket.
  sleep 0.05
  listen
  status_json 0
  assert "$(path_state containerd 'the configuration in force')" == ""
  # Not running (no socket): the file is what it will read.
  rm "$ROOT$sock"
  status_json 0
  # The default socket when the file names none.
  printf 'version = 2\n' > "$ROOT/etc/containerd/config.toml"
  inst install containerd
  mkdir -p "$ROOT/run/containerd"
  python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$ROOT/run/containerd/containerd.sock"
  status_json 0
  touch "$ROOT/etc/containerd/config.toml"
  status_json 1
  assert "$(path_state containerd 'the configuration in force')" == gap
}

@test "status: Docker's daemon.json and CRI-O's drop-ins written after the running daemon started are not in force until it restarts" {
  mksock () { rm -f "$1"; mkdir -p "$(dirname "$1")"; python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$1"; }
  # in_force: the state of each engine's "the configuration in force" (empty: no such gap).
  in_force ()
  {
    status_json 1 > /dev/null
    echo "$(path_state crio 'the configuration in force')/$(path_state docker 'the configuration in force')"
  }
  mkdir -p "$ROOT/etc/docker" "$ROOT/etc/crio/crio.conf.d"
  echo '{}' > "$ROOT/etc/docker/daemon.json"
  mksock "$ROOT/run/docker.sock"
  mksock "$ROOT/run/crio/crio.sock"
  sleep 0.05
  inst install docker
  inst install crio
  # (CRI-O's built-in runc handler is always a gap: status exits 1 on a CRI-O node.)
  assert "$(in_force)" == gap/gap
  status_json 1
  assert "$(jq -r '.engines[] | select(.engine == "crio") | .paths[] | select(.path == "the configuration in force") | .detail' <<<"$output")" \
    =~ "^/etc/crio/crio.conf.d/[0-9]+-capguard[-a-z]*.conf changed after the running crio started \\(its socket /run/crio/crio.sock is older\\)"
  assert "$(jq -r '[.engines[] | .paths[] | select(.path == "the configuration in force") | .fix] | join(", ")' <<<"$output")" \
    == "systemctl restart crio, systemctl restart docker"
  run_capguard 1 --policy "$POLICY" status --root "$ROOT" --json docker
  sleep 0.05
  mksock "$ROOT/run/docker.sock"
  mksock "$ROOT/run/crio/crio.sock"
  assert "$(in_force)" == /
  run_capguard 0 --policy "$POLICY" status --root "$ROOT" --json docker
  # Other sockets, named in the files: only they count.
  jq '.hosts = ["tcp://127.0.0.1:2375", "unix:///run/other/docker.sock"]' "$ROOT/etc/docker/daemon.json" > "$ROOT/d.json"
  mv "$ROOT/d.json" "$ROOT/etc/docker/daemon.json"
  # (/var/run is /run: a link that would leave --root's directory if followed.)
  mkdir -p "$ROOT/var" && ln -s /run "$ROOT/var/run"
  printf '[crio.api]\nlisten = "/var/run/other/crio.sock"\n' > "$ROOT/etc/crio/crio.conf.d/05-node.conf"
  assert "$(in_force)" == / "nothing listens there"
  mksock "$ROOT/run/other/docker.sock"
  mksock "$ROOT/run/other/crio.sock"
  sleep 0.05
  touch "$ROOT/etc/docker/daemon.json" "$ROOT/etc/crio/crio.conf.d/05-node.conf"
  assert "$(in_force)" == gap/gap
  status_json 1
  assert "$(jq -r '[.engines[] | .paths[] | select(.path == "the configuration in force") | .detail | capture("its socket (?<s>[^ ]*)").s] | join(" ")' <<<"$output")" \
    == "/var/run/other/crio.sock /run/other/docker.sock"
}

@test "status --ready: the gaps no registration closes are listed as closable: false and do not count (a vm handler of CRI-O's, a kata handler)" {
  mkdir -p "$ROOT/etc/crio/crio.conf.d" "$ROOT/etc/containerd" "$ROOT/usr/sbin"
  install -m 755 /dev/null "$ROOT/usr/sbin/runc"
  printf '[crio.runtime.runtimes.kata]\nruntime_path = "/usr/bin/containerd-shim-kata-v2"\nruntime_type = "vm"\n' \
    > "$ROOT/etc/crio/crio.conf.d/50-kata.conf"
  printf 'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.kata]\n  runtime_type = "io.containerd.kata.v2"\n' \
    > "$ROOT/etc/containerd/config.toml"
  inst install crio
  inst install containerd
  run_capguard 1 --policy "$POLICY" status --root "$ROOT" --json crio
  assert "$(jq -r '[.engines[0].paths[] | select(.state == "gap") | "\(.path) \(.closable)"] | join(", ")' <<<"$output")" \
    == "handler \`kata\` (create, exec, restore) false"
  assert "$(path_state crio 'handler `runc`, the default')" == covered "the built-in runc, behind capguard"
  assert "$(jq -r '[.covered, .ready] | join(" ")' <<<"$output")" == "false true"
  run_capguard 0 --policy "$POLICY" status --root "$ROOT" --ready --json crio
  run_capguard 0 --policy "$POLICY" status --root "$ROOT" --ready --json containerd
  assert "$(jq -r '[.engines[0].paths[] | select(.state == "gap") | "\(.path) \(.closable)"] | join(", ")' <<<"$output")" \
    == "CRI handler \`kata\` (create, exec, restore) false"
  run_capguard 0 --policy "$POLICY" status --root "$ROOT" --ready crio containerd
  assert "${lines[-1]}" == "NOT PROTECTED: close the gaps above" "the verdict is the same"
  # A gap install closes still counts.
  run_capguard 0 --policy "$POLICY" uninstall crio --root "$ROOT" --binary "$BIN"
  run_capguard 1 --policy "$POLICY" status --root "$ROOT" --ready --json crio
  assert "$(jq -r .ready <<<"$output")" == false
  # So does a policy that does not load, and no engine at all.
  echo '{' > "$BATS_TEST_TMPDIR/bad.json"
  run_capguard 1 --policy "$BATS_TEST_TMPDIR/bad.json" status --root "$ROOT" --ready --json containerd
  run_capguard 1 --policy "$POLICY" status --root "$ROOT" --ready --json docker
}

@test "status ENGINE...: only the engines asked for; one that is not on the node is not covered" {
  mkdir -p "$ROOT/etc/containerd" "$ROOT/etc/containers"
  printf 'version = 2\n' > "$ROOT/etc/containerd/config.toml"
  echo '[engine]' > "$ROOT/etc/containers/containers.conf"
  inst install containerd
  # podman's files are there and it is not registered: the whole node is not protected ...
  status_json 1
  assert "$(jq -r '.engines | map(.engine) | sort | join(" ")' <<<"$output")" == "containerd podman"
  # ... but the engine the DaemonSet registered is.
  run_capguard 0 --policy "$POLICY" status --root "$ROOT" --json containerd
  assert "$(jq -r '[(.engines | map(.engine) | join(" ")), .gaps, .covered] | join(" ")' <<<"$output")" == "containerd 0 true"
  run_capguard 1 --policy "$POLICY" status --root "$ROOT" --json containerd podman
  run_capguard 1 --policy "$POLICY" status --root "$ROOT" --json docker
  assert "$(jq -r '[(.engines | length), .covered] | join(" ")' <<<"$output")" == "0 false" "no Docker under the root"
  run_capguard 2 status --root "$ROOT" kubernetes
  assert_one_error_line "^capguard: status: unknown engine \`kubernetes\` \(podman, crio, containerd or docker\)\$"
}

@test "status: Docker and podman, covered after install, gaps after uninstall; a runtime added later is a gap install closes" {
  mkdir -p "$ROOT/etc/docker" "$ROOT/etc/containers" "$ROOT/usr/bin"
  install -m 755 /dev/null "$ROOT/usr/bin/runc"
  echo '{"log-level": "warn"}' > "$ROOT/etc/docker/daemon.json"
  touch "$ROOT/etc/containers/containers.conf"
  status_json 1
  assert "$(path_state docker 'Docker runtime `runc` (built in), the default')" == gap
  assert "$(path_state podman 'create: the precreate hook')" == gap
  assert "$(path_state podman 'runtime `runc`, the default')" == gap
  inst install docker
  inst install podman
  status_json 0
  assert "$(path_state docker 'Docker runtime `capguard`, the default')" == covered
  assert "$(path_state docker '`docker run --runtime runc`')" == residual
  assert "$(path_state podman 'create: the precreate hook')" == covered
  assert "$(path_state podman 'runtime `runc`, the default')" == covered
  jq '.runtimes.nvidia = {path: "/usr/bin/nvidia-container-runtime"}' "$ROOT/etc/docker/daemon.json" > "$BATS_TEST_TMPDIR/d"
  cp "$BATS_TEST_TMPDIR/d" "$ROOT/etc/docker/daemon.json"
  status_json 1
  assert "$(path_state docker 'Docker runtime `nvidia`')" == gap
  assert "$(jq -r '.engines[] | select(.engine == "docker") | .paths[] | select(.path | startswith("Docker runtime `nvidia`")) | .fix' <<<"$output")" == "capguard install docker"
  inst install docker
  status_json 0
  inst uninstall docker
  inst uninstall podman
  status_json 1
  assert "$(path_state docker 'Docker runtime `runc` (built in), the default')" == gap
  assert "$(path_state docker 'Docker runtime `nvidia`')" == gap
  assert "$(jq -r '.runtimes.nvidia.path' "$ROOT/etc/docker/daemon.json")" == /usr/bin/nvidia-container-runtime "the node's own path is back"
  assert "$(path_state podman 'runtime `runc`, the default')" == gap
}

@test "status: CRI-O's handlers, the built-in runc included, run behind capguard after install; a vm handler stays a gap no registration closes" {
  mkdir -p "$ROOT/etc/crio/crio.conf.d" "$ROOT/usr/bin"
  install -m 755 /dev/null "$ROOT/usr/bin/runc"
  install -m 755 /dev/null "$ROOT/usr/bin/crun"
  printf '[crio.runtime]\ndefault_runtime = "crun"\n[crio.runtime.runtimes.crun]\nruntime_root = "/run/crun"\n[crio.runtime.runtimes.kata]\nruntime_path = "/usr/bin/containerd-shim-kata-v2"\nruntime_type = "vm"\n' \
    > "$ROOT/etc/crio/crio.conf.d/10-crun.conf"
  inst install crio
  status_json 1
  assert "$(path_state crio 'handler `crun`, the default')" == covered
  assert "$(path_state crio 'handler `runc`')" == covered
  assert "$(path_state crio 'refuse:')" == covered
  assert "$(path_state crio 'handler `kata`')" == gap
  assert "$(jq -r '.engines[] | select(.engine == "crio") | .paths[] | select(.path | startswith("handler `kata`")) | .fix' <<<"$output")" =~ "^no registration closes it"
}

@test "status: a policy that does not load is a gap; the policy's file, mode and warnings are shown" {
  mkdir -p "$ROOT/etc/docker"
  inst install docker
  status_json 0
  assert "$(jq -r '[.policy.file, .policy.mode, .policy.valid, .policy.warnings] | join(" ")' <<<"$output")" == "$POLICY 0644 true 0"
  echo '{"version": 1,' > "$POLICY"
  status_json 1
  assert "$(jq -r '[.policy.valid, .gaps] | join(" ")' <<<"$output")" == "false 1"
  assert "$(jq -r .policy.error <<<"$output")" =~ "policy.json:"
  run_capguard 2 status --frob
  assert_one_error_line "unknown status option"
}

# A decision log as the wrapper writes it, from the captured configs: a kube-system container under
# the built-in policy (audited), a default-namespace one (rewritten), a podman one, bad input.
write_log ()
{
  LOG=$BATS_TEST_TMPDIR/decisions.log
  jq --arg log "$LOG" '.log.file = $log | .log.syslog = false' "$SRCDIR/policy/default.json" > "$POLICY"
  for f in containerd-cri-kube-proxy containerd-cri-pod podman-cap-add; do
    "$CAPGUARD" --policy "$POLICY" precreate < "$FIXTURES/bundles/$f/config.json" > /dev/null
  done
  echo '{' | "$CAPGUARD" --policy "$POLICY" precreate > /dev/null 2>&1 || true
  echo 'not a record' >> "$LOG"
}

@test "report: per workload, what enforce would refuse, and suggested rules that check accepts" {
  write_log
  run_capguard 0 report "$LOG"
  assert "${lines[0]}" == "4 decisions, of which 1 failed (bad input, a broken policy)"
  assert "$output" =~ "kube-system +kube-proxy-x/kube-proxy +localhost/capguard-test/busybox:1 +0 +0 +0 +1  CAP_NET_ADMIN CAP_NET_RAW CAP_SYS_CHROOT CAP_MKNOD CAP_AUDIT_WRITE CAP_SETFCAP"
  assert "$output" =~ "default +capture/capture .* +0 +1 +0 +0  CAP_NET_RAW CAP_SYS_CHROOT CAP_SYS_ADMIN CAP_MKNOD CAP_AUDIT_WRITE CAP_SETFCAP"
  assert "$output" =~ "1 lines were not decision records and were skipped"
  run_capguard 0 report --json --suggest "$LOG"
  assert "$(jq -r '[.records, .failures, .skipped_lines] | join(" ")' <<<"$output")" == "4 1 1"
  assert "$(jq -r '.would_break[] | .namespace + "/" + .container' <<<"$output" | paste -sd' ')" == "-/- default/capture kube-system/kube-proxy" "narrowest first"
  assert "$(jq -r '.suggested_rules | length' <<<"$output")" == 2 "none for a workload without identity"
  jq --argjson rules "$(jq -c .suggested_rules <<<"$output")" '.rules = $rules + .rules' "$POLICY" > "$BATS_TEST_TMPDIR/p2.json"
  p2=$(policy_file "$BATS_TEST_TMPDIR/p2.json" "$BATS_TEST_TMPDIR/p2/policy.json")
  run_capguard 0 check "$p2"
  # With the suggested rules, the observed containers keep what they asked for.
  run_capguard 0 --policy "$p2" explain --json "$FIXTURES/bundles/containerd-cri-pod/config.json"
  assert "$(jq -r '.rule + " " + .decision' <<<"$output")" == "observed: default/capture allowed" "nothing removed any more"
  assert "$(jq -r '.sets.bounding.kept | index("CAP_SYS_ADMIN") != null' <<<"$output")" == true
}

@test "report: --since, standard input, bad arguments" {
  write_log
  run_capguard 0 report --since 1h --json < "$LOG"
  assert "$(jq -r .records <<<"$output")" == 4 "all written just now"
  run_capguard 0 report --since 2999-01-01 --json "$LOG"
  assert "$(jq -r .records <<<"$output")" == 0
  run_capguard 2 report --since yesterday "$LOG"
  assert_one_error_line "--since \`yesterday\`: expected YYYY-MM-DD"
  run_capguard 3 report /nonexistent/log
  assert_one_error_line "open \`/nonexistent/log\`"
  assert "$output" == ""
}

@test "the shipped logrotate file rotates the decision log under real logrotate, and capguard writes on into a new file" {
  require_tool logrotate
  write_log
  sed "s|/var/log/capguard/decisions.log|$LOG|; s|weekly|daily|" "$SRCDIR/hooks/logrotate/capguard" > "$BATS_TEST_TMPDIR/rotate.conf"
  run -0 logrotate --force --state "$BATS_TEST_TMPDIR/rotate.state" "$BATS_TEST_TMPDIR/rotate.conf"
  run ls "$BATS_TEST_TMPDIR"
  assert "$output" =~ "decisions.log-[0-9]{8}" "rotated by date"
  [ ! -e "$LOG" ] || [ ! -s "$LOG" ]
  "$CAPGUARD" --policy "$POLICY" precreate < "$FIXTURES/bundles/containerd-cri-pod/config.json" > /dev/null
  assert "$(wc -l < "$LOG")" == 1 "the next decision opens a new file"
  assert "$(jq -r .container "$LOG")" == capture
  run_capguard 0 report "$BATS_TEST_TMPDIR"/decisions.log-* "$LOG"
  assert "${lines[0]}" =~ "^5 decisions" "report reads the rotated file and the new one together"
}
