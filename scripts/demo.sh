#!/bin/bash
# `make demo`: a real Edge-View session on loopback.
#
#   1. throwaway certificates and a controller signing key (openssl);
#   2. edgeview-dispatcher on 127.0.0.1 (TLS);
#   3. a session token minted with the controller key and installed into a
#      device tree under build/demo/root, as the device agent would;
#   4. edgeviewd in supervised mode, which sees the installed config and
#      starts the device session (its EVE paths live under the tree, which
#      links to this host's /proc and /sys and holds a small log);
#   5. queries with the edgeview CLI, as a support engineer runs them;
#   6. everything stopped.
#
#   scripts/demo.sh BUILD_DIR
set -eu
BUILD=$(cd "$1" && pwd)
BIN=$BUILD/bin
DEMO=$BUILD/demo
rm -rf "$DEMO"
mkdir -p "$DEMO"
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
}
trap cleanup EXIT

say() { printf '\n\033[1;36m== %s\033[0m\n' "$*"; }
run() { printf '\033[0;32m$ %s\033[0m\n' "$*"; "$@"; }

say "1. certificates: a CA, the dispatcher's certificate, the controller's key"
cd "$DEMO"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem \
	-days 2 -subj /CN=edgeview-demo-ca 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout dispatcher.key \
	-out dispatcher.csr -subj /CN=localhost 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >ext.cnf
openssl x509 -req -in dispatcher.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
	-out dispatcher.pem -days 2 -extfile ext.cnf 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out controller.key
ls -1 ca.pem dispatcher.pem controller.key

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
say "2. the dispatcher on 127.0.0.1:$PORT"
"$BIN"/edgeview-dispatcher --listen "127.0.0.1:$PORT" --cert dispatcher.pem --key dispatcher.key \
	--log-level info >dispatcher.log 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do curl -sf --cacert ca.pem "https://127.0.0.1:$PORT/v1/ping" >/dev/null && break; sleep 0.1; done
run curl -s --cacert ca.pem "https://127.0.0.1:$PORT/v1/ping"

say "3. a token for device 0c6b3a6e-8f1f-4a5d-9a53-2f0f5c3e9b01, installed in the device's tree"
UUID=0c6b3a6e-8f1f-4a5d-9a53-2f0f5c3e9b01
ROOT=$DEMO/root
mkdir -p "$ROOT/persist/status" "$ROOT/etc" "$ROOT/persist/newlog/keepSentQueue"
echo "$UUID" >"$ROOT/persist/status/uuid"
ln -s /proc "$ROOT/proc"
ln -s /sys "$ROOT/sys"
cp /etc/os-release "$ROOT/etc/os-release"
# A device log of the last minutes, in newlog's gzip layout.
python3 - "$ROOT/persist/newlog/keepSentQueue" <<'PY'
import gzip, json, sys, time
now = time.time()
name = f"{sys.argv[1]}/dev.log.{int((now - 60) * 1000)}.gz"
with gzip.open(name, "wt") as f:
    for i, (sev, msg) in enumerate([("info", "nim: link up on eth0"),
                                    ("error", "zedagent: controller unreachable, retrying"),
                                    ("info", "zedagent: config received, 3 apps")]):
        t = now - 120 + i * 20
        f.write(json.dumps({"severity": sev, "source": msg.split(":")[0], "iid": "1",
                            "content": json.dumps({"level": sev, "msg": msg,
                                                   "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))}),
                            "msgid": i + 1, "timestamp": {"seconds": int(t), "nanos": 0}}) + "\n")
PY
TOKEN=$("$BIN"/edgeview token mint --key controller.key --dispatcher "127.0.0.1:$PORT" \
	--device "$UUID" --ttl 1h)
echo "token: ${TOKEN:0:60}..."
run "$BIN"/edgeview token install --root "$ROOT" --token "$TOKEN"

say "4. edgeviewd, supervised: it follows the config file and runs the session"
"$BIN"/edgeviewd --root "$ROOT" --cafile ca.pem --log-level info >edgeviewd.log 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do grep -q "connected to the dispatcher" edgeviewd.log && break; sleep 0.1; done
grep "connected to the dispatcher" edgeviewd.log

say "5. queries from the support engineer's CLI"
export EDGEVIEW_TOKEN=$TOKEN EDGEVIEW_CAFILE=$DEMO/ca.pem
for q in "if/lo" "route" "ps/edgeviewd" "cat//etc/os-release" "log/zedagent"; do
	run "$BIN"/edgeview -user demo "$q"
done
echo
echo "audit log of the device ($ROOT/persist/edgeview/audit.log):"
cat "$ROOT/persist/edgeview/audit.log"

say "6. stopping the device and the dispatcher"
