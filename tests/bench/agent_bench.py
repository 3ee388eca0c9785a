#!/usr/bin/python3
"""eve-agent's memory at idle and CPU per config poll, against the test
controller on 127.0.0.1 (part of `make bench`, BENCH_ONLY=agent).

    agent_bench.py BUILD_DIR [POLLS]

For a key-file identity and a TPM identity (swtpm): onboard, apply a
config with an Edge-View section, let the agent settle, then read VmRSS and
the private memory (smaps_rollup Private_Clean + Private_Dirty), and time
POLLS config polls (SIGHUP, each answered 304) by the agent's own CPU time
(utime + stime from /proc/PID/stat).
"""
import os
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
sys.path.insert(0, os.path.join(HERE, ".."))
from controller import Controller  # noqa: E402
from evtpm import SwTpm  # noqa: E402

BUILD = os.path.abspath(sys.argv[1])
POLLS = int(sys.argv[2]) if len(sys.argv) > 2 else 200
TICK = os.sysconf("SC_CLK_TCK")


def mem(pid):
    rss = priv = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith(("Private_Clean:", "Private_Dirty:")):
                priv += int(line.split()[1])
    return rss, priv


def cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def polls_answered(ctl, uuid):
    return sum(1 for r in ctl.requests(uuid=uuid, path="config") if r["status"] == 304)


def run(ctl, name, tcti=None):
    root = tempfile.mkdtemp(prefix="agent-bench.")
    os.makedirs(os.path.join(root, "config"))
    ctl.install_device_config(os.path.join(root, "config"))
    args = [os.path.join(BUILD, "bin", "eve-agent"), "--root", root, "--serial", "BENCH-" + name,
            "--config-interval", "3600", "--info-interval", "3600", "--metric-interval", "3600",
            "--log-interval", "3600"]
    args += ["--tcti", tcti] if tcti else ["--no-tpm"]
    subprocess.run(args + ["--once"], check=True, capture_output=True, timeout=60)
    with open(os.path.join(root, "persist/status/uuid")) as f:
        uuid = f.read().strip()
    ctl.update_config(uuid, config_items={"timer.config.interval": "3600"})
    ctl.set_edgeview(uuid, dispatcher="127.0.0.1:9/edge-view", ttl=3600, allow_dev=True)
    log = open(os.path.join(root, "agent.log"), "w")
    p = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
    try:
        ctl.wait(lambda: polls_answered(ctl, uuid) + len(ctl.requests(uuid=uuid, path="config"))
                 >= 1, 30)
        time.sleep(3)  # first polls, info and metrics done: idle
        rss, priv = mem(p.pid)
        print(f"-- eve-agent idle, {name} identity: VmRSS {rss} kB, private {priv} kB")
        before = polls_answered(ctl, uuid)
        c0, t0 = cpu_s(p.pid), time.monotonic()
        for i in range(POLLS):
            p.send_signal(signal.SIGHUP)
            ctl.wait(lambda: polls_answered(ctl, uuid) >= before + i + 1, 30)
        c1, t1 = cpu_s(p.pid), time.monotonic()
        print(f"-- config poll (304), {name} identity, {POLLS} polls: "
              f"{(c1 - c0) * 1000 / POLLS:.2f} ms CPU per poll "
              f"({(t1 - t0) * 1000 / POLLS:.1f} ms wall)")
        rss, priv = mem(p.pid)
        print(f"-- eve-agent after the polls, {name} identity: VmRSS {rss} kB, private {priv} kB")
    finally:
        p.terminate()
        p.wait(10)
        log.close()
        subprocess.run(["rm", "-rf", root])


def main():
    with Controller() as ctl:
        ctl.add_onboard(serials="*")
        run(ctl, "key-file")
        if SwTpm.available():
            with SwTpm() as tpm:
                run(ctl, "TPM", tpm.tcti)


if __name__ == "__main__":
    main()
