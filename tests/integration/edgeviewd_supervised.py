#!/usr/bin/python3
"""edgeviewd's supervised mode: the config file drives the device processes
(start, restart on change, two instances, stop on removal and on expiry),
and a device comes back by itself after the dispatcher restarts."""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from evtest import Dispatcher, Results, Workdir, binary, check, eq, proc_env  # noqa: E402
from session_e2e import UUID, Setup  # noqa: E402


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(x) for x in f.read().split()]
    except FileNotFoundError:
        return []


def wait_for(cond, secs, what):
    deadline = time.monotonic() + secs
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {secs} s waiting for {what}")


class Supervised(Setup):
    def start_supervisor(self):
        self.log = open(os.path.join(self.w.path, "supervisor.log"), "a")
        self.sup = subprocess.Popen([binary("edgeviewd"), "--root", self.root, "--cafile",
                                     self.d.ca, "--log-level", "info", "--status-debounce",
                                     "0.3"],
                                    stdout=self.log, stderr=subprocess.STDOUT, env=proc_env())
        wait_for(lambda: "supervising" in open(self.log.name).read(), 10, "the supervisor")

    def logtext(self):
        return open(self.log.name).read()

    def connected(self, n):
        return self.logtext().count("connected to the dispatcher") >= n

    def stop_supervisor(self):
        self.sup.terminate()
        return self.sup.wait(15)


async def t_start_and_query(s):
    tok = s.mint()
    s.install(tok)
    wait_for(lambda: s.connected(1), 10, "the device to connect")
    p = s.query(tok, "cat//persist/status/uuid")
    eq(p.returncode, 0, p.stderr)
    check(UUID in p.stdout, p.stdout)
    eq(len(children(s.sup.pid)), 1, "one device process")
    s.tok1 = tok
    # EdgeviewStatus counts the command (protocol 11.3).
    status = os.path.join(s.root, "run/edgeview/EdgeviewStatus/global.json")

    def counted():
        try:
            with open(status) as f:
                return json.load(f)["CmdCountDev"] == 1
        except (FileNotFoundError, ValueError):
            return False
    wait_for(counted, 5, "EdgeviewStatus with CmdCountDev 1")
    with open(status) as f:
        st = json.load(f)
    eq(sorted(st), ["CmdCountApp", "CmdCountDev", "CmdCountExt", "ExpireOn", "StartedOn"],
       "status keys")


async def t_change_restarts_two_instances(s):
    before = s.logtext().count("connected to the dispatcher")
    tok = s.mint()
    p = subprocess.run([binary("edgeview"), "token", "mint", "--key", s.key, "--dispatcher",
                        f"127.0.0.1:{s.d.port}", "--device", UUID, "--inst", "2"],
                       capture_output=True, text=True)
    tok = p.stdout.strip()
    s.install(tok)
    wait_for(lambda: s.logtext().count("connected to the dispatcher") >= before + 2, 10,
             "two instances to connect")
    eq(len(children(s.sup.pid)), 2, "two device processes")
    for inst in ("1", "2"):
        p = s.query(tok, "-inst", inst, "cat//persist/status/uuid")
        eq(p.returncode, 0, f"instance {inst}: {p.stderr}")
        check(UUID in p.stdout, p.stdout)
    # Instance 1 publishes the sum of both instances' counters (11.2).
    status = os.path.join(s.root, "run/edgeview/EdgeviewStatus/global.json")

    def summed():
        try:
            with open(status) as f:
                return json.load(f)["CmdCountDev"] == 2
        except (FileNotFoundError, ValueError):
            return False
    wait_for(summed, 5, "instance 1 publishing the sum of two instances")
    # The old single-instance token is served no more.
    p = s.query(s.tok1, "cat//persist/status/uuid")
    eq(p.returncode, 4, "old token after the change")
    s.tok2 = tok


async def t_dispatcher_restart(s):
    port = s.d.port
    s.d.proc.kill()
    s.d.proc.wait()
    time.sleep(0.5)
    start = time.monotonic()
    args = [binary("edgeview-dispatcher"), "--listen", f"127.0.0.1:{port}", "--cert", s.d.cert,
            "--key", s.d.key]
    s.d.proc = subprocess.Popen(args, stdout=s.d.log, stderr=subprocess.STDOUT)
    for inst in ("1", "2"):
        def answered():
            p = s.query(s.tok2, "-inst", inst, "cat//persist/status/uuid")
            return p.returncode == 0 and UUID in p.stdout
        wait_for(answered, 10, f"instance {inst} back after the dispatcher restart")
    took = time.monotonic() - start
    check(took < 10, f"back in {took:.1f} s")
    print(f"     devices back {took:.1f} s after the dispatcher restarted", flush=True)


async def t_removal_stops(s):
    os.unlink(os.path.join(s.root, "run/edgeview/edge-view-config"))
    wait_for(lambda: children(s.sup.pid) == [], 10, "the device processes to stop")
    check("edge-view-config removed" in s.logtext(), "logged why")


async def t_expiry_stops(s):
    p = subprocess.run([binary("edgeview"), "token", "mint", "--key", s.key, "--dispatcher",
                        f"127.0.0.1:{s.d.port}", "--device", UUID, "--ttl", "3s"],
                       capture_output=True, text=True)
    s.install(p.stdout.strip())
    wait_for(lambda: len(children(s.sup.pid)) == 1, 5, "a device process")
    wait_for(lambda: children(s.sup.pid) == [], 10, "the device to stop at expiry")


def main():
    res = Results()
    w = Workdir("sup")
    d = Dispatcher(w.path)
    s = Supervised(w, d)
    try:
        s.start_supervisor()
        res.run("config installed: device starts and answers", t_start_and_query, s)
        res.run("config changed: restart as two instances", t_change_restarts_two_instances, s)
        res.run("dispatcher killed and restarted: devices back within 10 s",
                t_dispatcher_restart, s)
        res.run("config removed: devices stop", t_removal_stops, s)
        res.run("token expires: device stops", t_expiry_stops, s)
    finally:
        rc = s.stop_supervisor()
        if rc != 0:
            res.failed += 1
            print(f"FAIL supervisor exited {rc}")
        d.stop()
        w.cleanup()
    res.finish()


if __name__ == "__main__":
    main()
