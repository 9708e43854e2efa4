#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Builds a minimal busybox-static root filesystem at $1 for the end-to-end tests.
set -euo pipefail
dest=$1
bb=$(command -v busybox)
[ -x "$bb" ] || { echo "rootfs.sh: busybox not found (apt-get install busybox-static)" >&2; exit 1; }
file -L "$bb" 2>/dev/null | grep -q 'statically linked' || ldd "$bb" 2>&1 | grep -q 'not a dynamic' \
  || { echo "rootfs.sh: $bb is not static (apt-get install busybox-static)" >&2; exit 1; }
mkdir -p "$dest"/{bin,proc,sys,dev,etc,tmp,root}
cp "$bb" "$dest/bin/busybox"
for c in sh cat grep ls id sleep true false echo env ping unshare; do ln -sf busybox "$dest/bin/$c"; done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' > "$dest/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$dest/etc/group"
