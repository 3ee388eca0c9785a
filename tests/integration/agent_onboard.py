#!/usr/bin/python3
"""eve-agent against the test controller (tests/controller, Adam's behaviour):
onboarding with a TPM (swtpm) and with a key file, re-register (409),
controller down then up, config 304, refusals that keep the last good state
(tampered config, a signing certificate that does not chain, an expired
Edge-View token), remote access disabled, and the whole system: controller ->
eve-agent -> edge-view-config -> edgeviewd -> a query from edgeview through
edgeview-dispatcher -> ZiEdgeview with the command counted and the audit
event at the controller.
"""
import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, ".."))
from controller import Controller  # noqa: E402
from evtest import Dispatcher, Results, Workdir, binary, check, eq, proc_env  # noqa: E402
from evtpm import SwTpm  # noqa: E402

FAST = ["--config-interval", "5", "--info-interval", "5", "--metric-interval", "5",
        "--log-interval", "1", "--max-backoff", "2", "--log-level", "info"]


class Agent:
    """One eve-agent process on a device tree under root."""

    def __init__(self, w, name, ctl, *extra, tpm=None, onboard=True, serial="SN-1"):
        self.root = os.path.join(w.path, name)
        os.makedirs(os.path.join(self.root, "config"), exist_ok=True)
        os.makedirs(os.path.join(self.root, "persist"), exist_ok=True)
        ctl.install_device_config(os.path.join(self.root, "config"), onboard=onboard)
        self.args = ["--root", self.root, "--serial", serial, *FAST, *extra]
        if tpm is not None:
            self.args += ["--tcti", tpm.tcti]
        else:
            self.args += ["--no-tpm"]
        self.log = os.path.join(w.path, name + ".log")
        self.proc = None

    def start(self):
        self.stop()
        self.logf = open(self.log, "a")
        self.proc = subprocess.Popen([binary("eve-agent"), *self.args], stdout=self.logf,
                                     stderr=subprocess.STDOUT, env=proc_env())
        return self

    def once(self, *extra, timeout=60):
        return subprocess.run([binary("eve-agent"), *self.args, "--once", *extra],
                              capture_output=True, text=True, timeout=timeout, env=proc_env())

    def poll_now(self):
        # Only once it runs: before its handler is in place SIGHUP would kill it.
        self.wait_log("onboarded as", 30)
        self.proc.send_signal(signal.SIGHUP)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            rc = self.proc.wait(15)
            self.logf.close()
            self.proc = None
            return rc
        return 0

    def text(self):
        with open(self.log) as f:
            return f.read()

    def wait_log(self, needle, timeout=30, start=0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if needle in self.text()[start:]:
                return True
            time.sleep(0.1)
        raise AssertionError(f"no '{needle}' in the agent log: {self.text()[-1500:]}")

    def path(self, rel):
        return os.path.join(self.root, rel.lstrip("/"))

    def uuid(self):
        with open(self.path("/persist/status/uuid")) as f:
            return f.read().strip()


def wait_for(fn, timeout=30, what=""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


EVCFG = "/run/edgeview/edge-view-config"
SIGNING = "/run/edgeview/signing-cert.pem"


# ---------------------------------------------------------------- onboarding

async def t_onboard_key_file(w, ctl):
    ag = Agent(w, "dev-file", ctl, serial="SN-FILE")
    p = ag.once()
    eq(p.returncode, 0, f"--once: {p.stderr[-1500:]}")
    uuid = ag.uuid()
    check(ctl.device(uuid) is not None, "the controller knows the device")
    check(os.stat(ag.path("/config/device.key.pem")).st_mode & 0o777 == 0o600, "key 0600")
    check(ctl.info(uuid, "ZiDevice"), "device info arrived")
    di = ctl.info(uuid, "ZiDevice")[-1].dinfo
    eq(di.api_capability, 4, "api_capability says Edge-View")
    # re-register: the UUID file gone, the agent registers again and gets 409
    os.unlink(ag.path("/persist/status/uuid"))
    p = ag.once()
    eq(p.returncode, 0, f"--once after losing the UUID: {p.stderr[-1500:]}")
    check("already has this device (409)" in p.stderr, "409 logged")
    eq(ag.uuid(), uuid, "same UUID after the 409")
    regs = ctl.requests(path="register")
    check(any(r["status"] == 409 for r in regs), f"the controller answered 409: {regs}")


async def t_onboard_tpm(w, ctl):
    if not SwTpm.available():
        raise AssertionError("swtpm is not installed")
    with SwTpm() as tpm:
        ag = Agent(w, "dev-tpm", ctl, tpm=tpm, serial="SN-TPM")
        p = ag.once()
        eq(p.returncode, 0, f"--once with the TPM: {p.stderr[-1500:]}")
        check("in the TPM" in p.stderr, "identity in the TPM")
        check(not os.path.exists(ag.path("/config/device.key.pem")), "no key file")
        uuid = ag.uuid()
        di = ctl.info(uuid, "ZiDevice")[-1].dinfo
        eq(di.HSMStatus, 3, "HSMStatus ENABLED")
        # the persistent key is used again on the next run
        p = ag.once()
        eq(p.returncode, 0, f"second run: {p.stderr[-800:]}")
        eq(ag.uuid(), uuid, "same device")


async def t_controller_down_then_up(w, ctl):
    ctl.set_down("refuse")
    ag = Agent(w, "dev-down", ctl, serial="SN-DOWN").start()
    try:
        ag.wait_log("retrying in", 20)
        check(not os.path.exists(ag.path("/persist/status/uuid")), "not onboarded while down")
        ctl.set_down(None)
        uuid = wait_for(lambda: os.path.exists(ag.path("/persist/status/uuid")) and ag.uuid(),
                        30, "onboarding after the controller came back")
        ctl.wait(lambda: ctl.info(uuid, "ZiDevice"), 30)
    finally:
        ctl.set_down(None)
        eq(ag.stop(), 0, "SIGTERM exit status")


# ---------------------------------------------------------------- config

async def t_config_304_and_refusals(w, ctl):
    ag = Agent(w, "dev-cfg", ctl, serial="SN-CFG")
    eq(ag.once().returncode, 0, "onboarded")
    uuid = ag.uuid()
    ctl.update_config(uuid, config_items={"timer.config.interval": "5"}, device_name="edge-1")
    ag.start()
    try:
        ag.wait_log("applied", 20)
        mark = len(ag.text())
        ag.poll_now()
        ctl.wait(lambda: any(r["status"] == 304 for r in ctl.requests(uuid=uuid, path="config")),
                 20)
        # a tampered config: refused, the last good one stays
        good_hash = ctl.config_hash(uuid)
        ctl.update_config(uuid, device_name="edge-tampered")
        ctl.tamper_next_config()
        mark = len(ag.text())
        ag.poll_now()
        ag.wait_log("config response refused", 20, mark)
        check("edge-tampered" not in ag.text()[mark:], "tampered config not applied")
        wait_for(lambda: [i for i in ctl.info(uuid, "ZiDevice") if i.dinfo.device_name == "edge-1"],
                 10, "device info with the config's device name")
        time.sleep(0.5)
        eq(ctl.info(uuid, "ZiDevice")[-1].dinfo.device_name, "edge-1",
           "device name of the last good config")
        del good_hash
    finally:
        eq(ag.stop(), 0, "SIGTERM exit status")


async def t_bad_chain(w, ctl):
    ag = Agent(w, "dev-chain", ctl, serial="SN-CHAIN")
    eq(ag.once().returncode, 0, "onboarded")
    uuid = ag.uuid()
    ctl.update_config(uuid, device_name="before")
    eq(ag.once().returncode, 0, "config applied")
    ctl.set_bad_chain(True)
    try:
        ctl.update_config(uuid, device_name="after-bad-chain")
        p = ag.once()
        check(p.returncode != 0, "a cycle with untrusted certificates fails")
        check("do not verify against" in p.stderr, f"clear log line: {p.stderr[-800:]}")
        check("after-bad-chain" not in p.stderr, "config from the untrusted signer not applied")
    finally:
        ctl.set_bad_chain(False)


async def t_reports_survive_outage(w, ctl):
    """Reports made while the controller is unreachable wait on disk, across
    an agent restart, and all arrive once it is back."""
    # one queued report a second once it is back: the backlog trickles in
    ag = Agent(w, "dev-spool", ctl, "--flush-burst", "1", serial="SN-SPOOL")
    eq(ag.once().returncode, 0, "onboarded")
    uuid = ag.uuid()
    ag.start()
    try:
        ag.wait_log("onboarded as", 30)
        ctl.set_down("refuse")
        audit = ag.path("/persist/edgeview/audit.log")
        os.makedirs(os.path.dirname(audit), exist_ok=True)
        for part in range(3):  # three batches in the spool
            mark = len(ag.text())
            with open(audit, "a") as f:
                for i in range(part * 100, part * 100 + 100):
                    f.write(f"recv[ep:192.0.2.1:4000, (ops)] cmd: cat//outage-{i:03d}\n")
            ag.wait_log("Edge-View audit event(s) queued", 20, mark)
        spool = ag.path("/persist/agent/spool")
        check(any(".newlogs" in n for n in os.listdir(spool)), "batches wait in the spool")
        eq(ag.stop(), 0, "SIGTERM exit status")
        ag.start()  # a restart while the controller is away
        ag.wait_log("retrying in", 20)
        ctl.set_down(None)
        back = time.monotonic()
        got = ctl.wait(lambda: (lambda l: l if len(l) >= 300 else None)(
            ctl.logs(uuid, contains="cmd: cat//outage-")), 60)
        names = sorted({e["content"].split("cmd: ")[1][:18] for e in got})
        eq(len(names), 300, "every audit event arrived once")
        took = time.monotonic() - back
        posts = [r for r in ctl.requests(uuid=uuid, path="newlogs") if r["status"] == 201]
        check(len(posts) >= 3, f"the backlog came in several requests: {len(posts)}")
        check(took >= 1.5, f"one report a second (--flush-burst 1), not all at once: {took:.1f} s")
        check(all(e["source"] == "edgeview" and "newlog-gen-event" in e["content"] for e in got),
              f"tagged as protocol 7.7: {got[0]}")
    finally:
        ctl.set_down(None)
        eq(ag.stop(), 0, "SIGTERM exit status")


# ---------------------------------------------------------------- Edge-View

async def t_edgeview_files(w, ctl):
    ag = Agent(w, "dev-ev", ctl, serial="SN-EV")
    eq(ag.once().returncode, 0, "onboarded")
    uuid = ag.uuid()
    ctl.set_edgeview(uuid, dispatcher="127.0.0.1:9/edge-view", ttl=600, allow_dev=True,
                     publickeys="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl a@b")
    p = ag.once()
    eq(p.returncode, 0, p.stderr[-800:])
    check(os.path.exists(ag.path(EVCFG)) and os.path.exists(ag.path(SIGNING)),
          "edge-view-config and signing-cert.pem written")
    text = open(ag.path(EVCFG)).read()
    check(text.startswith("EvJWToken:") and "EvDevPolicy:{\"enabled\":true}" in text, text)
    eq(os.stat(ag.path(SIGNING)).st_mode & 0o777, 0o600, "signing-cert.pem mode")
    gj = open(ag.path("/run/zedagent/ConfigItemValueMap/global.json")).read()
    check("edgeview.authen.publickey" in gj and "a@b" in gj, "trusted SSH keys written")
    mtime = os.stat(ag.path(EVCFG)).st_mtime_ns
    # the same config on a restarted agent: the files are not rewritten
    # (edgeviewd would restart the session)
    eq(ag.once().returncode, 0, "second run")
    eq(os.stat(ag.path(EVCFG)).st_mtime_ns, mtime, "edge-view-config untouched")
    # an expired token, with a running agent: refused, the session of the
    # token in force continues (the last good state)
    ag.start()
    try:
        ag.wait_log("onboarded as", 30)
        mark = len(ag.text())
        ctl.set_edgeview(uuid, dispatcher="127.0.0.1:9/edge-view", ttl=-60)
        ag.poll_now()
        ag.wait_log("Edge-View token refused", 20, mark)
        check("expired" in ag.text()[mark:] and "previous token continues" in ag.text()[mark:],
              f"clear log line: {ag.text()[mark:][-800:]}")
        eq(open(ag.path(EVCFG)).read(), text, "the previous session's files stay")
    finally:
        eq(ag.stop(), 0, "SIGTERM exit status")
    # a fresh agent has no good session to keep: fail closed
    p = ag.once()
    check("Edge-View token refused" in p.stderr, p.stderr[-600:])
    check(not os.path.exists(ag.path(EVCFG)), "files removed for an expired token")
    # a good token again, then remote access disabled
    ctl.set_edgeview(uuid, dispatcher="127.0.0.1:9/edge-view", ttl=600)
    eq(ag.once().returncode, 0, "good token again")
    check(os.path.exists(ag.path(EVCFG)), "files back")
    open(ag.path("/config/remote_access_disabled"), "w").close()
    p = ag.once()
    check(not os.path.exists(ag.path(EVCFG)) and not os.path.exists(ag.path(SIGNING)),
          "remote_access_disabled removes the files")
    check("remote access is disabled" in p.stderr, p.stderr[-600:])
    di = ctl.info(uuid, "ZiDevice")[-1].dinfo
    check(di.remote_access_disabled, "reported remote_access_disabled")
    os.unlink(ag.path("/config/remote_access_disabled"))


async def t_whole_system(w, ctl, d):
    ag = Agent(w, "dev-sys", ctl, serial="SN-SYS")
    eq(ag.once().returncode, 0, "onboarded")
    uuid = ag.uuid()
    ag.start()
    edge = None
    try:
        tok = ctl.set_edgeview(uuid, dispatcher=f"127.0.0.1:{d.port}/edge-view", ttl=600,
                               allow_dev=True)
        ag.poll_now()
        wait_for(lambda: os.path.exists(ag.path(EVCFG)), 20, "edge-view-config")
        edgelog = open(os.path.join(w.path, "edgeviewd-sys.log"), "w")
        edge = subprocess.Popen([binary("edgeviewd"), "--root", ag.root, "--cafile", d.ca,
                                 "--log-level", "info", "--status-debounce", "0.3"],
                                stdout=edgelog, stderr=subprocess.STDOUT, env=proc_env())
        wait_for(lambda: "connected to the dispatcher" in open(edgelog.name).read(), 20,
                 "edgeviewd connected")
        t_query = time.time()
        p = subprocess.run([binary("edgeview"), "-token", tok, "-cafile", d.ca, "-user",
                            "support", "cat//persist/status/uuid"], capture_output=True,
                           text=True, timeout=30)
        eq(p.returncode, 0, f"edgeview query: {p.stderr}")
        check(uuid in p.stdout, "query output")
        evi = ctl.wait(lambda: [e for e in ctl.edgeview_info(uuid) if e.count_dev >= 1], 40)
        check(evi[-1].expire_time.seconds > time.time(), "expire_time reported")
        logs = ctl.wait(lambda: ctl.logs(uuid, contains="cmd: cat//persist/status/uuid"), 40)
        check("(support)" in logs[-1]["content"], f"audit event content: {logs[-1]}")
        check(abs(logs[-1]["timestamp"]["seconds"] - t_query) < 5,
              f"the event carries the time of the command: {logs[-1]['timestamp']}")
        ctl.wait(lambda: ctl.metrics(uuid), 30)
        # The session ends: a final status (expire_time now, counts kept) ...
        ctl.clear_edgeview(uuid)
        ag.poll_now()
        fin = ctl.wait(lambda: [e for e in ctl.edgeview_info(uuid)
                                if e.count_dev >= 1 and e.expire_time.seconds <= time.time()], 40)
        # ... and an agent restart does not bring it back to life (the
        # status file edgeviewd left behind is not a live session).
        edge.terminate()
        edge.wait(10)
        edge = None
        n = len(ctl.edgeview_info(uuid))
        eq(ag.stop(), 0, "SIGTERM exit status")
        ag.start()
        ag.poll_now()
        time.sleep(2)
        later = ctl.edgeview_info(uuid)[n:]
        check(all(e.expire_time.seconds <= fin[-1].expire_time.seconds + 1 for e in later),
              f"no live status after the restart: {later}")
    finally:
        if edge is not None:
            edge.terminate()
            edge.wait(10)
        eq(ag.stop(), 0, "SIGTERM exit status")


ONLY = os.environ.get("EV_ONLY")


def main():
    res = Results()
    if ONLY:
        orig = res.run
        res.run = lambda name, *a: orig(name, *a) if ONLY in name else None
    w = Workdir("agent")
    ctl = Controller(os.path.join(w.path, "ctl")).start()
    ctl.add_onboard(serials="*")
    d = Dispatcher(w.path)
    try:
        res.run("onboarding with a key file; re-register answered 409", t_onboard_key_file, w,
                ctl)
        res.run("onboarding with the device key in a TPM (swtpm)", t_onboard_tpm, w, ctl)
        res.run("controller down, then up: the agent onboards", t_controller_down_then_up, w,
                ctl)
        res.run("config 304; a tampered config refused, last good kept",
                t_config_304_and_refusals, w, ctl)
        res.run("a signing certificate that does not chain is refused", t_bad_chain, w, ctl)
        res.run("reports wait on disk while the controller is away, nothing lost",
                t_reports_survive_outage, w, ctl)
        res.run("Edge-View files: written, expired token refused, remote access disabled",
                t_edgeview_files, w, ctl)
        res.run("controller -> agent -> edgeviewd -> edgeview query -> ZiEdgeview and audit",
                t_whole_system, w, ctl, d)
    finally:
        d.stop()
        ctl.stop()
        w.cleanup()
    res.finish()


if __name__ == "__main__":
    main()
