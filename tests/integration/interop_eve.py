#!/usr/bin/python3
"""Interoperability with EVE's own Go programs, both ways, through our
dispatcher.  Needs EVE's edge-view binary, built by hand from lf-edge/eve
pkg/edgeview/src (never by this project): EVE_EDGEVIEW=/path/to/edge-view.
Skipped (exit 77) without it.

  1. EVE's Go client (17.3+, with the probe) -> our dispatcher -> edgeviewd.
  2. Our edgeview -> our dispatcher -> EVE's Go device (edge-view -server),
     run in a private mount namespace where /persist and /run/edgeview are
     tmpfs, since the Go device reads those absolute paths.
"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from evtest import Dispatcher, Results, Workdir, check, eq  # noqa: E402
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


async def t_our_client_go_device(s, token):
    script = f"""set -e
mkdir -p /persist /run/edgeview
mount -t tmpfs none /persist
mount -t tmpfs none /run/edgeview
mkdir -p /persist/status /persist/certs
echo {UUID} > /persist/status/uuid
cp {s.d.ca} /persist/certs/wss-server-cacert.pem
cp {s.root}/run/edgeview/edge-view-config /run/edgeview/
exec {EVE} -server -token {token}
"""
    created = [p for p in ("/persist", "/run/edgeview") if not os.path.exists(p)]
    log = open(os.path.join(s.w.path, "go-device.log"), "w")
    dev = subprocess.Popen(["unshare", "-m", "bash", "-c", script], stdout=log,
                           stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if "connect success" in open(log.name).read():
                break
            time.sleep(0.1)
        p = s.query(token, "-user", "interop", "ps/edge-view")
        eq(p.returncode, 0, f"our client against the Go device: {p.stderr}")
        check("=== System: <ps/edge-view> ===" in p.stdout, p.stdout[-300:])
        audit = open(log.name).read()
        check("cmd: ps/edge-view" in audit and "(interop)" in audit,
              f"the Go device's audit line: {audit[-500:]!r}")
    finally:
        dev.terminate()
        dev.wait(10)
        log.close()
        for p in created:  # the mount points, now empty again on the host
            try:
                os.rmdir(p)
            except OSError:
                pass


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
    finally:
        s.stop_device()
        d.stop()
        w.cleanup()
    res.finish()


if __name__ == "__main__":
    main()
