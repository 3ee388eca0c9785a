#!/usr/bin/python3
"""Hostile input against signed commands (JWT aut 1 and 2), the replay fields
and the EVX1 encrypted channel.  References: "protocol N" = sections of
edgeview-protocol.md (6.3, 6.6, 7.7, 13, 15.6); "SECURITY N" = docs/SECURITY.md
(5 replay fields, 6 encrypted channel, 7 signed commands).

One real edgeview-dispatcher; edgeviewd restarted only when the setup (token,
trusted keys, options) changes; a hand-made client (Python) crafts envelopes.
The table ROWS says, for each row: its setup group, the frames sent, what must
come back (EVE's exact strings, a raw frame, or silence), and what the device
logs.  After every row: the audit file grew by exactly the commands the row
expects to run (usually none) and edgeviewd is alive.  Each group ends with a
good command, to prove the device still serves.

Run: tests/run.sh build/release signed_commands (EV_ONLY=substring runs
the rows whose name contains it).
"""
import asyncio
import base64
import hashlib
import hmac
import json
import os
import secrets
import socket
import subprocess
import sys
import time

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from evtest import Dispatcher, Results, Workdir, binary, check, eq, proc_env  # noqa: E402
from session_e2e import UUID, Setup, envelope, hash_of, token_key  # noqa: E402

OTHER_UUID = "11111111-2222-3333-4444-555555555555"
GOOD_SYS = "cat//persist/status/uuid"

# EVE's strings (protocol 6.3, 6.6) and ours (SECURITY 5-7).
AUTH_FAILED = "authentication for command failed to verify\n"
DONE = "+++Done+++"
NEED_CERT = ("Edgeview requires client authentication signing by Private Ceritificate, "
             "+++Verify failed+++")
NEED_SSH = ("Edgeview requires client authentication signing by SSH private key,\n"
            "+++Verify failed+++")
NO_KEYS = "Edgeview SSH public key is empty.\n+++Verify failed+++"
NOT_VALID = "Edgeview client signed message not valid.\n+++Verify failed+++"
KEYS_CHANGED = "Edgeview trusted keys changed on the device; session ended\n+++Verify failed+++"
GO_GCM_REFUSED = ("Edgeview encrypted message: this device does not accept EVE 0.8.8 encryption, "
                  "which cannot work (each side keys it with a secret it never shares); use the "
                  "edgeview C client or a token without enc\n")
AUTHEN_LOG = "authen failed on json msg"  # protocol 6.6
# Device log lines that are ours, not EVE's: any of these words will do.
NOT_ENVELOPE_LOG = ("not an envelope", "raw message")
BAD_CMD_LOG = ("not valid JSON", "too big", "too large")
KEYS_PATH = "run/zedagent/ConfigItemValueMap/global.json"
SILENCE = 1.0  # seconds of silence that mean "ignored"


class Has:
    """A reply that starts with prefix and contains one of the needles."""

    def __init__(self, prefix, *needles):
        self.prefix, self.needles = prefix, needles

    def match(self, text):
        return text.startswith(self.prefix) and (not self.needles or
                                                 any(n in text for n in self.needles))

    def __repr__(self):
        return f"Has({self.prefix!r}, any of {self.needles!r})"


def replay_refused(*reason):
    return [Has("cmd replay check failed: ", *reason), DONE]


def sig_refused(first):
    return [first, AUTH_FAILED, DONE]


REFUSED = [AUTH_FAILED, DONE]  # enc channel errors (SECURITY 6), bad HMAC (6.6)

# ---------------------------------------------------------------- keys


def sh(cwd, *args):
    p = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: {p.stderr.strip()}")
    return p.stdout


def b64(b):
    return base64.b64encode(b).decode()


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def sshstr(b):
    return len(b).to_bytes(4, "big") + b


class Signer:
    """A private key and EVE's raw signature form for it (protocol 6.3, 15.6;
    Ed25519: raw 64 bytes over the message, SECURITY 7)."""

    def __init__(self, name, key, path=None, line=None):
        self.name, self.key, self.path, self.line = name, key, path, line

    @property
    def comment(self):
        return self.line.split()[-1] if self.line else ""

    def sign(self, msg):
        k = self.key
        if isinstance(k, ec.EllipticCurvePrivateKey):
            r, s = decode_dss_signature(k.sign(msg, ec.ECDSA(hashes.SHA256())))
            n = (k.curve.key_size + 7) // 8
            return r.to_bytes(n, "big") + s.to_bytes(n, "big")
        if isinstance(k, rsa.RSAPrivateKey):
            return k.sign(msg, padding.PKCS1v15(), hashes.SHA256())
        if isinstance(k, ed25519.Ed25519PrivateKey):
            return k.sign(msg)
        if isinstance(k, dsa.DSAPrivateKey):
            r, s = decode_dss_signature(k.sign(msg, hashes.SHA256()))
            n = (k.parameters().parameter_numbers().q.bit_length() + 7) // 8
            return r.to_bytes(n, "big") + s.to_bytes(n, "big")
        raise TypeError(type(k))


P256_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


class Keys:
    """Every key of the test, made with openssl and ssh-keygen in the workdir."""

    def __init__(self, wd, controller_key):
        self.wd = wd

        def pem_signer(name, path):
            with open(path, "rb") as f:
                return Signer(name, serialization.load_pem_private_key(f.read(), None), path)

        def cert(key, out):
            sh(wd, "openssl", "req", "-new", "-x509", "-key", key, "-out", out, "-days", "1",
               "-subj", "/CN=controller")
            return os.path.join(wd, out)

        # aut 1: the controller's keys and certificates.
        self.ctl = pem_signer("controller P-256", controller_key)
        self.ctl_cert = cert(controller_key, "controller-cert.pem")
        sh(wd, "openssl", "genrsa", "-out", "rsa.key", "2048")
        self.rsa = pem_signer("controller RSA", os.path.join(wd, "rsa.key"))
        self.rsa_cert = cert("rsa.key", "rsa-cert.pem")
        sh(wd, "openssl", "ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out",
           "other.key")
        self.other_ec = pem_signer("untrusted P-256", os.path.join(wd, "other.key"))
        sh(wd, "openssl", "ecparam", "-name", "secp384r1", "-genkey", "-noout", "-out",
           "p384.key")
        self.p384 = pem_signer("P-384", os.path.join(wd, "p384.key"))

        # aut 2: SSH keys; the comment is what the audit line shows.
        def ssh(name, kind, bits, comment):
            path = os.path.join(wd, "ssh_" + name)
            args = ["ssh-keygen", "-q", "-t", kind, "-N", "", "-C", comment, "-f", path]
            if bits:
                args[4:4] = ["-b", str(bits)]
            sh(wd, *args)
            with open(path, "rb") as f:
                key = serialization.load_ssh_private_key(f.read(), None)
            with open(path + ".pub") as f:
                line = f.read().strip()
            return Signer(f"ssh {name}", key, path, line)

        self.a = ssh("a", "ecdsa", 256, "alice@laptop")
        self.b = ssh("b", "rsa", 2048, "bob@desk")
        self.c = ssh("c", "ed25519", 0, "carol@ed")
        self.d = ssh("d", "ecdsa", 384, "dave@p384")
        self.e = ssh("e", "ecdsa", 256, "erin@fifth")
        self.z = ssh("z", "ecdsa", 256, "zed@nowhere")  # never trusted
        self.good = ssh("good", "ecdsa", 256, "good@later")
        self.opt = ssh("opt", "ecdsa", 256, "opt@line")
        self.badb64 = ssh("badb64", "ecdsa", 256, "b64@line")
        self.dsa = ssh("dsa", "dsa", 0, "dsa@line")
        self.sk = ssh("sk", "ecdsa", 256, "sk@line")
        self.certkey = ssh("cert", "ecdsa", 256, "cert@line")
        self.mm = ssh("mm", "ecdsa", 256, "mismatch@line")
        sh(wd, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "ssh-ca", "-f", "ssh_ca")
        sh(wd, "ssh-keygen", "-q", "-s", "ssh_ca", "-I", "test", "-n", "root",
           self.certkey.path + ".pub")
        with open(self.certkey.path + "-cert.pub") as f:
            cert_line = f.read().strip()
        check("-cert-v01@openssh.com " in cert_line, f"ssh certificate line {cert_line[:60]}")

        # authorized_keys lines the device must skip (the keys themselves are fine).
        self.opt_line = 'from="127.0.0.1",no-pty ' + self.opt.line
        t, blob, comment = self.badb64.line.split()
        self.badb64_line = f"{t} {blob[:30]}!*{blob[32:]} {comment}"
        q = self.sk.key.public_key().public_bytes(serialization.Encoding.X962,
                                                  serialization.PublicFormat.UncompressedPoint)
        skblob = (sshstr(b"sk-ecdsa-sha2-nistp256@openssh.com") + sshstr(b"nistp256") +
                  sshstr(q) + sshstr(b"ssh:"))
        self.sk_line = f"sk-ecdsa-sha2-nistp256@openssh.com {b64(skblob)} sk@line"
        self.cert_line = cert_line.rsplit(" ", 1)[0] + " cert@line"
        check(self.dsa.line.startswith("ssh-dss "), "ssh-dss line")
        self.mm_line = "ssh-rsa " + self.mm.line.split(" ", 1)[1]

# ---------------------------------------------------------------- frames


def now_ms():
    return int(time.time() * 1000)


def hmac_env(key, payload):
    return envelope(key, payload)


def signed_env(payload, sig=None, omit=False):
    """A signed envelope (6.3): sha256Hash zero, Signature = sig (None gives null)."""
    e = {"message": b64(payload), "sha256Hash": [0] * 32}
    if not omit:
        e["Signature"] = None if sig is None else (sig if isinstance(sig, str) else b64(sig))
    return json.dumps(e, separators=(",", ":"))


def evx_data_env(key, seq, plaintext, direction=b"c", frame=b"t", tamper=False):
    """An EVX1 data envelope (SECURITY 6)."""
    iv = bytes(4) + seq.to_bytes(8, "big")
    aad = b"evx1" + direction + frame + seq.to_bytes(8, "big")
    ct = bytearray(AESGCM(key).encrypt(iv, plaintext, aad))
    if tamper:
        ct[len(ct) // 3] ^= 0x01
    return json.dumps({"message": b64(bytes(ct)), "sha256Hash": [0] * 32, "Signature": None,
                       "iv": b64(iv), "cipher": "EVX1-AES-256-GCM"}, separators=(",", ":"))


def go_gcm_env(payload, with_cipher=True):
    """What EVE 0.8.8's Go client sends with an enc token (6.5)."""
    e = {"message": b64(secrets.token_bytes(len(payload) + 16)),
         "sha256Hash": list(hashlib.sha256(payload).digest()), "Signature": None,
         "iv": b64(secrets.token_bytes(12))}
    if with_cipher:
        e["cipher"] = "AES-GCM"
    return json.dumps(e, separators=(",", ":"))


def flip(b, i=None):
    b = bytearray(b)
    b[len(b) // 2 if i is None else i] ^= 0x10
    return bytes(b)


class Bin:
    """A frame to send as a binary websocket message."""

    def __init__(self, data):
        self.data = data.encode() if isinstance(data, str) else data


DEL = object()  # remove a key from the command


class Msg:
    def __init__(self, kind, text, binary, raw, seq=0):
        self.kind, self.text, self.binary, self.raw, self.seq = kind, text, binary, raw, seq

    def __repr__(self):
        t = self.text if len(self.text) < 160 else self.text[:120] + "..." + self.text[-30:]
        return f"{self.kind}{'/bin' if self.binary else ''} {t!r}"


class Chan:
    def __init__(self, c2d, d2c):
        self.c2d, self.d2c, self.tx, self.rx = c2d, d2c, 0, 0


class Conn:
    """The hand-made client: one websocket to the dispatcher at a time, a
    connection id (evxSession) and command counter per websocket, the EVX1
    channel when one was set up.  memo keeps frames across reconnects."""

    def __init__(self, env):
        self.env, self.g = env, env.group
        self.ws = None
        self.memo = {}
        self.got = []  # everything received, for failure messages
        self.key = token_key(self.g.token)

    async def open(self):
        self.ws = await self.env.d.connect(hash_of(self.g.token), "laptop")
        first = await asyncio.wait_for(self.ws.recv(), 5)
        check(isinstance(first, str) and first.startswith("YourEndPointIPAddr:"),
              f"first message from the dispatcher: {first!r} (is edgeviewd connected?)")
        self.session = b64url(secrets.token_bytes(16))
        self.seq = 0
        self.chan = None
        self.frames = []  # (raw, Msg) from the device on this websocket
        self.pending = None  # a reply read ahead (OrSilent)

    async def ensure(self):
        if self.ws is None:
            await self.open()

    async def close(self):
        if self.ws is not None:
            await self.ws.close()
            self.ws = None

    async def reconnect(self):
        await self.close()
        await self.open()

    # ---- commands

    def cmd(self, system=GOOD_SYS, network="", user="alice", legacy=False, seq=None, **over):
        """A command (7.2) with the replay fields (SECURITY 5) unless legacy; over sets or
        (DEL) removes JSON keys after that."""
        d = {"version": "0.8.8", "clientEPAddr": "", "network": network, "system": system,
             "pubsub": "", "logopt": "", "timerange": "", "isJSON": False, "extraline": 0,
             "logtype": "", "userinfo": user}
        if not legacy:
            self.seq = seq if seq is not None else self.seq + 1
            d.update(evx=1, evxDevice=UUID, evxToken=hash_of(self.g.token),
                     evxSession=self.session, evxSeq=self.seq, evxTime=now_ms())
        for k, v in over.items():
            if v is DEL:
                d.pop(k, None)
            else:
                d[k] = v
        return json.dumps(d, separators=(",", ":")).encode()

    def signed(self, payload, signer=None):
        return signed_env(payload, (signer or self.g.signer).sign(payload))

    def wrap(self, payload, signer=None):
        """The group's normal form: HMAC (aut 0) or signed, sealed in the channel if any."""
        if self.g.aut == 0:
            if self.chan:
                return self.seal(payload)
            return hmac_env(self.key, payload)
        env = self.signed(payload, signer)
        return self.seal(env.encode()) if self.chan else env

    def good(self, signer=None):
        return self.wrap(self.cmd(), signer)

    # ---- EVX1 channel (SECURITY 6)

    async def hello(self, bad_mac=False, session=None):
        """The EVX1 hello and keys (SECURITY 6); a bad MAC or session only sends it."""
        cnonce = b64url(secrets.token_bytes(16))
        msg = json.dumps({"evx": 1, "session": session or self.session, "nonce": cnonce},
                         separators=(",", ":")).encode()
        mac = hmac.new(self.key, msg, hashlib.sha256).digest()
        if bad_mac:
            mac = flip(mac)
        await self.ws.send(json.dumps({"message": b64(msg), "sha256Hash": list(mac),
                                       "Signature": None, "iv": "AAAAAAAAAAAAAAAA",
                                       "cipher": "EVX1-HELLO"}, separators=(",", ":")))
        if bad_mac or session is not None:
            return
        m = await self.recv(5)
        check(m is not None and m.kind == "hello", f"hello answer: {m!r}")
        ans = json.loads(m.text)
        eq(ans.get("session"), self.session, "hello answer session")
        dnonce = ans.get("nonce", "")
        check(len(dnonce) == 22 and dnonce[-1] in "AQgw", f"device nonce {dnonce!r} (SECURITY 6)")
        salt = hashlib.sha256(self.g.token.encode()).digest()
        ids = (self.session + cnonce + dnonce).encode()

        def key(label):
            return HKDF(hashes.SHA256(), 32, salt, label + b"\x00" + ids).derive(self.key)
        self.chan = Chan(key(b"edgeview evx1 client to device"),
                         key(b"edgeview evx1 device to client"))

    def seal(self, plaintext, frame=b"t", seq=None, tamper=False):
        if seq is None:
            self.chan.tx += 1
            seq = self.chan.tx
        return evx_data_env(self.chan.c2d, seq, plaintext, b"c", frame, tamper)

    # ---- receiving

    async def recv(self, timeout):
        if self.pending is not None:
            m, self.pending = self.pending, None
            return m
        try:
            raw = await asyncio.wait_for(self.ws.recv(), timeout)
        except asyncio.TimeoutError:
            return None
        binary = isinstance(raw, bytes)
        m = self.classify(raw, binary)
        self.frames.append((raw, m))
        self.got.append(m)
        return m

    def classify(self, raw, binary):
        text = raw.decode(errors="replace") if binary else raw
        try:
            e = json.loads(raw)
            if not isinstance(e, dict) or "message" not in e:
                raise ValueError
            payload = base64.b64decode(e["message"] or "")
        except (ValueError, TypeError):
            return Msg("raw", text, binary, raw)
        cipher = e.get("cipher")
        if cipher == "EVX1-AES-256-GCM":
            if self.chan is None:
                return Msg("enc-no-channel", text, binary, raw)
            iv = base64.b64decode(e.get("iv") or "")
            seq = int.from_bytes(iv[4:], "big")
            if len(iv) != 12 or iv[:4] != bytes(4) or seq != self.chan.rx + 1:
                return Msg(f"enc-bad-seq({seq}, want {self.chan.rx + 1})", text, binary, raw)
            aad = b"evx1d" + (b"b" if binary else b"t") + seq.to_bytes(8, "big")
            try:
                pt = AESGCM(self.chan.d2c).decrypt(iv, payload, aad)
            except InvalidTag:
                return Msg("enc-bad-tag", text, binary, raw)
            self.chan.rx = seq
            return Msg("enc", pt.decode(errors="replace"), binary, raw, seq)
        mac = hmac.new(self.key, payload, hashlib.sha256).digest()
        if list(mac) != e.get("sha256Hash"):
            return Msg("bad-mac", payload.decode(errors="replace"), binary, raw)
        return Msg("hello" if cipher == "EVX1-HELLO" else "hmac",
                   payload.decode(errors="replace"), binary, raw)

    def verified(self, m):
        """Device replies must be HMAC envelopes, or encrypted once a channel exists."""
        want = "enc" if self.chan else "hmac"
        check(m.kind == want, f"reply {m!r} should be {want}")

# ---------------------------------------------------------------- expectations

RUN = "run"        # the command runs: output with the device UUID, then +++Done+++
SILENT = "silent"  # nothing comes back within SILENCE seconds


class Raw:
    def __init__(self, text):
        self.text = text


class OrSilent:
    """Either these replies or silence."""

    def __init__(self, replies):
        self.replies = replies


async def expect(c, want):
    if want is None:
        return
    if want == RUN:
        out = ""
        while DONE not in out:
            m = await c.recv(15)
            check(m is not None, f"command output ended without {DONE}: {out[-300:]!r}")
            c.verified(m)
            out += m.text
        check(UUID in out, f"command output without the UUID: {out[-300:]!r}")
        for bad in ("+++Verify failed+++", "failed to verify", "replay check failed"):
            check(bad not in out, f"refusal in the output: {out[-300:]!r}")
        return
    if want == SILENT:
        m = await c.recv(SILENCE)
        check(m is None, f"expected silence, got {m!r}")
        return
    if isinstance(want, OrSilent):
        m = await c.recv(SILENCE)
        if m is None:
            return
        c.pending = m  # read again below
        want = want.replies
    if isinstance(want, Raw):
        m = await c.recv(5)
        check(m is not None, f"expected raw {want.text!r}, got nothing")
        check(m.kind == "raw" and not m.binary, f"expected a raw text frame, got {m!r}")
        eq(m.text, want.text, "raw reply")
        await drain(c)
        return
    for w in want:
        m = await c.recv(5)
        check(m is not None, f"expected {w!r}, got nothing")
        c.verified(m)
        ok = w.match(m.text) if isinstance(w, Has) else m.text == w
        check(ok, f"expected {w!r}, got {m!r}")
    await drain(c)


async def drain(c, t=0.2):
    """After a refusal only more refusal lines may come, never output (such as the
    session header, which tells device IPs and names: protocol 13, weakness 5)."""
    while True:
        m = await c.recv(t)
        if m is None:
            return
        check(m.text in (AUTH_FAILED, DONE), f"unexpected extra reply {m!r}")

# ---------------------------------------------------------------- the table


class Group:
    def __init__(self, name, aut=0, enc=False, cert=None, keys=None, args=(), env=None,
                 signer=None, live=None, install=()):
        self.name, self.aut, self.enc, self.cert, self.keys = name, aut, enc, cert, keys
        self.args, self.env, self.signer_name, self.live = list(args), env, signer, live
        self.install = list(install)
        self.token = None
        self.signer = None


class Row:
    def __init__(self, name, group, steps, log=None, runs=None, audit=None, log_scope="row"):
        self.name, self.group, self.steps, self.log, self.audit = name, group, steps, log, audit
        self.log_scope = log_scope  # "group": the line comes when the device loads its keys
        self.runs = runs if runs is not None else sum(
            1 for s in steps if (isinstance(s, tuple) and len(s) == 2 and s[1] == RUN) or
            (isinstance(s, Cli) and s.runs))


class Do:
    """A step that is not a frame: fn(c) may be a coroutine function."""

    def __init__(self, fn):
        self.fn = fn


class Cli:
    """Run the real edgeview client (after closing the hand-made one)."""

    def __init__(self, words, key=None, rc=0, out=(), runs=None):
        self.words, self.key, self.rc, self.out = words, key, rc, out
        self.runs = (rc == 0) if runs is None else runs


def reconnect():
    return Do(lambda c: c.reconnect())


def hello():
    return Do(lambda c: c.hello())


def keep(name, frame):
    """Builder helper: remember a frame to send it again later."""
    def f(c):
        c.memo[name] = frame(c)
        return c.memo[name]
    return f


def recall(name):
    return lambda c: c.memo[name]


def wait_for(text, timeout=6.0):
    """A reply nobody asked for (keys changed) arrives within timeout."""
    async def f(c):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = await c.recv(deadline - time.monotonic())
            if m is None:
                break
            c.verified(m)
            if m.text == text:
                await drain(c, 0.3)
                return
            check(m.text in (AUTH_FAILED, DONE), f"waiting for {text!r}, got {m!r}")
        raise AssertionError(f"{text!r} did not arrive within {timeout} s")
    return Do(f)


def with_sig(sig_fn, payload_fn=None):
    """A signed envelope of the next command with the signature sig_fn(c, payload)."""
    def f(c):
        p = payload_fn(c) if payload_fn else c.cmd()
        return signed_env(p, sig_fn(c, p))
    return f


def sign_other(c, p):
    return c.env.k.ctl.sign(c.cmd(system="ls//persist"))


def tampered(c):
    p = c.cmd(system="cat//persist/status/uuid")
    env = json.loads(c.signed(p))
    env["message"] = b64(p.replace(b"cat//persist/status/uuid", b"cat//persist/status/uuiD"))
    return json.dumps(env)


def dup_message(c):
    """Go's decoder keeps the last of duplicate keys (6.1): the signature of the
    first message must not let the last one run."""
    first, last = c.cmd(), c.cmd(system="ls//persist")
    sig = c.g.signer.sign(first)
    return (f'{{"message":"{b64(first)}","sha256Hash":{json.dumps([0] * 32)},'
            f'"Signature":"{b64(sig)}","message":"{b64(last)}"}}')


def dup_device(c):
    p = c.cmd().replace(f'"evxDevice":"{UUID}"'.encode(),
                        f'"evxDevice":"{UUID}","evxDevice":"{OTHER_UUID}"'.encode())
    return c.signed(p)


def with_field(env, key, value):
    e = json.loads(env)
    e[key] = value
    return json.dumps(e, separators=(",", ":"))


def swapped(c, p):
    s = c.env.k.ctl.sign(p)
    return s[32:] + s[:32]


def malleated(c):
    """The same command with s replaced by n - s: still a valid ECDSA signature."""
    env = json.loads(c.memo["f"])
    s = base64.b64decode(env["Signature"])
    hi = (P256_N - int.from_bytes(s[32:], "big")).to_bytes(32, "big")
    env["Signature"] = b64(s[:32] + hi)
    return json.dumps(env, separators=(",", ":"))


def reflect(c):
    """Send back a frame the device sent, with the sequence number the device expects next."""
    want = c.chan.tx + 1 if c.chan else None
    for raw, m in c.frames:
        if want is None or m.seq == want:
            return Bin(raw) if isinstance(raw, bytes) else raw
    raise AssertionError("no device frame to reflect")


def listen(c):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(4)
    s.setblocking(False)
    c.memo["listener"] = s


def tcp_cmd(c, signed):
    p = c.cmd(network=f"tcp/127.0.0.1:{c.memo['listener'].getsockname()[1]}", system="")
    if signed == "hmac":
        return hmac_env(c.key, p)
    return signed_env(p, bytes(64))


def tcpdata(c):
    p = json.dumps({"version": 0, "mappingId": 1, "chanNum": 1, "data": b64(b"hello\n")},
                   separators=(",", ":")).encode()
    return Bin(hmac_env(c.key, p))


def no_dial(c):
    s = c.memo["listener"]
    try:
        conn, addr = s.accept()
        conn.close()
        raise AssertionError(f"the device dialed the listener from {addr}")
    except BlockingIOError:
        pass
    finally:
        s.close()


def write_keys(root, lines=None, raw=None, missing=False):
    """EVE's ConfigItemValueMap global.json with the trusted SSH keys (aut 2)."""
    path = os.path.join(root, KEYS_PATH)
    if missing:
        if os.path.exists(path):
            os.unlink(path)
        return
    os.makedirs(os.path.dirname(path), exist_ok=True)
    value = raw if raw is not None else "\n".join(lines) + "\n"
    doc = {"GlobalSettings": {"edgeview.authen.publickey": {
        "Key": "edgeview.authen.publickey", "ItemType": 3, "IntValue": 0, "StrValue": value,
        "BoolValue": False, "TriStateValue": 0}}, "AgentSettings": {}}
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(doc, f)
    os.replace(tmp, path)


def write_cert(root, src):
    path = os.path.join(root, "run/edgeview/signing-cert.pem")
    tmp = path + ".tmp"
    with open(src, "rb") as f, open(tmp, "wb") as g:
        g.write(f.read())
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def bad_line_row(label, signer_attr, log=None, log_scope="row"):
    return Row(f"aut2 keys: {label} line skipped; a good line after it works", "aut2-odd", [
        (lambda c: c.signed(c.cmd(), getattr(c.env.k, signer_attr)), sig_refused(NOT_VALID)),
        (lambda c: c.good(), RUN)], log=log, log_scope=log_scope,
        audit=", (good@later)] cmd: " + GOOD_SYS)


def groups(k):
    ssh_main = [k.a.line, k.b.line, k.c.line, k.d.line, k.e.line]
    odd = [k.opt_line, k.badb64_line, k.dsa.line, k.sk_line, k.cert_line, k.mm_line,
           "# a comment", "", "not a key at all", k.good.line]
    return [
        Group("aut0"),
        Group("aut0-strict-env", env={"EDGEVIEW_STRICT": "1"}),
        Group("aut1", aut=1, cert=k.ctl_cert, signer="ctl"),
        Group("aut1-strict", aut=1, cert=k.ctl_cert, signer="ctl",
              args=["--strict", "--replay-window", "5"]),
        Group("aut1-rsa", aut=1, cert=k.rsa_cert, signer="rsa"),
        Group("aut1-change", aut=1, cert=k.ctl_cert, signer="rsa"),
        Group("aut2", aut=2, keys=ssh_main, signer="e", install=["ssh-keys"]),
        Group("aut2-odd", aut=2, keys=odd, signer="good"),
        Group("aut2-empty", aut=2, keys="", signer="a",
              live=[(lambda c: c.good(), sig_refused(NO_KEYS))]),
        Group("aut2-nofile", aut=2, keys=None, signer="a",
              live=[(lambda c: c.good(), sig_refused(NO_KEYS))]),
        Group("aut2-change", aut=2, keys=[k.a.line], signer="b"),
        Group("enc0", enc=True),
        Group("enc1", aut=1, enc=True, cert=k.ctl_cert, signer="ctl"),
        Group("aut3"),
    ]


U = ", (alice)] cmd: " + GOOD_SYS  # the audit line of a good command with -user alice

ROWS = [
    # ---- aut 0 (HMAC): the replay fields apply to every mode.
    Row("aut0: HMAC command with replay fields runs", "aut0",
        [(lambda c: c.good(), RUN)], audit=U),
    Row("aut0: sequence gap (1, then 3) accepted", "aut0",
        [(lambda c: c.good(), RUN), (lambda c: hmac_env(c.key, c.cmd(seq=3)), RUN)]),
    Row("aut0: legacy command (no evx) accepted with a notice", "aut0",
        [(lambda c: hmac_env(c.key, c.cmd(legacy=True)), RUN)],
        log="legacy command without replay protection"),
    Row("aut0: wrong HMAC key refused", "aut0",
        [(lambda c: hmac_env(b"not the key", c.cmd()), REFUSED)], log=AUTHEN_LOG),
    Row("aut0: HMAC command replayed on a new connection", "aut0",
        [(keep("f", lambda c: c.good()), RUN), reconnect(),
         (recall("f"), replay_refused("replayed"))], log="replayed"),
    Row("aut0: binary frame with a command: ignored, no basics header", "aut0",
        [(lambda c: Bin(c.good()), SILENT)], log=("binary", "ignored")),
    Row("aut0 strict (EDGEVIEW_STRICT=1): legacy HMAC command refused", "aut0-strict-env",
        [(lambda c: hmac_env(c.key, c.cmd(legacy=True)), replay_refused())], log="replay"),

    # ---- aut 1: signatures (protocol 6.3).
    Row("aut1: real client, ECDSA controller key, -user in the audit line", "aut1",
        [Cli(["-user", "alice", GOOD_SYS], key="ctl")], audit=U),
    Row("aut1: real client with an untrusted key: exit 6", "aut1",
        [Cli([GOOD_SYS], key="other_ec", rc=6, out=("not valid",))], log=AUTHEN_LOG),
    Row("aut1: Signature key missing", "aut1",
        [(lambda c: signed_env(c.cmd(), omit=True), sig_refused(NEED_CERT))], log=AUTHEN_LOG),
    Row("aut1: Signature null", "aut1",
        [(lambda c: signed_env(c.cmd(), None), sig_refused(NEED_CERT))], log=AUTHEN_LOG),
    Row("aut1: Signature empty", "aut1",
        [(lambda c: signed_env(c.cmd(), ""), sig_refused(NEED_CERT))], log=AUTHEN_LOG),
    Row("aut1: unsigned HMAC-only command", "aut1",
        [(lambda c: hmac_env(c.key, c.cmd()), sig_refused(NEED_CERT))], log=AUTHEN_LOG),
    Row("aut1: truncated signature (63 bytes)", "aut1",
        [(with_sig(lambda c, p: c.env.k.ctl.sign(p)[:63]), sig_refused(NOT_VALID))],
        log=AUTHEN_LOG),
    Row("aut1: over-long signature (65 bytes)", "aut1",
        [(with_sig(lambda c, p: c.env.k.ctl.sign(p) + b"\0"), sig_refused(NOT_VALID))],
        log=AUTHEN_LOG),
    Row("aut1: huge signature (2 KiB, over the cap): not an envelope, ignored", "aut1",
        [(with_sig(lambda c, p: c.env.k.ctl.sign(p) * 32), SILENT)], log=NOT_ENVELOPE_LOG),
    Row("aut1: Signature not base64: not an envelope, ignored", "aut1",
        [(with_sig(lambda c, p: "!!not*base64!!"), SILENT)], log=NOT_ENVELOPE_LOG),
    Row("aut1: bit-flipped signature", "aut1",
        [(with_sig(lambda c, p: flip(c.env.k.ctl.sign(p))), sig_refused(NOT_VALID))],
        log=AUTHEN_LOG),
    Row("aut1: signature over other bytes", "aut1",
        [(with_sig(sign_other), sig_refused(NOT_VALID))], log=AUTHEN_LOG),
    Row("aut1: signed command, message tampered afterwards", "aut1",
        [(tampered, sig_refused(NOT_VALID))], log=AUTHEN_LOG),
    Row("aut1: duplicate message key: signature of the first, command of the last", "aut1",
        [(dup_message, sig_refused(NOT_VALID))], log=AUTHEN_LOG),
    Row("aut1: r and s swapped", "aut1",
        [(with_sig(swapped), sig_refused(NOT_VALID))], log=AUTHEN_LOG),
    Row("aut1: zero signature", "aut1",
        [(with_sig(lambda c, p: bytes(64)), sig_refused(NOT_VALID))], log=AUTHEN_LOG),
    Row("aut1: wrong curve (P-384 signature, P-256 certificate)", "aut1",
        [(with_sig(lambda c, p: c.env.k.p384.sign(p)), sig_refused(NOT_VALID))],
        log=AUTHEN_LOG),
    Row("aut1: RSA signature, ECDSA certificate", "aut1",
        [(with_sig(lambda c, p: c.env.k.rsa.sign(p)), sig_refused(NOT_VALID))],
        log=AUTHEN_LOG),
    Row("aut1: Ed25519 signature (64 bytes too), ECDSA certificate", "aut1",
        [(with_sig(lambda c, p: c.env.k.c.sign(p)), sig_refused(NOT_VALID))], log=AUTHEN_LOG),
    Row("aut1: key not trusted (another P-256 key)", "aut1",
        [(with_sig(lambda c, p: c.env.k.other_ec.sign(p)), sig_refused(NOT_VALID))],
        log=AUTHEN_LOG),
    Row("aut1: oversized signed message (1 MiB, validly signed): refused", "aut1",
        [(lambda c: c.signed(c.cmd(pad="x" * (1 << 20))),
          [Has("cmd not valid: ", "size limit"), DONE])], log=BAD_CMD_LOG),
    Row("aut1: unsigned exact +++Done+++ ignored silently (SECURITY 7)", "aut1",
        [(lambda c: hmac_env(c.key, DONE.encode()), SILENT)]),
    Row("aut1: unsigned +++Done+++ with more bytes refused", "aut1",
        [(lambda c: hmac_env(c.key, (DONE + '{"system":"ps"}').encode()),
          sig_refused(NEED_CERT))], log=AUTHEN_LOG),
    Row("aut1: device frame reflected back to the device", "aut1",
        [(lambda c: c.good(), RUN), (reflect, sig_refused(NEED_CERT))], log=AUTHEN_LOG),
    Row("aut1: binary HMAC frame with a command before any verified command", "aut1",
        [(lambda c: Bin(hmac_env(c.key, c.cmd())), SILENT)], log=("binary", "ignored")),
    Row("aut1: binary signed frame with a command: fails the HMAC (6.7), nothing runs", "aut1",
        [(lambda c: Bin(c.good()), REFUSED)], log=AUTHEN_LOG),
    Row("aut1: tcpData without a verified setup dials nothing", "aut1",
        [Do(listen), (lambda c: tcp_cmd(c, "hmac"), sig_refused(NEED_CERT)),
         (lambda c: tcp_cmd(c, "zero"), sig_refused(NOT_VALID)), (tcpdata, SILENT), Do(no_dial)],
        log="tcpData"),
    # ---- aut 1: replay fields (SECURITY 5).
    Row("aut1: legacy signed command (no evx) accepted with a notice", "aut1",
        [(lambda c: c.signed(c.cmd(legacy=True)), RUN)],
        log="legacy command without replay protection"),
    Row("aut1: replayed on the same connection", "aut1",
        [(keep("f", lambda c: c.good()), RUN), (recall("f"), replay_refused("replayed"))],
        log="replayed"),
    Row("aut1: replayed on a new connection", "aut1",
        [(keep("f", lambda c: c.good()), RUN), reconnect(),
         (recall("f"), replay_refused("replayed"))], log="replayed"),
    Row("aut1: replayed with a malleated (high-S) signature", "aut1",
        [(keep("f", lambda c: c.good()), RUN), reconnect(),
         (malleated, replay_refused("replayed"))], log="replayed"),
    Row("aut1: repeated sequence number, other command", "aut1",
        [(lambda c: c.signed(c.cmd(seq=5)), RUN),
         (lambda c: c.signed(c.cmd(system="ls//persist", seq=5)), replay_refused("replayed"))],
        log="replayed"),
    Row("aut1: out-of-order sequence number", "aut1",
        [(lambda c: c.signed(c.cmd(seq=5)), RUN),
         (lambda c: c.signed(c.cmd(seq=3)), replay_refused("out of order"))],
        log="out of order"),
    Row("aut1: sequence gap accepted", "aut1",
        [(lambda c: c.signed(c.cmd(seq=1)), RUN), (lambda c: c.signed(c.cmd(seq=4)), RUN)]),
    Row("aut1: command for another device", "aut1",
        [(lambda c: c.signed(c.cmd(evxDevice=OTHER_UUID)), replay_refused("another device"))],
        log="another device"),
    Row("aut1: duplicate evxDevice key (ours, then another): the last counts", "aut1",
        [(dup_device, replay_refused("another device"))], log="another device"),
    Row("aut1: command for another token hash", "aut1",
        [(lambda c: c.signed(c.cmd(evxToken=hash_of(c.env.other_token))),
          replay_refused("another session token"))], log="another session token"),
    Row("aut1: token hash in the short (22-character) form", "aut1",
        [(lambda c: c.signed(c.cmd(evxToken=hash_of(c.env.group.token)[:22])),
          replay_refused("malformed", "another session token"))],
        log=("malformed", "another session token")),
    Row("aut1: stale timestamp (10 min old)", "aut1",
        [(lambda c: c.signed(c.cmd(evxTime=now_ms() - 600_000)),
          replay_refused("stale", "too old"))], log=("stale", "too old")),
    Row("aut1: future timestamp (10 min ahead)", "aut1",
        [(lambda c: c.signed(c.cmd(evxTime=now_ms() + 600_000)), replay_refused("future"))],
        log="future"),
    Row("aut1: timestamp 90 s old, inside the default window", "aut1",
        [(lambda c: c.signed(c.cmd(evxTime=now_ms() - 90_000)), RUN)]),
] + [
    Row(f"aut1: malformed replay fields: {what}", "aut1",
        [(lambda c, o=over: c.signed(c.cmd(**o)), want)], log=log)
    for what, over, want, log in [(w, o, replay_refused("malformed"), "malformed replay fields")
                                  for w, o in [

        ("evx 2", {"evx": 2}),
        ("evxSeq negative", {"evxSeq": -1}),
        ("evxSession 21 characters", {"evxSession": b64url(secrets.token_bytes(16))[:21]}),
        ("evxSession not base64url", {"evxSession": "+" * 22}),
        ("evxTime missing", {"evxTime": DEL}),
        ("evxDevice missing", {"evxDevice": DEL}),
        ("evxToken missing", {"evxToken": DEL}),
    ]] + [
        # A JSON type error makes the whole command undecodable (Go's rules): the
        # device says so and ends the command (EVE would stay silent).
        (w, o, [Has("cmd not valid: ", "wrong type", "out of range"), DONE], BAD_CMD_LOG)
        for w, o in [
            ("evx as a string", {"evx": "1"}),
            ("evxSeq as a string", {"evxSeq": "1"}),
            ("evxSeq fractional", {"evxSeq": 1.5}),
            ("evxTime as a string", {"evxTime": str(now_ms())}),
        ]]
] + [
    Row("aut1 strict: legacy signed command refused", "aut1-strict",
        [(lambda c: c.signed(c.cmd(legacy=True)), replay_refused())], log="replay"),
    Row("aut1 strict, window 5 s: 8 s old command stale", "aut1-strict",
        [(lambda c: c.signed(c.cmd(evxTime=now_ms() - 8000)),
          replay_refused("stale", "too old"))], log=("stale", "too old")),
    Row("aut1 strict, window 5 s: 2 s old command runs", "aut1-strict",
        [(lambda c: c.signed(c.cmd(evxTime=now_ms() - 2000)), RUN)]),

    Row("aut1 RSA: real client, RSA controller key, -user in the audit line", "aut1-rsa",
        [Cli(["-user", "bob", GOOD_SYS], key="rsa")], audit=", (bob)] cmd: " + GOOD_SYS),
    Row("aut1 RSA: ECDSA signature, RSA certificate", "aut1-rsa",
        [(with_sig(lambda c, p: c.env.k.ctl.sign(p)), sig_refused(NOT_VALID))], log=AUTHEN_LOG),
    Row("aut1 RSA: signature by another RSA key", "aut1-rsa",
        [(with_sig(lambda c, p: c.env.k.b.sign(p)), sig_refused(NOT_VALID))], log=AUTHEN_LOG),
    Row("aut1 RSA: truncated RSA signature", "aut1-rsa",
        [(with_sig(lambda c, p: c.env.k.rsa.sign(p)[:-1]), sig_refused(NOT_VALID))],
        log=AUTHEN_LOG),

    Row("aut1: signing-cert.pem changes: session ended, new key works, old refused",
        "aut1-change",
        [(lambda c: c.good(c.env.k.ctl), RUN),
         Do(lambda c: write_cert(c.env.s.root, c.env.k.rsa_cert)), wait_for(KEYS_CHANGED),
         (lambda c: c.good(c.env.k.ctl), sig_refused(NOT_VALID)), reconnect(),
         (lambda c: c.good(c.env.k.rsa), RUN),
         (lambda c: c.good(c.env.k.ctl), sig_refused(NOT_VALID))], log="keys changed"),

    # ---- aut 2: SSH keys.
    Row("aut2: real client, ECDSA ssh key, key comment in the audit line", "aut2",
        [Cli([GOOD_SYS], key="a")], audit=", (alice@laptop)] cmd: " + GOOD_SYS),
    Row("aut2: real client, RSA ssh key", "aut2",
        [Cli([GOOD_SYS], key="b")], audit=", (bob@desk)] cmd: " + GOOD_SYS),
    Row("aut2: real client, Ed25519 ssh key", "aut2",
        [Cli([GOOD_SYS], key="c")], audit=", (carol@ed)] cmd: " + GOOD_SYS),
    Row("aut2: Ed25519 signature from the hand-made client", "aut2",
        [(lambda c: c.good(c.env.k.c), RUN)], audit=", (carol@ed)] cmd: " + GOOD_SYS),
    Row("aut2: 5th key of the list works (EVE tries three)", "aut2",
        [(lambda c: c.good(c.env.k.e), RUN)], audit=", (erin@fifth)] cmd: " + GOOD_SYS),
    Row("aut2: real client with a key not in the list: exit 6", "aut2",
        [Cli([GOOD_SYS], key="z", rc=6, out=("not valid",))], log=AUTHEN_LOG),
    Row("aut2: key not in the list", "aut2",
        [(lambda c: c.good(c.env.k.z), sig_refused(NOT_VALID))], log=AUTHEN_LOG),
    Row("aut2: unsigned HMAC-only command", "aut2",
        [(lambda c: hmac_env(c.key, c.cmd()), sig_refused(NEED_SSH))], log=AUTHEN_LOG),
    Row("aut2: Signature empty", "aut2",
        [(lambda c: signed_env(c.cmd(), ""), sig_refused(NEED_SSH))], log=AUTHEN_LOG),
    Row("aut2: bit-flipped Ed25519 signature", "aut2",
        [(with_sig(lambda c, p: flip(c.env.k.c.sign(p))), sig_refused(NOT_VALID))],
        log=AUTHEN_LOG),
    Row("aut2: RSA key's signature truncated", "aut2",
        [(with_sig(lambda c, p: c.env.k.b.sign(p)[:128]), sig_refused(NOT_VALID))],
        log=AUTHEN_LOG),
    Row("aut2: replayed on a new connection", "aut2",
        [(keep("f", lambda c: c.good()), RUN), reconnect(),
         (recall("f"), replay_refused("replayed"))], log="replayed"),
    bad_line_row("options (from=, no-pty)", "opt", log=("option",), log_scope="group"),
    bad_line_row("bad base64", "badb64"),
    bad_line_row("ssh-dss", "dsa"),
    bad_line_row("sk-ecdsa-sha2-nistp256@openssh.com", "sk"),
    bad_line_row("ecdsa-sha2-nistp256-cert-v01@openssh.com", "certkey"),
    bad_line_row("type field ssh-rsa on an ECDSA key", "mm"),
    Row("aut2: empty trusted list (StrValue \"\")", "aut2-empty",
        [(lambda c: c.good(), sig_refused(NO_KEYS))], log=AUTHEN_LOG),
    Row("aut2: no global.json at all", "aut2-nofile",
        [(lambda c: c.good(), sig_refused(NO_KEYS))], log=AUTHEN_LOG),
    Row("aut2: trusted keys change: session ended, new key works, old refused", "aut2-change",
        [(lambda c: c.good(c.env.k.a), RUN),
         Do(lambda c: write_keys(c.env.s.root, [c.env.k.b.line])), wait_for(KEYS_CHANGED),
         (lambda c: c.good(c.env.k.a), sig_refused(NOT_VALID)), reconnect(),
         (lambda c: c.good(c.env.k.b), RUN),
         (lambda c: c.good(c.env.k.a), sig_refused(NOT_VALID))], log="keys changed"),

    # ---- EVX1 encrypted channel, aut 0 (SECURITY 6).
    Row("enc: hand-made client through the channel; no plaintext on the wire", "enc0",
        [hello(), (lambda c: c.good(), RUN), Do(lambda c: no_plaintext(c))], audit=U),
    Row("enc: real client, output readable", "enc0", [Cli([GOOD_SYS])]),
    Row("enc: data frame before any hello", "enc0",
        [(lambda c: evx_data_env(secrets.token_bytes(32), 1, c.cmd()), REFUSED)],
        log=AUTHEN_LOG),
    Row("enc: plain HMAC command, no hello", "enc0",
        [(lambda c: hmac_env(c.key, c.cmd()), REFUSED)], log=AUTHEN_LOG),
    Row("enc: plain HMAC command after the hello", "enc0",
        [hello(), (lambda c: hmac_env(c.key, c.cmd()), REFUSED)], log=AUTHEN_LOG),
    Row("enc: hello with a bad HMAC", "enc0",
        [Do(lambda c: c.hello(bad_mac=True)), (None, REFUSED)], log=AUTHEN_LOG),
    Row("enc: hello with a malformed session (21 characters)", "enc0",
        [Do(lambda c: c.hello(session=c.session[:21])), (None, REFUSED)], log=AUTHEN_LOG),
    Row("enc: hello with a non-canonical session id (22nd character B)", "enc0",
        [Do(lambda c: c.hello(session=c.session[:21] + "B")), (None, REFUSED)], log=AUTHEN_LOG),
    Row("enc: a refused frame does not advance the counter", "enc0",
        [hello(), (lambda c: c.seal(c.cmd(), seq=1, tamper=True), REFUSED),
         (lambda c: c.good(), RUN)]),
    Row("enc: data frame shorter than the GCM tag", "enc0",
        [hello(), (lambda c: with_field(c.seal(c.cmd(), seq=1), "message", b64(bytes(8))),
                   REFUSED)], log=AUTHEN_LOG),
    Row("enc: iv with nonzero first bytes", "enc0",
        [hello(), (lambda c: with_field(c.seal(c.cmd(), seq=1), "iv",
                                        b64(b"\x01" + bytes(10) + b"\x01")), REFUSED)],
        log=AUTHEN_LOG),
    Row("enc: a second hello starts a new channel", "enc0",
        [hello(), (lambda c: c.good(), RUN), hello(), (lambda c: c.good(), RUN)]),
    Row("enc: frame of the previous channel after a second hello", "enc0",
        [hello(), (keep("f", lambda c: c.good()), RUN), hello(), (recall("f"), REFUSED)],
        log=AUTHEN_LOG),
    Row("enc: data envelope with a Signature", "enc0",
        [hello(), (lambda c: with_field(c.seal(c.cmd()), "Signature", b64(bytes(64))), REFUSED)],
        log=AUTHEN_LOG),
    Row("enc: EVE 0.8.8 AES-GCM envelope: raw explanation", "enc0",
        [(lambda c: go_gcm_env(c.cmd()), Raw(GO_GCM_REFUSED))], log=AUTHEN_LOG),
    Row("enc: 12-byte iv without a cipher: raw explanation", "enc0",
        [(lambda c: go_gcm_env(c.cmd(), with_cipher=False), Raw(GO_GCM_REFUSED))],
        log=AUTHEN_LOG),
    Row("enc: encrypted frame replayed", "enc0",
        [hello(), (keep("f", lambda c: c.good()), RUN), (recall("f"), REFUSED)],
        log=AUTHEN_LOG),
    Row("enc: skipped sequence number (first frame seq 2)", "enc0",
        [hello(), (lambda c: c.seal(c.cmd(), seq=2), REFUSED)], log=AUTHEN_LOG),
    Row("enc: tampered ciphertext", "enc0",
        [hello(), (lambda c: c.seal(c.cmd(), tamper=True), REFUSED)], log=AUTHEN_LOG),
    Row("enc: text frame sealed as text, sent as binary", "enc0",
        [hello(), (lambda c: Bin(c.seal(c.cmd(), frame=b"t")), REFUSED)], log=AUTHEN_LOG),
    Row("enc: frame sealed as binary, sent as text", "enc0",
        [hello(), (lambda c: c.seal(c.cmd(), frame=b"b"), REFUSED)], log=AUTHEN_LOG),
    Row("enc: device frame reflected back to the device", "enc0",
        [hello(), (lambda c: c.good(), RUN), (reflect, REFUSED)], log=AUTHEN_LOG),

    # ---- EVX1 channel with signed commands.
    Row("enc+aut1: signed command inside the channel", "enc1",
        [hello(), (lambda c: c.good(), RUN)], audit=U),
    Row("enc+aut1: real client with -key", "enc1",
        [Cli(["-user", "alice", GOOD_SYS], key="ctl")], audit=U),
    Row("enc+aut1: unsigned envelope inside the channel", "enc1",
        [hello(), (lambda c: c.seal(hmac_env(c.key, c.cmd()).encode()), sig_refused(NEED_CERT))],
        log=AUTHEN_LOG),
    Row("enc+aut1: zero signature inside the channel", "enc1",
        [hello(), (lambda c: c.seal(signed_env(c.cmd(), bytes(64)).encode()),
                   sig_refused(NOT_VALID))], log=AUTHEN_LOG),
    Row("enc+aut1: valid signed command outside the channel, after the hello", "enc1",
        [hello(), (lambda c: c.signed(c.cmd()), REFUSED)], log=AUTHEN_LOG),
    Row("enc+aut1: valid signed command outside the channel, no hello", "enc1",
        [(lambda c: c.signed(c.cmd()), REFUSED)], log=AUTHEN_LOG),
]


def no_plaintext(c):
    """What the dispatcher relayed from the device: no UUID in clear or in base64."""
    for raw, _ in c.frames:
        data = raw.encode() if isinstance(raw, str) else raw
        check(UUID.encode() not in data, "device UUID in clear on the wire")
        try:
            e = json.loads(data)
            inner = base64.b64decode(e.get("message") or "") if isinstance(e, dict) else b""
        except ValueError:
            inner = b""
        check(UUID.encode() not in inner, "device UUID in an envelope message on the wire")

# ---------------------------------------------------------------- running


class Env:
    def __init__(self, w, d, s, k):
        self.w, self.d, self.s, self.k = w, d, s, k
        self.group = None
        self.devlog = os.path.join(w.path, "edgeviewd.log")
        self.audit = os.path.join(s.root, "persist/edgeview/audit.log")
        self.other_token = None
        self.group_log_off = 0

    def mint(self, aut=0, enc=False):
        args = [binary("edgeview"), "token", "mint", "--key", self.s.key, "--dispatcher",
                f"127.0.0.1:{self.d.port}", "--device", UUID, "--ttl", "1h"]
        if aut:
            args += ["--aut", str(aut)]
        if enc:
            args.append("--enc")
        p = subprocess.run(args, capture_output=True, text=True, timeout=30)
        eq(p.returncode, 0, f"token mint {args[3:]}: {p.stderr}")
        return p.stdout.strip()

    def setup(self, g):
        """Install g's token, certificate and keys and start edgeviewd."""
        self.group = g
        g.token = self.mint(g.aut, g.enc)
        g.signer = getattr(self.k, g.signer_name) if g.signer_name else None
        args = [binary("edgeview"), "token", "install", "--root", self.s.root, "--token",
                g.token]
        cert = os.path.join(self.s.root, "run/edgeview/signing-cert.pem")
        if os.path.exists(cert):
            os.unlink(cert)
        if g.cert:
            args += ["--cert", g.cert]
        write_keys(self.s.root, missing=True)
        if "ssh-keys" in g.install:
            ak = os.path.join(self.w.path, f"authorized_keys.{g.name}")
            with open(ak, "w") as f:
                f.write("\n".join(g.keys) + "\n")
            args += ["--ssh-keys", ak]
        p = subprocess.run(args, capture_output=True, text=True, timeout=30)
        eq(p.returncode, 0, f"token install: {p.stderr}")
        if "ssh-keys" not in g.install:
            if isinstance(g.keys, list):
                write_keys(self.s.root, g.keys)
            elif g.keys == "":
                write_keys(self.s.root, raw="")
        self.start(g.token, g.args, g.env)

    def start(self, token, args=(), env=None):
        log = open(self.devlog, "a")
        start = self.group_log_off = log.tell()
        e = dict(os.environ)
        e.pop("EDGEVIEW_STRICT", None)
        e.update(env or {})
        self.s.devlog = log
        self.s.device = subprocess.Popen(
            [binary("edgeviewd"), "--token", token, "--root", self.s.root, "--cafile",
             self.d.ca, "--log-level", "debug", *args], stdout=log, stderr=subprocess.STDOUT,
            env=proc_env(e))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.s.device.poll() is not None:
                raise AssertionError(f"edgeviewd exited {self.s.device.returncode}: "
                                     f"{self.log_since(start)[-600:]!r}")
            if "connected to the dispatcher" in self.log_since(start):
                return
            time.sleep(0.05)
        raise AssertionError("edgeviewd did not connect")

    def stop(self):
        p, self.s.device = self.s.device, None
        if p is None:
            return
        running = p.poll() is None
        if running:
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.s.devlog.close()
        if not running:
            raise AssertionError(f"edgeviewd had already exited ({p.returncode})")
        if p.returncode != 0:
            raise AssertionError(f"edgeviewd exited {p.returncode} on SIGTERM")

    def log_since(self, off):
        with open(self.devlog, errors="replace") as f:
            f.seek(off)
            return f.read()

    def log_size(self):
        return os.path.getsize(self.devlog) if os.path.exists(self.devlog) else 0

    def audit_lines(self):
        if not os.path.exists(self.audit):
            return []
        with open(self.audit, errors="replace") as f:
            return f.read().splitlines()


async def run_cli(env, c, step):
    await c.close()
    g = env.group
    args = [binary("edgeview"), "-token", g.token, "-cafile", env.d.ca]
    if step.key:
        args += ["-key", getattr(env.k, step.key).path]
    args += step.words
    p = await asyncio.to_thread(subprocess.run, args, capture_output=True, text=True,
                                timeout=30)
    c.got.append(Msg(f"client exit {p.returncode}", p.stdout[-400:] + p.stderr[-400:], False,
                     None))
    eq(p.returncode, step.rc, f"edgeview exit status (stdout {p.stdout[-300:]!r}, stderr "
       f"{p.stderr[-300:]!r})")
    if step.rc == 0:
        check(UUID in p.stdout, f"client output: {p.stdout[-300:]!r}")
    for want in step.out:
        check(want in p.stdout + p.stderr, f"{want!r} not in {p.stdout[-300:] + p.stderr!r}")


async def run_row(env, row):
    audit_before = len(env.audit_lines())
    log_off = env.log_size() if row.log_scope == "row" else env.group_log_off
    c = Conn(env)
    try:
        for step in row.steps:
            if isinstance(step, Cli):
                await run_cli(env, c, step)
            elif isinstance(step, Do):
                await c.ensure()
                r = step.fn(c)
                if asyncio.iscoroutine(r):
                    await r
            else:
                build, want = step
                await c.ensure()
                if build is not None:
                    frame = build(c)
                    if isinstance(frame, Bin):
                        await c.ws.send(frame.data)
                    else:
                        await c.ws.send(frame)
                await expect(c, want)
        await c.close()
        # (b) exactly the expected commands ran
        added = env.audit_lines()[audit_before:]
        eq(len(added), row.runs, f"audit lines added {added!r}")
        if row.audit:
            check(any(row.audit in a for a in added), f"{row.audit!r} not in {added!r}")
        # (c) the device is alive
        check(env.s.device.poll() is None, f"edgeviewd exited {env.s.device.returncode}")
        # the device log says why (a command that ran: its audit line)
        log = row.log or ("] cmd: " if row.runs else None)
        if log:
            needles = log if isinstance(log, tuple) else (log,)
            deadline = time.monotonic() + 1.5
            while not any(n in env.log_since(log_off) for n in needles):
                check(time.monotonic() < deadline,
                      f"device log lacks {needles!r}: {env.log_since(log_off)[-800:]!r}")
                await asyncio.sleep(0.05)
    except Exception as e:
        got = "\n       ".join(repr(m) for m in c.got[-12:]) or "(nothing)"
        raise AssertionError(f"{e}\n     came back:\n       {got}\n     device log:\n"
                             f"{indent(env.log_since(log_off)[-1500:])}") from None
    finally:
        await c.close()


def indent(text):
    return "\n".join("       | " + line for line in text.splitlines())


def aut3_token(env, t1):
    """A token with aut 3 (mint refuses it): same claims as t1, re-signed (ES256)."""
    h, p, _ = t1.split(".")
    claims = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
    claims["aut"] = 3
    head = b64url(json.dumps({"alg": "ES256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps(claims, separators=(",", ":")).encode())
    sig = env.k.ctl.sign(f"{head}.{body}".encode())
    return f"{head}.{body}.{b64url(sig)}"


async def t_aut3_device(env, tok):
    root = os.path.join(env.w.path, "root-aut3")
    os.makedirs(os.path.join(root, "persist/status"), exist_ok=True)
    subprocess.run([binary("edgeview"), "token", "install", "--root", root, "--token", tok],
                   capture_output=True)
    try:
        p = subprocess.run([binary("edgeviewd"), "--token", tok, "--root", root, "--cafile",
                            env.d.ca, "--log-level", "info"], capture_output=True, text=True,
                           timeout=8, env=proc_env())
    except subprocess.TimeoutExpired:
        raise AssertionError("edgeviewd did not refuse an aut 3 token (still running after 8 s)")
    check(p.returncode != 0, f"edgeviewd exit status {p.returncode}")
    out = p.stdout + p.stderr
    check("aut" in out.lower(), f"the error does not say why: {out[-400:]!r}")
    check(not os.path.exists(os.path.join(root, "persist/edgeview/audit.log")) or
          os.path.getsize(os.path.join(root, "persist/edgeview/audit.log")) == 0, "audit")


async def t_aut3_client(env, tok):
    p = subprocess.run([binary("edgeview"), "-token", tok, "-cafile", env.d.ca, GOOD_SYS],
                       capture_output=True, text=True, timeout=30)
    eq(p.returncode, 2, f"edgeview exit status (stderr {p.stderr[-300:]!r})")
    check(p.stderr.strip(), "edgeview says why")


async def live_row(env, g):
    """(c) after each group: edgeviewd alive and a good command runs."""
    steps = g.live or ([hello()] if g.enc else []) + [(lambda c: c.good(), RUN)]
    await run_row(env, Row("live", g.name, steps))


async def stop_case(env):
    """A leak or memory error found by a sanitizer shows in the exit status."""
    off = env.group_log_off
    try:
        env.stop()
    except AssertionError as e:
        raise AssertionError(f"{e}; log tail:\n{indent(env.log_since(off)[-2000:])}") from None
    log = env.log_since(off)
    for bad in ("runtime error:", "AddressSanitizer", "LeakSanitizer"):
        i = log.find(bad)
        check(i < 0, f"sanitizer report in the device log:\n"
              f"{indent(log[max(0, i - 200):i + 1500])}")


def stop_device(res, env):
    """Stop the group's edgeviewd; a case of its own unless EV_ONLY leaves it out."""
    if env.s.device is None:
        return
    name = f"[{env.group.name}] edgeviewd exits 0 on SIGTERM"
    if res.only and res.only not in name:
        try:
            env.stop()
        except AssertionError as e:
            print(f"note: {e}")
        return
    res.run(name, stop_case, env)


async def setup_failed(err):
    raise AssertionError(f"group setup failed: {err}")


def main():
    res = Results()
    w = Workdir("signed")
    d = Dispatcher(w.path, metrics=False)
    s = Setup(w, d)
    env = None
    try:
        k = Keys(w.path, s.key)
        env = Env(w, d, s, k)
        env.other_token = env.mint(1)
        for g in groups(k):
            if g.name == "aut3":
                tok = aut3_token(env, env.mint(1))
                res.run("aut3 token: edgeviewd refuses to start with a clear error",
                        t_aut3_device, env, tok)
                res.run("aut3 token: edgeview refuses it with exit status 2", t_aut3_client,
                        env, tok)
                continue
            rows = [r for r in ROWS if r.group == g.name]
            if res.only and not any(res.only in r.name for r in rows):
                continue
            print(f"---- {g.name}", flush=True)
            stop_device(res, env)
            try:
                env.setup(g)
            except Exception as e:  # every row of the group fails, with the reason
                for r in rows:
                    res.run(r.name, setup_failed, f"{type(e).__name__}: {e}")
                continue
            for r in rows:
                res.run(r.name, run_row, env, r)
            res.run(f"[{g.name}] device alive; a good command still works", live_row, env, g)
    finally:
        if env is not None:
            stop_device(res, env)
        d.stop()
        w.cleanup()
    res.finish()


if __name__ == "__main__":
    main()
