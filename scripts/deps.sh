#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Installs what capguard needs to build and to run its tests, from Debian 12's packages.
# Idempotent: only missing packages are installed.
set -euo pipefail

packages=(
  cmake gcc make pkg-config          # build
  libcap-dev libjansson-dev libseccomp-dev  # the three libraries
  libbpf-dev bpftool                 # capguard observe: libbpf, and the skeleton generator (clang below builds the BPF side)
  bats jq                            # tests
  podman runc crun containerd docker.io   # the real engines and runtimes the tests drive
  containernetworking-plugins        # CNI for containerd's pods
  python3-grpcio python3-protobuf protobuf-compiler  # the tests' CRI client
  busybox-static libcap2-bin         # the test rootfs, and capsh to decode live sets
  clang-format hyperfine man-db      # format check, benchmark, man -l
  clang libclang-rt-14-dev valgrind  # libFuzzer targets, leak check, instruction counts
  time logrotate                      # peak RSS in the benchmark; the decision log's rotation
  python3 python3-yaml util-linux strace iproute2  # syslog socket, YAML, unshare, faults, netns
  dpkg-dev debhelper lintian          # the Debian package, built and checked by a test
  etcd-server openssl                 # the Kubernetes rollout test's etcd and PKI (tests/k8s/binaries.sh builds the rest)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
  echo "deps.sh: missing packages: ${missing[*]}; run as root (sudo) to install them" >&2
  exit 1
fi
echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
