#!/usr/bin/python3
"""Self-test of the Adam-like test controller: every endpoint and failure switch, driven
by a Python "device" (tests/controller/device.py). Prints "N passed, N failed".

    tests/controller/selftest.py [-v] [NAME-FILTER]
"""
import base64
import gzip
import hashlib
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from controller import Controller, TestDevice, VerifyError, check_chain, make_gzip  # noqa: E402
from controller import pki, protos  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(HERE))


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def eq(got, want, what=""):
    if got != want:
        raise AssertionError(f"{what}: got {got!r}, want {want!r}")


class Env:
    """A started controller with one registered, attested test device."""

    def __init__(self, register=True):
        self.ctl = Controller().start()
        self.P = self.ctl.P
        self.ctl.add_onboard(serials="*")
        self.dev = TestDevice.for_controller(self.ctl)
        if register:
            r, _ = self.dev.fetch_certs()
            eq(r.status, 200, "certs")
            eq(self.dev.register().status, 201, "register")
            eq(self.dev.get_uuid().status, 200, "uuid")
            r, _ = self.dev.attest()
            eq(r.status, 201, "attest")

    def close(self):
        self.ctl.stop()


# ---- cases -------------------------------------------------------------------------------


def t_files_and_tls():
    e = Env(register=False)
    try:
        c = e.ctl
        for f in ("root-certificate.pem", "server", "server.pem", "server-key.pem",
                  "signing.pem", "signing-key.pem", "encrypt.pem", "encrypt-key.pem",
                  "onboard.cert.pem", "onboard.key.pem", "ca.pem"):
            check(os.path.exists(c.path(f)), f"{f} missing")
        eq(open(c.server_file_path).read().strip(), f"127.0.0.1:{c.port}", "server file")
        # Adam: root-certificate.pem is a copy of server.pem (leaf + CA)
        eq(open(c.root_cert_path, "rb").read(), open(c.path("server.pem"), "rb").read(), "root")
        for name in ("127.0.0.1", "localhost"):
            ctx = ssl.create_default_context(cafile=c.root_cert_path)
            ctx.maximum_version = ssl.TLSVersion.TLSv1_2
            with socket.create_connection(("127.0.0.1", c.port), 5) as s:
                with ctx.wrap_socket(s, server_hostname=name) as t:
                    eq(t.version(), "TLSv1.2", "TLS version")
        # the signing, encrypt and server leaves are P-256 and chain to the root
        for f in ("server.pem", "signing.pem", "encrypt.pem"):
            leaf = pki.split_pem_certs(open(c.path(f), "rb").read())[0]
            check(pki.load_cert(leaf).public_key().curve.name == "secp256r1", f"{f} not P-256")
            check(check_chain(leaf, c.root_cert_path), f"{f} does not chain")
            p = subprocess.run(["openssl", "verify", "-CAfile", c.path("ca.pem"), "-purpose",
                                "sslserver", "/dev/stdin"], input=leaf, capture_output=True)
            eq(p.returncode, 0, f"openssl verify {f}: {p.stdout} {p.stderr}")
        onb = pki.load_cert(open(c.onboard_cert_path, "rb").read())
        eq(onb.public_key().curve.name, "secp256r1", "onboard curve")
        eq(onb.issuer, onb.subject, "onboard self-signed")
        d = tempfile.mkdtemp()
        try:
            c.install_device_config(d)
            eq(sorted(os.listdir(d)), ["onboard.cert.pem", "onboard.key.pem",
                                       "root-certificate.pem", "server"], "device /config")
        finally:
            shutil.rmtree(d)
    finally:
        e.close()


def t_ping_probe_404_405():
    e = Env(register=False)
    try:
        r = e.dev.ping()
        eq((r.status, r.body, r.content_type), (200, b"", None), "ping")
        eq(e.dev.request("GET", "/probe").status, 200, "probe")
        r = e.dev.request("GET", "nosuch")
        eq((r.status, r.body, r.content_type),
           (404, b"404 page not found\n", "text/plain; charset=utf-8"), "unknown path")
        eq(e.dev.request("POST", "ping", b"").status, 405, "ping POST")
        eq(e.dev.request("GET", "register").status, 405, "register GET")
    finally:
        e.close()


def t_certs():
    e = Env(register=False)
    try:
        P = e.P
        r, zc = e.dev.fetch_certs()
        eq(r.content_type, "application/x-proto-binary", "content type")
        types = sorted(c.type for c in zc.certs)
        eq(types, [P.enum("CERT_TYPE_CONTROLLER_SIGNING"),
                   P.enum("CERT_TYPE_CONTROLLER_INTERMEDIATE"),
                   P.enum("CERT_TYPE_CONTROLLER_ECDH_EXCHANGE")], "cert types")
        inter = []
        for c in zc.certs:
            eq(c.hashAlgo, 1, "hashAlgo")
            eq(c.certHash, hashlib.sha256(c.cert).digest()[:16], "certHash")
            check(not c.cert.endswith(b"\n") and c.cert.endswith(b"-----END CERTIFICATE-----"),
                  "cert PEM not trimmed")
            if c.type == P.enum("CERT_TYPE_CONTROLLER_INTERMEDIATE"):
                inter.append(c.cert)
        for c in zc.certs:
            if c.type != P.enum("CERT_TYPE_CONTROLLER_INTERMEDIATE"):
                check(check_chain(c.cert, e.ctl.root_cert_path, inter), "leaf does not chain")
        eq(e.dev.signing_pem, e.ctl.signing_cert_pem(), "signing pem")
        # the AuthContainer is signed by the signing cert, 32-byte hash of the trimmed PEM
        ac = P.AuthContainer.FromString(r.body)
        eq(ac.algo, 2, "algo")
        eq(ac.senderCertHash, hashlib.sha256(e.dev.signing_pem).digest(), "sender hash")
        eq(len(ac.signatureHash), 64, "raw r||s")
        e.dev.open(r.body)
        # random order (Adam's map): 3 certs, 30 fetches
        orders = set()
        for _ in range(30):
            _, z = e.dev.fetch_certs()
            orders.add(tuple(c.type for c in z.certs))
        check(len(orders) > 1, "certs order never changes")
        eq(e.dev.request("POST", "certs", b"").status, 200, "certs POST (Adam allows it)")
    finally:
        e.close()


def t_register():
    e = Env(register=False)
    try:
        ctl, P = e.ctl, e.P
        ctl.remove_onboard()
        dev = e.dev
        eq(dev.register().status, 403, "unknown onboard cert")
        ctl.add_onboard(serials="SER-A,SER-B")
        eq(dev.register(serial="SER-X").status, 403, "unknown serial")
        r = dev.register(serial="SER-X", soft_serial="SER-B")
        eq((r.status, r.body, r.content_type), (201, b"", None), "soft serial accepted")
        eq(ctl.device_by_serial("SER-B").uuid, ctl.devices()[0], "device by serial")
        eq(ctl.wait_device(1, serial="SER-B"), ctl.devices()[0], "wait_device")
        eq(dev.register(serial="SER-X", soft_serial="SER-B").status, 409, "re-register")
        # same device cert, other serial: Adam's DeviceRegister fails with 500
        eq(dev.register(serial="SER-A").status, 500, "device cert already registered")
        d2 = TestDevice.for_controller(ctl)
        eq(d2.register(serial="SER-A").status, 201, "second device")
        # '*' accepts any serial once per serial
        ctl.add_onboard(serials="*")
        d3 = TestDevice.for_controller(ctl)
        eq(d3.register(serial="ANY-1").status, 201, "wildcard")
        d4 = TestDevice.for_controller(ctl)
        eq(d4.register(serial="ANY-1").status, 409, "wildcard serial used twice")
        # malformed requests
        d5 = TestDevice.for_controller(ctl)
        eq(d5.request("POST", "register", b"\xff\xff").status, 400, "not an AuthContainer")
        eq(d5.request("POST", "register", b"").status, 400, "empty body")
        m = P.ZRegisterMsg(pemCert=base64.b64encode(d5.cert_pem), serial="ANY-5")
        eq(d5.request("POST", "register", d5.seal(m.SerializeToString(), register=True,
                                                  sender_hash=b"")).status,
           401, "no senderCertHash")
        eq(d5.request("POST", "register", d5.seal(m.SerializeToString(), register=True,
                                                  bad_sig=True)).status,
           401, "bad signature")
        # senderCert that is not base64 / holds no certificate
        ac = P.AuthContainer.FromString(d5.seal(m.SerializeToString(), register=True))
        ac.senderCert = b"%%%"
        eq(d5.request("POST", "register", ac.SerializeToString()).status, 400, "bad base64")
        ac.senderCert = base64.b64encode(b"no pem here")
        eq(d5.request("POST", "register", ac.SerializeToString()).status, 400, "no cert")
        # bad pemCert
        m2 = P.ZRegisterMsg(pemCert=base64.b64encode(b"garbage"), serial="ANY-6")
        eq(d5.request("POST", "register", d5.seal(m2.SerializeToString(),
                                                  register=True)).status, 400, "bad pemCert")
        eq(d5.register(serial="ANY-5").status, 201, "finally registered")
        # the 201 request is in the log with the serial headers
        reg = [x for x in ctl.requests(path="/register") if x["status"] == 201]
        check(all(x["request_id"] for x in reg), "X-Request-Id not recorded")
        eq(reg[0]["serial"], "SER-1", "X-Serial-Number")
    finally:
        e.close()


def t_uuid_and_preregister():
    e = Env(register=False)
    try:
        ctl, P = e.ctl, e.P
        dev = e.dev
        dev.fetch_certs()
        eq(dev.get_uuid().status, 401, "unknown device")
        u = ctl.add_device(dev.cert_pem, serial="PRE")
        r = dev.get_uuid()
        eq((r.status, r.content_type), (200, "application/x-proto-binary"), "uuid")
        eq(dev.uuid, u, "uuid value")
        ctl.set_model(u, "ACME", "Box 1")
        r = dev.get_uuid()
        resp = P.UuidResponse.FromString(dev.open(r.body))
        eq((resp.manufacturer, resp.product_name), ("ACME", "Box 1"), "model")
        eq(dev.get_uuid(hash_len=16).status, 401, "16-byte device hash (Adam: 32 only)")
        eq(dev.get_uuid(bad_sig=True).status, 401, "bad signature")
        eq(dev.request("POST", "uuid", b"").status, 500, "empty body (Adam: 500)")
        eq(dev.request("POST", "uuid", b"\xff").status, 500, "not an AuthContainer")
        # DER signatures are accepted too (Adam tries ASN.1 first)
        ac = P.AuthContainer.FromString(dev.seal(b""))
        ac.signatureHash = dev.key.sign(b"", pki.ec.ECDSA(pki.hashes.SHA256()))
        eq(dev.request("POST", "uuid", ac.SerializeToString()).status, 200, "DER signature")
        ac.signatureHash = ac.signatureHash[:10]
        eq(dev.request("POST", "uuid", ac.SerializeToString()).status, 401, "short signature")
    finally:
        e.close()


def t_attest():
    e = Env()
    try:
        ctl, P, dev = e.ctl, e.P, e.dev
        tok = dev.integrity_token
        eq(len(tok), 128, "token length")
        check(all(c in b"0123456789abcdef" for c in tok), "token not hex")
        eq(ctl.integrity_token(dev.uuid), tok.decode(), "stored token")
        check(ctl.device(dev.uuid).attested, "attested")
        r, resp = dev.attest()
        eq((r.status, resp.quoteResp.integrity_token), (201, tok), "token kept")
        eq(resp.respType, P.enum("ATTEST_RESP_QUOTE_RESP"), "respType")
        eq(resp.quoteResp.response, P.enum("Z_ATTEST_RESPONSE_CODE_SUCCESS"), "response")
        r, resp = dev.attest("ATTEST_REQ_NONCE")
        eq((r.status, resp.respType), (201, P.enum("ATTEST_RESP_NONCE")), "nonce")
        eq(len(resp.nonce.nonce), 12, "nonce length")
        m = P.ZAttestReq(reqType=P.enum("ATTEST_REQ_CERT"))
        z = m.certs.add()
        z.type = P.enum("CERT_TYPE_DEVICE_ECDH_EXCHANGE")
        z.cert = b"pem"
        r = dev.post("attest", m.SerializeToString())
        eq(r.status, 201, "cert")
        eq(len(ctl.device(dev.uuid).attest_certs), 1, "certs stored")
        eq(dev.post("attest", b"\xff").status, 400, "bad payload")
        eq(dev.post("attest", P.ZAttestReq(reqType=0).SerializeToString()).status, 400,
           "ATTEST_REQ_NONE")
        ctl.set_integrity_token(dev.uuid, "")
        _, resp = dev.attest()
        check(resp.quoteResp.integrity_token != tok, "new token after reset")
    finally:
        e.close()


def t_config():
    e = Env()
    try:
        ctl, P, dev = e.ctl, e.P, e.dev
        r, _ = dev.get_config()
        eq(r.status, 404, "no config yet")
        ctl.update_config(dev.uuid, config_items={"timer.config.interval": "10"})
        eq(dev.get_config(token=b"")[0].status, 403, "missing token")
        eq(dev.get_config(token=b"x" * 128)[0].status, 403, "wrong token")
        r, resp = dev.get_config()
        eq((r.status, r.content_type), (200, "application/x-proto-binary"), "config")
        raw = resp.config.SerializeToString(deterministic=True)
        eq(resp.configHash, base64.urlsafe_b64encode(hashlib.sha256(raw).digest()).decode(),
           "configHash")
        eq(resp.config.id.uuid, dev.uuid, "id.uuid")
        eq(resp.config.id.version, "1", "id.version")
        eq(resp.config.controllercert_confighash, base64.urlsafe_b64encode(hashlib.sha256(
            open(ctl.path("signing.pem"), "rb").read() + open(ctl.path("encrypt.pem"), "rb")
            .read()).digest()).decode(), "controllercert_confighash")
        eq(ctl.config_hash(dev.uuid), resp.configHash, "config_hash()")
        r, _ = dev.get_config()
        eq((r.status, r.body, r.content_type), (304, b"", None), "unchanged")
        # without the id/ prefix (Adam serves /config too) and GET (Adam: 500)
        r = dev.request("POST", "config", dev.seal(P.ConfigRequest(
            configHash=dev.config_hash, integrity_token=dev.integrity_token)
            .SerializeToString()))
        eq(r.status, 304, "/config without id")
        eq(dev.request("GET", f"id/{dev.uuid}/config").status, 500, "GET config")
        # a change: new version and hash
        old = dev.config_hash
        tok = ctl.mint_jwt(dev.uuid, "127.0.0.1:4000/edge-view")
        ctl.update_config(dev.uuid, set_items={"edgeview.authen.publickey": "ssh-ed25519 AAA"},
                          edgeview=ctl.edgeview_config(tok, disp_cert_pem=[b"PEM"],
                                                       allow_dev=True, allow_app=True,
                                                       generation_id=7),
                          controller_epoch=5, config_timestamp=1700000000.5,
                          reboot_counter=3, device_name="dev-1")
        r, resp = dev.get_config()
        eq(r.status, 200, "changed")
        check(resp.configHash != old, "hash changed")
        c = resp.config
        eq(c.id.version, "2", "version bumped")
        ev = c.edgeview
        eq((ev.token, list(ev.disp_cert_pem), ev.dev_policy.allow_dev, ev.app_policy.allow_app,
            ev.ext_policy.allow_ext, ev.generation_id),
           (tok, [b"PEM"], True, True, False, 7), "edgeview")
        eq({i.key: i.value for i in c.configItems},
           {"timer.config.interval": "10", "edgeview.authen.publickey": "ssh-ed25519 AAA"},
           "config items")
        eq((c.controller_epoch, c.config_timestamp.seconds, c.reboot.counter, c.device_name),
           (5, 1700000000, 3, "dev-1"), "fields")
        # field 32 removed
        ctl.clear_edgeview(dev.uuid)
        r, resp = dev.get_config()
        check(r.status == 200 and not resp.config.HasField("edgeview"), "edgeview removed")
        # set_config checks id.uuid; clear_config brings 404 back
        try:
            ctl.set_config(dev.uuid, P.EdgeDevConfig(id=P.UUIDandVersion(uuid="other")))
            raise AssertionError("mismatched id.uuid accepted")
        except ValueError:
            pass
        ctl.clear_config(dev.uuid)
        eq(dev.get_config()[0].status, 404, "cleared")
        # 16-byte sender hash switch
        ctl.update_config(dev.uuid, device_name="x")
        ctl.set_sender_hash_algo(1)
        r, resp = dev.get_config(config_hash="")
        ac = P.AuthContainer.FromString(r.body)
        eq((ac.algo, len(ac.senderCertHash)), (1, 16), "16-byte sender hash")
    finally:
        e.close()


def t_info_metrics():
    e = Env()
    try:
        ctl, P, dev = e.ctl, e.P, e.dev
        m = P.ZInfoMsg(ztype=P.enum("ZiDevice"), devId=dev.uuid)
        m.dinfo.api_capability = 4
        r = dev.send_info(m)
        eq((r.status, r.body), (201, b""), "info")
        m = P.ZInfoMsg(ztype=P.enum("ZiEdgeview"), devId=dev.uuid)
        m.evinfo.count_dev = 3
        m.evinfo.expire_time.seconds = 1893456000
        eq(dev.send_info(m).status, 201, "edgeview info")
        eq(len(ctl.info(dev.uuid)), 2, "info stored")
        eq(ctl.info(dev.uuid, "ZiDevice")[0].dinfo.api_capability, 4, "ZiDevice")
        eq([x.count_dev for x in ctl.edgeview_info(dev.uuid)], [3], "ZiEdgeview")
        eq(ctl.info_records(dev.uuid)[0].path_uuid, dev.uuid, "path uuid")
        eq(dev.post("info", b"\xff\xff\xff").status, 400, "bad info payload")
        mm = P.ZMetricMsg(devID=dev.uuid)
        eq(dev.send_metrics(mm).status, 201, "metrics")
        eq(ctl.metrics(dev.uuid)[0].devID, dev.uuid, "metrics stored")
        eq(dev.post("metrics", b"\xff").status, 400, "bad metrics payload")
        eq(dev.post("flowlog", b"\x0a\x03abc").status, 201, "flowlog")
        eq(ctl.flowlogs(dev.uuid)[0].raw, b"\x0a\x03abc", "flowlog raw")
        eq(dev.post("hardwarehealth", b"").status, 200, "hardwarehealth (Adam: 200)")
        # unknown device / bad signature
        other = TestDevice.for_controller(ctl)
        other.uuid = dev.uuid
        eq(other.send_info(m).status, 401, "unknown device")
        eq(dev.post("info", m.SerializeToString(), bad_sig=True).status, 401, "bad signature")
        # wait() wakes up on new data
        ctl.wait(lambda: len(ctl.info(dev.uuid)) == 2, 2)
    finally:
        e.close()


def t_logs():
    e = Env()
    try:
        ctl, P, dev = e.ctl, e.P, e.dev
        ent = [{"severity": "info", "source": "edgeview", "content": "cmd ps",
                "msgid": 1, "tags": {"edgeview": "audit", "user": "a"},
                "timestamp": {"seconds": 1700000000, "nanos": 5}},
               {"Severity": "err", "CONTENT": "case-insensitive keys", "unknown": [1, 2],
                "tags": None}]
        r = dev.send_newlogs(ent)
        eq((r.status, r.body), (201, b""), "newlogs")
        logs = ctl.logs(dev.uuid)
        eq(len(logs), 2, "entries")
        eq((logs[0]["content"], logs[0]["tags"], logs[0]["timestamp"], logs[0]["image"]),
           ("cmd ps", {"edgeview": "audit", "user": "a"},
            {"seconds": 1700000000, "nanos": 5}, "IMGA"), "entry 0")
        eq((logs[1]["severity"], logs[1]["content"]), ("err", "case-insensitive keys"), "entry 1")
        eq(len(ctl.logs(dev.uuid, tag=("edgeview", "audit"))), 1, "tag filter")
        b = ctl.log_batches(dev.uuid)[-1]
        eq((b["status"], b["entries"], b["bundle"]["devID"], b["problems"]),
           (201, 2, dev.uuid, []), "batch")
        # Adam's 400s: string timestamp, bad header JSON, no header, bad gzip, blank line
        eq(dev.send_newlogs([{"content": "x", "timestamp": "2024-01-01T00:00:00Z"}]).status,
           400, "string timestamp")
        eq(dev.send_newlogs([{"content": "x"}], comment="{bad").status, 400, "bad comment")
        eq(dev.send_newlogs([], raw=make_gzip(b'{"content":"x"}\n')).status, 400, "no comment")
        eq(dev.send_newlogs([], raw=b"not gzip").status, 400, "not gzip")
        eq(dev.send_newlogs([b'{"content":"a"}', b"", b'{"content":"b"}']).status, 400,
           "blank line")
        eq(dev.send_newlogs([{"content": "x", "msgid": 1.5}]).status, 400, "fractional msgid")
        eq(dev.send_newlogs([{"content": "x", "msgid": -1}]).status, 400, "negative msgid")
        eq(dev.send_newlogs([{"content": 5}]).status, 400, "number content")
        eq(dev.send_newlogs([{"content": "x"}], comment="x" * 600).status, 400,
           "FCOMMENT over Go's 512-byte header buffer")
        # Adam ignores scanner errors: a line of 64 KiB or more silently ends the batch
        n0 = len(ctl.logs(dev.uuid))
        r = dev.send_newlogs([{"content": "before"}, {"content": "y" * 70000},
                              {"content": "after"}])
        eq(r.status, 201, "long line")
        eq([x["content"] for x in ctl.logs(dev.uuid)[n0:]], ["before"], "long line stops")
        # a line just under the limit is fine
        n0 = len(ctl.logs(dev.uuid))
        line = json.dumps({"content": "z" * 100}).encode()
        line = line[:-1] + b" " * (65535 - len(line)) + b"}"
        eq(dev.send_newlogs([line]).status, 201, "65535-byte line")
        eq(len(ctl.logs(dev.uuid)) - n0, 1, "65535-byte line stored")
        # a bad CRC is only a reading error for Go: lines read so far count, 201
        g = bytearray(make_gzip(b'{"content":"crc"}\n', comment="{}"))
        g[-8] ^= 1
        eq(dev.send_newlogs([], raw=bytes(g)).status, 201, "bad CRC")
        check(ctl.log_batches(dev.uuid)[-1]["problems"], "CRC problem not recorded")
        # Python's gzip module output (no FCOMMENT) is a 400 like any header-less batch
        eq(dev.send_newlogs([], raw=gzip.compress(b"{}\n")).status, 400, "python gzip")
        # legacy /logs
        lb = P.LogBundle(devID=dev.uuid, image="IMGB", eveVersion="1")
        le = lb.log.add(content="legacy", msgid=9)
        le.tags["k"] = "v"
        eq(dev.post("logs", lb.SerializeToString()).status, 201, "logs")
        eq(ctl.logs(dev.uuid, contains="legacy")[0]["tags"], {"k": "v"}, "legacy stored")
        # app newlogs (no header needed)
        app = "6a0b1c2d-0000-4000-8000-000000000001"
        raw = make_gzip(b'{"content":"app line"}\n')
        eq(dev.post(f"apps/instanceid/{app}/newlogs", raw).status, 201, "app newlogs")
        eq(ctl.app_logs(dev.uuid, app)[0]["content"], "app line", "app log stored")
        eq(dev.post("apps/instanceid/nope/newlogs", raw).status, 400, "bad app uuid")
    finally:
        e.close()


def t_jwt():
    e = Env()
    try:
        ctl, dev = e.ctl, e.dev
        tok = ctl.mint_jwt(dev.uuid, "127.0.0.1:4000/edge-view", 600, key="k1", num=2, aut=1)
        parts = tok.split(".")
        eq(len(parts), 3, "parts")
        check(all("=" not in p and "+" not in p and "/" not in p for p in parts), "b64url")

        def dec(s):
            return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))

        eq(dec(parts[0]), b'{"alg":"ES256","typ":"JWT"}', "header")
        body = dec(parts[1]).decode()
        check(body.startswith('{"dep":"127.0.0.1:4000/edge-view","sub":"' + dev.uuid
                              + '","exp":'), body)
        check(body.endswith(',"key":"k1","num":2,"enc":false,"aut":1}'), body)
        exp = json.loads(body)["exp"]
        check(time.time() + 590 < exp <= time.time() + 600, "exp")
        pub = pki.load_cert(ctl.signing_cert_pem()).public_key()
        check(pki.verify_raw_es256(pub, dec(parts[2]), (parts[0] + "." + parts[1]).encode()),
              "ES256 signature")
        old = ctl.mint_jwt(dev.uuid, ttl=-60)
        check(json.loads(dec(old.split(".")[1]))["exp"] < time.time(), "expired token")
        # same bytes as the vectors' JWT-A (Go struct order and escaping)
        v = json.load(open(os.path.join(ROOT, "tests/data/vectors.json")))["jwtA"]
        key = pki.load_key(json.load(open(os.path.join(ROOT, "tests/data/vectors.json")))
                           ["ec_private_pem_pkcs8"].encode())
        p = json.loads(v["payload_json"])
        t = ctl.mint_jwt(p["sub"], p["dep"], exp=p["exp"], key=p["key"], num=p["num"],
                         enc=p["enc"], aut=p["aut"], signer=key)
        eq(t.rsplit(".", 1)[0], v["signing_input"], "JWT-A signing input")
        check(pki.verify_raw_es256(key.public_key(), dec(t.rsplit(".", 1)[1]),
                                   v["signing_input"].encode()), "JWT-A signature")
        eq(json.loads(dec(ctl.mint_jwt("a<b>&", "d").split(".")[1]))["sub"], "a<b>&", "escape")
        check("\\u003c" in dec(ctl.mint_jwt("a<b", "d").split(".")[1]).decode(), "Go escaping")
        # set_edgeview puts the minted token into the config
        tok = ctl.set_edgeview(dev.uuid, dispatcher="127.0.0.1:4000/edge-view",
                               publickeys="ssh-ed25519 AAAA x")
        _, resp = dev.get_config()
        eq(resp.config.edgeview.token, tok, "token in config")
        eq({i.key: i.value for i in resp.config.configItems},
           {"edgeview.authen.publickey": "ssh-ed25519 AAAA x"}, "publickey item")
    finally:
        e.close()


def _conn_fails(dev, timeout=2):
    try:
        dev.request("GET", "ping", timeout=timeout)
    except (OSError, ssl.SSLError, ConnectionError) as ex:
        return type(ex).__name__
    return None


def t_down():
    e = Env()
    try:
        ctl, dev = e.ctl, e.dev
        for mode in ("close", "reset", "refuse", "hang"):
            ctl.set_down(mode)
            err = _conn_fails(dev, 1.5)
            check(err, f"{mode}: request succeeded")
            if mode == "refuse":
                eq(err, "ConnectionRefusedError", "refuse")
            if mode == "hang":
                check(err in ("TimeoutError", "timeout", "SSLError"), f"hang gave {err}")
            ctl.set_down(None)
            eq(dev.ping().status, 200, f"up again after {mode}")
        check(ctl.dropped.get("close") and ctl.dropped.get("hang"), "drops counted")
    finally:
        e.close()


def t_unavailable():
    e = Env()
    try:
        ctl, dev = e.ctl, e.dev
        ctl.set_unavailable(retry_after=30)
        r = dev.ping()
        eq((r.status, r.headers.get("retry-after"), r.content_type),
           (503, "30", "text/plain; charset=utf-8"), "503")
        eq(dev.get_config()[0].status, 503, "config 503")
        ctl.set_unavailable(False)
        eq(dev.ping().status, 200, "cleared")
        ctl.set_unavailable(retry_after=None, count=1, path="/config")
        eq(dev.ping().status, 200, "other path")
        r, _ = dev.get_config()
        eq((r.status, r.headers.get("retry-after")), (503, None), "one 503 without header")
        eq(dev.get_config()[0].status, 404, "count used up")
        ctl.fail_requests(429, retry_after=5, count=2, path="/info")
        m = e.P.ZInfoMsg(ztype=1, devId=dev.uuid)
        eq([dev.send_info(m).status for _ in range(3)], [429, 429, 201], "429 twice")
    finally:
        e.close()


def t_tamper():
    e = Env()
    try:
        ctl, dev = e.ctl, e.dev
        ctl.update_config(dev.uuid, device_name="a")
        ctl.tamper_next_config()
        try:
            dev.get_config()
            raise AssertionError("tampered config verified")
        except VerifyError as ex:
            check("signature" in str(ex), str(ex))
        r, resp = dev.get_config(config_hash="")
        eq((r.status, resp.config.device_name), (200, "a"), "next config fine")
    finally:
        e.close()


def t_bad_chain_and_rotate():
    e = Env()
    try:
        ctl, P, dev = e.ctl, e.P, e.dev
        ctl.update_config(dev.uuid, device_name="a")
        good = dev.signing_pem
        ctl.set_bad_chain()
        _, zc = dev.fetch_certs()
        inter = [c.cert for c in zc.certs if c.type == P.enum("CERT_TYPE_CONTROLLER_INTERMEDIATE")]
        check(dev.signing_pem != good, "signing cert unchanged")
        check(not check_chain(dev.signing_pem, ctl.root_cert_path, inter), "rogue cert chains")
        r, resp = dev.get_config(config_hash="")  # signed by the rogue key: verifies with it
        eq(r.status, 200, "config under bad chain")
        ctl.set_bad_chain(False)
        dev.signing_pem = good
        r, resp = dev.get_config(config_hash="")
        eq(r.status, 200, "good chain back")
        # rotation: new leaf from the same root, new confighash, old cert gives CertMiss
        h1 = ctl.controllercert_confighash()
        hash1 = dev.config_hash
        new = ctl.rotate_signing_cert()
        check(new.strip() != good, "rotated")
        check(ctl.controllercert_confighash() != h1, "controllercert_confighash unchanged")
        try:
            dev.get_config()
            raise AssertionError("old signing cert still verifies")
        except VerifyError as ex:
            check("CertMiss" in str(ex), str(ex))
        _, zc = dev.fetch_certs()
        eq(dev.signing_pem, new.strip(), "new signing cert served")
        check(check_chain(dev.signing_pem, ctl.root_cert_path), "rotated cert chains")
        r, resp = dev.get_config(config_hash=hash1)
        check(r.status == 200 and resp.configHash != hash1, "config hash follows rotation")
        eq(open(ctl.path("signing.pem"), "rb").read().split(b"-----END CERTIFICATE-----")[0]
           + b"-----END CERTIFICATE-----", new.strip(), "signing.pem rewritten")
    finally:
        e.close()


def t_admin_http():
    e = Env()
    try:
        ctl, dev = e.ctl, e.dev
        r = dev.request("GET", "/admin/device")
        eq(r.status, 200, "admin list")
        eq(json.loads(r.body)[0]["uuid"], dev.uuid, "admin uuid")
        r = dev.request("POST", f"/admin/device/{dev.uuid}/edgeview",
                        json.dumps({"dispatcher": "1.2.3.4:1/edge-view"}).encode(),
                        headers={"Content-Type": "application/json"})
        eq(r.status, 200, "admin edgeview")
        eq(ctl.get_config(dev.uuid).edgeview.token, json.loads(r.body)["token"], "token set")
        r = dev.request("PUT", "/admin/switch", json.dumps({"unavailable": True}).encode())
        eq(dev.ping().status, 503, "switch via admin")
        dev.request("PUT", "/admin/switch", json.dumps({"unavailable": False}).encode())
        eq(dev.ping().status, 200, "switch off")
    finally:
        e.close()


def t_cli():
    d = tempfile.mkdtemp()
    p = None
    try:
        p = subprocess.Popen([sys.executable, os.path.join(HERE, "run.py"), "--dir", d,
                              "--onboard", "*"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True)
        line = p.stdout.readline()
        check(line.startswith("listening "), f"CLI said {line!r}")
        host, port = line.split()[1].rsplit(":", 1)
        dev = TestDevice(host, int(port), os.path.join(d, "root-certificate.pem"))
        dev.onboard_cert = pki.load_cert(open(os.path.join(d, "onboard.cert.pem"), "rb").read())
        dev.onboard_key = pki.load_key(open(os.path.join(d, "onboard.key.pem"), "rb").read())
        dev.fetch_certs()
        eq(dev.register().status, 201, "register through the CLI controller")
    finally:
        if p:
            p.terminate()
            p.wait(10)
        shutil.rmtree(d, ignore_errors=True)


CASES = [t_files_and_tls, t_ping_probe_404_405, t_certs, t_register, t_uuid_and_preregister,
         t_attest, t_config, t_info_metrics, t_logs, t_jwt, t_down, t_unavailable, t_tamper,
         t_bad_chain_and_rotate, t_admin_http, t_cli]


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("-")]
    verbose = "-v" in sys.argv
    only = args[0] if args else os.environ.get("EV_ONLY")
    try:
        protos.load()
    except protos.ProtoError as ex:
        if "protoc not found" in str(ex):
            print(f"SKIP: {ex}")
            sys.exit(77)
        raise
    if verbose:
        import logging
        logging.basicConfig(level=logging.INFO, format="evctl: %(message)s")
    passed = failed = 0
    for fn in CASES:
        name = fn.__name__[2:]
        if only and only not in name:
            continue
        start = time.monotonic()
        try:
            fn()
            passed += 1
            print(f"ok   {name} ({time.monotonic() - start:.2f} s)", flush=True)
        except Exception as ex:  # noqa: BLE001 - one failing case must not stop the others
            failed += 1
            print(f"FAIL {name}: {type(ex).__name__}: {ex}", flush=True)
            traceback.print_exc(file=sys.stdout)
    print(f"{passed} passed, {failed} failed", flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
