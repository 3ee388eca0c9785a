#!/usr/bin/python3
"""Run the test controller in the foreground, for trying eve-agent by hand.

    tests/controller/run.py --dir /tmp/ctl [--port 8443] [--onboard '*'] [--device-cert F]

Prints "listening <host:port> <dir>" first, then one line per request. The device needs
<dir>/root-certificate.pem, <dir>/server and <dir>/onboard.{cert,key}.pem in its /config.
While it runs, a small JSON admin interface is on the same port (no authentication, like
Adam's), e.g. with --cacert <dir>/root-certificate.pem:
    GET  /admin/device                      devices
    GET  /admin/device/<uuid>/{info,metrics,logs,requests,config}
    PUT  /admin/device/<uuid>/config        binary EdgeDevConfig (x-proto-binary)
    POST /admin/device/<uuid>/edgeview      {"dispatcher":"h:p/edge-view","ttl":3600,...}
    POST /admin/onboard                     {"Cert":"<base64 PEM>","Serial":"a,b"}
    POST /admin/device                      {"Cert":"<base64 PEM>"}
    PUT  /admin/switch                      {"down":"close"|null,"unavailable":true,
                                             "retry_after":60,"tamper":1,"bad_chain":true,
                                             "rotate":true}
"""
import argparse
import logging
import os
import signal
import sys
import threading

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from controller import Controller  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--dir", required=True, help="where certificates and keys are written")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--server-name", help="name written to <dir>/server (default: host)")
    ap.add_argument("--onboard", metavar="SERIALS",
                    help="register <dir>/onboard.cert.pem with these serials ('*' = any)")
    ap.add_argument("--device-cert", action="append", default=[],
                    help="pre-register a device certificate (repeatable)")
    ap.add_argument("--root-file", choices=("adam", "ca"), default="adam",
                    help="root-certificate.pem as Adam writes it (server leaf + CA) or CA only")
    ap.add_argument("-q", "--quiet", action="store_true")
    a = ap.parse_args()
    logging.basicConfig(level=logging.WARNING if a.quiet else logging.INFO,
                        format="%(message)s", stream=sys.stdout)
    ctl = Controller(os.path.abspath(a.dir), host=a.host, port=a.port,
                     server_name=a.server_name, root_file=a.root_file)
    ctl.start()
    if a.onboard:
        ctl.add_onboard(serials=a.onboard)
    for f in a.device_cert:
        print(f"pre-registered {f} as {ctl.add_device(f)}", flush=True)
    print(f"listening {ctl.host}:{ctl.port} {ctl.dir}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    ctl.stop()


if __name__ == "__main__":
    main()
