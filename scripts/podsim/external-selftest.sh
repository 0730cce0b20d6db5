#!/usr/bin/env bash
# Runs the pod simulation in its external mode against an API server it did not start:
# a kube-test-server on 198.51.100.21/.22 (on a veth of its own), started and removed here.
# It exercises the external code path (PODSIM_EXTERNAL_* variables, token minting with
# kubectl, partitions instead of listener stops) without leaving 198.51.100.0/24 (its
# ClusterIP is 198.51.100.100, as the harness uses the cluster's own ClusterIP).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BIN=${PODSIM_BIN:-$HERE/../../.build/debug}
DIR=$(mktemp -d /tmp/podsim-ext.XXXXXX)
LINK=ks-ext
SERVER=""
cleanup() {
    set +e
    if [ -n "$SERVER" ]; then kill -TERM "$SERVER"; wait "$SERVER"; fi
    ip link del "$LINK" 2>/dev/null
    rm -rf "$DIR"
    if ip link show "$LINK" >/dev/null 2>&1; then echo "LEFT BEHIND: $LINK"; exit 1; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
[ "$(id -u)" = 0 ] || { echo "needs root"; exit 1; }
ip link add "$LINK" type veth peer name "${LINK}1"
ip addr add 198.51.100.21/32 dev "$LINK"
ip addr add 198.51.100.22/32 dev "$LINK"
ip link set "$LINK" up
"$BIN/kube-test-server" --listen 198.51.100.21:6443 --listen 198.51.100.22:6443 \
    --advertise-address 198.51.100.21 --advertise-address 198.51.100.22 \
    --service-cluster-ip 198.51.100.100 --tls-san 198.51.100.100 \
    --cert-dir "$DIR/pki" --kubeconfig "$DIR/admin.kubeconfig" >"$DIR/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 300); do grep -q "^admin kubeconfig:" "$DIR/server.log" 2>/dev/null && break; sleep 0.1; done
grep -q "^admin kubeconfig:" "$DIR/server.log" || { cat "$DIR/server.log"; exit 1; }
PODSIM_EXTERNAL_KUBECONFIG=$DIR/admin.kubeconfig \
PODSIM_EXTERNAL_MASTERS=198.51.100.21:6443,198.51.100.22:6443 \
PODSIM_EXTERNAL_CA=$DIR/pki/ca.crt \
    "$HERE/podsim.sh" "$@"
