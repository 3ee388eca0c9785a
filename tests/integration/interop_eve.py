#!/usr/bin/python3
"""Interoperability with EVE's own Go programs, both ways, through our
dispatcher.  Needs EVE's edge-view binary, built by hand from lf-edge/eve
pkg/edgeview/src (never by this project): EVE_EDGEVIEW=/path/to/edge-view.
Skipped (exit 77) without it.

  1. EVE's Go client (17.3+, with the probe) -> our dispatcher -> edgeviewd.
  2. Our edgeview -> our dispatcher -> EVE's Go device (edge-view -server),
     run in a private mount namespace where /persist and /run/edgeview are
     tmpfs, since the Go device reads those absolute paths.
  3. Signed commands both ways (aut 1 with the controller's key, aut 2 with
     SSH keys of each type EVE supports), what each side does with our
     extensions (Ed25519, replay fields, strict mode) and with enc tokens.
     EVE's Go client reads its key from /clientauth/privatekey, so it too
     runs in a private mount namespace.
"""
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from evtest import Dispatcher, Results, Workdir, binary, check, eq  # noqa: E402
from session_e2e import UUID, Setup  # noqa: E402

EVE = os.environ.get("EVE_EDGEVIEW")


async def t_go_client_our_device(s, token):
    os.makedirs(os.path.join(s.root, "etc"), exist_ok=True)
    with open(os.path.join(s.root, "etc/hostname"), "w") as f:
        f.write("interop-node\n")
    env = dict(os.environ, SSL_CERT_FILE=s.d.ca)
    p = subprocess.run([EVE, "-token", token, "cat//etc/hostname"], capture_output=True,
                       text=True, timeout=60, env=env)
    check("interop-node" in p.stdout, f"Go client output: {p.stdout[-500:]!r} {p.stderr[-300:]!r}")
    check("UUID: " + UUID in p.stdout, "our session header reached the Go client")


class GoDevice:
    """EVE's Go device in a private mount namespace, with the files of
    protocol 2.1-2.3 copied from our fixture root."""

    DIRS = ("/persist", "/run/edgeview", "/run/zedagent")

    def __init__(self, s, token):
        self.s = s
        script = f"""set -e
mkdir -p {' '.join(self.DIRS)}
for d in {' '.join(self.DIRS)}; do mount -t tmpfs none $d; done
mkdir -p /persist/status /persist/certs /run/zedagent/ConfigItemValueMap
echo {UUID} > /persist/status/uuid
cp {s.d.ca} /persist/certs/wss-server-cacert.pem
cp {s.root}/run/edgeview/edge-view-config /run/edgeview/
if [ -f {s.root}/run/edgeview/signing-cert.pem ]; then
  cp {s.root}/run/edgeview/signing-cert.pem /run/edgeview/; fi
if [ -f {s.root}/run/zedagent/ConfigItemValueMap/global.json ]; then
  cp {s.root}/run/zedagent/ConfigItemValueMap/global.json /run/zedagent/ConfigItemValueMap/; fi
exec {EVE} -server -token {token}
"""
        self.created = [p for p in self.DIRS if not os.path.exists(p)]
        self.log = open(os.path.join(s.w.path, "go-device.log"), "w")
        self.proc = subprocess.Popen(["unshare", "-m", "bash", "-c", script], stdout=self.log,
                                     stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if "connect success" in self.text():
                return
            time.sleep(0.1)

    def text(self):
        with open(self.log.name) as f:
            return f.read()

    def stop(self):
        self.proc.terminate()
        self.proc.wait(10)
        self.log.close()
        for p in self.created:  # the mount points, now empty again on the host
            try:
                os.rmdir(p)
            except OSError:
                pass


def go_client(s, token, query, key=None):
    """EVE's Go client; with key, as its container would have it at
    /clientauth/privatekey (a tmpfs in a private mount namespace)."""
    env = dict(os.environ, SSL_CERT_FILE=s.d.ca)
    if key is None:
        return subprocess.run([EVE, "-token", token, query], capture_output=True, text=True,
                              timeout=60, env=env)
    created = not os.path.exists("/clientauth")
    script = f"""set -e
mkdir -p /clientauth
mount -t tmpfs none /clientauth
cp {key} /clientauth/privatekey
exec {EVE} -token {token} {query}
"""
    try:
        return subprocess.run(["unshare", "-m", "bash", "-c", script], capture_output=True,
                               text=True, timeout=60, env=env)
    finally:
        if created:
            shutil.rmtree("/clientauth", ignore_errors=True)


def keygen(s, name, *args):
    path = os.path.join(s.w.path, name)
    if not os.path.exists(path):
        subprocess.run(["ssh-keygen", "-q", "-N", "", "-C", name + "@laptop", "-f", path, *args],
                       check=True)
    return path


def controller_cert(s, key):
    cert = key + ".crt"
    subprocess.run(["openssl", "req", "-x509", "-new", "-key", key, "-subj", "/CN=controller",
                    "-days", "2", "-out", cert], check=True, capture_output=True)
    return cert


def mint(s, *extra):
    p = subprocess.run([binary("edgeview"), "token", "mint", "--key", s.key, "--dispatcher",
                        f"127.0.0.1:{s.d.port}", "--device", UUID, "--ttl", "1h", *extra],
                       capture_output=True, text=True, check=True)
    return p.stdout.strip()


def install(s, token, *extra):
    subprocess.run([binary("edgeview"), "token", "install", "--root", s.root, "--token", token,
                    *extra], capture_output=True, text=True, check=True)


async def t_our_client_go_device(s, token):
    dev = GoDevice(s, token)
    try:
        p = s.query(token, "-user", "interop", "ps/edge-view")
        eq(p.returncode, 0, f"our client against the Go device: {p.stderr}")
        check("=== System: <ps/edge-view> ===" in p.stdout, p.stdout[-300:])
        audit = dev.text()
        check("cmd: ps/edge-view" in audit and "(interop)" in audit,
              f"the Go device's audit line: {audit[-500:]!r}")
    finally:
        dev.stop()


async def t_go_client_signed(s):
    """EVE's Go client signs (aut 1 controller key, aut 2 SSH keys); our
    device verifies, logs the command as legacy, and --strict refuses it."""
    cert = controller_cert(s, s.key)
    token = mint(s, "--aut", "1")
    install(s, token, "--cert", cert)
    s.start_device(token)
    p = go_client(s, token, "cat//persist/status/uuid", key=s.key)
    check(UUID in p.stdout, f"aut 1, Go client: {p.stdout[-300:]!r} {p.stderr[-300:]!r}")
    log = open(s.devlog.name).read()
    check("legacy command without replay protection" in log, "legacy command logged")
    for kind in (["-t", "ecdsa"], ["-t", "rsa", "-b", "2048"]):
        key = keygen(s, "go-" + kind[1], *kind)
        with open(os.path.join(s.w.path, "ak"), "w") as f:
            f.write(open(key + ".pub").read())
        token = mint(s, "--aut", "2")
        install(s, token, "--ssh-keys", os.path.join(s.w.path, "ak"))
        s.start_device(token)
        p = go_client(s, token, "cat//persist/status/uuid", key=key)
        check(UUID in p.stdout, f"aut 2 {kind[1]}, Go client: {p.stdout[-300:]!r}")
        audit = open(os.path.join(s.root, "persist/edgeview/audit.log")).read()
        check(f"(go-{kind[1]}@laptop)] cmd: cat//persist/status/uuid" in audit,
              f"key comment in the audit line: {audit[-300:]!r}")
    s.start_device(token, env={"EDGEVIEW_STRICT": "1"})
    p = go_client(s, token, "cat//persist/status/uuid", key=key)
    check(UUID not in p.stdout and "cmd replay check failed" in p.stdout,
          f"strict mode refuses the Go client: {p.stdout[-300:]!r}")
    s.stop_device()


async def t_go_client_enc(s):
    """An enc token from EVE's Go client: refused early, with the reason."""
    token = mint(s, "--enc")
    install(s, token)
    s.start_device(token)
    p = go_client(s, token, "cat//persist/status/uuid")
    check(UUID not in p.stdout, "nothing ran")
    log = open(s.devlog.name).read()
    check("EVE 0.8.8 encryption cannot work" in log, f"device log: {log[-400:]!r}")
    s.stop_device()


async def t_our_client_go_device_signed(s):
    """Our signatures (with the replay keys) verify on EVE's Go device, for
    every key type it supports; Ed25519 is refused there and we say why."""
    cert = controller_cert(s, s.key)
    token = mint(s, "--aut", "1")
    install(s, token, "--cert", cert)
    dev = GoDevice(s, token)
    try:
        p = s.query(token, "-key", s.key, "-user", "ctl", "cat//persist/status/uuid")
        eq(p.returncode, 0, f"aut 1 against the Go device: {p.stderr} {p.stdout[-300:]}")
        check(UUID in p.stdout, p.stdout[-300:])
        check("(ctl)] cmd: cat//persist/status/uuid" in dev.text(), "Go device audit, aut 1")
    finally:
        dev.stop()
    for kind in (["-t", "ecdsa", "-b", "256"], ["-t", "ecdsa", "-b", "384"],
                 ["-t", "ecdsa", "-b", "521"], ["-t", "rsa", "-b", "3072"]):
        name = "ours-" + kind[1] + kind[3]
        key = keygen(s, name, *kind)
        with open(os.path.join(s.w.path, "ak"), "w") as f:
            f.write(open(key + ".pub").read())
        token = mint(s, "--aut", "2")
        install(s, token, "--ssh-keys", os.path.join(s.w.path, "ak"))
        dev = GoDevice(s, token)
        try:
            p = s.query(token, "-key", key, "cat//persist/status/uuid")
            eq(p.returncode, 0, f"aut 2 {name} against the Go device: {p.stderr}")
            check(f"({name}@laptop)] cmd:" in dev.text(), f"Go device audit, {name}")
        finally:
            dev.stop()
    key = keygen(s, "ours-ed25519", "-t", "ed25519")
    with open(os.path.join(s.w.path, "ak"), "w") as f:
        f.write(open(key + ".pub").read())
    install(s, token, "--ssh-keys", os.path.join(s.w.path, "ak"))
    dev = GoDevice(s, token)
    try:
        p = s.query(token, "-key", key, "cat//persist/status/uuid")
        eq(p.returncode, 6, "Ed25519 refused by the Go device")
        check("accepts only RSA and ECDSA" in p.stderr, f"our hint: {p.stderr!r}")
    finally:
        dev.stop()


async def t_our_client_go_device_enc(s):
    """An enc token against EVE's Go device: we stop before any command."""
    for aut in ("0", "2"):
        token = mint(s, "--enc", "--aut", aut)
        install(s, token)
        dev = GoDevice(s, token)
        try:
            p = s.query(token, "-key", os.path.join(s.w.path, "ours-ecdsa256"),
                        "cat//persist/status/uuid")
            eq(p.returncode, 7, f"enc aut {aut} against the Go device: {p.stderr}")
            check("No command was sent" in p.stderr, p.stderr)
            check("cmd:" not in dev.text(), "the Go device ran nothing")
        finally:
            dev.stop()


def main():
    if not EVE or not os.access(EVE, os.X_OK) or os.geteuid() != 0:
        print("skip: set EVE_EDGEVIEW to EVE's edge-view binary (and run as root)")
        sys.exit(77)
    res = Results()
    w = Workdir("interop")
    d = Dispatcher(w.path)
    s = Setup(w, d)
    try:
        token = s.mint()
        s.install(token)
        s.start_device(token)
        res.run("EVE's Go client -> our dispatcher -> edgeviewd", t_go_client_our_device, s, token)
        s.stop_device()
        res.run("edgeview -> our dispatcher -> EVE's Go device", t_our_client_go_device, s, token)
        res.run("EVE's Go client signs (aut 1, aut 2 ECDSA/RSA) -> edgeviewd",
                t_go_client_signed, s)
        res.run("EVE's Go client with an enc token -> edgeviewd refuses early", t_go_client_enc, s)
        res.run("edgeview signs (aut 1, aut 2 P-256/384/521/RSA, Ed25519) -> EVE's Go device",
                t_our_client_go_device_signed, s)
        res.run("edgeview with an enc token -> EVE's Go device: stops before any command",
                t_our_client_go_device_enc, s)
    finally:
        s.stop_device()
        d.stop()
        w.cleanup()
    res.finish()


if __name__ == "__main__":
    main()
