#!/usr/bin/python3
"""edgeviewd's system, pub/ and log/ commands end to end through
`edgeviewd local --root FIXTURE --no-colour QUERY`, plus a few cases
against the real host (root "/").  Prints 'N passed, N failed'.
"""
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from evtest import Results, binary, check, eq  # noqa: E402

APP = "6656f860-7563-4bbf-8bba-051f5942ab8d"
NOW = int(time.time())


def put(root, rel, data, mode="w"):
    p = os.path.join(root, rel)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    with open(p, mode) as f:
        f.write(data)


def entry(content, t, msgid, sev="info", src="zedagent"):
    return json.dumps({"severity": sev, "source": src, "iid": "7", "content": content,
                       "msgid": msgid, "timestamp": {"seconds": t, "nanos": 0}},
                      separators=(",", ":")) + "\n"


def build_fixture(root):
    put(root, "config/server", "zedcloud.example.net\n")
    put(root, "config/device.key", "KEY\n")
    put(root, "persist/status/uuid", "11111111-2222-3333-4444-555555555555\n")
    put(root, "persist/vault/secret", "s3cret\n")
    put(root, "run/eve-release", "0.0.0-test\n")
    put(root, "run/eve.id", "IMGA\n")
    put(root, "etc/os-release", 'NAME="Fixture OS"\nID=fixture\n')
    put(root, "data/ten", "".join(f"line{i}\n" for i in range(1, 11)))
    put(root, "data/sub/x", "12345")
    os.symlink("/etc/passwd", os.path.join(root, "data/out"))
    put(root, "proc/7/stat", "7 (fixd) S 1 7 7 0 -1 0 0 0 0 0 300 100 0 0 20 0 1 0 100 "
                             "1048576 10 0 0\n")
    put(root, "proc/7/cmdline", "/usr/bin/fixd\0--serve\0")
    put(root, "proc/meminfo", "MemTotal: 1024 kB\nMemFree: 512 kB\n")
    put(root, "proc/stat", "cpu  1 0 1 100 0 0 0 0\n")
    put(root, "proc/uptime", "201.00 100.00\n")
    put(root, "proc/loadavg", "1.00 0.50 0.25 1/10 7\n")
    put(root, "dev/kmsg", "6,1,1000000,-;hello kernel\n3,2,2000000,-;bad: thing\n")
    put(root, "run/zedagent/ConfigItemValueMap/global.json",
        '{"GlobalSettings":{"timer.config.interval":{"IntValue":60}}}')
    put(root, "run/nim/DeviceNetworkStatus/global.json", '{"Ports":[{"IfName":"eth0"}]}')
    nl = "persist/newlog"
    put(root, f"{nl}/keepSentQueue/dev.log.{(NOW - 600) * 1000}.gz",
        gzip.compress((entry("first error", NOW - 700, 1) + entry("fine", NOW - 650, 2) +
                       entry("second error", NOW - 640, 3)).encode()), "wb")
    put(root, f"{nl}/keepSentQueue/dev.log.{(NOW - 7200) * 1000}.gz",
        gzip.compress(entry("ancient error", NOW - 7300, 4).encode()), "wb")
    put(root, f"{nl}/appUpload/app.{APP}.log.{(NOW - 300) * 1000}.gz",
        gzip.compress(entry("app error", NOW - 310, 5, src=APP).encode()), "wb")
    put(root, f"{nl}/collect/dev.log.keep.1", '{"devID":"x"}\n' + entry("live error", NOW, 6))
    os.symlink("dev.log.keep.1", os.path.join(root, nl, "collect/current.device.log"))


def edgeviewd(root, *args):
    cmd = [binary("edgeviewd"), "local", "--no-colour"]
    if root:
        cmd += ["--root", root]
    p = subprocess.run(cmd + list(args), capture_output=True, text=True, timeout=30,
                       errors="replace", env=dict(os.environ, TZ="UTC"))
    return p.returncode, p.stdout, p.stderr


def has(out, *needles):
    for n in needles:
        check(n in out, f"missing {n!r} in output:\n{out}")


def lacks(out, *needles):
    for n in needles:
        check(n not in out, f"unexpected {n!r} in output:\n{out}")


def main():
    res = Results()
    root = tempfile.mkdtemp(prefix="ev-sys-")
    try:
        build_fixture(root)

        async def ps_fixture():
            rc, out, _ = edgeviewd(root, "ps/fixd")
            eq(rc, 0, "rc")
            has(out, "\n === System: <ps/fixd> ===\n\n - ps: PID Times VMS RSS CPU% MEM% Name Cmdline\n",
                '000007: {"cpu":"cpu","user":3.0,"system":1.0,', ", 1048576, 40960, 2.000, 3.906, "
                "fixd, /usr/bin/fixd --serve\n")

        async def ps_real_host():
            rc, out, _ = edgeviewd(None, "ps/python")
            eq(rc, 0, "rc")
            has(out, "edgeview_sys.py")  # this script runs under python3

        async def top_fixture():
            rc, out, _ = edgeviewd(root, "top", "-line", "4")
            eq(rc, 0, "rc")
            body = out.split("===\n\n", 1)[1]
            eq(len(body.splitlines()), 4, "lines")
            has(body, "load average: 1.00, 0.50, 0.25", "Tasks:    1 total")

        async def top_real_host():
            rc, out, _ = edgeviewd(None, "top")
            eq(rc, 0, "rc")
            has(out, "%Cpu(s):", "MiB Mem :", "    PID USER ")

        async def cat_fixture():
            rc, out, _ = edgeviewd(root, "cat//etc/os-release")
            eq(rc, 0, "rc")
            eq(out, "\n === System: <cat//etc/os-release> ===\n\n - cat cmd: /etc/os-release\n"
                    "content type: text/plain; charset=utf-8\nNAME=\"Fixture OS\"\nID=fixture\n\n",
               "output")

        async def cat_head_tail():
            _, out, _ = edgeviewd(root, "cat//data/ten", "-line", "2")
            has(out, "charset=utf-8\nline1\nline2\n\n")
            lacks(out, "line3")
            _, out, _ = edgeviewd(root, "cat//data/ten", "-line", "-3")
            has(out, "charset=utf-8\nline8\nline9\nline10\n\n")
            lacks(out, "line7")

        async def cat_refusals():
            _, out, _ = edgeviewd(root, "cat//persist/vault/secret,cat//config/device.key,"
                                        "cat//data/out,cat//data/../../../../../../../../etc/shadow,"
                                        "cat//etc/os-release")
            has(out, "directory is blocked for file display: /persist/vault/secret",
                "file /config/device.key can not be displayed",
                "path /data/out is outside the device's file tree",
                "is outside the device's file tree",
                "ID=fixture")  # the device keeps serving the next item
            lacks(out, "s3cret", "KEY", "root:")

        async def cat_real_proc():
            rc, out, _ = edgeviewd(None, "cat//proc/self/status")
            eq(rc, 0, "rc")
            has(out, " - cat cmd: /proc/", "content type: text/plain; charset=utf-8\n",
                "Name:\tedgeviewd\n")

        async def ls_fixture():
            _, out, _ = edgeviewd(root, "ls//data")
            has(out, " - ls cmd: /data\n", "Lrwxrwxrwx, ", ", out\n", "drwx", ", sub\n",
                ", 61, ten\n")
            _, out, _ = edgeviewd(root, "ls//data/t*")
            has(out, " - ls cmd: /data/t*\n", ", 61, ten\n")
            lacks(out, "sub")

        async def du_fixture():
            _, out, _ = edgeviewd(root, "du//data/sub")
            st = os.lstat(os.path.join(root, "data/sub"))
            has(out, " - Disk Usage: /data/sub\n", f" {st.st_size + 5} Bytes\n"
                if st.st_size + 5 <= 1024 else " KBytes\n")

        async def dmesg_fixture():
            _, out, _ = edgeviewd(root, "dmesg")
            has(out, "Dmesg:\n[    1.000000] hello kernel\n[    2.000000] bad: thing\n")
            _, out, _ = edgeviewd(root, "dmesg", "-line", "1")
            lacks(out, "hello kernel")

        async def pub_fixture():
            _, out, _ = edgeviewd(root, "pub/zedagent/configitem,nim")
            has(out, "\n === Pub/Sub: <zedagent/configitem> ===\n\n pubsub in: /run/\n"
                     "  /run/zedagent/ConfigItemValueMap\n   service: global.json\n{\n"
                     "    \"GlobalSettings\": {\n        \"timer.config.interval\": {\n"
                     "            \"IntValue\": 60\n        }\n    }\n}\n",
                "\n === Pub/Sub: <nim> ===\n\n",
                "   service: global.json\n{\n    \"Ports\": [\n        {\n"
                "            \"IfName\": \"eth0\"\n        }\n    ]\n}\n",
                "list file error: lstat /persist/status/nim: no such file or directory")

        async def pub_invalid():
            _, out, _ = edgeviewd(root, "pub/zedagent/a*b")
            has(out, "pubsub options invalid")

        async def log_default():
            rc, out, _ = edgeviewd(root, "log/error")
            eq(rc, 0, "rc")
            has(out, "\n === Log: <error> ===\n\n",
                f"/persist/newlog/keepSentQueue/dev.log.{(NOW - 600) * 1000}.gz, -- ",
                " -(1) first error, info, zedagent, ", "(1)\n",
                " -(2) second error, info, zedagent, ",
                " -(3) app error, info, " + APP,
                "\n current dev log, -- ", " -(4) live error")
            lacks(out, "ancient", "fine,")

        async def log_time_type_json():
            _, out, _ = edgeviewd(root, "log/error", "-time", "1.5-3")
            has(out, " -(1) ancient error")
            lacks(out, "first error", "current dev log")
            _, out, _ = edgeviewd(root, "log/error", "-type", "app")
            has(out, " -(1) app error")
            lacks(out, "first error", "current dev log")
            _, out, _ = edgeviewd(root, "log/second", "-json")
            has(out, ' (1) {\n    "severity": "info",\n    "source": "zedagent",\n')

        async def log_context_and_bad_time():
            _, out, _ = edgeviewd(root, "log/fine", "-line", "1", "-time", "0-1")
            has(out, "    first error, info", " -(1) fine, info", "    second error, info")
            _, out, _ = edgeviewd(root, "log/error", "-time", "yesterday")
            has(out, "time1-time2 format invalid: yesterday")

        for name, fn in [("ps fixture", ps_fixture), ("ps/python on this host", ps_real_host),
                         ("top -line 4", top_fixture), ("top on this host", top_real_host),
                         ("cat fixture", cat_fixture), ("cat -line head/tail", cat_head_tail),
                         ("cat refusals keep serving", cat_refusals),
                         ("cat//proc/self/status", cat_real_proc), ("ls and wildcard", ls_fixture),
                         ("du", du_fixture), ("dmesg from kmsg fixture", dmesg_fixture),
                         ("pub two items", pub_fixture), ("pub invalid filter", pub_invalid),
                         ("log default window", log_default),
                         ("log -time/-type/-json", log_time_type_json),
                         ("log -line context, bad -time", log_context_and_bad_time)]:
            res.run(name, fn)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    res.finish()


if __name__ == "__main__":
    main()
