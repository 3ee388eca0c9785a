#!/usr/bin/python3
"""A real troubleshooting session end to end: edgeview-dispatcher, edgeviewd
(direct mode, fixture root) and the edgeview CLI, over TLS on 127.0.0.1.
Also drives the device with a hand-made client for hostile envelopes.
"""
import asyncio
import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from evtest import Dispatcher, Results, Workdir, binary, check, eq, proc_env, recv  # noqa: E402

UUID = "0c6b3a6e-8f1f-4a5d-9a53-2f0f5c3e9b01"


def run(*args, env=None, timeout=30):
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, env=env)


class Setup:
    def __init__(self, w, d):
        self.w, self.d = w, d
        self.key = os.path.join(w.path, "controller.key")
        subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out",
                        self.key], check=True)
        self.root = os.path.join(w.path, "root")
        os.makedirs(os.path.join(self.root, "persist/status"))
        with open(os.path.join(self.root, "persist/status/uuid"), "w") as f:
            f.write(UUID + "\n")
        self.device = None

    def mint(self, ttl="1h", device=UUID):
        p = run(binary("edgeview"), "token", "mint", "--key", self.key, "--dispatcher",
                f"127.0.0.1:{self.d.port}", "--device", device, "--ttl", ttl)
        eq(p.returncode, 0, f"token mint: {p.stderr}")
        return p.stdout.strip()

    def install(self, token, *policy):
        p = run(binary("edgeview"), "token", "install", "--root", self.root, "--token", token,
                *policy)
        eq(p.returncode, 0, f"token install: {p.stderr}")

    def start_device(self, token, env=None):
        self.stop_device()
        self.devlog = open(os.path.join(self.w.path, "edgeviewd.log"), "a")
        start = self.devlog.tell()
        self.device = subprocess.Popen(
            [binary("edgeviewd"), "--token", token, "--root", self.root, "--cafile", self.d.ca,
             "--log-level", "info"], stdout=self.devlog, stderr=subprocess.STDOUT,
            env=proc_env(env))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with open(self.devlog.name) as f:
                f.seek(start)
                if "connected to the dispatcher" in f.read():
                    return
            time.sleep(0.05)
        raise AssertionError("edgeviewd did not connect")

    def stop_device(self):
        if self.device is not None and self.device.poll() is None:
            self.device.terminate()
            rc = self.device.wait(10)
            self.devlog.close()
            self.device = None
            return rc
        return 0

    def query(self, token, *words, env=None):
        return run(binary("edgeview"), "-token", token, "-cafile", self.d.ca, *words, env=env)


def token_key(token):
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return claims["key"].encode()


def envelope(key, payload):
    mac = hmac.new(key, payload, hashlib.sha256).digest()
    return json.dumps({"message": base64.b64encode(payload).decode(), "sha256Hash": list(mac),
                       "Signature": None}, separators=(",", ":"))


def cmd_json(network="", system="", user=""):
    return json.dumps({"version": "0.8.8", "clientEPAddr": "", "network": network, "system": system,
                       "pubsub": "", "logopt": "", "timerange": "", "isJSON": False,
                       "extraline": 0, "logtype": "", "userinfo": user},
                      separators=(",", ":")).encode()


def hash_of(token):
    return base64.urlsafe_b64encode(hashlib.sha256(token.encode()).digest()).rstrip(b"=").decode()


async def t_query(s, token):
    p = s.query(token, "-user", "alice", "ps/edgeviewd")
    eq(p.returncode, 0, f"exit status (stderr {p.stderr!r})")
    check("=== System: <ps/edgeviewd> ===" in p.stdout, f"title in output: {p.stdout[:300]!r}")
    check("\033[" not in p.stdout, "no colours when stdout is not a terminal")
    with open(os.path.join(s.root, "persist/edgeview/audit.log")) as f:
        audit = f.read()
    check("recv[ep:127.0.0.1:" in audit and ", (alice)] cmd: ps/edgeviewd" in audit,
          f"audit line: {audit!r}")


async def t_several_queries(s, token):
    for q in ("ps", "cat//persist/status/uuid"):
        p = s.query(token, q)
        eq(p.returncode, 0, f"{q}: {p.stderr}")
    p = s.query(token, "cat//persist/status/uuid")
    check(UUID in p.stdout, f"cat output {p.stdout!r}")


async def t_refused_query_chars(s, token):
    p = s.query(token, "if/lo;reboot")
    check("network options invalid" in p.stdout, f"refused: {p.stdout!r} {p.stderr!r}")
    eq(p.returncode, 0, "the session itself ends normally")


async def t_every_command(s, token):
    """Each command of this device, through the dispatcher and a session."""
    root = s.root
    for link in ("proc", "sys"):
        if not os.path.lexists(os.path.join(root, link)):
            os.symlink("/" + link, os.path.join(root, link))
    os.makedirs(os.path.join(root, "run/zedagent/EdgeNodeInfo"), exist_ok=True)
    with open(os.path.join(root, "run/zedagent/EdgeNodeInfo/global.json"), "w") as f:
        f.write('{"DeviceName":"e2e-node","EnterpriseName":"acme"}')
    nl = os.path.join(root, "persist/newlog/keepSentQueue")
    os.makedirs(nl, exist_ok=True)
    import gzip
    now = time.time()
    with gzip.open(os.path.join(nl, f"dev.log.{int((now - 60) * 1000)}.gz"), "wt") as f:
        f.write(json.dumps({"severity": "error", "source": "zedagent", "iid": "1",
                            "content": "e2e needle in the log", "msgid": 1,
                            "timestamp": {"seconds": int(now - 90), "nanos": 0}}) + "\n")
    cases = [
        (["if/lo"], "=== Network: <if/lo> ===", "127.0.0.1"),
        (["route"], "=== Network: <route> ===", "ip rule"),
        (["arp"], "=== Network: <arp> ===", None),
        (["socket"], "=== Network: <socket> ===", "Local Address"),
        (["nslookup/localhost"], "=== Network: <nslookup/localhost> ===", "127.0.0.1"),
        (["ping/127.0.0.1"], "=== Network: <ping/127.0.0.1> ===", "success true"),
        (["trace/127.0.0.1", "-time", "3"], "=== Network: <trace/127.0.0.1> ===", "127.0.0.1"),
        (["tcpdump/lo/udp port 9", "-time", "1"], "=== Network: <tcpdump/lo/udp port 9> ===",
         "packets captured"),
        (["ps/edgeviewd"], "=== System: <ps/edgeviewd> ===", "edgeviewd"),
        (["top", "-line", "10"], "=== System: <top> ===", "Tasks:"),
        (["cat//persist/status/uuid"], "=== System: <cat//persist/status/uuid> ===", UUID),
        (["ls//persist/status"], "=== System: <ls//persist/status> ===", "uuid"),
        (["du//persist"], "=== System: <du//persist> ===", None),
        (["dmesg"], "=== System: <dmesg> ===", None),
        (["pub/zedagent"], "=== Pub/Sub: <zedagent> ===", "e2e-node"),
        (["log/needle", "-time", "0-1"], "=== Log: <needle> ===", "e2e needle in the log"),
    ]
    for words, title, want in cases:
        p = s.query(token, *words)
        eq(p.returncode, 0, f"{words}: {p.stderr[-300:]!r}")
        check(title in p.stdout, f"{words}: no title in {p.stdout[-400:]!r}")
        check("UUID: " + UUID in p.stdout, f"{words}: session header")
        if want is not None:
            check(want in p.stdout, f"{words}: {want!r} not in {p.stdout[-600:]!r}")


async def t_path_escapes(s, token):
    """Path escapes are refused with a reason; the device keeps serving."""
    os.makedirs(os.path.join(s.root, "persist/vault"), exist_ok=True)
    with open(os.path.join(s.root, "persist/vault/secret"), "w") as f:
        f.write("top secret\n")
    os.symlink("/etc", os.path.join(s.root, "escape"))
    for q, why in (("cat//../../../etc/hostname", "outside"),
                   ("cat//escape/hostname", "outside"),
                   ("cat///persist//vault/secret", "blocked"),
                   ("cat//persist/./vault/secret", "blocked")):
        p = s.query(token, q)
        eq(p.returncode, 0, f"{q}: session ends normally")
        check(why in p.stdout and "top secret" not in p.stdout, f"{q}: {p.stdout[-300:]!r}")
    p = s.query(token, "cat//persist/status/uuid")
    check(UUID in p.stdout, "still serving")
    os.unlink(os.path.join(s.root, "escape"))


async def t_mint_checks_cert(s):
    """token mint --cert refuses a key that is not the certificate's."""
    cert = os.path.join(s.w.path, "controller-cert.pem")
    other = os.path.join(s.w.path, "other.key")
    subprocess.run(["openssl", "req", "-new", "-x509", "-key", s.key, "-out", cert, "-days", "1",
                    "-subj", "/CN=controller"], check=True, capture_output=True)
    subprocess.run(["openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out",
                    other], check=True)
    base = [binary("edgeview"), "token", "mint", "--cert", cert, "--dispatcher", "h:1",
            "--device", UUID]
    eq(run(*base, "--key", s.key).returncode, 0, "matching key")
    p = run(*base, "--key", other)
    eq(p.returncode, 2, "other key")
    check("does not belong" in p.stderr, p.stderr)


async def t_no_device(s):
    other = s.mint(device="11111111-2222-3333-4444-555555555555")
    p = s.query(other, "ps")
    eq(p.returncode, 4, f"no device online exit status ({p.stderr!r})")
    check("no device online" in p.stderr, p.stderr)


async def t_expired_token(s):
    tok = s.mint(ttl="1s")
    time.sleep(2.1)
    p = s.query(tok, "ps")
    eq(p.returncode, 2, "expired token")
    check("expired" in p.stderr, p.stderr)


async def t_policy_refused(s):
    tok = s.mint()
    s.install(tok, "--dev-policy", "off")
    s.start_device(tok)
    p = s.query(tok, "ps")
    eq(p.returncode, 5, f"policy exit status ({p.stdout!r} {p.stderr!r})")
    check("cmd policy check failed: EVE policy not allow" in p.stdout, p.stdout)
    p = s.query(tok, "route,tcp/10.1.0.5:22")
    check("cmd policy check failed: TCP syntax error" in p.stdout, f"comma bypass: {p.stdout!r}")


async def t_hostile_envelopes(s, token):
    """Wrong key, tampered message: refused with EVE's text; device keeps serving."""
    ws = await s.d.connect(hash_of(token), "laptop")
    await recv(ws)
    await ws.send(envelope(b"wrong key", cmd_json(system="ps")))
    msgs = []
    for _ in range(2):
        msgs.append(await recv(ws))
    texts = [base64.b64decode(json.loads(m)["message"]).decode() for m in msgs]
    eq(texts, ["authentication for command failed to verify\n", "+++Done+++"], "wrong key")
    env = json.loads(envelope(token_key(token), cmd_json(system="ps")))
    env["message"] = base64.b64encode(cmd_json(system="ls//")).decode()
    await ws.send(json.dumps(env))
    texts = [base64.b64decode(json.loads(await recv(ws))["message"]).decode() for _ in range(2)]
    eq(texts[0], "authentication for command failed to verify\n", "tampered")
    await ws.send("not json at all")
    await ws.send(envelope(token_key(token), b"{not a command"))
    texts = [base64.b64decode(json.loads(await recv(ws))["message"]).decode() for _ in range(2)]
    eq(texts, ["cmd not valid: malformed JSON\n", "+++Done+++"], "undecodable command")
    # Still serving: a good command works on the same connection.
    await ws.send(envelope(token_key(token), cmd_json(system="cat//persist/status/uuid")))
    out = ""
    while "+++Done+++" not in out:
        m = json.loads(await recv(ws, 10))
        out += base64.b64decode(m["message"]).decode(errors="replace")
    check(UUID in out, f"good command after bad ones: {out[-300:]!r}")
    await ws.close()


async def t_through_proxy(s, token):
    """https_proxy is used for the dispatcher connection; no_proxy bypasses it."""
    from evtest import free_port
    port = free_port()
    proxy = subprocess.Popen([sys.executable, os.path.join(os.path.dirname(
        os.path.abspath(__file__)), "connect_proxy.py"), str(port)],
                             stdout=subprocess.PIPE, text=True)
    try:
        eq(proxy.stdout.readline().strip(), "ready", "proxy started")
        env = dict(os.environ, https_proxy=f"http://127.0.0.1:{port}")
        env.pop("no_proxy", None)
        env.pop("NO_PROXY", None)
        s.start_device(token, env)
        line = proxy.stdout.readline().strip()
        eq(line, f"CONNECT 127.0.0.1:{s.d.port}", "the device went through the proxy")
        p = s.query(token, "cat//persist/status/uuid")
        check(UUID in p.stdout, f"query through the proxied device: {p.stderr}")
        env["no_proxy"] = "localhost,127.0.0.1"
        s.start_device(token, env)
        p = s.query(token, "cat//persist/status/uuid")
        check(UUID in p.stdout, "query with no_proxy")
    finally:
        proxy.kill()
        proxy.wait()
        s.start_device(token)


async def t_slow_client_backpressure(s, token):
    """A client that stops reading must not make the device buffer the output:
    the worker's pipe is read only while the websocket queue has room."""
    from evtest import RSS_SLACK, rss_kb
    big = os.path.join(s.root, "big.txt")
    with open(big, "w") as f:
        line = "x" * 99 + "\n"
        f.write(line * 60000)  # 6 MB, under cat's 8 MiB cap
    ws = await s.d.connect(hash_of(token), "laptop")
    await recv(ws)
    base = rss_kb(s.device.pid)
    ws.transport.pause_reading()
    await ws.send(envelope(token_key(token), cmd_json(system="cat//big.txt")))
    await asyncio.sleep(3)
    grown = rss_kb(s.device.pid) - base
    check(grown < 4096 * RSS_SLACK, f"device RSS grew by {grown} KiB with a stalled client")
    ws.transport.resume_reading()
    total = 0
    while True:
        m = json.loads(await recv(ws, 20))
        text = base64.b64decode(m["message"])
        total += len(text)
        if b"+++Done+++" in text:
            break
    check(total > 6_000_000, f"all output arrived afterwards ({total} bytes)")
    print(f"     stalled client: device RSS +{grown} KiB, then {total} bytes delivered", flush=True)
    await ws.close()
    os.unlink(big)


def main():
    res = Results()
    w = Workdir("e2e")
    d = Dispatcher(w.path)
    s = Setup(w, d)
    try:
        token = s.mint()
        s.install(token)
        s.start_device(token)
        res.run("query through the dispatcher, audit line written", t_query, s, token)
        res.run("several queries in a row", t_several_queries, s, token)
        res.run("invalid characters refused, device keeps serving", t_refused_query_chars, s,
                token)
        res.run("path escapes (.., symlinks, //, blocked dirs) refused", t_path_escapes, s, token)
        res.run("every command through a session", t_every_command, s, token)
        res.run("hostile envelopes refused, device keeps serving", t_hostile_envelopes, s, token)
        res.run("https_proxy and no_proxy for the dispatcher connection", t_through_proxy, s,
                token)
        res.run("stalled client: device output is not buffered", t_slow_client_backpressure, s,
                token)
        res.run("no device online: exit 4", t_no_device, s)
        res.run("token mint --cert checks the key", t_mint_checks_cert, s)
        res.run("expired token: exit 2", t_expired_token, s)
        res.run("policy refusals: exit 5, no comma bypass", t_policy_refused, s)
    finally:
        rc = s.stop_device()
        if rc != 0:
            res.failed += 1
            print(f"FAIL edgeviewd exited {rc} on SIGTERM")
        d.stop()
        w.cleanup()
    res.finish()


if __name__ == "__main__":
    main()
