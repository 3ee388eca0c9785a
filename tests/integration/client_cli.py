#!/usr/bin/python3
"""The edgeview CLI: the session probe (full hash, short hash, nobody),
interactive mode over one connection, -h, exit statuses and Ctrl-C, against
a real edgeview-dispatcher and edgeviewd (fixture root) on 127.0.0.1.
A device registered with the legacy 16-byte hash is played by Python.
"""
import asyncio
import base64
import hashlib
import hmac
import json
import os
import pty
import select
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from evtest import Dispatcher, Results, Workdir, binary, check, eq, free_port, recv  # noqa: E402
from session_e2e import UUID, Setup, envelope, token_key  # noqa: E402

PROBE_OK = 'edgeview_dispatcher_probes_total{result="connected"}'
PROBE_ABSENT = 'edgeview_dispatcher_probes_total{result="absent"}'
PAIRS = "edgeview_dispatcher_pairs_total"


def run(*args, input=None, timeout=30):
    return subprocess.run(args, capture_output=True, text=True, timeout=timeout, input=input)


def short_hash(token):
    h = hashlib.sha256(token.encode()).digest()[:16]
    return base64.urlsafe_b64encode(h).rstrip(b"=").decode()


def delta(before, after, key):
    return after.get(key, 0) - before.get(key, 0)


def cli(s, token, *words):
    return [binary("edgeview"), "-token", token, "-cafile", s.d.ca, *words]


async def spawn(args, stdin=None):
    return await asyncio.create_subprocess_exec(
        *args, stdin=stdin, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


async def read_until(stream, needle, timeout=10):
    got = b""
    deadline = time.monotonic() + timeout
    while needle not in got:
        left = deadline - time.monotonic()
        check(left > 0, f"{needle!r} not seen in {got[-300:]!r}")
        chunk = await asyncio.wait_for(stream.read(4096), left)
        check(chunk, f"stream ended before {needle!r}: {got[-300:]!r}")
        got += chunk
    return got


async def t_probe_full(s, token):
    m0 = s.d.metrics()
    p = s.query(token, "cat//persist/status/uuid")
    eq(p.returncode, 0, f"exit status ({p.stderr!r})")
    check(UUID in p.stdout, f"output {p.stdout!r}")
    m1 = s.d.metrics()
    eq(delta(m0, m1, PROBE_OK), 1, "one probe, answered 'server is connected'")
    eq(delta(m0, m1, PROBE_ABSENT), 0, "no short-hash probe")
    eq(delta(m0, m1, PAIRS), 1, "one pairing")


async def fake_legacy_device(s, token, served):
    """A pre-17.3 device: registered with the 16-byte hash; answers one command."""
    ws = await s.d.connect(short_hash(token), "legacy-EV-server")
    key = token_key(token)
    try:
        while True:
            msg = await recv(ws, 20)
            try:
                env = json.loads(msg)
            except ValueError:
                continue  # the dispatcher's raw notices
            payload = base64.b64decode(env["message"])
            mac = hmac.new(key, payload, hashlib.sha256).digest()
            check(list(mac) == env["sha256Hash"], "client HMAC")
            if b"+++Done+++" in payload:
                served.append("done")
                return
            cmd = json.loads(payload)
            served.append(cmd["system"])
            await ws.send(envelope(key, b"legacy device says hello\n"))
            await ws.send(envelope(key, b"+++Done+++"))
    finally:
        await ws.close()


async def t_probe_short(s):
    token = s.mint(device="22222222-3333-4444-5555-666666666666")
    served = []
    dev = asyncio.create_task(fake_legacy_device(s, token, served))
    await asyncio.sleep(0.3)
    m0 = s.d.metrics()
    p = await spawn(cli(s, token, "ps"))
    out, err = await asyncio.wait_for(p.communicate(), 20)
    eq(p.returncode, 0, f"exit status ({err!r})")
    check(b"legacy device says hello" in out, f"output {out!r}")
    await asyncio.wait_for(dev, 5)
    eq(served, ["ps", "done"], "the legacy device got the command and the client's end")
    m1 = s.d.metrics()
    eq(delta(m0, m1, PROBE_ABSENT), 1, "full-hash probe: absent")
    eq(delta(m0, m1, PROBE_OK), 1, "short-hash probe: connected")
    eq(delta(m0, m1, PAIRS), 1, "one pairing")


async def t_nobody(s):
    token = s.mint(device="33333333-4444-5555-6666-777777777777")
    m0 = s.d.metrics()
    start = time.monotonic()
    p = s.query(token, "ps")
    took = time.monotonic() - start
    eq(p.returncode, 4, f"exit status ({p.stderr!r})")
    check("no device online" in p.stderr, p.stderr)
    check(took < 3, f"took {took:.2f} s")
    m1 = s.d.metrics()
    eq(delta(m0, m1, PROBE_ABSENT), 2, "both hashes probed")
    eq(delta(m0, m1, PAIRS), 0, "nothing paired")
    # Interactive mode too: no prompt, same status.
    p = run(*cli(s, token), timeout=10)
    eq(p.returncode, 4, f"interactive ({p.stderr!r})")


async def t_interactive(s, token):
    m0 = s.d.metrics()
    lines = ("ps/edgeviewd\n"
             "help ps\n"
             "\n"
             "cat//persist/status/uuid\n"
             "'ls//persist/status' -line 3\n")
    p = subprocess.run(cli(s, token, "-user", "bob"), input=lines, capture_output=True,
                       text=True, timeout=30)
    eq(p.returncode, 0, f"exit status ({p.stderr!r})")
    for want in ("=== System: <ps/edgeviewd> ===", "usage: ps[/<substring>]", UUID,
                 "=== System: <ls//persist/status> ==="):
        check(want in p.stdout, f"{want!r} in {p.stdout[-800:]!r}")
    check("edgeview>" not in p.stdout, "no prompt when stdin is not a terminal")
    m1 = s.d.metrics()
    eq(delta(m0, m1, PAIRS), 1, "three queries, one pairing")
    eq(delta(m0, m1, PROBE_OK), 1, "one probe")
    with open(os.path.join(s.root, "persist/edgeview/audit.log")) as f:
        audit = f.read()
    check(audit.count("(bob)] cmd:") == 3, f"three audited commands: {audit[-600:]!r}")


async def t_interactive_status(s, token):
    # The status is the last query's: a usage error, then one that works.
    p = run(*cli(s, token), timeout=20, input="nosuchthing\n")
    eq(p.returncode, 2, f"unknown query last ({p.stderr!r})")
    check("nosuchthing, not supported" in p.stderr, p.stderr)
    p = run(*cli(s, token), timeout=20, input="nosuchthing\nps\n")
    eq(p.returncode, 0, f"good query last ({p.stderr!r})")
    p = run(*cli(s, token), timeout=20, input="ps -token x\nexit\nps\n")
    eq(p.returncode, 2, f"session option on a line ({p.stderr!r})")
    check("=== System" not in p.stdout, "nothing runs after exit")


async def t_help(s):
    p = run(binary("edgeview"), "-h")
    eq(p.returncode, 0, "-h")
    check("usage: edgeview -token JWT" in p.stdout and "queries:" in p.stdout, p.stdout)
    for q, want in (("ps", "usage: ps[/<substring>]"), ("tcpdump/eth0", "usage: tcpdump/"),
                    ("log", "-type app|dev")):
        p = run(binary("edgeview"), "-h", q)
        eq(p.returncode, 0, f"-h {q}")
        check(want in p.stdout, f"-h {q}: {p.stdout!r}")
    p = run(binary("edgeview"), "ps", "-help")
    check("usage: ps[/<substring>]" in p.stdout, "ps -help")
    p = run(binary("edgeview"), "-h", "nosuchthing")
    eq(p.returncode, 2, "-h of an unknown query")


async def t_usage(s, token):
    for words in (("-bogus",), ("-inst", "9", "ps"), ("nosuchthing",)):
        p = s.query(token, *words)
        eq(p.returncode, 2, f"{words} ({p.stderr!r})")
    p = run(binary("edgeview"), "ps")
    eq(p.returncode, 2, "no token")
    p = run(binary("edgeview"), "-token", "not.a.jwt", "ps")
    eq(p.returncode, 2, "bad token")


async def t_connect_failure(s):
    port = free_port()  # nobody listens there
    p = run(binary("edgeview"), "token", "mint", "--key", s.key, "--dispatcher",
            f"127.0.0.1:{port}", "--device", UUID)
    eq(p.returncode, 0, p.stderr)
    start = time.monotonic()
    p = s.query(p.stdout.strip(), "ps")
    eq(p.returncode, 3, f"exit status ({p.stderr!r})")
    check("cannot reach the dispatcher" in p.stderr, p.stderr)
    check(time.monotonic() - start < 5, "fails fast")


async def t_sigint_oneshot(s, token):
    p = await spawn(cli(s, token, "tcpdump/lo/udp port 9", "-time", "30"))
    await read_until(p.stdout, b"=== Network: <tcpdump/lo/udp port 9> ===")
    await asyncio.sleep(0.3)
    start = time.monotonic()
    p.send_signal(signal.SIGINT)
    await asyncio.wait_for(p.wait(), 2)
    eq(p.returncode, 130, "status after SIGINT")
    check(time.monotonic() - start < 2, "ends within 2 s")


async def t_sigint_interactive(s, token):
    p = await spawn(cli(s, token), stdin=asyncio.subprocess.PIPE)
    p.stdin.write(b"tcpdump/lo/udp port 9 -time 3\n")
    await p.stdin.drain()
    await read_until(p.stdout, b"=== Network: <tcpdump/lo/udp port 9> ===")
    p.send_signal(signal.SIGINT)
    err = await read_until(p.stderr, b"interrupted", 3)
    # Typed while the device still runs tcpdump: runs once that ends.
    p.stdin.write(b"cat//persist/status/uuid\n")
    p.stdin.close()
    out, err2 = await asyncio.wait_for(p.communicate(), 15)
    eq(p.returncode, 0, f"status of the last query ({err + err2!r})")
    check(UUID.encode() in out, f"the next query ran: {out[-400:]!r}")
    check(b"packets captured" not in out, f"the interrupted output was dropped: {out!r}")


def pty_read(fd, until, timeout=5):
    out = b""
    deadline = time.monotonic() + timeout
    while until not in out and time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                out += os.read(fd, 65536)
            except OSError:
                break
    check(until in out, f"{until!r} not in {out[-300:]!r}")
    return out


async def t_tty(s, token):
    """On a terminal: prompt, completion, Ctrl-C at the prompt, history file."""
    home = os.path.join(s.w.path, "home")
    os.makedirs(home, exist_ok=True)
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["HOME"] = home
        os.environ["NO_COLOR"] = "1"
        os.execv(binary("edgeview"), cli(s, token))
    try:
        pty_read(fd, b"edgeview> ")
        os.write(fd, b"tcpd\t")
        pty_read(fd, b"ump ")
        os.write(fd, b"\x15typed text\x03")
        pty_read(fd, b"^C\r\nedgeview> ")
        os.write(fd, b"cat//persist/status/uuid\r")
        out = pty_read(fd, b"edgeview> ")
        check(UUID.encode() in out and b"\033[" not in out, f"output {out[-300:]!r}")
        os.write(fd, b"\x04")
        _, st = os.waitpid(pid, 0)
        pid = 0
        eq(os.waitstatus_to_exitcode(st), 0, "status after Ctrl-D")
        with open(os.path.join(home, ".edgeview_history")) as f:
            check("cat//persist/status/uuid" in f.read(), "history file")
    finally:
        if pid:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)


async def t_policy(s):
    tok = s.mint()
    s.install(tok, "--dev-policy", "off")
    s.start_device(tok)
    p = s.query(tok, "ps")
    eq(p.returncode, 5, f"policy exit status ({p.stdout!r} {p.stderr!r})")
    p = run(*cli(s, tok), input="ps\n", timeout=20)
    eq(p.returncode, 5, f"interactive policy exit status ({p.stderr!r})")


def main():
    res = Results()
    w = Workdir("cli")
    d = Dispatcher(w.path)
    s = Setup(w, d)
    try:
        token = s.mint()
        s.install(token)
        s.start_device(token)
        res.run("probe: device present, full hash", t_probe_full, s, token)
        res.run("probe: legacy device found under the short hash", t_probe_short, s)
        res.run("probe: nobody, exit 4 at once", t_nobody, s)
        res.run("interactive: queries over one connection", t_interactive, s, token)
        res.run("interactive: status of the last query", t_interactive_status, s, token)
        res.run("-h and -h QUERY", t_help, s)
        res.run("usage errors: exit 2", t_usage, s, token)
        res.run("dispatcher not running: exit 3", t_connect_failure, s)
        res.run("SIGINT ends a one-shot query: exit 130", t_sigint_oneshot, s, token)
        res.run("SIGINT in interactive mode drops the query's output", t_sigint_interactive,
                s, token)
        res.run("terminal: prompt, completion, Ctrl-C, history", t_tty, s, token)
        res.run("policy refusal: exit 5", t_policy, s)
    finally:
        rc = s.stop_device()
        if rc != 0:
            res.failed += 1
            print(f"FAIL edgeviewd exited {rc} on SIGTERM")
        if d.stop() != 0:
            res.failed += 1
            print("FAIL the dispatcher did not exit cleanly")
        w.cleanup()
    res.finish()


if __name__ == "__main__":
    main()
