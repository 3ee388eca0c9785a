#!/usr/bin/python3
"""Interoperability with a real Adam controller (lf-edge/adam), as
device-api.md section 7 describes.  Needs an Adam binary built by hand, never
by this project: ADAM=/path/to/adam.  Skipped (exit 77) without it.

  1. Certificates per 7.3 (P-256 CA; server, signing and encrypt leaves, each
     file leaf + CA; a self-signed P-256 onboarding certificate), Adam on
     127.0.0.1 with them, the onboarding certificate added for every serial.
  2. eve-agent --once onboards: certificates verified, register 201, UUID,
     integrity token from /attest, then 404 while Adam has no config.
  3. A binary EdgeDevConfig (with an explicit id: Adam cannot bump a missing
     version for a first config) with an Edge-View section whose ES256 token is
     signed with Adam's signing key: applied, then 304 on later polls.
  4. edgeviewd (supervised) connects to our dispatcher; an edgeview query is
     answered; Adam receives ZiDevice, a ZiEdgeview with the command counted,
     the audit event in newlogs, and metrics.
  5. A snake_case JSON config without id (Adam bumps the version) carrying
     the dispatcher's CA in disp_cert_pem: edgeviewd trusts the dispatcher
     through EvDepCerts alone.
  6. An operator integrity token (PUT options): 403, re-attest, config again.
  7. A config without Edge-View: the session ends and Adam gets the final
     ZiEdgeview.
"""
import base64
import datetime
import json
import os
import shutil
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, ".."))
from agent_onboard import Agent, wait_for  # noqa: E402
from evtest import (Dispatcher, Results, Workdir, binary, check, eq, free_port,  # noqa: E402
                    proc_env, wait_port)

ADAM = os.environ.get("ADAM")
EVCFG = "/run/edgeview/edge-view-config"


# ---------------------------------------------------------------- protobuf by hand
# Only what an EdgeDevConfig for these tests needs (proto/config/*.proto).

def _varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _field(num, value):
    if isinstance(value, bool):
        return _varint(num << 3) + _varint(int(value))
    if isinstance(value, int):
        return _varint(num << 3) + _varint(value)
    if isinstance(value, str):
        value = value.encode()
    return _varint(num << 3 | 2) + _varint(len(value)) + value


def edge_dev_config(uuid=None, version=None, items=(), token=None, allow_dev=True,
                    generation_id=1, disp_cert_pem=()):
    out = b""
    if uuid is not None:  # UUIDandVersion id = 1
        out += _field(1, _field(1, uuid) + _field(2, version))
    for k, v in items:  # repeated ConfigItem configItems = 11
        out += _field(11, _field(1, k) + _field(2, v))
    if token is not None:  # EdgeViewConfig edgeview = 32
        ev = _field(1, token)
        for pem in disp_cert_pem:
            ev += _field(2, pem)
        ev += _field(3, _field(1, allow_dev) if allow_dev else b"")
        ev += _field(6, generation_id)
        out += _field(32, ev)
    return out


# ---------------------------------------------------------------- Adam

def openssl(d, *a):
    subprocess.run(["openssl", *a], check=True, cwd=d, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def make_adam_certs(d):
    """device-api.md 7.3: every controller key P-256, every leaf from one CA."""
    os.makedirs(d, exist_ok=True)

    def key(name):
        openssl(d, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                "-out", name)

    key("ca-key.pem")
    openssl(d, "req", "-x509", "-new", "-key", "ca-key.pem", "-sha256", "-days", "2", "-subj",
            "/CN=adam-interop-ca", "-addext", "basicConstraints=critical,CA:true", "-addext",
            "keyUsage=critical,keyCertSign,cRLSign", "-out", "ca.pem")
    leaves = {
        "server": ("localhost", "extendedKeyUsage=serverAuth\n"
                                "subjectAltName=IP:127.0.0.1,DNS:localhost\n"),
        "signing": ("adam-signing", "extendedKeyUsage=serverAuth\n"),
        "encrypt": ("adam-encrypt", "keyUsage=critical,keyAgreement,digitalSignature\n"),
    }
    for name, (cn, ext) in leaves.items():
        key(f"{name}-key.pem")
        openssl(d, "req", "-new", "-key", f"{name}-key.pem", "-subj", f"/CN={cn}", "-out",
                f"{name}.csr")
        with open(os.path.join(d, f"{name}.ext"), "w") as f:
            f.write("basicConstraints=critical,CA:false\n" + ext)
        openssl(d, "x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey",
                "ca-key.pem", "-CAcreateserial", "-sha256", "-days", "2", "-extfile",
                f"{name}.ext", "-out", f"{name}-leaf.pem")
        with open(os.path.join(d, f"{name}.pem"), "wb") as out:
            for part in (f"{name}-leaf.pem", "ca.pem"):
                with open(os.path.join(d, part), "rb") as f:
                    out.write(f.read())
    key("onboard.key.pem")
    openssl(d, "req", "-x509", "-new", "-key", "onboard.key.pem", "-sha256", "-days", "2",
            "-subj", "/CN=adam-interop-onboard", "-out", "onboard.cert.pem")


def concatenated_json(text):
    """Adam's admin GET of logs/info/metrics: protojson records back to back."""
    dec, i, out = json.JSONDecoder(), 0, []
    while i < len(text):
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            break
        obj, i = dec.raw_decode(text, i)
        out.append(obj)
    return out


class Adam:
    def __init__(self, d):
        self.dir = d
        self.certs = os.path.join(d, "certs")
        self.db = os.path.join(d, "db")
        self.conf = os.path.join(d, "conf")
        make_adam_certs(self.certs)
        os.makedirs(self.db)
        for n in ("server", "signing", "encrypt"):
            for suffix in (".pem", "-key.pem"):
                shutil.copy(os.path.join(self.certs, n + suffix), self.db)
        self.port = free_port()
        self.log = open(os.path.join(d, "adam.log"), "w")
        args = [ADAM, "server", "--ip", "127.0.0.1", "--port", str(self.port), "--db-url",
                self.db, "--conf-dir", self.conf]
        for n in ("server", "signing", "encrypt"):
            args += [f"--{n}-cert", os.path.join(self.db, n + ".pem"), f"--{n}-key",
                     os.path.join(self.db, n + "-key.pem")]
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        wait_port(self.port, 20)
        self.ssl = ssl.create_default_context(cafile=os.path.join(self.certs, "ca.pem"))
        self.signing_key = os.path.join(self.db, "signing-key.pem")
        self.signing_cert = os.path.join(self.db, "signing.pem")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    def logtext(self):
        with open(self.log.name) as f:
            return f.read()

    def api(self, method, path, body=None, ctype=None):
        req = urllib.request.Request(f"https://127.0.0.1:{self.port}{path}", data=body,
                                     method=method)
        if ctype:
            req.add_header("Content-Type", ctype)
        try:
            with urllib.request.urlopen(req, context=self.ssl, timeout=10) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def onboard(self, serial="*"):
        with open(os.path.join(self.certs, "onboard.cert.pem"), "rb") as f:
            pem = f.read()
        body = json.dumps({"Cert": base64.b64encode(pem).decode(), "Serial": serial})
        return self.api("POST", "/admin/onboard", body.encode(), "application/json")

    def put_config(self, uuid, body, ctype):
        return self.api("PUT", f"/admin/device/{uuid}/config", body, ctype)

    def records(self, uuid, kind):
        st, body = self.api("GET", f"/admin/device/{uuid}/{kind}")
        return concatenated_json(body.decode()) if st == 200 else []

    def wait(self, fn, timeout=40, what=""):
        return wait_for(fn, timeout, what)

    # what agent_onboard.Agent asks of a controller
    def install_device_config(self, config_dir, onboard=True):
        shutil.copy(os.path.join(self.conf, "root-certificate.pem"), config_dir)
        with open(os.path.join(config_dir, "server"), "w") as f:
            f.write(f"127.0.0.1:{self.port}\n")
        if onboard:
            for n in ("onboard.cert.pem", "onboard.key.pem"):
                shutil.copy(os.path.join(self.certs, n), config_dir)


def rfc3339(s):
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()


# ---------------------------------------------------------------- the cases

class S:
    """State carried from case to case."""
    ag = uuid = edge = edgelog = tok = None


def mint(adam, uuid, d, ttl="1h"):
    p = subprocess.run([binary("edgeview"), "token", "mint", "--key", adam.signing_key,
                        "--cert", adam.signing_cert, "--dispatcher",
                        f"127.0.0.1:{d.port}/edge-view", "--device", uuid, "--ttl", ttl],
                       capture_output=True, text=True, timeout=10)
    eq(p.returncode, 0, f"token mint: {p.stderr}")
    return p.stdout.strip()


def start_edgeviewd(s, w, *extra):
    s.edgelog = os.path.join(w.path, f"edgeviewd-{time.monotonic_ns()}.log")
    with open(s.edgelog, "w") as f:
        s.edge = subprocess.Popen([binary("edgeviewd"), "--root", s.ag.root, "--log-level",
                                   "info", *extra], stdout=f, stderr=subprocess.STDOUT,
                                  env=proc_env())
    wait_for(lambda: "connected to the dispatcher" in open(s.edgelog).read(), 20,
             "edgeviewd connected to the dispatcher")


def stop_edgeviewd(s):
    if s.edge is not None and s.edge.poll() is None:
        s.edge.terminate()
        s.edge.wait(10)
    s.edge = None


def query(s, d, tok, user, q):
    return subprocess.run([binary("edgeview"), "-token", tok, "-cafile", d.ca, "-user", user, q],
                          capture_output=True, text=True, timeout=30)


async def t_onboard(w, adam, d, s):
    eq(adam.onboard()[0], 201, "POST /admin/onboard")
    s.ag = Agent(w, "dev-adam", adam, serial="ADAM-SN-1")
    p = s.ag.once()
    eq(p.returncode, 0, f"--once: {p.stderr[-1500:]}")
    for needle in ("controller certificates verified", "registered with the controller (201)",
                   "device UUID", "attested: integrity token of 128 bytes",
                   "no config for this device (404)"):
        check(needle in p.stderr, f"'{needle}' in: {p.stderr[-1500:]}")
    s.uuid = s.ag.uuid()
    check(os.path.isdir(os.path.join(adam.db, "device", s.uuid)), "Adam's device directory")
    di = [r for r in adam.records(s.uuid, "info") if r.get("ztype") == "ZiDevice"]
    check(di, "ZiDevice at Adam")
    eq(di[-1]["dinfo"].get("apiCapability"), "API_CAPABILITY_EDGEVIEW", "apiCapability")


async def t_binary_config(w, adam, d, s):
    s.tok = mint(adam, s.uuid, d)
    body = edge_dev_config(s.uuid, "1", [("timer.config.interval", "5")], s.tok)
    st, text = adam.put_config(s.uuid, body, "application/x-proto-binary")
    eq(st, 200, f"PUT config: {text!r}")
    s.ag.start()
    s.ag.poll_now()
    s.ag.wait_log("applied (version 1)", 20)
    check(os.path.exists(s.ag.path(EVCFG)), "edge-view-config written")
    mark = len(s.ag.text())
    s.ag.poll_now()
    time.sleep(2)
    tail = s.ag.text()[mark:]
    check("applied" not in tail and " warn: " not in tail, f"an unchanged config (304): {tail}")


async def t_query(w, adam, d, s):
    start_edgeviewd(s, w, "--cafile", d.ca)
    p = query(s, d, s.tok, "interop", "cat//persist/status/uuid")
    eq(p.returncode, 0, f"edgeview: {p.stderr}")
    check(s.uuid in p.stdout, p.stdout)


async def t_adam_reports(w, adam, d, s):
    evi = adam.wait(lambda: [r["evinfo"] for r in adam.records(s.uuid, "info")
                             if r.get("ztype") == "ZiEdgeview"
                             and int(r["evinfo"].get("countDev", 0)) >= 1], 45,
                    "ZiEdgeview with the command counted")
    check(rfc3339(evi[-1]["expireTime"]) > time.time(), f"expireTime: {evi[-1]}")
    logs = adam.wait(lambda: [r for r in adam.records(s.uuid, "logs")
                              if "cmd: cat//persist/status/uuid" in r.get("content", "")], 30,
                     "the audit event in newlogs")
    check("(interop)" in logs[-1]["content"] and "edgeview-cmd" in logs[-1]["content"],
          f"audit event: {logs[-1]}")
    eq(logs[-1].get("source"), "edgeview", "audit event source")
    m = adam.wait(lambda: adam.records(s.uuid, "metrics"), 30, "metrics")
    eq(m[-1].get("devID"), s.uuid, "metrics devID")


async def t_json_config_dep_certs(w, adam, d, s):
    stop_edgeviewd(s)
    s.tok = mint(adam, s.uuid, d)
    with open(d.ca, "rb") as f:
        ca = base64.b64encode(f.read()).decode()
    cfg = {"configItems": [{"key": "timer.config.interval", "value": "5"}],
           "edgeview": {"token": s.tok, "disp_cert_pem": [ca], "dev_policy": {"allow_dev": True},
                        "generation_id": 2}}
    st, text = adam.put_config(s.uuid, json.dumps(cfg).encode(), "application/json")
    eq(st, 200, f"PUT JSON config: {text!r}")
    s.ag.poll_now()
    s.ag.wait_log("applied (version 2)", 20)
    check("EvDepCerts:-----BEGIN CERTIFICATE-----" in open(s.ag.path(EVCFG)).read(),
          "EvDepCerts in edge-view-config")
    start_edgeviewd(s, w)  # no --cafile: the dispatcher is trusted through EvDepCerts
    p = query(s, d, s.tok, "interop-json", "cat//persist/status/uuid")
    eq(p.returncode, 0, f"edgeview: {p.stderr}")
    check(s.uuid in p.stdout, p.stdout)


async def t_reattest(w, adam, d, s):
    mark = len(s.ag.text())
    token = "operator-token-for-interop"
    body = json.dumps({"integrityToken": token, "attested": True})
    st, text = adam.api("PUT", f"/admin/device/{s.uuid}/options", body.encode(),
                        "application/json")
    eq(st, 200, f"PUT options: {text!r}")
    s.ag.poll_now()
    s.ag.wait_log("wants a new integrity token (403)", 20, mark)
    s.ag.wait_log(f"attested: integrity token of {len(token)} bytes", 20, mark)
    mark = len(s.ag.text())
    s.ag.poll_now()
    time.sleep(2)
    check("403" not in s.ag.text()[mark:], f"no 403 with the new token: {s.ag.text()[mark:]}")


async def t_edgeview_removed(w, adam, d, s):
    t0 = time.time()
    body = edge_dev_config(items=[("timer.config.interval", "5")])
    st, text = adam.put_config(s.uuid, body, "application/x-proto-binary")
    eq(st, 200, f"PUT config: {text!r}")
    s.ag.poll_now()
    s.ag.wait_log("Edge-View stopped", 20)
    check(not os.path.exists(s.ag.path(EVCFG)), "edge-view-config removed")
    wait_for(lambda: "edge-view-config removed" in open(s.edgelog).read(), 10,
             "edgeviewd stopping its device")
    # The token runs for an hour; a final report says when the session ended.
    adam.wait(lambda: [r for r in adam.records(s.uuid, "info")
                       if r.get("ztype") == "ZiEdgeview" and rfc3339(r["atTimeStamp"]) >= t0 - 1
                       and rfc3339(r["evinfo"]["expireTime"]) < t0 + 60], 30,
              "the final ZiEdgeview (expireTime = end of the session)")


def main():
    if not ADAM or not os.access(ADAM, os.X_OK):
        print("SKIP: set ADAM to an Adam binary (built by hand from lf-edge/adam)")
        sys.exit(77)
    if not shutil.which("openssl"):
        print("SKIP: openssl not found")
        sys.exit(77)
    res = Results()
    w = Workdir("adam")
    os.makedirs(os.path.join(w.path, "disp"))
    d = Dispatcher(os.path.join(w.path, "disp"))
    adam = Adam(os.path.join(w.path, "adam"))
    s = S()
    try:
        res.run("Adam: onboarding (register 201, UUID, integrity token, config 404)",
                t_onboard, w, adam, d, s)
        res.run("Adam: a binary config with Edge-View applied, then 304", t_binary_config, w,
                adam, d, s)
        res.run("Adam: edgeviewd connects, an edgeview query is answered", t_query, w, adam, d,
                s)
        res.run("Adam: ZiEdgeview counted, audit event in newlogs, metrics", t_adam_reports, w,
                adam, d, s)
        res.run("Adam: JSON config, dispatcher trusted through disp_cert_pem",
                t_json_config_dep_certs, w, adam, d, s)
        res.run("Adam: operator integrity token, 403, re-attest", t_reattest, w, adam, d, s)
        res.run("Adam: Edge-View removed, final ZiEdgeview", t_edgeview_removed, w, adam, d, s)
    finally:
        stop_edgeviewd(s)
        if s.ag is not None:
            rc = s.ag.stop()
            if rc != 0:
                res.failed += 1
                print(f"FAIL eve-agent exited {rc}")
        d.stop()
        adam.stop()
        if res.failed:
            print(f"Adam's log: {adam.logtext()[-1500:]}")
        w.cleanup()
    res.finish()


if __name__ == "__main__":
    main()
