#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Builds the DaemonSet's image offline, as localhost/capguard:VERSION, from a static build, and saves
# it as OUT/capguard-VERSION.tar (docker-archive: `ctr -n k8s.io images import`, `docker load` and
# `podman load` all read it).  $PODMAN is the podman command (default: podman), for another storage.
#   bash scripts/image.sh [BUILD-DIR] [OUT-DIR]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(realpath "${1:-$top/build}")
out=$(realpath -m "${2:-$build}")
podman=${PODMAN:-podman}
bin=$build/capguard
bb=$(command -v busybox || true)

[ -x "$bin" ] || { echo "image.sh: no $bin: build first (cmake --build build)" >&2; exit 1; }
# FROM scratch: no libc in the image.
if ! file -L "$bin" 2>/dev/null | grep -q 'statically linked' && ! ldd "$bin" 2>&1 | grep -q 'not a dynamic'; then
  echo "image.sh: $bin is not static (configure with -DCAPGUARD_STATIC=ON, the default)" >&2
  exit 1
fi
if [ -z "$bb" ] || ! { file -L "$bb" 2>/dev/null | grep -q 'statically linked' || ldd "$bb" 2>&1 | grep -q 'not a dynamic'; }; then
  echo "image.sh: a static busybox is needed (apt-get install busybox-static)" >&2
  exit 1
fi
version=$("$bin" version | sed -n '1s/^capguard //p')
tag=localhost/capguard:$version

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
chmod 0755 "$stage"
install -d -m 0755 "$stage/usr/libexec/capguard" "$stage/usr/share/capguard/policy" "$stage/bin" \
  "$stage/tmp"
install -m 0755 "$bin" "$stage/usr/libexec/capguard/capguard"
ln -s capguard "$stage/usr/libexec/capguard/capguard-runtime"
install -m 0644 "$top"/policy/*.json "$top/policy/README.md" "$stage/usr/share/capguard/policy/"
install -m 0755 "$bb" "$stage/bin/busybox"
for applet in sh mkdir cp mv chmod chown cat test sleep dirname rm; do ln -s busybox "$stage/bin/$applet"; done
cp "$top/hooks/kubernetes/Containerfile" "$stage/.Containerfile"
echo .Containerfile > "$stage/.containerignore"

$podman build --quiet --network none --pull=never -f "$stage/.Containerfile" -t "$tag" "$stage" >/dev/null
mkdir -p "$out"
rm -f "$out/capguard-$version.tar"
$podman save --quiet --format docker-archive -o "$out/capguard-$version.tar" "$tag"
echo "$tag"
echo "$out/capguard-$version.tar"
