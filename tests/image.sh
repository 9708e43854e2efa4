#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Packs a root filesystem directory as a one-layer OCI image archive that `ctr images import` and
# `docker load` read, with no registry: image.sh ROOTFS OUT.tar NAME:TAG [ENTRYPOINT...]
# The default entrypoint sleeps, so the image also serves as a pod's sandbox (pause) image.
set -euo pipefail
rootfs=$1 out=$2 name=$3
shift 3
[ $# -gt 0 ] || set -- /bin/sleep 2147483647
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/blobs/sha256"

tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$rootfs" -cf "$work/layer.tar" .
layer=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
mv "$work/layer.tar" "$work/blobs/sha256/$layer"

jq -cn --arg diff "sha256:$layer" --args '{architecture: "amd64", os: "linux",
  config: {Entrypoint: $ARGS.positional, Env: ["PATH=/bin"], WorkingDir: "/"},
  rootfs: {type: "layers", diff_ids: [$diff]}}' "$@" > "$work/config.json"
config=$(sha256sum "$work/config.json" | cut -d' ' -f1)
mv "$work/config.json" "$work/blobs/sha256/$config"

jq -cn --arg c "sha256:$config" --argjson cs "$(stat -c %s "$work/blobs/sha256/$config")" \
  --arg l "sha256:$layer" --argjson ls "$(stat -c %s "$work/blobs/sha256/$layer")" \
  '{schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $c, size: $cs},
    layers: [{mediaType: "application/vnd.oci.image.layer.v1.tar", digest: $l, size: $ls}]}' \
  > "$work/manifest.json"
manifest=$(sha256sum "$work/manifest.json" | cut -d' ' -f1)
msize=$(stat -c %s "$work/manifest.json")
mv "$work/manifest.json" "$work/blobs/sha256/$manifest"

jq -cn --arg m "sha256:$manifest" --argjson ms "$msize" --arg name "$name" --arg tag "${name##*:}" \
  '{schemaVersion: 2, manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json",
    digest: $m, size: $ms, annotations: {"io.containerd.image.name": $name,
    "org.opencontainers.image.ref.name": $tag}}]}' > "$work/index.json"
echo '{"imageLayoutVersion":"1.0.0"}' > "$work/oci-layout"
# docker load reads manifest.json (its own archive format) beside the OCI layout.
jq -cn --arg c "blobs/sha256/$config" --arg l "blobs/sha256/$layer" --arg name "$name" \
  '[{Config: $c, RepoTags: [$name], Layers: [$l]}]' > "$work/manifest.json"
tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$work" -cf "$out" \
  oci-layout index.json manifest.json blobs
