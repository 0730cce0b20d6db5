#!/usr/bin/env bash
# The pod simulation: a network namespace "pod" reaching two API server "masters"
# through cluster DNS, a virtual ClusterIP and kube-proxy-style iptables DNAT, with the
# service account mounted where a kubelet puts it. Runs the scenarios of
# scripts/podsim/scenarios.sh and removes everything it created, on success and failure.
#
#   sudo scripts/podsim/podsim.sh                 # every scenario
#   sudo scripts/podsim/podsim.sh 1 4             # some scenarios
#   sudo scripts/podsim/podsim.sh shell           # a shell in the pod (exit to clean up)
#
# Binaries come from $PODSIM_BIN (default .build/debug; build with `swift build --build-tests`).
# Only 198.51.100.0/24 (TEST-NET-2) is ever addressed. See docs/pod-simulation.md.
set -euo pipefail

PODSIM_HOME=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$PODSIM_HOME/../.." && pwd)
BIN=${PODSIM_BIN:-$ROOT/.build/debug}

NETNS=ks-pod
VETH_HOST=ks-host
VETH_POD=ks-pod0
TEST_NET=198.51.100.0/24
MASTER_A=198.51.100.1
MASTER_B=198.51.100.2
EXTERNAL=${PODSIM_EXTERNAL_KUBECONFIG:+1}
if [ -n "$EXTERNAL" ]; then
    # The first two addresses of the external API servers play masters A and B.
    IFS=, read -r MASTER_A_EP MASTER_B_EP _ <<<"${PODSIM_EXTERNAL_MASTERS:-}"
    MASTER_A=${MASTER_A_EP%:*}
    MASTER_B=${MASTER_B_EP%:*}
else
    MASTER_A_EP=$MASTER_A:6443
    MASTER_B_EP=$MASTER_B:6443
fi
DNS_IP=198.51.100.53
POD_IP=198.51.100.10
CLUSTER_IP=198.51.100.100
LOCAL_PORT=${PODSIM_LOCAL_PORT:-16443}   # the loopback listener kube-proxy-lite, the writer and kubectl use
POD_NAMESPACE=podsim
POD_SA=app

WORK=$(mktemp -d /tmp/podsim.XXXXXX)
PODFS=$WORK/podfs                 # the pod's service account volume (projected layout)
ADMIN_KUBECONFIG=$WORK/admin.kubeconfig
CA_FILE=$WORK/pki/ca.crt
PIDS=()                           # every background process we started
ADDED_BLACKHOLE=0
CREATED_NETNS_DIR=0
RESTORE_FORWARDING=""
HOST_NAT_RULES=()

log() { printf '[podsim %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "FATAL: $*"; exit 1; }

# ---------------------------------------------------------------- cleanup

stop_pid() {  # PID: SIGTERM, then SIGKILL after 5 s
    local pid=$1
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local status=$?
    set +e
    trap - EXIT INT TERM
    log "cleaning up"
    local pid
    for pid in "${PIDS[@]}"; do stop_pid "$pid"; done
    # Processes still inside the namespace (none expected) would keep it alive.
    if ip netns list | grep -qw "$NETNS"; then
        for pid in $(ip netns pids "$NETNS" 2>/dev/null); do stop_pid "$pid"; done
        ip netns del "$NETNS"
    fi
    ip link del "$VETH_HOST" 2>/dev/null
    local rule
    for rule in "${HOST_NAT_RULES[@]}"; do iptables -w -t nat -D POSTROUTING $rule; done
    [ -n "$RESTORE_FORWARDING" ] && sysctl -qw net.ipv4.ip_forward="$RESTORE_FORWARDING"
    [ "$ADDED_BLACKHOLE" = 1 ] && ip route del blackhole "$TEST_NET"
    if [ "$CREATED_NETNS_DIR" = 1 ]; then rm -rf "/etc/netns/$NETNS"; rmdir /etc/netns 2>/dev/null; fi
    rm -rf "$WORK"
    check_clean || status=1
    exit "$status"
}

# Everything the harness may create, checked after cleanup.
check_clean() {
    local left=()
    ip netns list | grep -qw "$NETNS" && left+=("netns $NETNS")
    ip link show "$VETH_HOST" >/dev/null 2>&1 && left+=("link $VETH_HOST")
    [ "$ADDED_BLACKHOLE" = 1 ] && ip route show "$TEST_NET" | grep -q blackhole && left+=("route blackhole $TEST_NET")
    ip route show | grep -E '^198\.51\.100\.[0-9]+ ' >/dev/null && left+=("routes: $(ip route show | grep -E '^198\.51\.100\.' | tr '\n' ';')")
    [ -e "/etc/netns/$NETNS" ] && left+=("/etc/netns/$NETNS")
    grep -q "$WORK" /proc/mounts && left+=("mounts under $WORK")
    [ -e "$WORK" ] && left+=("$WORK")
    local pid
    for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && left+=("process $pid"); done
    if [ ${#left[@]} -gt 0 ]; then
        log "LEFT BEHIND: ${left[*]}"
        return 1
    fi
    log "clean: no namespace, link, route, mount, file or process left"
}

# ---------------------------------------------------------------- network

setup_network() {
    if ip netns list | grep -qw "$NETNS" || ip link show "$VETH_HOST" >/dev/null 2>&1; then
        die "$NETNS or $VETH_HOST already exists (another run, or a crashed one: ip netns del $NETNS)"
    fi
    if ! ip route show "$TEST_NET" | grep -q blackhole; then
        ip route add blackhole "$TEST_NET"
        ADDED_BLACKHOLE=1
    fi
    ip netns add "$NETNS"
    ip link add "$VETH_HOST" type veth peer name "$VETH_POD"
    ip link set "$VETH_POD" netns "$NETNS"
    # Host side: the masters and the DNS server live here.
    local address
    for address in $([ -z "$EXTERNAL" ] && echo "$MASTER_A $MASTER_B") $DNS_IP; do ip addr add "$address/32" dev "$VETH_HOST"; done
    ip link set "$VETH_HOST" up
    ip route add "$POD_IP/32" dev "$VETH_HOST"
    # Pod side: its address, and a route for the test range only (no default route: nothing else is reachable).
    ip -n "$NETNS" link set lo up
    ip -n "$NETNS" addr add "$POD_IP/32" dev "$VETH_POD"
    ip -n "$NETNS" link set "$VETH_POD" up
    ip -n "$NETNS" route add "$TEST_NET" dev "$VETH_POD" scope link
    # An external cluster's own ClusterIP may lie outside the test range: a route so the pod
    # can address it at all; the DNAT rewrites it before anything leaves the pod.
    if [ -n "$EXTERNAL" ] && ! ip -n "$NETNS" route get "$CLUSTER_IP" >/dev/null 2>&1; then
        ip -n "$NETNS" route add "$CLUSTER_IP/32" dev "$VETH_POD" scope link
    fi
    # A pod's resolv.conf; `ip netns exec` bind-mounts /etc/netns/<ns>/resolv.conf over /etc/resolv.conf.
    if [ ! -d /etc/netns ] || [ ! -d "/etc/netns/$NETNS" ]; then CREATED_NETNS_DIR=1; fi
    mkdir -p "/etc/netns/$NETNS"
    cat >"/etc/netns/$NETNS/resolv.conf" <<EOF
search $POD_NAMESPACE.svc.cluster.local svc.cluster.local cluster.local
nameserver $DNS_IP
options ndots:5
EOF
    log "network: pod $POD_IP in netns $NETNS; masters $MASTER_A, $MASTER_B; DNS $DNS_IP; ClusterIP $CLUSTER_IP (virtual)"
}

# ---------------------------------------------------------------- DNS

DNSMASQ_PID=""
start_dns() {
    # Authoritative for cluster.local; every other name is NXDOMAIN (address=/#/); no upstream.
    dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts --no-poll \
        --listen-address="$DNS_IP" --bind-interfaces --port=53 --user=root \
        --host-record="kubernetes.default.svc.cluster.local,$CLUSTER_IP" \
        --local=/cluster.local/ --address=/#/ \
        --pid-file="$WORK/dnsmasq.pid" --log-facility="$WORK/dnsmasq.log" &
    DNSMASQ_PID=$!
    PIDS+=("$DNSMASQ_PID")
    for _ in $(seq 50); do
        kill -0 "$DNSMASQ_PID" 2>/dev/null || die "dnsmasq exited"
        if ip netns exec "$NETNS" timeout 2 getent hosts kubernetes.default.svc >/dev/null 2>&1; then
            log "dns: dnsmasq ($DNSMASQ_PID) answers kubernetes.default.svc → $CLUSTER_IP"
            return 0
        fi
        sleep 0.1
    done
    die "dnsmasq does not answer"
}

stop_dns() {
    [ -n "$DNSMASQ_PID" ] && stop_pid "$DNSMASQ_PID"
    DNSMASQ_PID=""
}

# ---------------------------------------------------------------- API server

SERVER_PID=""
PROXY_PID=""
ADMIN_TOKEN=""

write_seed() {
    cat >"$WORK/seed.yaml" <<EOF
apiVersion: v1
kind: Namespace
metadata: {name: $POD_NAMESPACE}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: $POD_SA, namespace: $POD_NAMESPACE}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: restricted, namespace: $POD_NAMESPACE}
---
# The app may do everything (a controller bound to cluster-admin, as in many clusters).
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: podsim-app}
rules:
- {apiGroups: ["*"], resources: ["*"], verbs: ["*"]}
- {nonResourceURLs: ["*"], verbs: ["*"]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: podsim-app}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: podsim-app}
subjects:
- {kind: ServiceAccount, name: $POD_SA, namespace: $POD_NAMESPACE}
---
# "restricted" may read ConfigMaps but not watch them (scenario 6), and read the kubernetes Service.
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: configmap-reader, namespace: $POD_NAMESPACE}
rules:
- {apiGroups: [""], resources: ["configmaps"], verbs: ["get", "list"]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: configmap-reader, namespace: $POD_NAMESPACE}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: configmap-reader}
subjects:
- {kind: ServiceAccount, name: restricted, namespace: $POD_NAMESPACE}
EOF
}

# start_cluster [extra kube-test-server flags...]: the server (masters A and B and a
# loopback listener over one store) and kube-proxy-lite programming the pod's NAT rules.
start_cluster() {
    if [ -n "$EXTERNAL" ]; then start_external; return; fi
    write_seed
    # Remove what the previous server wrote: the `>` below happens in the background child, so
    # until it runs, the wait loop could read the old log and the old kubeconfig (old admin token).
    rm -rf "$PODFS" "$WORK/server.log" "$ADMIN_KUBECONFIG"
    "$BIN/kube-test-server" \
        --listen "$MASTER_A:6443" --listen "$MASTER_B:6443" --listen "127.0.0.1:$LOCAL_PORT" \
        --advertise-address "$MASTER_A" --advertise-address "$MASTER_B" \
        --service-cluster-ip "$CLUSTER_IP" --tls-san "$CLUSTER_IP" \
        --cert-dir "$WORK/pki" --kubeconfig "$ADMIN_KUBECONFIG" --seed "$WORK/seed.yaml" \
        --pod-dir "$PODFS" --pod-namespace "$POD_NAMESPACE" --pod-service-account "$POD_SA" \
        "$@" >"$WORK/server.log" 2>&1 &
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
    for _ in $(seq 300); do
        grep -q "^pod filesystem:" "$WORK/server.log" 2>/dev/null && break
        kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; die "kube-test-server exited"; }
        sleep 0.1
    done
    grep -q "^pod filesystem:" "$WORK/server.log" || { cat "$WORK/server.log" >&2; die "kube-test-server did not start"; }
    # The loopback listener is the node-local one: kubeconfig → it (kube-proxy runs on the node).
    sed -i "s#server: https://$MASTER_A:6443#server: https://127.0.0.1:$LOCAL_PORT#" "$ADMIN_KUBECONFIG"
    ADMIN_TOKEN=$(sed -n 's/^ *token: *//p' "$ADMIN_KUBECONFIG" | head -1)
    log "server: kube-test-server ($SERVER_PID) on $MASTER_A:6443, $MASTER_B:6443 and 127.0.0.1:$LOCAL_PORT ${*:-}"
    start_proxy
}

stop_cluster() {
    [ -n "$PROXY_PID" ] && stop_pid "$PROXY_PID"
    [ -n "$SERVER_PID" ] && stop_pid "$SERVER_PID"
    PROXY_PID=""
    SERVER_PID=""
}

start_proxy() {
    "$BIN/KubeProxyLite" --kubeconfig "$ADMIN_KUBECONFIG" --exec-prefix "ip netns exec $NETNS" \
        >"$WORK/proxy.log" 2>&1 &
    PROXY_PID=$!
    PIDS+=("$PROXY_PID")
    wait_for_endpoints "$(expected_endpoints)"
}

expected_endpoints() {  # the endpoints the rules should hold with every master up
    if [ -n "$EXTERNAL" ]; then echo "$PODSIM_EXTERNAL_MASTERS"; else echo "$MASTER_A_EP,$MASTER_B_EP"; fi
}

# wait_for_endpoints "ip:port,ip:port": until kube-proxy-lite has applied exactly these.
wait_for_endpoints() {
    local want=$1
    for _ in $(seq 200); do
        [ "$(grep '^synced endpoints=' "$WORK/proxy.log" | tail -1)" = "synced endpoints=$want" ] && return 0
        kill -0 "$PROXY_PID" 2>/dev/null || { cat "$WORK/proxy.log" >&2; die "kube-proxy-lite exited"; }
        sleep 0.05
    done
    cat "$WORK/proxy.log" >&2
    die "kube-proxy-lite did not sync endpoints=$want"
}

# The admin control API (through the loopback listener, which is never stopped).
control() {
    curl -sS --fail-with-body --max-time 10 --cacert "$CA_FILE" -H "Authorization: Bearer $ADMIN_TOKEN" \
        -H 'Content-Type: application/json' -d "$1" "https://127.0.0.1:$LOCAL_PORT/_control/faults" >/dev/null
}

# master_down INDEX / master_up INDEX (0 = A, 1 = B). Locally: the server stops the listener
# and withdraws it from the EndpointSlice (a graceful apiserver shutdown). External: the pod
# loses the route to that master (a partition; the EndpointSlice does not change).
master_down() {
    if [ -n "$EXTERNAL" ]; then external_partition "$1" -A; return; fi
    control "{\"action\":\"stopListener\",\"index\":$1}"
}
master_up() {
    if [ -n "$EXTERNAL" ]; then external_partition "$1" -D; return; fi
    control "{\"action\":\"startListener\",\"index\":$1}"
}

kubectl_admin() { kubectl --kubeconfig "$ADMIN_KUBECONFIG" "$@"; }

# ---------------------------------------------------------------- external API servers

# PODSIM_EXTERNAL_KUBECONFIG  admin kubeconfig (namespace/RBAC setup, the writer, kube-proxy-lite)
# PODSIM_EXTERNAL_MASTERS     ip:port,ip:port of the API servers as the EndpointSlice lists them
# PODSIM_EXTERNAL_CA          the cluster CA file (the pod's ca.crt)
# PODSIM_TOKEN_COMMAND        prints a token for $PODSIM_SA in $PODSIM_NS (default: kubectl create token)
start_external() {
    [ -n "${PODSIM_EXTERNAL_MASTERS:-}" ] && [ -r "${PODSIM_EXTERNAL_CA:-}" ] || die "external mode needs PODSIM_EXTERNAL_MASTERS and PODSIM_EXTERNAL_CA"
    cp "$PODSIM_EXTERNAL_KUBECONFIG" "$ADMIN_KUBECONFIG"
    mkdir -p "$WORK/pki"
    cp "$PODSIM_EXTERNAL_CA" "$CA_FILE"
    write_seed
    kubectl_admin apply --validate=false -f "$WORK/seed.yaml" >/dev/null
    route_external_masters
    write_token_podfs "$PODFS" "$POD_SA"
    start_proxy
}

# The pod reaches remote masters through the host: a /32 route per master in the pod and
# forwarding + masquerade on the host (undone at cleanup).
route_external_masters() {
    local endpoint ip
    for endpoint in ${PODSIM_EXTERNAL_MASTERS//,/ }; do
        ip=${endpoint%:*}
        if ip -4 addr show | grep -q "inet $ip/"; then continue; fi  # a master on this host
        ip -n "$NETNS" route add "$ip/32" dev "$VETH_POD" scope link
        if [ -z "$RESTORE_FORWARDING" ]; then
            RESTORE_FORWARDING=$(sysctl -n net.ipv4.ip_forward)
            sysctl -qw net.ipv4.ip_forward=1
        fi
        local rule="-s $POD_IP/32 -d $ip/32 -m comment --comment podsim -j MASQUERADE"
        # shellcheck disable=SC2086
        iptables -w -t nat -A POSTROUTING $rule
        HOST_NAT_RULES+=("$rule")
    done
}

external_partition() {  # INDEX -A|-D: reject the pod's traffic to that master
    local endpoint
    endpoint=$(echo "$PODSIM_EXTERNAL_MASTERS" | cut -d, -f$(( $1 + 1 )))
    ip netns exec "$NETNS" iptables -w "$2" OUTPUT -d "${endpoint%:*}/32" -p tcp -j REJECT --reject-with tcp-reset
}

# write_token_podfs DIR SERVICEACCOUNT: a projected service account volume the kubelet's
# way (AtomicWriter: a timestamped directory, the ..data symlink, file symlinks).
write_token_podfs() {
    local dir=$1 sa=$2 token stamp
    token=$(PODSIM_SA=$sa PODSIM_NS=$POD_NAMESPACE bash -c "${PODSIM_TOKEN_COMMAND:-kubectl --kubeconfig \"$ADMIN_KUBECONFIG\" create token \"\$PODSIM_SA\" -n \"\$PODSIM_NS\" --duration=1h}")
    [ -n "$token" ] || die "no token for $sa"
    mkdir -p "$dir"
    stamp="..$(date +%Y_%m_%d_%H_%M_%S.%N)"
    mkdir "$dir/$stamp"
    printf '%s' "$token" >"$dir/$stamp/token"
    cp "$CA_FILE" "$dir/$stamp/ca.crt"
    printf '%s' "$POD_NAMESPACE" >"$dir/$stamp/namespace"
    chmod 0644 "$dir/$stamp"/*
    ln -sfn "$stamp" "$dir/..data_tmp"
    mv -T "$dir/..data_tmp" "$dir/..data"
    local file
    for file in token ca.crt namespace; do [ -L "$dir/$file" ] || ln -s "..data/$file" "$dir/$file"; done
}

# ---------------------------------------------------------------- the pod

# in_pod [--podfs DIR] COMMAND...: runs COMMAND as a process of the pod: the pod's network
# namespace and resolv.conf, a private mount namespace with tmpfs on /run and the service
# account volume at /var/run/secrets/kubernetes.io/serviceaccount, and a pod's environment.
in_pod() {
    local podfs=$PODFS
    if [ "${1:-}" = --podfs ]; then podfs=$2; shift 2; fi
    ip netns exec "$NETNS" unshare -m --propagation private sh -c '
        mount -t tmpfs tmpfs /run &&
        mkdir -p /run/secrets/kubernetes.io/serviceaccount &&
        mount --bind "$0" /run/secrets/kubernetes.io/serviceaccount &&
        exec "$@"' "$podfs" \
        env -i PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME="$WORK/home" \
        HOSTNAME=podsim-pod \
        KUBERNETES_SERVICE_HOST="$CLUSTER_IP" KUBERNETES_SERVICE_PORT=443 KUBERNETES_SERVICE_PORT_HTTPS=443 \
        KUBERNETES_PORT="tcp://$CLUSTER_IP:443" KUBERNETES_PORT_443_TCP="tcp://$CLUSTER_IP:443" \
        KUBERNETES_PORT_443_TCP_PROTO=tcp KUBERNETES_PORT_443_TCP_PORT=443 KUBERNETES_PORT_443_TCP_ADDR="$CLUSTER_IP" \
        "$@"
}

# ---------------------------------------------------------------- main

main() {
    [ "$(id -u)" = 0 ] || die "the pod simulation needs root (network namespaces, iptables, mounts)"
    local tool
    for tool in ip iptables iptables-restore dnsmasq unshare curl kubectl jq python3; do
        command -v "$tool" >/dev/null || die "$tool is not installed"
    done
    for tool in kube-test-server kubeprobe KubeProxyLite ConfigMapCache ConfigMapWriter; do
        [ -n "$EXTERNAL" ] && [ "$tool" = kube-test-server ] && continue
        [ -x "$BIN/$tool" ] || die "$BIN/$tool is missing: run swift build --build-tests"
    done
    trap cleanup EXIT
    trap 'exit 130' INT TERM
    mkdir -p "$WORK/home"
    local started=$SECONDS
    if [ -n "$EXTERNAL" ]; then
        # The cluster's own ClusterIP: its serving certificate covers it (a virtual one would not).
        CLUSTER_IP=${PODSIM_EXTERNAL_CLUSTER_IP:-$(kubectl --kubeconfig "$PODSIM_EXTERNAL_KUBECONFIG" get service kubernetes -n default -o jsonpath='{.spec.clusterIP}')}
        [ -n "$CLUSTER_IP" ] || die "cannot read the ClusterIP of default/kubernetes"
    fi
    setup_network
    start_dns
    start_cluster
    if [ "${1:-}" = shell ]; then
        log "a shell in the pod; exit to clean up"
        in_pod bash -i
        return 0
    fi
    # shellcheck source=scenarios.sh
    source "$PODSIM_HOME/scenarios.sh"
    local failed=0
    run_scenarios "$@" || failed=$?
    log "harness time: $(( SECONDS - started )) s"
    return "$failed"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    main "$@"
fi
