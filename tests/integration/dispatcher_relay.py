#!/usr/bin/python3
"""edgeview-dispatcher end to end: real TLS, real websockets, 127.0.0.1.

Each case starts from a fresh token; one dispatcher serves the cases that
share its settings.  Prints 'N passed, N failed'.
"""
import asyncio
import base64
import hashlib
import os
import secrets
import ssl
import sys

import websockets

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from evtest import (RSS_SLACK, Dispatcher, Results, Workdir, check, eq, expect_closed,  # noqa: E402
                    recv)

NO_DEVICE = "no device online\n+++Done+++"


def token_hash(jwt, inst=0, short=False):
    t = jwt if inst == 0 else f"{jwt}.{inst}"
    h = hashlib.sha256(t.encode()).digest()
    if short:
        h = h[:16]
    return base64.urlsafe_b64encode(h).rstrip(b"=").decode()


def new_token():
    return token_hash(secrets.token_hex(16))


async def pair(d, token=None, dev_host="node-7-EV-server", user_host="laptop"):
    token = token or new_token()
    dev = await d.connect(token, dev_host)
    eq(await recv(dev), NO_DEVICE, "device's first message")
    first = await recv(dev)
    check(first.startswith("YourEndPointIPAddr:127.0.0.1:"), f"device's second message {first!r}")
    user = await d.connect(token, user_host)
    msg = await recv(user)
    check(msg.startswith("YourEndPointIPAddr:127.0.0.1:"), f"user's first message {msg!r}")
    return token, dev, user


async def t_pairing_and_raw_strings(d):
    token, dev, user = await pair(d)
    await user.send("command text")
    eq(await recv(dev), "command text", "relayed to device")
    await dev.send("output")
    eq(await recv(user), "output", "relayed to user")
    port = user.local_address[1]
    await dev.close()
    await user.close()
    check(port > 0, "user port")


async def t_opcodes_preserved(d):
    _, dev, user = await pair(d)
    await user.send(b"\x00\x01\x02binary")
    got = await recv(dev)
    check(isinstance(got, bytes) and got == b"\x00\x01\x02binary", f"binary frame: {got!r}")
    await dev.send("text \u00e9")
    got = await recv(user)
    check(isinstance(got, str) and got == "text \u00e9", f"text frame: {got!r}")
    await dev.send(b"")
    eq(await recv(user), b"", "empty binary message")
    await dev.close()
    await user.close()


async def t_fragmented(d):
    _, dev, user = await pair(d)
    # Go clients send messages as 4096-byte frames (section 4.5).
    parts = [os.urandom(4096) for _ in range(10)] + [os.urandom(100)]
    await user.send(parts)
    eq(await recv(dev), b"".join(parts), "reassembled binary message")
    await user.send(["a" * 4096, "b" * 4096, "c"])
    eq(await recv(dev), "a" * 4096 + "b" * 4096 + "c", "reassembled text message")
    # A large message comes back as one message (sent in tx-chunk frames).
    big = os.urandom(300_000)
    await dev.send(big)
    eq(await recv(user), big, "large message")
    await dev.close()
    await user.close()


async def t_probe(d):
    token = new_token()
    eq(d.https_get("/edge-view", {"X-Session-Probe": "true", "X-Session-Token": token}),
       (200, "no device online"), "probe, nobody there")
    dev = await d.connect(token, "node-EV-server")
    await recv(dev)
    eq(d.https_get("/edge-view", {"X-Session-Probe": "true", "X-Session-Token": token}),
       (200, "server is connected"), "probe, device there")
    # A user alone does not make the device "connected".
    t2 = new_token()
    u = await d.connect(t2, "laptop")
    await recv(u)
    eq(d.https_get("/edge-view", {"X-Session-Probe": "true", "X-Session-Token": t2}),
       (200, "no device online"), "probe, only a user there")
    await dev.close()
    await u.close()


async def t_http_routes(d):
    eq(d.https_get("/v1/ping"), (200, "pong\n"), "ping")
    eq(d.https_get("/other"), (404, "404 page not found\n"), "unknown path")
    eq(d.https_get("/edge-view"), (400, "Bad Request\n"), "plain GET of the websocket path")
    try:
        await d.connect(new_token(), "x", path="/not-edge-view")
        raise AssertionError("upgrade on another path was accepted")
    except (websockets.InvalidStatusCode, websockets.InvalidHandshake, ConnectionError):
        pass


async def t_token_required(d):
    ws = await d.connect(None, "node-EV-server")
    got = await expect_closed(ws)
    eq(got, ["token is required"], "no X-Session-Token")


async def t_third_peer_refused(d):
    token, dev, user = await pair(d)
    third = await d.connect(token, "another-laptop")
    eq(await expect_closed(third), ["can't have more than 2 peers"], "third peer")
    dev2 = await d.connect(token, "other-node-EV-server")
    eq(await expect_closed(dev2), ["can't have more than 2 peers"], "second device")
    # The pair is untouched.
    await user.send("still here")
    eq(await recv(dev), "still here", "pair after refusals")
    await dev.close()
    await user.close()


async def t_same_hostname_replaces(d):
    token, dev, user = await pair(d, dev_host="edge-1-EV-server")
    dev_new = await d.connect(token, "edge-1-EV-server")
    first = await recv(dev_new)
    check(first.startswith("YourEndPointIPAddr:"), f"replacement gets only its address: {first!r}")
    await expect_closed(dev)  # the old socket is closed
    await user.send("to the new device")
    eq(await recv(dev_new), "to the new device", "relay to the replacement")
    await dev_new.close()
    await user.close()


async def t_hashes_and_instances(d):
    jwt = "eyJ." + secrets.token_hex(20) + ".sig"
    full, short = token_hash(jwt), token_hash(jwt, short=True)
    i1, i2 = token_hash(jwt, 1), token_hash(jwt, 2)
    eq(len(full), 43, "full hash length")
    eq(len(short), 22, "short hash length")
    sessions = []
    for tok in (full, short, i1, i2):
        sessions.append(await pair(d, tok))
    # Each hash is its own session: nothing crosses.
    for i, (tok, dev, user) in enumerate(sessions):
        await user.send(f"for {i}")
    for i, (tok, dev, user) in enumerate(sessions):
        eq(await recv(dev), f"for {i}", f"session {i}")
    for _, dev, user in sessions:
        await dev.close()
        await user.close()


async def t_peer_left_notice(d):
    _, dev, user = await pair(d)
    await user.close()
    eq(await recv(dev), NO_DEVICE, "device told the user left")
    await dev.close()
    _, dev, user = await pair(d)
    await dev.close()
    eq(await recv(user), NO_DEVICE, "user told the device left")
    await user.close()


async def t_unroutable_notice(d):
    dev = await d.connect(new_token(), "lonely-EV-server")
    await recv(dev)
    await recv(dev)
    for _ in range(49):
        await dev.send("nobody hears this")
    try:
        await asyncio.wait_for(dev.recv(), 0.5)
        raise AssertionError("notice before the 50th unroutable message")
    except asyncio.TimeoutError:
        pass
    await dev.send("the 50th")
    eq(await recv(dev), NO_DEVICE, "notice at the 50th")
    await dev.close()


async def t_oversize_closes_only_sender(d):
    _, dev, user = await pair(d)
    _, dev2, user2 = await pair(d)
    await user.send(os.urandom(70_000))  # dispatcher runs with --max-message 65536
    # lws waits for the sender's close acknowledgement; on a loaded machine
    # that takes a few seconds.
    got = await expect_closed(user, timeout=15)
    eq(got, [], "nothing relayed before the close")
    eq(user.close_code, 1009, "close code 1009 (message too big)")
    eq(await recv(dev), NO_DEVICE, "its device is told")
    await user2.send(b"x" * 60_000)
    eq(await recv(dev2), b"x" * 60_000, "other session unaffected")
    await dev.close()
    await dev2.close()
    await user2.close()


async def t_unpaired_user_times_out(d):
    u = await d.connect(new_token(), "laptop")
    eq(await recv(u), NO_DEVICE, "alone")
    await recv(u)
    got = await expect_closed(u, timeout=10)  # --unpaired-timeout 2
    eq(got, [], "closed without more messages")


async def t_metrics_move(d):
    before = d.metrics()
    _, dev, user = await pair(d)
    await user.send("abc")
    await recv(dev)
    after = d.metrics()
    eq(after['edgeview_dispatcher_messages_total{direction="user_to_device"}'] -
       before['edgeview_dispatcher_messages_total{direction="user_to_device"}'], 1, "messages")
    eq(after['edgeview_dispatcher_bytes_total{direction="user_to_device"}'] -
       before['edgeview_dispatcher_bytes_total{direction="user_to_device"}'], 3, "bytes")
    eq(after["edgeview_dispatcher_pairs_total"] - before["edgeview_dispatcher_pairs_total"], 1,
       "pairs")
    eq(after["edgeview_dispatcher_sessions_paired"], before["edgeview_dispatcher_sessions_paired"] + 1,
       "paired gauge")
    await dev.close()
    await user.close()


async def t_connection_caps(d):
    # This dispatcher runs with --max-connections 3.
    socks = []
    for i in range(3):
        ws = await d.connect(new_token(), f"n{i}-EV-server")
        await recv(ws)
        socks.append(ws)
    try:
        ws = await d.connect(new_token(), "n4-EV-server")
        got = await expect_closed(ws, 3)
        raise AssertionError(f"fourth connection admitted: {got!r}")
    except (websockets.InvalidHandshake, ConnectionError, ssl.SSLError, OSError,
            asyncio.TimeoutError):
        pass
    m = d.metrics()
    check(m['edgeview_dispatcher_rejected_total{reason="max-connections"}'] >= 1, "metric")
    for ws in socks:
        await ws.close()


async def t_slow_reader_bounded(d):
    """A user that stops reading must not grow the dispatcher, and another
    session on the same dispatcher must keep flowing."""
    _, dev, user = await pair(d)
    # The slow user reads nothing; its library pauses the socket quickly.
    user.transport.pause_reading()
    _, dev2, user2 = await pair(d)
    base = d.rss_kb()
    chunk = os.urandom(64 * 1024)
    sent = 0

    async def flood():
        nonlocal sent
        while sent < 400 * 1024 * 1024:
            await dev.send(chunk)
            sent += len(chunk)

    flood_task = asyncio.create_task(flood())
    await asyncio.sleep(3)
    # The other session still answers quickly while the flood is blocked.
    for i in range(20):
        await user2.send(f"ping {i}")
        eq(await recv(dev2, 2), f"ping {i}", "other session")
    grown = d.rss_kb() - base
    blocked_at = sent
    await asyncio.sleep(1)
    check(sent == blocked_at, f"sender was not blocked ({blocked_at} then {sent})")
    check(sent < 200 * 1024 * 1024, f"sender got {sent} bytes through a reader that reads nothing")
    check(grown < 16 * 1024 * RSS_SLACK, f"dispatcher RSS grew by {grown} KiB")
    m = d.metrics()
    check(m["edgeview_dispatcher_backpressure_total"] >= 1, "backpressure counted")
    print(f"     slow reader: sender blocked after {sent // 1024} KiB, RSS +{grown} KiB", flush=True)
    flood_task.cancel()
    for ws in (dev, user, dev2, user2):
        ws.transport.abort()


async def t_dead_peer_detected(d):
    """An endpoint that stops answering pings is closed (--ping-interval 1
    --ping-timeout 3), and its peer is told."""
    _, dev, user = await pair(d)
    user.transport.pause_reading()  # user reads nothing: no pongs
    eq(await recv(dev, 10), NO_DEVICE, "device told its dead user was dropped")
    m = d.metrics()
    check(m["edgeview_dispatcher_connections{role=\"user\"}"] == 0, "user closed")
    user.transport.abort()
    await dev.close()


async def t_handshake_timeout(d):
    """A client that connects and says nothing is cut off (--handshake-timeout 2)."""
    r, w = await asyncio.open_connection("127.0.0.1", d.port)
    start = asyncio.get_running_loop().time()
    data = await asyncio.wait_for(r.read(100), 10)
    took = asyncio.get_running_loop().time() - start
    eq(data, b"", "connection closed without data")
    check(took < 6, f"closed after {took:.1f} s")
    w.close()


async def t_header_cap(d):
    """Request headers beyond --max-header are refused."""
    import websockets as w
    headers = {"X-Session-Token": new_token(), "X-Hostname": "x", "X-Padding": "p" * 8000}
    try:
        ws = await w.connect(d.url, ssl=d.ssl, extra_headers=headers, open_timeout=5)
        got = await expect_closed(ws, 3)
        raise AssertionError(f"oversized headers accepted: {got!r}")
    except (w.InvalidHandshake, w.InvalidMessage, ConnectionError, OSError, asyncio.TimeoutError):
        pass


async def t_per_ip_cap(d):
    """--max-per-ip 2: the third websocket from 127.0.0.1 is refused."""
    a = await d.connect(new_token(), "a-EV-server")
    b = await d.connect(new_token(), "b-EV-server")
    await recv(a)
    await recv(b)
    try:
        c = await d.connect(new_token(), "c-EV-server")
        got = await expect_closed(c, 3)
        raise AssertionError(f"third connection from one address admitted: {got!r}")
    except (websockets.InvalidHandshake, ConnectionError, ssl.SSLError, OSError,
            asyncio.TimeoutError):
        pass
    check(d.metrics()['edgeview_dispatcher_rejected_total{reason="max-per-ip"}'] >= 1, "metric")
    await a.close()
    await b.close()


async def t_client_ip_headers(d, trusted):
    token = new_token()
    import websockets as w
    headers = {"X-Session-Token": token, "X-Hostname": "n-EV-server",
               "Cf-Connecting-Ip": "203.0.113.7"}
    dev = await w.connect(d.url, ssl=d.ssl, extra_headers=headers, compression=None)
    eq(await recv(dev), NO_DEVICE, "alone")
    addr = await recv(dev)
    if trusted:
        eq(addr, "YourEndPointIPAddr:203.0.113.7", "address from a trusted proxy's header")
    else:
        check(addr.startswith("YourEndPointIPAddr:127.0.0.1:"), f"spoofed header ignored: {addr}")
    await dev.close()


async def t_token_never_logged(d):
    token = new_token()
    dev = await d.connect(token, "n-EV-server")
    await recv(dev)
    await dev.close()
    await asyncio.sleep(0.2)
    with open(d.log.name) as f:
        log = f.read()
    check(token[:8] in log, "a short prefix is logged")
    check(token not in log and token[:12] not in log, "the token hash is not logged")


def main():
    res = Results()
    w = Workdir("disp")
    started = []

    def disp(*args):
        d = Dispatcher(w.path, *args)
        started.append(d)
        return d

    try:
        d = disp("--max-message", "65536", "--max-message-unpaired", "65536",
                 "--unpaired-timeout", "2")
        res.run("pairing and raw control strings in order", t_pairing_and_raw_strings, d)
        res.run("text and binary opcodes preserved", t_opcodes_preserved, d)
        res.run("fragmented messages reassembled", t_fragmented, disp())
        res.run("probe bodies", t_probe, d)
        res.run("ping, 404 and 400 routes", t_http_routes, d)
        res.run("token is required", t_token_required, d)
        res.run("third peer refused", t_third_peer_refused, d)
        res.run("same hostname replaces the old endpoint", t_same_hostname_replaces, d)
        res.run("32/16-byte hashes and instance suffixes", t_hashes_and_instances, d)
        res.run("peer-left notice", t_peer_left_notice, d)
        res.run("50th unroutable message gets the notice", t_unroutable_notice, d)
        res.run("oversized message closes only its sender", t_oversize_closes_only_sender, d)
        res.run("unpaired user times out", t_unpaired_user_times_out, d)
        res.run("metrics counters move", t_metrics_move, d)
        res.run("connection cap", t_connection_caps, disp("--max-connections", "3"))
        res.run("slow reader: memory bounded, other session flows", t_slow_reader_bounded, disp())
        live = disp("--ping-interval", "1", "--ping-timeout", "3", "--handshake-timeout", "2",
                    "--max-header", "4096")
        res.run("dead peer detected by ping timeout", t_dead_peer_detected, live)
        res.run("handshake timeout (slowloris)", t_handshake_timeout, live)
        res.run("header size cap", t_header_cap, live)
        res.run("token hash never logged in full", t_token_never_logged, live)
        res.run("client IP headers ignored from untrusted peers", t_client_ip_headers, live, False)
        res.run("client IP header believed from a trusted proxy", t_client_ip_headers,
                disp("--trusted-proxies", "127.0.0.1"), True)
        res.run("per-address connection cap", t_per_ip_cap, disp("--max-per-ip", "2"))
        res.run("poll(2) event loop works too", t_pairing_and_raw_strings,
                disp("--event-loop", "poll"))
    finally:
        # Every dispatcher must exit 0 on SIGTERM (under ASan: no leaks).
        for d in started:
            rc = d.stop()
            if rc != 0:
                res.failed += 1
                print(f"FAIL dispatcher on port {d.port} exited {rc} after SIGTERM")
                with open(d.log.name) as f:
                    print(f.read()[-3000:])
        w.cleanup()
    res.finish()


if __name__ == "__main__":
    main()
