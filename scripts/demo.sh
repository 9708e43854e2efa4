#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The main job, end to end: installs the dependencies, builds capguard, and runs the same podman
# container (busybox rootfs, `--cap-add NET_RAW,SYS_ADMIN`) without and with capguard's precreate hook
# on the built-in policy, showing what the kernel gave the container each time and the config diff.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

bash scripts/deps.sh
cmake -S . -B build >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
capguard=$top/build/capguard

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bash tests/rootfs.sh "$tmp/rootfs"
mkdir -p "$tmp/no-hooks" "$tmp/hooks"
# hooks/podman/capguard-precreate.json as installed, pointing at this build.
jq -n --arg path "$capguard" \
  '{version: "1.0.0", hook: {path: $path, args: ["capguard", "precreate"]}, when: {always: true},
    stages: ["precreate"]}' > "$tmp/hooks/capguard-precreate.json"

if [ -e /etc/capguard/policy.json ]; then
  echo "note: /etc/capguard/policy.json exists, so it applies instead of the built-in policy"
fi
echo "== the policy (capguard check)"
"$capguard" check | sed -n '/^otherwise/,$p'

# live HOOKS_DIR: the container's capability sets as the kernel holds them, "SET cap,cap,..." a line.
live ()
{
  podman --root "$tmp/podman/storage" --runroot "$tmp/podman/run" --tmpdir "$tmp/podman/tmp" \
    --storage-driver vfs --runtime runc --cgroup-manager cgroupfs --events-backend file \
    --hooks-dir "$1" run --rm --net none --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
    --cap-add NET_RAW,SYS_ADMIN --rootfs "$tmp/rootfs" /bin/grep ^Cap /proc/self/status |
    while read -r set hex; do
      printf '%s %s\n' "${set%:}" "$(capsh --decode="$hex" | sed 's/^0x[0-9a-f]*=//')"
    done
}

echo
echo "== podman run --cap-add NET_RAW,SYS_ADMIN: /proc/self/status inside the container, decoded"
live "$tmp/no-hooks" > "$tmp/before"
live "$tmp/hooks" > "$tmp/after"
diff -U0 --label without-capguard --label with-capguard "$tmp/before" "$tmp/after" | grep -v '^@@' || true

echo
echo "== the config podman hands the hook for that run (tests/fixtures/bundles/podman-cap-add), and capguard's answer"
in=tests/fixtures/bundles/podman-cap-add/config.json
"$capguard" precreate < "$in" > "$tmp/out.json"
sets='.process.capabilities | to_entries[] | "\(.key): \(.value | join(" "))"'
diff -U0 --label config.json --label 'capguard precreate' <(jq -r "$sets" "$in") \
  <(jq -r "$sets" "$tmp/out.json") | grep -v '^@@' || true
if cmp -s <(jq -c 'del(.process.capabilities)' "$in") <(jq -c 'del(.process.capabilities)' "$tmp/out.json"); then
  echo "(every other key and value passed through unchanged)"
fi
