# SPDX-License-Identifier: GPL-2.0-or-later
# A real single-node Kubernetes v1.20.2 on this machine, offline, started and stopped by the test:
# etcd (Debian's etcd-server 3.4), kube-apiserver, kube-controller-manager, kube-scheduler and a
# kubelet (built by tests/k8s/binaries.sh into a cache outside the clone) running pods on the
# test's own containerd 1.6 (cri-helpers.bash) with a bridge CNI and the test's busybox image as
# sandbox image.  Everything listens on 127.0.0.1 on free ports; the PKI is made with openssl; every
# component's files live under K8S_T; each daemon is stopped by its pid.
#
# For the test's sake only, every component uses one client certificate in system:masters, and
# the kubelet authorizes every authenticated caller: a real cluster gives each its own identity.

# What the kubelet (protectKernelDefaults false) sets on the host.
KUBELET_SYSCTLS="vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops kernel.keys.root_maxkeys kernel.keys.root_maxbytes"

# The kubectl of the cluster.
k () { "$K8S_BIN/kubectl" --kubeconfig "$K8S_T/admin.kubeconfig" "$@"; }

k8s_prerequisites ()
{
  command -v etcd >/dev/null || { echo "etcd (etcd-server) is not installed"; return 1; }
  command -v openssl >/dev/null || { echo "openssl is not installed"; return 1; }
  cri_prerequisites
}

# free_port: a TCP port nothing listens on now.
free_port ()
{
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# k8s_pki DIR: a CA, the API server's serving certificate, one client certificate (system:masters)
# and the service-account key pair.
k8s_pki ()
{
  local d=$1 name subj
  mkdir -p "$d"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=capguard-test-ca \
    -keyout "$d/ca.key" -out "$d/ca.crt" 2>/dev/null
  for name in apiserver admin; do
    case $name in
      apiserver) subj=/CN=kube-apiserver ;;
      admin) subj=/O=system:masters/CN=capguard-test-admin ;;
    esac
    openssl req -newkey rsa:2048 -nodes -subj "$subj" -keyout "$d/$name.key" -out "$d/$name.csr" 2>/dev/null
    case $name in
      apiserver) printf 'subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default\nextendedKeyUsage=serverAuth\n' ;;
      admin) printf 'extendedKeyUsage=clientAuth\n' ;;
    esac > "$d/$name.ext"
    openssl x509 -req -in "$d/$name.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
      -days 2 -extfile "$d/$name.ext" -out "$d/$name.crt" 2>/dev/null
  done
  openssl genrsa -out "$d/sa.key" 2048 2>/dev/null
  openssl rsa -in "$d/sa.key" -pubout -out "$d/sa.pub" 2>/dev/null
}

# k8s_start: the control plane and the kubelet, on the containerd already running under CRI_T.
# Waits for the node to be Ready.
k8s_start ()
{
  local t=$K8S_T pki=$K8S_T/pki etcd_port peer_port api_port kubelet_port
  k8s_pki "$pki"
  etcd_port=$(free_port) peer_port=$(free_port) api_port=$(free_port) kubelet_port=$(free_port)
  cat > "$t/admin.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: test
  cluster: {server: "https://127.0.0.1:$api_port", certificate-authority: "$pki/ca.crt"}
users:
- name: admin
  user: {client-certificate: "$pki/admin.crt", client-key: "$pki/admin.key"}
contexts:
- name: test
  context: {cluster: test, user: admin}
current-context: test
EOF

  etcd --name capguard-test --data-dir "$t/etcd" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
    --initial-cluster "capguard-test=http://127.0.0.1:$peer_port" > "$t/etcd.log" 2>&1 3>&- &
  echo $! > "$t/etcd.pid"

  # The advertised address is one nothing uses (TEST-NET-2): the kubernetes Service's endpoint may not
  # be a loopback address, and no pod of the test talks to the API server.
  "$K8S_BIN/kube-apiserver" --etcd-servers "http://127.0.0.1:$etcd_port" \
    --bind-address 127.0.0.1 --secure-port "$api_port" --advertise-address 198.51.100.1 \
    --cert-dir "$t/apiserver" --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
    --client-ca-file "$pki/ca.crt" --authorization-mode RBAC --allow-privileged=true \
    --service-cluster-ip-range 10.96.0.0/24 \
    --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
    --service-account-issuer https://kubernetes.default.svc \
    --kubelet-client-certificate "$pki/admin.crt" --kubelet-client-key "$pki/admin.key" \
    --kubelet-preferred-address-types Hostname > "$t/apiserver.log" 2>&1 3>&- &
  echo $! > "$t/apiserver.pid"
  for _ in $(seq 600); do
    k get --raw /readyz >/dev/null 2>&1 && break
    kill -0 "$(cat "$t/apiserver.pid")" 2>/dev/null || break
    sleep 0.1
  done
  k get --raw /readyz >/dev/null || { tail -20 "$t/apiserver.log"; echo "kube-apiserver did not start"; return 1; }

  "$K8S_BIN/kube-controller-manager" --kubeconfig "$t/admin.kubeconfig" --leader-elect=false \
    --port 0 --secure-port 0 --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
    --use-service-account-credentials=false > "$t/controller-manager.log" 2>&1 3>&- &
  echo $! > "$t/controller-manager.pid"
  "$K8S_BIN/kube-scheduler" --kubeconfig "$t/admin.kubeconfig" --leader-elect=false \
    --port 0 --secure-port 0 > "$t/scheduler.log" 2>&1 3>&- &
  echo $! > "$t/scheduler.pid"

  mkdir -p "$t/manifests"
  cat > "$t/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: 127.0.0.1
port: $kubelet_port
readOnlyPort: 0
healthzPort: 0
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: false}
  x509: {clientCAFile: "$pki/ca.crt"}
authorization: {mode: AlwaysAllow}
cgroupDriver: cgroupfs
cgroupsPerQOS: false
enforceNodeAllocatable: []
failSwapOn: false
makeIPTablesUtilChains: false
staticPodPath: "$t/manifests"
fileCheckFrequency: 2s
syncFrequency: 5s
evictionHard: {memory.available: "1Mi", nodefs.available: "1%", imagefs.available: "1%"}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
EOF
  # The kubelet sets these on the host (its kernel tunables): they are given back by k8s_stop.
  sysctl -e $KUBELET_SYSCTLS > "$t/sysctl.before"
  "$K8S_BIN/kubelet" --config "$t/kubelet.yaml" --kubeconfig "$t/admin.kubeconfig" \
    --container-runtime remote --container-runtime-endpoint "unix://$CRI_T/sock" \
    --root-dir "$t/kubelet" --cert-dir "$t/kubelet/pki" --hostname-override localhost > "$t/kubelet.log" 2>&1 3>&- &
  echo $! > "$t/kubelet.pid"
  for _ in $(seq 120); do
    [ "$(k get node localhost -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" = True ] && return 0
    kill -0 "$(cat "$t/kubelet.pid")" 2>/dev/null || break
    sleep 1
  done
  tail -20 "$t/kubelet.log"
  echo "the node did not become Ready"
  return 1
}

# k8s_stop: the kubelet first (its pods stay to containerd's cri_stop), then the control plane.
k8s_stop ()
{
  local t=$K8S_T c
  for c in kubelet scheduler controller-manager apiserver etcd; do
    stop_pid_file "$t/$c.pid" 20
  done
  [ -s "$t/sysctl.before" ] && sysctl -q -p "$t/sysctl.before"
  unmount_under "$t"
}
