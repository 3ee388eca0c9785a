#!/usr/bin/python3
"""edgeviewd's network commands in network namespaces of their own.

Three namespaces in a chain, A - R - B, joined by veth pairs, R forwarding:
A has an extra policy rule and table, a permanent neighbour, a UDP and TCP
listener, and a DNS stub on 127.0.0.1:53 (its resolv.conf bound by
`ip netns exec` from /etc/netns/A/).  Every command runs as
`ip netns exec A edgeviewd local --no-colour QUERY`.  Addresses are
10.77.x.x and 192.0.2.0/24 / 198.51.100.0/24 and never leave the
namespaces.  Needs root (ip netns); exits 77 (skip) without it.
Prints 'N passed, N failed'.
"""
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from evtest import Results, Workdir, binary, check, eq  # noqa: E402

TAG = f"{os.getpid() % 100000}"
A, R, B = f"evnA{TAG}", f"evnR{TAG}", f"evnB{TAG}"
NETNS_ETC = f"/etc/netns/{A}"
UDP_PORT, TCP_PORT, DUMP_PORT = 40123, 40124, 5555
NEIGH_IP, NEIGH_MAC = "10.77.1.77", "02:00:5e:00:53:77"

DNS_STUB = r'''
import socket, struct, sys
ZONE = {  # (name, qtype) -> list of (type, rdata-as-name-or-ip)
    ("host1.evtest.", 1): [(1, "10.77.1.5")],
    ("alias.evtest.", 5): [(5, "host1.evtest.")],
    ("alias.evtest.", 1): [(5, "host1.evtest."), (1, "10.77.1.5")],
    ("evtest.", 2): [(2, "ns1.evtest."), (2, "ns2.evtest.")],
    ("5.1.77.10.in-addr.arpa.", 12): [(12, "host1.evtest.")],
}
KNOWN = {n for n, _ in ZONE}
def name(b):
    out, i = [], 0
    while b[i]:
        out.append(b[i + 1:i + 1 + b[i]].decode()); i += 1 + b[i]
    return ".".join(out).lower() + ".", i + 1
def enc(n):
    return b"".join(bytes([len(p)]) + p.encode() for p in n.rstrip(".").split(".")) + b"\0"
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 53))
print("ready", flush=True)
while True:
    q, peer = s.recvfrom(2048)
    qid, flags = struct.unpack("!HH", q[:4])
    qn, l = name(q[12:])
    qt, = struct.unpack("!H", q[12 + l:14 + l])
    question = q[12:16 + l]
    ans = ZONE.get((qn, qt), [])
    rc = 0 if qn in KNOWN else 3
    body = b""
    owner = qn
    for t, d in ans:
        rd = socket.inet_aton(d) if t == 1 else enc(d)
        body += enc(owner) + struct.pack("!HHIH", t, 1, 60, len(rd)) + rd
        if t == 5:
            owner = d
    s.sendto(struct.pack("!HHHHHH", qid, 0x8180 | rc, 1, len(ans), 0, 0) + question + body, peer)
'''

LISTENER = rf'''
import socket, time
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("10.77.1.1", {UDP_PORT}))
t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(("127.0.0.1", {TCP_PORT})); t.listen(4)
c = socket.create_connection(("127.0.0.1", {TCP_PORT})); a, _ = t.accept()
print("ready", flush=True)
time.sleep(120)
'''


def sh(*a, check_rc=True):
    p = subprocess.run(a, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if check_rc and p.returncode != 0:
        raise RuntimeError(f"{' '.join(a)}: {p.stdout.strip()}")
    return p.stdout


def ns(n, *a, check_rc=True):
    return sh("ip", "netns", "exec", n, *a, check_rc=check_rc)


def ev(query, *opts, n=A, timeout=60):
    p = subprocess.run(["ip", "netns", "exec", n, binary("edgeviewd"), "local", "--no-colour",
                        query, *opts], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=timeout)
    check("\033[" not in p.stdout, "colour codes with --no-colour")
    clean(p.stdout)
    return p.stdout


def clean(out):
    check("Sanitizer" not in out and "runtime error:" not in out, f"sanitizer report: {out}")


def setup():
    for n in (A, R, B):
        sh("ip", "netns", "add", n)
        ns(n, "ip", "link", "set", "lo", "up")
    sh("ip", "link", "add", "a0", "netns", A, "type", "veth", "peer", "name", "r0", "netns", R)
    sh("ip", "link", "add", "r1", "netns", R, "type", "veth", "peer", "name", "b0", "netns", B)
    for n, dev, addr in ((A, "a0", "10.77.1.1/24"), (R, "r0", "10.77.1.254/24"),
                         (R, "r1", "10.77.2.254/24"), (B, "b0", "10.77.2.1/24")):
        ns(n, "ip", "addr", "add", addr, "dev", dev)
        ns(n, "ip", "link", "set", dev, "up")
    ns(R, "sysctl", "-qw", "net.ipv4.ip_forward=1")
    ns(A, "ip", "route", "add", "default", "via", "10.77.1.254")
    ns(B, "ip", "route", "add", "default", "via", "10.77.2.254")
    ns(A, "ip", "rule", "add", "from", "198.51.100.0/24", "table", "100", "prio", "100")
    ns(A, "ip", "route", "add", "192.0.2.0/24", "via", "10.77.1.254", "dev", "a0", "table", "100")
    ns(A, "ip", "neigh", "add", NEIGH_IP, "lladdr", NEIGH_MAC, "nud", "permanent", "dev", "a0")
    # wait for the veths to carry traffic (DAD and carrier)
    deadline = time.monotonic() + 10
    while ns(A, "ip", "-o", "link", "show", "a0").find("LOWER_UP") < 0:
        if time.monotonic() > deadline:
            raise RuntimeError("a0 never came up")
        time.sleep(0.1)


def teardown(procs):
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait()
    for n in (A, R, B):
        subprocess.run(["ip", "netns", "del", n], stderr=subprocess.DEVNULL)
    shutil.rmtree(NETNS_ETC, ignore_errors=True)


def start(n, script, workdir, fname):
    path = os.path.join(workdir, fname)
    with open(path, "w") as f:
        f.write(script)
    p = subprocess.Popen(["ip", "netns", "exec", n, sys.executable, path],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    line = p.stdout.readline()
    if "ready" not in line:
        raise RuntimeError(f"{fname} did not start: {line}{p.stdout.read() if p.poll() else ''}")
    return p


def send_udp(n, dst, port, count):
    ns(n, sys.executable, "-c",
       "import socket,time\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
       f"for i in range({count}):\n s.sendto(b'x'*(i%7+1),('{dst}',{port})); time.sleep(0.002)")


async def t_if():
    out = ev("if")
    check("lo: 127.0.0.1/8 up|loopback|running" in out, out)
    check(re.search(r"^a0: 10\.77\.1\.1/24 up\|broadcast\|multicast\|running$", out, re.M), out)
    check(" ip link info:" in out, out)
    check(f"? ({NEIGH_IP}) at {NEIGH_MAC} [ether] PERM on a0" in out, out)
    out = ev("if/a0")
    check("a0: 10.77.1.1/24" in out and "lo: 127.0.0.1" not in out, out)


async def t_route():
    out = ev("route")
    check(" - ip rule:" in out, out)
    check("100: table 100, ip rule 100: from 198.51.100.0/24 to all table 100 unicast" in out, out)
    check(" routes in table: 100\n" in out, out)
    check(re.search(r"\{Ifindex: \d+ Dst: 192\.0\.2\.0/24 Src: <nil> Gw: 10\.77\.1\.254 Flags: "
                    r"\[\] Table: 100 Realm: 0\}", out), out)
    check(" routes in table: 254 (main)" in out and " routes in table: 255 (local)" in out, out)
    check(re.search(r"Dst: <nil> Src: <nil> Gw: 10\.77\.1\.254 Flags: \[\] Table: 254", out), out)
    tail = out.split("show route in interfaces: a0", 1)
    eq(len(tail), 2, "interface section")
    check("Dst: 10.77.1.0/24 Src: 10.77.1.1 Gw: <nil>" in tail[1], out)
    check("Table: 100" not in tail[1], out)


async def t_arp():
    out = ev("arp")
    check(f"? ({NEIGH_IP}) at {NEIGH_MAC} [ether] PERM on a0" in out, out)
    out = ev(f"arp/{NEIGH_MAC}")
    check(NEIGH_IP in out, out)
    out = ev("arp/10.99.99.99")
    check(NEIGH_IP not in out, out)


async def t_socket():
    out = ev("socket")
    lis, est = out.split(" socket established: ", 1)
    check(re.search(rf"^udp +UNCONN .*10\.77\.1\.1:{UDP_PORT} +0\.0\.0\.0:\* +"
                    r"users:\(\(\"python3\",pid=\d+,fd=\d+\)\)$", lis, re.M), out)
    check(re.search(rf"^tcp +LISTEN .*127\.0\.0\.1:{TCP_PORT} +0\.0\.0\.0:\* +users:", lis, re.M),
          out)
    eq(len(re.findall(rf"^tcp +ESTAB .*127\.0\.0\.1:\d+ .*users:", est, re.M)), 2,
       "both ends of the connection")
    check(f"127.0.0.1:{TCP_PORT}" in est, out)


async def t_ping():
    out = ev("ping/10.77.1.254")
    check(" - ping 10.77.1.254" in out, out)
    check(re.search(r"Ping: got reply from 10\.77\.1\.254, duration \d+ nanosec or rtt [0-9.]+"
                    r"(ns|µs|ms)\n", out), out)
    check("Ping: run finish\nping: success true" in out, out)
    out = ev("ping/10.77.1.99")
    check("got reply" not in out and "ping: success false" in out, out)
    out = ev("ping/a0/10.77.2.1")
    check(" - ping 10.77.2.1 through intf: a0" in out and "ping: success true" in out, out)
    out = ev("ping")
    check("default gateway" in out and " - ping 10.77.1.254 through intf: a0" in out, out)
    check("ping: success true" in out, out)
    out = ev("ping/no.such.name.invalid")
    check("resolve error:" in out and "ping: success false" in out, out)
    out = ev("ping/nosuch0/10.77.1.254")
    check("no interface nosuch0" in out, out)


async def t_trace():
    out = ev("trace/10.77.2.1", "-time", "20")
    check("traceroute to 10.77.2.1 (10.77.2.1), 10 hops max, 2 probes each" in out, out)
    check(re.search(r"^ 1  10\.77\.1\.254  [0-9.]+ ms  [0-9.]+ ms$", out, re.M), out)
    check(re.search(r"^ 2  10\.77\.2\.1  [0-9.]+ ms", out, re.M), out)
    check(not re.search(r"^ 3 ", out, re.M), out)
    out = ev("trace/10.77.2.1", "-time", "x")
    check("-time takes whole seconds" in out and "traceroute to" not in out, out)
    # an unrouted target in B: probes die silently, the deadline stops it early
    t0 = time.monotonic()
    out = ev("trace/10.77.9.9", "-time", "2", n=B)
    check(time.monotonic() - t0 < 6, "deadline not kept")
    check("traceroute to 10.77.9.9" in out, out)


def dump(query, secs, sender):
    p = subprocess.Popen(["ip", "netns", "exec", A, binary("edgeviewd"), "local", "--no-colour",
                          query, "-time", str(secs)], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    head = ""
    while "tcpdump -i" not in head:
        line = p.stdout.readline()
        if not line:
            break
        head += line
    time.sleep(0.5)  # the capture starts after the header
    sender()
    out = head + p.stdout.read()
    p.wait(timeout=30)
    clean(out)
    return out, p.returncode


async def t_tcpdump():
    t0 = time.monotonic()
    out, rc = dump(f"tcpdump/a0/udp port {DUMP_PORT}", 3,
                   lambda: send_udp(B, "10.77.1.1", DUMP_PORT, 5))
    eq(rc, 0, "exit status")
    check(f"tcpdump -i a0 udp port {DUMP_PORT} -c 100 (for 3 s)" in out, out)
    lines = re.findall(rf"^\d\d:\d\d:\d\d\.\d{{6}} IP 10\.77\.2\.1\.\d+ > 10\.77\.1\.1\.{DUMP_PORT}"
                       r": UDP, length [1-7]$", out, re.M)
    eq(len(lines), 5, "captured lines")
    check("5 packets captured\n" in out, out)
    check(time.monotonic() - t0 >= 2.5, "-time 3 ended early")


async def t_tcpdump_cap():
    t0 = time.monotonic()
    out, rc = dump(f"tcpdump/a0/udp port {DUMP_PORT}", 20,
                   lambda: send_udp(B, "10.77.1.1", DUMP_PORT, 150))
    eq(len(re.findall(r"^\d\d:\d\d:\d\d\.\d{6} IP ", out, re.M)), 100, "lines at the cap")
    check("100 packets captured (the limit)" in out, out)
    check(time.monotonic() - t0 < 15, "the cap did not end the capture")


async def t_tcpdump_errors():
    out = ev("tcpdump/a0/udp", "-time", "abc")
    check("-time takes whole seconds" in out, out)
    out = ev("tcpdump/nosuch0/")
    check("no interface nosuch0" in out, out)
    out = ev("tcpdump/a0/udp port 99999", "-time", "1")
    check("bad filter" in out, out)
    out = ev("tcpdump/lo/-c 5", "-time", "1")
    check("bad filter '-c 5'" in out, out)


async def t_tcpdump_clamp():
    p = subprocess.Popen(["ip", "netns", "exec", A, binary("edgeviewd"), "local", "--no-colour",
                          "tcpdump/a0/", "-time", "500"], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    head = ""
    try:
        while "tcpdump -i" not in head:
            line = p.stdout.readline()
            if not line:
                break
            head += line
    finally:
        p.kill()
        p.wait()
    check("-time is capped at 120 seconds; capturing for 120" in head, head)
    check("(for 120 s)" in head, head)


async def t_nslookup():
    out = ev("nslookup/host1.evtest")
    check(" - net.LookupIP: host1.evtest\n IN A 10.77.1.5\n" in out, out)
    check(" - Canonical Name: host1.evtest.\n" in out, out)
    out = ev("nslookup/alias.evtest")
    check(" IN A 10.77.1.5" in out and " - Canonical Name: host1.evtest.\n" in out, out)
    out = ev("nslookup/evtest")
    check(" - Name Server: \nns1.evtest.\nns2.evtest.\n" in out, out)
    out = ev("nslookup/10.77.1.5")
    check(" - Reverse lookup: 10.77.1.5\n IN PTR host1.evtest.\n" in out, out)
    out = ev("nslookup/nothing.evtest")
    check("lookup nothing.evtest:" in out, out)
    out = ev("nslookup")
    check("usage: nslookup/<name-or-ip>" in out, out)


def main():
    if os.geteuid() != 0 or shutil.which("ip") is None:
        print("needs root and iproute2 (ip netns)")
        sys.exit(77)
    res = Results()
    wd = Workdir("evnet")
    procs = []
    try:
        setup()
        os.makedirs(NETNS_ETC, exist_ok=True)
        with open(os.path.join(NETNS_ETC, "resolv.conf"), "w") as f:
            f.write("nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
        procs.append(start(A, DNS_STUB, wd.path, "dns_stub.py"))
        procs.append(start(A, LISTENER, wd.path, "listener.py"))
        res.run("if", t_if)
        res.run("route", t_route)
        res.run("arp", t_arp)
        res.run("socket", t_socket)
        res.run("ping", t_ping)
        res.run("trace", t_trace)
        res.run("tcpdump", t_tcpdump)
        res.run("tcpdump-cap", t_tcpdump_cap)
        res.run("tcpdump-errors", t_tcpdump_errors)
        res.run("tcpdump-clamp", t_tcpdump_clamp)
        res.run("nslookup", t_nslookup)
    except Exception as e:
        print(f"FAIL setup: {type(e).__name__}: {e}", flush=True)
        res.failed += 1
    finally:
        teardown(procs)
        wd.cleanup()
    res.finish()


if __name__ == "__main__":
    main()
