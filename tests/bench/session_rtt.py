#!/usr/bin/python3
"""In-session round trip of small queries: one websocket to the dispatcher,
N queries in a row on it (as edgeview's interactive mode does), each timed
from sending the command to the device's +++Done+++.

    session_rtt.py URL CAFILE TOKEN N QUERY

Prints p50/p99/max in ms.  The user side is Python (websockets); the
timings are dominated by the dispatcher and edgeviewd (fork per command).
"""
import asyncio
import base64
import hashlib
import hmac
import json
import ssl
import sys
import time

import websockets


async def main(url, cafile, token, n, query):
    payload = token.split(".")[1]
    key = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["key"].encode()
    h = base64.urlsafe_b64encode(hashlib.sha256(token.encode()).digest()).rstrip(b"=").decode()
    ctx = ssl.create_default_context(cafile=cafile)
    ws = await websockets.connect(url, ssl=ctx, extra_headers={"X-Session-Token": h,
                                                               "X-Hostname": "bench-user"},
                                  compression=None, max_size=None, ping_interval=None)
    await ws.recv()  # YourEndPointIPAddr
    field = "network" if query.split("/")[0] in ("if", "route", "arp") else "system"
    cmd = json.dumps({"version": "0.8.8", "clientEPAddr": "", "network": "", "system": "",
                      "pubsub": "", "logopt": "", "timerange": "", "isJSON": False,
                      "extraline": 0, "logtype": "", "userinfo": "bench", field: query},
                     separators=(",", ":")).encode()
    mac = list(hmac.new(key, cmd, hashlib.sha256).digest())
    env = json.dumps({"message": base64.b64encode(cmd).decode(), "sha256Hash": mac,
                      "Signature": None}, separators=(",", ":"))
    rtts = []
    for _ in range(n):
        t0 = time.perf_counter()
        await ws.send(env)
        while True:
            m = json.loads(await ws.recv())
            if b"+++Done+++" in base64.b64decode(m["message"]):
                break
        rtts.append((time.perf_counter() - t0) * 1000)
    await ws.close()
    rtts.sort()
    print(f"-- in-session {query}, {n} queries over one connection: "
          f"p50 {rtts[n // 2]:.2f} ms, p99 {rtts[int(n * 0.99)]:.2f} ms, max {rtts[-1]:.2f} ms")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]))
