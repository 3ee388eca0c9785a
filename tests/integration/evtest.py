"""Shared helpers for the integration tests: certificates made with openssl,
real programs started on 127.0.0.1, websocket clients, a result counter.

Tests run with Debian's /usr/bin/python3 and its python3-websockets package.
Every server binds 127.0.0.1 only; every loop is bounded in time.
"""
import asyncio
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.request

import websockets

ROOT = os.environ.get("EV_ROOT") or os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
BUILD = os.environ.get("EV_BUILD") or os.path.join(ROOT, "build/release")
# Under AddressSanitizer freed memory sits in a quarantine and every byte has
# shadow memory, so RSS-based bounds get this much slack.
SANITIZED = os.path.basename(os.path.normpath(BUILD)) == "asan"
RSS_SLACK = 4 if SANITIZED else 1


def binary(name):
    return os.path.join(BUILD, "bin", name)


class Results:
    """Counts cases; prints 'N passed, N failed' at the end (tests/run.sh reads it)."""

    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.only = os.environ.get("EV_ONLY")

    def run(self, name, coro_fn, *args):
        if self.only and self.only not in name:
            return
        start = time.monotonic()
        try:
            asyncio.run(asyncio.wait_for(coro_fn(*args), 60))
            self.passed += 1
            print(f"ok   {name} ({time.monotonic() - start:.2f} s)", flush=True)
        except Exception as e:  # a failed case must not stop the others
            self.failed += 1
            print(f"FAIL {name}: {type(e).__name__}: {e}", flush=True)
            traceback.print_exc(file=sys.stdout)

    def finish(self):
        print(f"{self.passed} passed, {self.failed} failed", flush=True)
        sys.exit(1 if self.failed else 0)


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def eq(got, want, what=""):
    if got != want:
        raise AssertionError(f"{what}: got {got!r}, want {want!r}")


def proc_env(base=None):
    """Environment for a program under test: under ASan, a small quarantine so
    that memory measurements mean something."""
    env = dict(base if base is not None else os.environ)
    if SANITIZED:
        env["ASAN_OPTIONS"] = "quarantine_size_mb=8:" + env.get("ASAN_OPTIONS", "")
    return env


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_certs(d):
    """A CA and a server certificate for localhost / 127.0.0.1, signed by it."""
    def run(*a):
        subprocess.run(a, check=True, cwd=d, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=edgeview-test-ca")
    run("openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost")
    with open(os.path.join(d, "ext.cnf"), "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    run("openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf")
    return os.path.join(d, "ca.pem"), os.path.join(d, "server.pem"), os.path.join(d, "server.key")


class Workdir:
    def __init__(self, prefix="evtest"):
        self.path = tempfile.mkdtemp(prefix=prefix + ".")

    def cleanup(self):
        # EV_KEEP=1 keeps the logs and trees of a failing run for a look.
        if os.environ.get("EV_KEEP"):
            print(f"kept {self.path}")
            return
        shutil.rmtree(self.path, ignore_errors=True)


def wait_port(port, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Dispatcher:
    """A real edgeview-dispatcher on 127.0.0.1 with test certificates."""

    def __init__(self, workdir, *extra, metrics=True):
        self.dir = workdir
        self.ca, self.cert, self.key = make_certs(workdir)
        self.port = free_port()
        self.mport = free_port() if metrics else None
        self.log = open(os.path.join(workdir, f"dispatcher-{self.port}.log"), "w")
        args = [binary("edgeview-dispatcher"), "--listen", f"127.0.0.1:{self.port}",
                "--cert", self.cert, "--key", self.key, "--log-level", "info"]
        if metrics:
            args += ["--metrics-listen", f"127.0.0.1:{self.mport}"]
        args += list(extra)
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT,
                                     env=proc_env())
        wait_port(self.port)
        self.url = f"wss://127.0.0.1:{self.port}/edge-view"
        self.ssl = ssl.create_default_context(cafile=self.ca)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode

    def rss_kb(self):
        return rss_kb(self.proc.pid)

    def metrics(self):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.mport}/metrics", timeout=5) as r:
            text = r.read().decode()
        out = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                k, v = line.rsplit(" ", 1)
                out[k] = int(v)
        return out

    def https_get(self, path, headers=None):
        req = urllib.request.Request(f"https://127.0.0.1:{self.port}{path}", headers=headers or {})
        try:
            with urllib.request.urlopen(req, context=self.ssl, timeout=5) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    async def connect(self, token, hostname, path="/edge-view", **kw):
        headers = {"X-EdgeView-Version": "0.8.8"}
        if token is not None:
            headers["X-Session-Token"] = token
        if hostname is not None:
            headers["X-Hostname"] = hostname
        return await websockets.connect(f"wss://127.0.0.1:{self.port}{path}", ssl=self.ssl,
                                        extra_headers=headers, compression=None, max_size=None,
                                        ping_interval=None, open_timeout=10, **kw)


async def recv(ws, timeout=5):
    return await asyncio.wait_for(ws.recv(), timeout)


async def expect_closed(ws, timeout=5):
    """Read until the connection closes; return what arrived before."""
    got = []
    try:
        while True:
            got.append(await asyncio.wait_for(ws.recv(), timeout))
    except websockets.ConnectionClosed:
        return got
