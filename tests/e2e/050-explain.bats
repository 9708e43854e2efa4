#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# capguard explain: human and JSON output on fixtures and bundle directories, never changing them,
# the --diff, and the execve prediction checked against what real runc containers hold.

load helpers
bats_require_minimum_version 1.5.0

setup ()
{
  POLICY=$(policy_file "$SRCDIR/policy/default.json")
}

@test "explain: human output at 80 columns, on a config file and on a bundle directory, changing nothing" {
  b=$BATS_TEST_TMPDIR/bundle
  mkdir "$b" && cp "$FIXTURES/bundles/podman-cap-add/config.json" "$b/"
  sum=$(sha256sum "$b/config.json")
  run_capguard 0 --policy "$POLICY" explain "$b"
  assert "${lines[0]}" == "config    $b/config.json"
  assert "${lines[2]}" == "rule      default (no rule matched)"
  assert "${lines[4]}" == "decision  rewritten (action rewrite)"
  assert "$output" =~ "removed    CAP_NET_RAW CAP_SYS_CHROOT CAP_SYS_ADMIN CAP_SETFCAP"
  assert "$(printf '%s' "$output" | tr -s ' \n' '  ')" =~ "\\(capabilities.allow at $POLICY:5:5\\)" "the policy line of the ceiling"
  assert "$(printf '%s\n' "$output" | awk 'length($0) > 80' | head -1)" == "" "no line beyond 80 columns"
  assert "$(sha256sum "$b/config.json")" == "$sum" "the bundle is not touched"
  run_capguard 0 --policy "$POLICY" explain "$b/config.json"
  assert "${lines[0]}" == "config    $b/config.json"
}

@test "explain --json: a stable document; --annotation selects a rule as the engine's annotations would" {
  run_capguard 0 --policy "$POLICY" explain --json "$FIXTURES/bundles/containerd-ctr-default/config.json"
  assert "$(jq -r '[.rule, .action, .decision, .identity.engine] | join(" ")' <<<"$output")" == "default rewrite rewritten unknown"
  assert "$(jq -r '.sets.bounding.removed | join(" ")' <<<"$output")" == "CAP_NET_RAW CAP_SYS_CHROOT CAP_MKNOD CAP_AUDIT_WRITE CAP_SETFCAP"
  assert "$(jq -r '.sets.bounding.kept | length' <<<"$output")" == 9
  assert "$(jq -r '.sets.bounding.ceiling_at' <<<"$output")" == "$POLICY:5:5"
  assert "$(jq -r '.sets.ambient.ceiling_at' <<<"$output")" == "$POLICY:8:5"
  assert "$(jq -r '.warnings[]' <<<"$output")" =~ "the process holds CAP_SETPCAP: after it starts it can raise its inheritable set up to its bounding set and then its ambient set" "the nine include SETPCAP"
  assert "$(jq -c 'keys' <<<"$output")" == '["action","after_execve","config","decision","identity","noNewPrivileges","ping_group_range","policy","privileged","reasons","rule","rule_at","seccomp","sets","user_namespaces","warnings"]'
  # An identity counts only when a CRI engine vouches for it: its own container-type key too.
  run_capguard 0 --policy "$POLICY" explain --json --annotation io.kubernetes.pod.namespace=kube-system \
    "$FIXTURES/bundles/containerd-ctr-default/config.json"
  assert "$(jq -r '[.rule, .decision, .identity.namespace // "none"] | join(" ")' <<<"$output")" == "default rewritten none"
  assert "$(jq -r '.reasons[0]' <<<"$output")" =~ "ignored: no CRI engine made this config"
  run_capguard 0 --policy "$POLICY" explain --json --annotation io.kubernetes.pod.namespace=kube-system \
    --annotation io.kubernetes.cri-o.ContainerType=container "$FIXTURES/bundles/containerd-ctr-default/config.json"
  assert "$(jq -r '[.rule, .rule_at, .decision, .identity.namespace] | join(" ")' <<<"$output")" == "kube-system audited $POLICY:15:7 audited kube-system"
  run_capguard 2 --policy "$POLICY" explain --annotation novalue "$FIXTURES/bundles/runc-spec/config.json"
  assert_one_error_line '^capguard: --annotation `novalue`: expected KEY=VALUE$'
}

@test "explain --annotation meets the config's annotations as a hook meets the state's: a disagreement matches nothing" {
  jq '.annotations["io.kubernetes.pod.namespace"] = "tenant-a" | .annotations["io.kubernetes.cri-o.ContainerType"] = "container"' \
    "$FIXTURES/bundles/runc-spec/config.json" > "$BATS_TEST_TMPDIR/tenant.json"
  run_capguard 0 --policy "$POLICY" explain --json "$BATS_TEST_TMPDIR/tenant.json"
  assert "$(jq -r .identity.namespace <<<"$output")" == tenant-a
  run_capguard 0 --policy "$POLICY" explain --json --annotation io.kubernetes.pod.namespace=kube-system \
    "$BATS_TEST_TMPDIR/tenant.json"
  assert "$(jq -r '[.rule, (.identity.namespace // "none")] | join(" ")' <<<"$output")" == "default none" \
    "the command line cannot move a config into kube-system's rule"
  assert "$(jq -r '.reasons[0]' <<<"$output")" =~ 'is `tenant-a` in the config but `kube-system` on the command line; it matches nothing'
}

@test "explain --diff: the same changes diff(1) finds between the config and precreate's output" {
  for f in runc-spec containerd-ctr-default podman-privileged; do
    in=$FIXTURES/bundles/$f/config.json
    run_capguard 0 --policy "$POLICY" explain --diff "$in"
    mine=$(printf '%s\n' "$output" | sed -n '/^--- /,$p' | grep -E '^[-+] ' | sort)
    "$CAPGUARD" --policy "$POLICY" precreate < "$in" | jq . > "$BATS_TEST_TMPDIR/after.json"
    theirs=$(diff -u <(jq . "$in") "$BATS_TEST_TMPDIR/after.json" | grep -E '^[-+] ' | sort || true)
    assert "$mine" == "$theirs" "$f"
    [ -n "$mine" ]
  done
  run_capguard 0 --policy "$POLICY" explain --diff "$FIXTURES/bundles/caps-conforming/config.json"
  assert "${lines[-1]}" == "(no change to $FIXTURES/bundles/caps-conforming/config.json)"
}

@test "explain: bad input and argv" {
  run_capguard 3 --policy "$POLICY" explain "$BATS_TEST_TMPDIR/none.json"
  assert_one_error_line "none.json\`: No such file or directory$"
  echo '{"process":{"Capabilities":{}}}' > "$BATS_TEST_TMPDIR/bad.json"
  run_capguard 3 --policy "$POLICY" explain "$BATS_TEST_TMPDIR/bad.json"
  assert_one_error_line 'would be read by runc as `capabilities`'
  run_capguard 2 explain
  assert_one_error_line '^capguard: explain takes one config file or bundle directory$'
  run_capguard 2 explain --frob x
  assert_one_error_line '^capguard: unknown explain option `--frob`$'
}

@test "every command takes its options before or after its arguments" {
  run_capguard 0 --policy "$POLICY" explain --json "$FIXTURES/bundles/podman-default"
  want=$output
  run_capguard 0 --policy "$POLICY" explain "$FIXTURES/bundles/podman-default" --json
  assert "$output" == "$want" "explain CONFIG --json"
  run_capguard 2 --policy "$POLICY" explain "$FIXTURES/bundles/podman-default" --json extra
  assert_one_error_line '^capguard: explain takes one config file or bundle directory$'
  run_capguard 2 --policy "$POLICY" explain "$FIXTURES/bundles/podman-default" --annotation
  assert_one_error_line '^capguard: option `--annotation` needs an argument$'
  run_capguard 0 install podman --dry-run --binary "$CAPGUARD"
  want=$output
  run_capguard 0 install --dry-run podman --binary "$CAPGUARD"
  assert "$output" == "$want" "install --dry-run before or after the engine"
  run_capguard 0 --policy "$POLICY" check
  run_capguard 2 check "$POLICY" --frob
  assert_one_error_line '^capguard: check takes at most one policy file, got `--frob` too$'
}

# A runc container running grep ^Cap /proc/self/status with CAPS_JQ applied to runc's template;
# explain's after_execve for the same config, and the live sets, side by side.
predict_and_run ()
{
  local edit=$1 name=$2
  b=$BATS_TEST_TMPDIR/$name
  mkdir -p "$b"
  (cd "$b" && runc spec)
  jq --arg rootfs "$BATS_FILE_TMPDIR/rootfs" ".process.terminal = false | .root = {path: \$rootfs, readonly: true}
      | .process.args = [\"/bin/grep\", \"^Cap\", \"/proc/self/status\"] | $edit" "$b/config.json" > "$b/c" && mv "$b/c" "$b/config.json"
  predicted=$("$CAPGUARD" --policy "$ALLOW_ALL" explain --json "$b")
  run --separate-stderr runc --root "$BATS_TEST_TMPDIR/runc" run --bundle "$b" "explain-$name-$$"
  echo "# $name: $status: $output / $stderr"
  assert "$status" == 0
  for s in Bnd:bounding Eff:effective Prm:permitted Inh:inheritable Amb:ambient; do
    assert "$(live "${s%%:*}")" == "$(jq -r ".after_execve.${s#*:} | sort | join(\" \")" <<<"$predicted")" "$name: Cap${s%%:*} as predicted"
  done
}

setup_file ()
{
  bash "$SRCDIR/tests/rootfs.sh" "$BATS_FILE_TMPDIR/rootfs"
}

@test "the execve prediction matches real containers: root, non-root, with and without ambient" {
  require_tool runc
  require_tool capsh "capsh (libcap2-bin)"
  require_root "runc needs root here"
  ALLOW_ALL=$(write_policy '{"version":1,"action":"audit","capabilities":{"allow":["ALL"],"inheritable":["ALL"],"ambient":["ALL"]}}')
  # Root, permitted narrower than bounding: root holds its whole bounding set after execve...
  predict_and_run '.noNewPrivileges = false | .process.noNewPrivileges = false | .process.capabilities = {bounding: ["CAP_KILL","CAP_CHOWN"], effective: ["CAP_KILL"], permitted: ["CAP_KILL"]}' root
  assert "$(live Prm)" == "CAP_CHOWN CAP_KILL"
  assert "$(jq -r '.warnings[0]' <<<"$predicted")" =~ "^root will hold CAP_CHOWN after execve"
  # ...unless no_new_privs (runc's template sets it) forbids gaining anything on execve.
  predict_and_run '.process.capabilities = {bounding: ["CAP_KILL","CAP_CHOWN"], effective: ["CAP_KILL"], permitted: ["CAP_KILL"]}' root-nnp
  assert "$(live Prm)" == "CAP_KILL"
  # Non-root with NET_BIND_SERVICE but no ambient: holds nothing (kubernetes#56374).
  predict_and_run '.process.user = {uid: 1000, gid: 1000} | .process.capabilities = {bounding: ["CAP_NET_BIND_SERVICE"], effective: ["CAP_NET_BIND_SERVICE"], permitted: ["CAP_NET_BIND_SERVICE"]}' user
  assert "$(live Prm)" == "" "nothing survives execve"
  assert "$(jq -r '.warnings[0]' <<<"$predicted")" =~ "^uid 1000 will not hold CAP_NET_BIND_SERVICE after execve"
  # Non-root with ambient (and inheritable): keeps it.
  predict_and_run '.process.user = {uid: 1000, gid: 1000} | .process.capabilities = {bounding: ["CAP_NET_BIND_SERVICE"], effective: ["CAP_NET_BIND_SERVICE"], permitted: ["CAP_NET_BIND_SERVICE"], inheritable: ["CAP_NET_BIND_SERVICE"], ambient: ["CAP_NET_BIND_SERVICE"]}' ambient
  assert "$(live Eff)" == "CAP_NET_BIND_SERVICE"
  assert "$(jq -c '.warnings' <<<"$predicted")" == "[]"
}
