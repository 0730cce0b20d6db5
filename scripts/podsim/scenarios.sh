# The pod simulation's scenarios; sourced by podsim.sh (which provides in_pod, master_down, ...).
# Each scenario asserts concrete results; run_scenarios prints PASS/FAIL per scenario and
# "N passed, N failed", and returns non-zero on any failure.

ROTATION_SECONDS=${PODSIM_ROTATION_SECONDS:-120}   # scenario 3's length
WRITES=${PODSIM_WRITES:-1000}                      # scenario 2's ConfigMap changes
OUTAGE_SECONDS=${PODSIM_OUTAGE_SECONDS:-3}         # how long each master stays down in scenario 2
MARKER=podsim-marker
SCENARIO_OK=1

# expect DESCRIPTION COMMAND...: one assertion.
expect() {
    local description=$1
    shift
    if "$@" >/dev/null 2>&1; then
        log "  ✓ $description"
    else
        log "  ✗ $description"
        SCENARIO_OK=0
    fi
}

note() { log "  · $*"; }

# kjson FILE EXPR [jq options...]: true when FILE holds exactly one JSON document and EXPR is true for it.
kjson() {
    local file=$1 expr=$2
    shift 2
    jq -e -s "$@" "length == 1 and (.[0] | $expr)" "$file"
}
# Whether a step's summary + details + cause + fix contain a text: step_mentions ID TEXT FILE
step_mentions() {
    kjson "$3" '.steps[] | select(.id == $id) | ([.summary, (.details // [])[], .cause // "", .fix // ""] | join("\n")) | contains($text)' \
        --arg id "$1" --arg text "$2"
}
step_status_is() { kjson "$3" '.steps[] | select(.id == $id) | .status == $status' --arg id "$1" --arg status "$2"; }

kubeprobe_check() {  # [--podfs DIR] OUTPUT_FILE [check flags...]: runs kubeprobe check in the pod; echoes the exit code
    local podfs=()
    if [ "$1" = --podfs ]; then podfs=(--podfs "$2"); shift 2; fi
    local output=$1
    shift
    local status=0
    in_pod "${podfs[@]}" timeout 60 "$BIN/kubeprobe" check --output json "$@" >"$output" 2>"$output.err" || status=$?
    echo "$status"
}

# The server's state as the controller's digest: sha256 of sorted name=resourceVersion lines.
server_digest() {
    kubectl_admin get configmaps -n "$POD_NAMESPACE" -o json |
        jq -r --arg marker "$MARKER" '.items[] | select(.metadata.name != $marker) | "\(.metadata.name)=\(.metadata.resourceVersion)"' |
        LC_ALL=C sort | sha256sum | cut -d' ' -f1
}

wait_progress() {  # FILE N: until the writer has made N changes
    for _ in $(seq 1200); do
        local done
        done=$(grep -E '^(progress|done) ' "$1" 2>/dev/null | tail -1 | cut -d' ' -f2)
        [ "${done:-0}" -ge "$2" ] && return 0
        sleep 0.05
    done
    return 1
}

# After master_down: the slice lists only the survivor. Against an external server the
# outage is a partition the EndpointSlice does not show, so the rules keep both.
wait_for_endpoints_after_down() {
    if [ -n "$EXTERNAL" ]; then wait_for_endpoints "$(expected_endpoints)"; else wait_for_endpoints "$1"; fi
}

wait_exit() {  # PID SECONDS: true when the process ended in time
    for _ in $(seq $(( $2 * 10 ))); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
    return 1
}

report_field() { tail -1 "$1" | jq -r "$2"; }

# ---------------------------------------------------------------- 1

scenario_1() {
    log "scenario 1: kubeprobe check in the pod"
    local out=$WORK/s1.json status
    expect "kubernetes.default.svc resolves to the ClusterIP in the pod (search list + ndots:5)" \
        sh -c "[ \"\$(ip netns exec $NETNS getent ahostsv4 kubernetes.default.svc | awk 'NR==1{print \$1}')\" = $CLUSTER_IP ]"
    expect "names outside cluster.local are NXDOMAIN (no upstream)" sh -c "! ip netns exec $NETNS getent hosts example.com"
    status=$(kubeprobe_check "$out")
    expect "kubeprobe check exits 0" [ "$status" = 0 ]
    expect "every step is ✓" kjson "$out" '(.steps | length) >= 10 and ([.steps[].status] | all(. == "ok"))'
    jq -r '.steps[] | "    \(.number). \(.id): \(.status) — \(.summary)"' "$out" >&2 || cat "$out" "$out.err" >&2
    expect "DNS step found the ClusterIP" step_mentions dns "$CLUSTER_IP" "$out"
    expect "both masters answer kubeprobe's direct TLS probe" kjson "$out" \
        '.steps[] | select(.id == "endpoints") | (.details // []) | any(startswith("✓ " + $a + " up")) and any(startswith("✓ " + $b + " up"))' \
        --arg a "$MASTER_A_EP" --arg b "$MASTER_B_EP"
    expect "the EndpointSlice lists both masters" kjson "$out" \
        '.steps[] | select(.id == "endpoints") | (.details // []) | any(startswith("EndpointSlice:") and contains($a) and contains($b))' \
        --arg a "$MASTER_A_EP" --arg b "$MASTER_B_EP"
}

# ---------------------------------------------------------------- 2

scenario_2() {
    log "scenario 2: a watch-based controller in the pod; $WRITES changes; master A stopped and restarted, then B"
    kubectl_admin delete configmap "$MARKER" -n "$POD_NAMESPACE" --ignore-not-found >/dev/null
    local app_out=$WORK/s2.app writer_out=$WORK/s2.writer failovers=$WORK/s2.failovers
    # The controller starts while only master A is up, so its connection starts on A and both
    # failovers (A, then B) hit it: one disruption figure per master.
    master_down 1
    wait_for_endpoints_after_down "$MASTER_A_EP"
    in_pod "$BIN/ConfigMapCache" --marker "$MARKER" >"$app_out" 2>"$app_out.err" &
    local app=$!
    PIDS+=("$app")
    for _ in $(seq 200); do grep -q '^synced' "$app_out" && break; sleep 0.05; done
    expect "the controller synced its cache (through master A)" grep -q '^synced' "$app_out"
    master_up 1
    wait_for_endpoints "$(expected_endpoints)"
    "$BIN/ConfigMapWriter" --kubeconfig "$ADMIN_KUBECONFIG" --namespace "$POD_NAMESPACE" --count "$WRITES" --rate 50 \
        >"$writer_out" 2>&1 &
    local writer=$!
    PIDS+=("$writer")
    : >"$failovers"
    local step=0 index name
    for index in 0 1; do
        step=$(( step + 1 ))
        name=$([ "$index" = 0 ] && echo A || echo B)
        wait_progress "$writer_out" $(( WRITES * step / 3 )) || break
        local down up
        down=$(date +%s.%N)
        master_down "$index"
        wait_for_endpoints_after_down "$([ "$index" = 0 ] && echo "$MASTER_B_EP" || echo "$MASTER_A_EP")"
        sleep "$OUTAGE_SECONDS"
        master_up "$index"
        wait_for_endpoints "$(expected_endpoints)"
        up=$(date +%s.%N)
        echo "$name $down $up" >>"$failovers"
        note "master $name down at $(date -d "@$down" +%T.%N | cut -c1-12), back at $(date -d "@$up" +%T.%N | cut -c1-12)$([ -z "$EXTERNAL" ] && echo "; kube-proxy-lite removed and restored its rule")"
    done
    expect "the writer made all $WRITES changes" wait_exit "$writer" 120
    wait "$writer"
    expect "the writer exited 0" grep -q "^done $WRITES" "$writer_out"
    local digest
    digest=$(server_digest)
    echo "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"$MARKER\",\"namespace\":\"$POD_NAMESPACE\"}}" |
        kubectl_admin create --validate=false -f - >/dev/null
    expect "the controller saw the marker and reported" wait_exit "$app" 30
    stop_pid "$app"
    local report
    report=$(grep '^{' "$app_out" | tail -1)
    [ -n "$report" ] || { report='{}'; cat "$app_out" "$app_out.err" >&2; }
    echo "$report" >"$app_out.json"
    expect "the cache digest equals the server's ($digest)" [ "$(jq -r .digest <<<"$report")" = "$digest" ]
    expect "no error reached the application" [ "$(jq -r .errorsSurfaced <<<"$report")" = 0 ]
    note "events $(jq -r .events <<<"$report"), objects $(jq -r .objects <<<"$report"), failures the watcher recovered from: $(jq -r .recoveredFailures <<<"$report")"
    # Each failover's disruption: the disruption whose failure falls in its window.
    python3 - "$failovers" "$app_out.json" >"$WORK/s2.disruptions" <<'EOF'
import json, sys
failovers = [line.split() for line in open(sys.argv[1]) if line.strip()]
report = json.load(open(sys.argv[2]))
for i, (name, down, up) in enumerate(failovers):
    down, up = float(down), float(up)
    # A failover's window: from just before the master stops to just before the next one stops.
    end = float(failovers[i + 1][1]) - 0.2 if i + 1 < len(failovers) else up + 10
    hits = [d for d in report.get("disruptions", []) if down - 0.2 <= d["failedAt"] < end]
    if not hits:
        print(f"{name} unaffected 0 -")
    else:
        worst = max(hits, key=lambda d: d.get("seconds", 1e9))
        detail = "failed +%.3f s after the stop, last event before it at %+.3f s, recovered at +%.3f s" % (
            worst["failedAt"] - down, worst["lastEventBefore"] - down, worst.get("recoveredAt", float("nan")) - down)
        print(f"{name} disrupted {worst.get('seconds', 1e9):.3f} {detail}")
EOF
    local affected=0 line limit
    while read -r name kind seconds detail; do
        # The bound: 5 s. Externally each failover is a partition that the DNAT keeps drawing
        # (the EndpointSlice still lists the master), so reconnects can be refused several
        # times in a row within the 3 s outage (sleeps of 0.4-1.2, 0.8-2.4 and 1.6-4.8 s fit
        # into it) and the backoff (0.8 s doubling, ±50 % jitter, like client-go and kube-rs)
        # keeps doubling: 3 s of outage + up to 0.8 s · 2^3 · 1.5 = 9.6 s of sleep after a
        # 4th failure: 13 s, for the first failover as for the second (6.3 s and 8.5 s seen).
        limit=5
        if [ -n "$EXTERNAL" ]; then limit=13; fi
        if [ "$kind" = unaffected ]; then
            note "failover of master $name: the controller's watch was on the other master (no disruption)"
        else
            affected=$(( affected + 1 ))
            log "  · failover of master $name: disruption $seconds s (last event before the failure → first after recovery; $detail)"
            expect "master $name failover disruption $seconds s < $limit s" python3 -c "import sys; sys.exit(0 if $seconds < $limit else 1)"
        fi
    done <"$WORK/s2.disruptions"
    if [ -z "$EXTERNAL" ]; then
        expect "both failovers hit the controller's connection" [ "$affected" = 2 ]
    else
        # A partition leaves the master in the EndpointSlice: the reconnect may land on A
        # again once A is back, so B's partition need not hit the controller.
        expect "at least one failover hit the controller's connection" [ "$affected" -ge 1 ]
    fi
    expect "the controller's cache holds what the server holds" \
        [ "$(jq -r .objects <<<"$report")" = "$(kubectl_admin get configmaps -n "$POD_NAMESPACE" -o name | grep -vc "/$MARKER$")" ]
}

# ---------------------------------------------------------------- 3

scenario_3() {
    if [ -n "$EXTERNAL" ]; then
        log "scenario 3: SKIP against an external API server (TokenRequest refuses tokens shorter than 10 minutes)"
        SCENARIO_SKIPPED=1
        return 0
    fi
    log "scenario 3: token rotation the kubelet's way every 10 s, 20 s tokens, ${ROTATION_SECONDS} s of list/watch"
    stop_cluster
    # --verbose logs every request with its status code: the 401s the client absorbed are counted.
    start_cluster --token-ttl 20 --token-rotation-period 10 --verbose
    local first
    first=$(cat "$PODFS/token")
    local first_target
    first_target=$(readlink "$PODFS/..data")
    local app_out=$WORK/s3.app
    in_pod "$BIN/ConfigMapCache" --duration "$ROTATION_SECONDS" --list-every-ms 200 --watch-timeout 15 >"$app_out" 2>"$app_out.err" &
    local app=$!
    PIDS+=("$app")
    "$BIN/ConfigMapWriter" --kubeconfig "$ADMIN_KUBECONFIG" --namespace "$POD_NAMESPACE" --count $(( ROTATION_SECONDS * 5 )) --rate 5 \
        >"$WORK/s3.writer" 2>&1 &
    local writer=$!
    PIDS+=("$writer")
    expect "the app ran for ${ROTATION_SECONDS} s and reported" wait_exit "$app" $(( ROTATION_SECONDS + 30 ))
    stop_pid "$app"
    stop_pid "$writer"
    local report
    report=$(grep '^{' "$app_out" | tail -1)
    [ -n "$report" ] || { report='{}'; cat "$app_out" "$app_out.err" >&2; }
    local rotations absorbed
    rotations=$(grep -c "rotated the pod token" "$WORK/server.log" || true)
    absorbed=$(grep -c "code=401" "$WORK/server.log" || true)
    note "rotations $rotations, lists $(jq -r .lists <<<"$report"), watch events $(jq -r .events <<<"$report"), 401s the server sent $absorbed (each absorbed by the client's re-read and retry), 401s reaching the app $(jq -r .unauthorized <<<"$report")"
    expect "the kubelet-style ..data swap happened at least $(( ROTATION_SECONDS / 10 - 1 )) times" [ "$rotations" -ge $(( ROTATION_SECONDS / 10 - 1 )) ]
    expect "..data points elsewhere than at the start" [ "$(readlink "$PODFS/..data")" != "$first_target" ]
    expect "constant traffic: at least $(( ROTATION_SECONDS * 2 )) lists" [ "$(jq -r '.lists // 0' <<<"$report")" -ge $(( ROTATION_SECONDS * 2 )) ]
    expect "zero 401s reached the application" [ "$(jq -r .unauthorized <<<"$report")" = 0 ]
    expect "no error reached the application" [ "$(jq -r .errorsSurfaced <<<"$report")" = 0 ]
    local url="https://127.0.0.1:$LOCAL_PORT/api/v1/namespaces/$POD_NAMESPACE/configmaps"
    local old_code new_code
    old_code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CA_FILE" -H "Authorization: Bearer $first" "$url")
    new_code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$CA_FILE" -H "Authorization: Bearer $(cat "$PODFS/token")" "$url")
    expect "the first token, expired, is rejected with 401 (got $old_code)" [ "$old_code" = 401 ]
    expect "the current token is accepted (got $new_code)" [ "$new_code" = 200 ]
    stop_cluster
    start_cluster
}

# ---------------------------------------------------------------- 4

scenario_4() {
    log "scenario 4: a wrong CA mounted"
    local podfs=$WORK/podfs-wrong-ca
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$WORK/wrong-ca.key" \
        -out "$WORK/wrong-ca.crt" -subj "/CN=not-the-cluster-ca" -days 1 2>/dev/null
    CA_FILE=$WORK/wrong-ca.crt write_podfs_from_token "$podfs" "$(cat "$PODFS/token")"
    local out=$WORK/s4.json status
    status=$(kubeprobe_check --podfs "$podfs" "$out")
    expect "kubeprobe check exits 1" [ "$status" = 1 ]
    jq -r '.steps[] | "    \(.number). \(.id): \(.status) — \(.summary)"' "$out" >&2 || cat "$out" "$out.err" >&2
    expect "the TLS step failed" step_status_is tls failed "$out"
    expect "the TLS step names the cause (certificate / CA)" kjson "$out" \
        '.steps[] | select(.id == "tls") | ([.summary, .cause // "", (.details // [])[]] | join(" ")) | test("(?i)certificate|ca\\.crt|verif|issuer|trust")'
    expect "nothing after TLS succeeded (no fallback to no verification)" kjson "$out" \
        '[.steps[] | select(.number > 5) | .status] | all(. != "ok")'
    local app_out=$WORK/s4.app
    in_pod --podfs "$podfs" "$BIN/ConfigMapCache" --duration 4 --list-every-ms 500 >"$app_out" 2>"$app_out.err" || true
    local report
    report=$(grep '^{' "$app_out" | tail -1 || true)
    report=${report:-'{}'}
    expect "the client got nothing from the server with the wrong CA" [ "$(jq -r '.events' <<<"$report")" = 0 ]
    expect "the client reports the verification failure" grep -qiE "certificate|verif|tls" "$app_out.err"
}

# write_podfs_from_token DIR TOKEN: a projected volume with this token and $CA_FILE.
write_podfs_from_token() {
    PODSIM_TOKEN_COMMAND="printf %s '$2'" write_token_podfs "$1" ignored
}

# ---------------------------------------------------------------- 5

scenario_5() {
    log "scenario 5: cluster DNS down"
    stop_dns
    local out=$WORK/s5.json status
    status=$(kubeprobe_check "$out")
    jq -r '.steps[] | "    \(.number). \(.id): \(.status) — \(.summary)"' "$out" >&2 || cat "$out" "$out.err" >&2
    expect "check flags the DNS step" kjson "$out" '.steps[] | select(.id == "dns") | .status != "ok"'
    expect "TCP, TLS, /version, list+watch through the env vars still ✓" kjson "$out" \
        '[.steps[] | select(.id == "tcp" or .id == "tls" or .id == "health" or .id == "streaming") | .status] | length == 4 and all(. == "ok")'
    note "kubeprobe check exit code $status"
    local app_out=$WORK/s5.app
    in_pod "$BIN/ConfigMapCache" --duration 3 --list-every-ms 300 >"$app_out" 2>"$app_out.err" || true
    local report
    report=$(grep '^{' "$app_out" | tail -1 || true)
    report=${report:-'{}'}
    expect "lists work without DNS ($(jq -r '.lists' <<<"$report") lists)" [ "$(jq -r '.lists // 0' <<<"$report")" -gt 0 ]
    expect "no error reached the application" [ "$(jq -r '.errorsSurfaced' <<<"$report")" = 0 ]
    start_dns
}

# ---------------------------------------------------------------- 6

scenario_6() {
    log "scenario 6: a service account that may list but not watch ConfigMaps"
    local podfs=$WORK/podfs-restricted
    write_podfs_from_token "$podfs" "$(kubectl_admin create token restricted -n "$POD_NAMESPACE" --duration=1h)"
    local app_out=$WORK/s6.app
    in_pod --podfs "$podfs" "$BIN/ConfigMapCache" --duration 5 >"$app_out" 2>"$app_out.err" || true
    sed 's/^/    app: /' "$app_out.err" | head -3 >&2
    expect "the controller surfaces Forbidden" grep -q "Forbidden" "$app_out.err"
    expect "naming the verb (watch) and the resource (configmaps)" grep -qE 'cannot watch resource "configmaps"' "$app_out.err"
    local out=$WORK/s6.json status
    status=$(kubeprobe_check --podfs "$podfs" "$out" --need "watch configmaps")
    expect "kubeprobe check --need \"watch configmaps\" exits 1" [ "$status" = 1 ]
    expect "the permissions step prints the missing Role" kjson "$out" \
        '.steps[] | select(.id == "permissions") | (.fixYAML // "") | (contains("kind: Role") and contains("configmaps") and contains("watch"))'
    local human=$WORK/s6.txt
    in_pod --podfs "$podfs" timeout 60 "$BIN/kubeprobe" check --need "watch configmaps" >"$human" 2>&1 || true
    expect "the human report prints the Role too" grep -q "kind: Role" "$human"
}

# ---------------------------------------------------------------- driver

run_scenarios() {
    local selected=("$@") passed=0 failed=0 number results=()
    SCENARIO_SKIPPED=0
    [ ${#selected[@]} -gt 0 ] || selected=(1 2 3 4 5 6)
    for number in "${selected[@]}"; do
        SCENARIO_OK=1
        local started=$SECONDS
        if ! declare -F "scenario_$number" >/dev/null; then
            log "no scenario $number"
            SCENARIO_OK=0
        elif ! "scenario_$number"; then
            SCENARIO_OK=0
        fi
        if [ "$SCENARIO_SKIPPED" = 1 ]; then
            SCENARIO_SKIPPED=0
            results+=("SKIP scenario $number")
        elif [ "$SCENARIO_OK" = 1 ]; then
            passed=$(( passed + 1 ))
            results+=("PASS scenario $number ($(( SECONDS - started )) s)")
        else
            failed=$(( failed + 1 ))
            results+=("FAIL scenario $number ($(( SECONDS - started )) s)")
        fi
        echo "${results[-1]}"
    done
    echo "$passed passed, $failed failed"
    [ "$failed" = 0 ]
}
