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
# BENCH_SECONDS (default 10) sets each run's length.
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

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/key.pem" \
	-out "$WORK/cert.pem" -days 2 -subj /CN=localhost \
	-addext "subjectAltName=DNS:localhost,IP:127.0.0.1" >/dev/null 2>&1

# Run in the namespace when there is one.
inns() {
	if [ -n "$NS" ]; then ip netns exec "$NS" "$@"; else "$@"; fi
}

PORT=18800
start_dispatcher() { # kind
	PORT=$((PORT + 1))
	if [ "$1" = ours ]; then
		inns "$DISP" --listen "127.0.0.1:$PORT" --cert "$WORK/cert.pem" --key "$WORK/key.pem" \
			--log-level warn >>"$WORK/dispatcher.log" 2>&1 &
	else
		inns "$EVE_DISPATCHER" -port "$PORT" -cert "$WORK/cert.pem" -key "$WORK/key.pem" \
			>>"$WORK/eve-dispatcher.log" 2>&1 &
	fi
	PIDS+=($!)
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
suite ours
if [ -n "${EVE_DISPATCHER:-}" ]; then
	suite eve
fi
