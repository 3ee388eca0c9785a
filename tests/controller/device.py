"""A Python "device" speaking device API v2, for the controller's self-test and for tests
that need a second, scripted device next to eve-agent.

It signs AuthContainers as EVE does (device-api 3.2: SHA-256(DER) sender hash, raw r||s
over SHA-256(payload)), verifies the controller's answers against the signing cert it got
from /certs, and opens a new TLS connection per request, as EVE does.
"""
import base64
import http.client
import io
import json
import ssl
import uuid as uuidlib

try:
    from . import pki, protos
except ImportError:
    import pki
    import protos

API = "/api/v2/edgedevice"


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # lower-case names
        self.body = body

    @property
    def content_type(self):
        return self.headers.get("content-type")

    def __repr__(self):
        return f"Response({self.status}, {self.content_type}, {len(self.body)} bytes)"


class VerifyError(Exception):
    pass


class TestDevice:
    __test__ = False  # not a pytest class

    def __init__(self, host, port, root_pem_path, *, server_name=None, key=None, cert=None,
                 onboard_cert=None, onboard_key=None, serial="SER-1", soft_serial="",
                 proto_dir=None, timeout=10):
        self.P = protos.load(proto_dir or protos.DEFAULT_PROTO_DIR)
        self.host, self.port = host, port
        self.server_name = server_name or host
        self.timeout = timeout
        self.ctx = ssl.create_default_context(cafile=root_pem_path)
        self.ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        if cert is None:
            cert, key = pki.make_device_cert(key)
        self.cert, self.key = cert, key
        self.cert_pem = pki.cert_pem(cert)
        self.onboard_cert, self.onboard_key = onboard_cert, onboard_key
        self.serial, self.soft_serial = serial, soft_serial
        self.uuid = None
        self.signing_pem = None  # trimmed signing PEM bytes from /certs
        self.integrity_token = b""
        self.config_hash = ""

    @classmethod
    def for_controller(cls, ctl, **kw):
        kw.setdefault("onboard_cert", ctl.onboard_cert)
        kw.setdefault("onboard_key", ctl.onboard_key)
        return cls(ctl.host, ctl.port, ctl.root_cert_path, server_name=ctl.server_name, **kw)

    # ---- transport -----------------------------------------------------------------------

    def request(self, method, path, body=None, headers=None, timeout=None):
        conn = http.client.HTTPSConnection(self.server_name, self.port, context=self.ctx,
                                           timeout=timeout or self.timeout)
        if self.server_name != self.host:
            # Dial self.host but keep SNI and the host-name check on server_name.
            conn._create_connection = _connect_to(self.host)
        h = {"X-Request-Id": str(uuidlib.uuid4())}
        if self.uuid is None:
            if self.serial:
                h["X-Serial-Number"] = self.serial
            if self.soft_serial:
                h["X-Soft-Serial"] = self.soft_serial
        if body is not None:
            h["Content-Type"] = "application/x-proto-binary"
        h.update(headers or {})
        try:
            conn.request(method, path if path.startswith("/") else f"{API}/{path}", body=body,
                         headers=h)
            r = conn.getresponse()
            data = r.read()
            return Response(r.status, {k.lower(): v for k, v in r.getheaders()}, data)
        finally:
            conn.close()

    def seal(self, payload, *, key=None, cert=None, register=False, hash_len=32, bad_sig=False,
             sender_hash=None):
        key = key or (self.onboard_key if register else self.key)
        cert = cert or (self.onboard_cert if register else self.cert)
        ac = self.P.AuthContainer()
        ac.protectedPayload.payload = payload
        ac.algo = 2 if hash_len == 32 else 1
        h = pki.sha256(pki.cert_der(cert))
        ac.senderCertHash = sender_hash if sender_hash is not None else h[:hash_len]
        sig = pki.sign_raw(key, payload)
        if bad_sig:
            sig = bytes([sig[0] ^ 1]) + sig[1:]
        ac.signatureHash = sig
        if register:
            ac.senderCert = base64.b64encode(pki.cert_pem(cert))
        return ac.SerializeToString()

    def post(self, path, payload, **seal_kw):
        if self.uuid and not path.startswith("/") and path not in ("register", "uuid"):
            path = f"id/{self.uuid}/{path}"
        return self.request("POST", path, self.seal(payload, **seal_kw))

    def open(self, body, *, verify=True):
        """Payload of a controller AuthContainer, checked as EVE does (device-api 3.3)."""
        ac = self.P.AuthContainer.FromString(body)
        payload = ac.protectedPayload.payload
        if not verify:
            return payload
        if self.signing_pem is None:
            raise VerifyError("no signing certificate yet")
        full = pki.sha256(self.signing_pem)
        if ac.algo == 2:
            ok = ac.senderCertHash == full
        elif ac.algo == 1:
            ok = ac.senderCertHash == full[:16]
        else:
            ok = False
        if not ok:
            raise VerifyError("CertMiss: sender hash does not match the signing cert")
        pub = pki.load_cert(self.signing_pem).public_key()
        if not pki.verify_raw_es256(pub, ac.signatureHash, payload):
            raise VerifyError("signature does not verify")
        return payload

    # ---- API -----------------------------------------------------------------------------

    def ping(self):
        return self.request("GET", "ping")

    def fetch_certs(self):
        """GET /certs; returns (response, ZControllerCert). Takes the SIGNING cert as the
        one to verify answers with (no chain check here: see check_chain)."""
        r = self.request("GET", "certs")
        if r.status != 200:
            return r, None
        zc = self.P.ZControllerCert.FromString(self.open(r.body, verify=False))
        signing = [c for c in zc.certs if c.type == self.P.enum("CERT_TYPE_CONTROLLER_SIGNING")]
        if len(signing) == 1:
            self.signing_pem = signing[0].cert
        return r, zc

    def register(self, serial=None, soft_serial=None, **seal_kw):
        m = self.P.ZRegisterMsg()
        m.pemCert = base64.b64encode(self.cert_pem)
        m.serial = self.serial if serial is None else serial
        m.softSerial = self.soft_serial if soft_serial is None else soft_serial
        return self.request("POST", "register", self.seal(m.SerializeToString(), register=True,
                                                          **seal_kw))

    def get_uuid(self, **seal_kw):
        r = self.request("POST", "uuid", self.seal(b"", **seal_kw))
        if r.status == 200:
            self.uuid = self.P.UuidResponse.FromString(self.open(r.body)).uuid
        return r

    def attest(self, req_type="ATTEST_REQ_QUOTE"):
        m = self.P.ZAttestReq()
        m.reqType = self.P.enum(req_type)
        r = self.post("attest", m.SerializeToString())
        resp = None
        if r.status == 201:
            resp = self.P.ZAttestResponse.FromString(self.open(r.body))
            if resp.HasField("quoteResp") and resp.quoteResp.integrity_token:
                self.integrity_token = resp.quoteResp.integrity_token
        return r, resp

    def get_config(self, config_hash=None, token=None, path=None, verify=True):
        m = self.P.ConfigRequest()
        m.configHash = self.config_hash if config_hash is None else config_hash
        t = self.integrity_token if token is None else token
        if t:
            m.integrity_token = t
        r = self.post(path or "config", m.SerializeToString())
        resp = None
        if r.status == 200:
            resp = self.P.ConfigResponse.FromString(self.open(r.body, verify=verify))
            self.config_hash = resp.configHash
        return r, resp

    def send_info(self, msg):
        return self.post("info", msg.SerializeToString())

    def send_metrics(self, msg):
        return self.post("metrics", msg.SerializeToString())

    def send_newlogs(self, entries, *, comment=None, raw=None, name=None):
        """entries: dicts (JSON lines) or already-encoded lines (bytes)."""
        if raw is None:
            if comment is None:
                comment = json.dumps({"devID": self.uuid or "", "image": "IMGA",
                                      "eveVersion": "test"})
            raw = make_gzip(b"".join((e if isinstance(e, bytes) else
                                      json.dumps(e).encode()) + b"\n" for e in entries),
                            comment=comment, name=name)
        return self.post("newlogs", raw)


def _connect_to(host):
    import socket

    def connect(address, timeout=None, source_address=None):
        return socket.create_connection((host, address[1]), timeout, source_address)

    return connect


def make_gzip(data, *, comment=None, name=None, mtime=0):
    """One gzip member with optional FNAME/FCOMMENT (Latin-1), as EVE's newlogs writes."""
    import struct
    import zlib
    flg = (8 if name is not None else 0) | (16 if comment is not None else 0)
    out = io.BytesIO()
    out.write(struct.pack("<BBBBIBB", 0x1F, 0x8B, 8, flg, mtime, 2, 255))
    if name is not None:
        out.write(name.encode("latin-1") + b"\0")
    if comment is not None:
        out.write(comment.encode("latin-1") + b"\0")
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    out.write(c.compress(data) + c.flush())
    out.write(struct.pack("<II", zlib.crc32(data), len(data) & 0xFFFFFFFF))
    return out.getvalue()


def check_chain(leaf_pem, root_pem_path, intermediates=()):
    """Minimal path check for the self-test: leaf signed by a cert in the root file or by an
    intermediate that is; validity times are checked. Returns True/False."""
    import datetime
    with open(root_pem_path, "rb") as f:
        roots = [pki.load_cert(b) for b in pki.split_pem_certs(f.read())]
    leaf = pki.load_cert(leaf_pem)
    inter = [pki.load_cert(p) for p in intermediates]
    now = datetime.datetime.utcnow()

    def valid(c):
        return c.not_valid_before <= now <= c.not_valid_after

    if not valid(leaf):
        return False
    for r in roots:
        if pki.issued_by(leaf, r) and valid(r):
            return True
    for i in inter:
        if pki.issued_by(leaf, i) and valid(i):
            if any(pki.issued_by(i, r) and valid(r) for r in roots):
                return True
    return False


__all__ = ["TestDevice", "Response", "VerifyError", "make_gzip", "check_chain"]
