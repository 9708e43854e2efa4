#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The Kubernetes v1.20.2 binaries the rollout test runs (kube-apiserver, kube-controller-manager,
# kube-scheduler, kubelet, kubectl), built offline from Debian 12's `kubernetes` source package
# (1.20.5+really1.20.2: the whole upstream tree with vendor/) with Debian's Go 1.19, into a cache
# outside the clone; a machine pays the build once (about 11 minutes on 2 cores).  Prints the
# directory holding them.   bash tests/k8s/binaries.sh [CACHE-DIR]
set -euo pipefail
cache=${1:-${CAPGUARD_K8S_CACHE:-/var/cache/capguard-k8s}}/v1.20.2
bins=(kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl)

have_all ()
{
  local b
  for b in "${bins[@]}"; do [ -x "$cache/$b" ] || return 1; done
}
if have_all; then
  echo "$cache"
  exit 0
fi
[ "$(id -u)" = 0 ] || { echo "binaries.sh: root is needed to install the build's packages" >&2; exit 1; }

# Debian's source, through a deb-src entry of capguard's own when the machine has none.
if ! grep -rqs '^Types:.*deb-src\|^deb-src' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  cat > /etc/apt/sources.list.d/capguard-deb-src.sources <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
  apt-get update -qq
fi
DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 apt-get install -y -qq golang-1.19-go rsync dpkg-dev >/dev/null

work=$(mktemp -d /var/tmp/capguard-k8s.XXXXXX)
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get source -qq kubernetes >/dev/null 2>&1)
src=$(echo "$work"/kubernetes-*/)
[ -f "$src/Makefile" ] || { echo "binaries.sh: no kubernetes source in $work" >&2; exit 1; }

# Offline: the vendored modules only, no cgo (static binaries), Debian's Go first on PATH.
export PATH=/usr/lib/go-1.19/bin:$PATH GOPROXY=off GOFLAGS=-mod=vendor CGO_ENABLED=0 GOCACHE=$work/gocache
export GOPATH=$work/gopath KUBE_GIT_VERSION=v1.20.2 KUBE_GIT_TREE_STATE=clean
make -C "$src" WHAT="cmd/kube-apiserver cmd/kube-controller-manager cmd/kube-scheduler cmd/kubelet cmd/kubectl" \
  > "$work/build.log" 2>&1 || { tail -40 "$work/build.log" >&2; exit 1; }
mkdir -p "$cache"
for b in "${bins[@]}"; do
  install -m 0755 "$src/_output/bin/$b" "$cache/.$b.new"
  mv -f "$cache/.$b.new" "$cache/$b"
done
have_all
echo "$cache"
