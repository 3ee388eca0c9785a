#!/bin/bash
# Benchmarks of `make bench`.  Record results in docs/BENCHMARKS.md with the
# command, the machine and the date.
#
#   scripts/bench.sh BUILD_DIR
#
# 1. bench_core: per-message costs of the protocol core.
# 2. edgeview-dispatcher under edgeview-bench on 127.0.0.1 (TLS on):
#    pingpong 1000 sessions (closed loop, then at 12,500 pings/s = 25,000
#    relayed messages/s), bulk through 1 and 100 sessions, idle sessions
#    (as many as the file-descriptor limit allows, up to 10,000).
# 3. With EVE_DISPATCHER=/path/to/wss-server (EVE's Go example dispatcher,
#    built by hand, never by this project) the same runs against it.  It
#    listens on the address of the default route, so both dispatchers run in
#    a network namespace with only loopback (needs root and iproute2).
#
# 4. eve-agent: idle memory and CPU per config poll (tests/bench/agent_bench.py).
#
# BENCH_SECONDS (default 10) sets each run's length; BENCH_ONLY=core,
# dispatcher, session or agent runs one part.
set -eu
BUILD=$(cd "$1" && pwd)
SECS=${BENCH_SECONDS:-10}
BENCH=$BUILD/bin/edgeview-bench
DISP=$BUILD/bin/edgeview-dispatcher
WORK=$BUILD/bench
rm -rf "$WORK"
mkdir -p "$WORK"
NS=""
PIDS=()

cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	[ -n "$NS" ] && ip netns del "$NS" 2>/dev/null || true
}
trap cleanup EXIT

echo "== machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -r), $(date -u +%Y-%m-%d)"
echo
echo "== bench_core (one core, ${BENCH_CORE_SECONDS:-1} s per case)"
"$BUILD"/tests/bench/bench_core "${BENCH_CORE_SECONDS:-1}"

# A CA and a dispatcher certificate it signs (cert.pem is the CA to trust).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/ca.key" \
	-out "$WORK/cert.pem" -days 2 -subj /CN=edgeview-bench-ca >/dev/null 2>&1
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/key.pem" \
	-out "$WORK/server.csr" -subj /CN=localhost >/dev/null 2>&1
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >"$WORK/ext.cnf"
openssl x509 -req -in "$WORK/server.csr" -CA "$WORK/cert.pem" -CAkey "$WORK/ca.key" \
	-CAcreateserial -out "$WORK/server.pem" -days 2 -extfile "$WORK/ext.cnf" >/dev/null 2>&1

# Run in the namespace when there is one.
inns() {
	if [ -n "$NS" ]; then ip netns exec "$NS" "$@"; else "$@"; fi
}

# Start in the background and remember the process (not a subshell) to stop.
bg() {
	if [ -n "$NS" ]; then ip netns exec "$NS" "$@" & else "$@" & fi
	PIDS+=($!)
}

PORT=18800
start_dispatcher() { # kind
	PORT=$((PORT + 1))
	if [ "$1" = ours ]; then
		bg "$DISP" --listen "127.0.0.1:$PORT" --cert "$WORK/server.pem" --key "$WORK/key.pem" \
			--log-level warn >>"$WORK/dispatcher.log" 2>&1
	else
		bg "$EVE_DISPATCHER" -port "$PORT" -cert "$WORK/server.pem" -key "$WORK/key.pem" \
			>>"$WORK/eve-dispatcher.log" 2>&1
	fi
	for _ in $(seq 1 300); do
		inns bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "bench: dispatcher ($1) did not start" >&2
	exit 1
}

stop_dispatcher() {
	kill "${PIDS[-1]}" 2>/dev/null || true
	wait "${PIDS[-1]}" 2>/dev/null || true
	unset 'PIDS[-1]'
}

run() { # label, bench args...
	local label=$1
	shift
	echo "-- $label: edgeview-bench $* --url wss://127.0.0.1:$PORT/edge-view"
	inns "$BENCH" "$@" --url "wss://127.0.0.1:$PORT/edge-view" --cafile "$WORK/cert.pem" |
		grep -E 'sessions  |relayed|RTT|target rate|per session|total  |dispatcher (VmRSS|Private|CPU)|bench  |errors|result' ||
		true
}

# File descriptors bound the idle run: two per session in the dispatcher.
hard=$(ulimit -Hn)
IDLE=$(((hard - 200) / 2))
[ "$IDLE" -gt 10000 ] && IDLE=10000

suite() { # kind
	echo
	echo "== dispatcher: $1"
	start_dispatcher "$1"
	run "pingpong, 1000 sessions, 64 B, closed loop" pingpong --sessions 1000 --duration "$SECS"
	run "pingpong, 1000 sessions, 64 B, 12500 pings/s" pingpong --sessions 1000 --duration "$SECS" --rate 12500
	run "bulk, 1 session, 16 KiB messages" bulk --sessions 1 --duration "$SECS"
	run "bulk, 100 sessions, 16 KiB messages, 2 bench processes" bulk --sessions 100 --duration "$SECS" --procs 2
	stop_dispatcher
	# A fresh dispatcher, so earlier runs' freed memory does not hide growth.
	start_dispatcher "$1"
	run "idle, $IDLE sessions ($((2 * IDLE)) TLS websockets; fd hard limit $hard)" idle --sessions "$IDLE" --duration "$SECS" --procs 2 --ready-timeout 300
	stop_dispatcher
}

if [ -n "${EVE_DISPATCHER:-}" ]; then
	if [ "$(id -u)" != 0 ] || ! command -v ip >/dev/null; then
		echo "bench: EVE_DISPATCHER needs root and iproute2 for a network namespace" >&2
		exit 1
	fi
	NS=evbench-$$
	ip netns add "$NS"
	ip -n "$NS" link set lo up
fi
# 4. A whole session: edgeviewd (supervised) behind our dispatcher; the
#    device's idle memory and the round trip of small queries.
session_suite() {
	echo
	echo "== edgeviewd and edgeview through the dispatcher"
	start_dispatcher ours
	local root=$WORK/device uuid=0c6b3a6e-8f1f-4a5d-9a53-2f0f5c3e9b01 tok
	mkdir -p "$root/persist/status"
	echo "$uuid" >"$root/persist/status/uuid"
	ln -sfn /proc "$root/proc"
	ln -sfn /sys "$root/sys"
	openssl ecparam -name prime256v1 -genkey -noout -out "$WORK/controller.key"
	tok=$("$BUILD"/bin/edgeview token mint --key "$WORK/controller.key" \
		--dispatcher "127.0.0.1:$PORT" --device "$uuid" --ttl 1h)
	"$BUILD"/bin/edgeview token install --root "$root" --token "$tok" >/dev/null
	bg "$BUILD"/bin/edgeviewd --root "$root" --cafile "$WORK/cert.pem" >"$WORK/edgeviewd.log" 2>&1
	for _ in $(seq 100); do grep -q "connected to the dispatcher" "$WORK/edgeviewd.log" && break; sleep 0.1; done
	sleep 2
	local dev
	dev=$(pgrep -P "${PIDS[-1]}" | head -1)
	echo "-- edgeviewd idle (device process $dev): $(grep VmRSS /proc/"$dev"/status | tr -s ' '), Private $(awk '/^Private_(Clean|Dirty)/ {s += $2} END {print s " kB"}' /proc/"$dev"/smaps_rollup)"
	local n=${BENCH_QUERIES:-200} i t0 t1
	: >"$WORK/rtt.txt"
	for i in $(seq "$n"); do
		t0=$(date +%s%N)
		inns env EDGEVIEW_TOKEN="$tok" "$BUILD"/bin/edgeview -cafile "$WORK/cert.pem" if/lo >/dev/null
		t1=$(date +%s%N)
		echo $(((t1 - t0) / 1000)) >>"$WORK/rtt.txt"
	done
	inns tests/bench/session_rtt.py "wss://127.0.0.1:$PORT/edge-view" "$WORK/cert.pem" "$tok" \
		"${BENCH_SESSION_QUERIES:-1000}" if/lo
	sort -n "$WORK/rtt.txt" | awk -v n="$n" '{a[NR]=$1} END {printf "-- one-shot edgeview if/lo, %d runs (two TLS handshakes each): p50 %.1f ms, p99 %.1f ms, max %.1f ms\n", n, a[int(n*0.5)]/1000, a[int(n*0.99)]/1000, a[n]/1000}'
	kill "${PIDS[-1]}" 2>/dev/null || true
	wait "${PIDS[-1]}" 2>/dev/null || true
	unset 'PIDS[-1]'
	stop_dispatcher
}

# eve-agent against the test controller: idle memory, CPU per config poll.
agent_suite() {
	echo
	echo "== eve-agent against the test controller (tests/controller) on 127.0.0.1"
	/usr/bin/python3 tests/bench/agent_bench.py "$BUILD" "${BENCH_AGENT_POLLS:-200}"
}

# BENCH_ONLY=core|dispatcher|session|agent runs one part.
case ${BENCH_ONLY:-all} in
all) suite ours; session_suite; agent_suite ;;
dispatcher) suite ours ;;
session) session_suite ;;
agent) agent_suite ;;
core) ;;
esac
if [ -n "${EVE_DISPATCHER:-}" ]; then
	suite eve
fi
