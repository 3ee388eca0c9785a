#!/usr/bin/python3
"""A minimal HTTP CONNECT proxy for tests: 127.0.0.1 only, logs each CONNECT
target on stdout, tunnels bytes both ways.  Usage: connect_proxy.py PORT"""
import asyncio
import sys


async def pipe(r, w):
    try:
        while data := await r.read(65536):
            w.write(data)
            await w.drain()
    except ConnectionError:
        pass
    finally:
        w.close()


async def handle(r, w):
    line = (await r.readline()).decode(errors="replace").split()
    while (await r.readline()) not in (b"\r\n", b"\n", b""):
        pass
    if len(line) < 2 or line[0] != "CONNECT":
        w.write(b"HTTP/1.1 405 Method Not Allowed\r\n\r\n")
        w.close()
        return
    host, port = line[1].rsplit(":", 1)
    print(f"CONNECT {line[1]}", flush=True)
    if host not in ("127.0.0.1", "localhost"):
        w.write(b"HTTP/1.1 403 Forbidden\r\n\r\n")  # tests stay on loopback
        w.close()
        return
    ur, uw = await asyncio.open_connection(host, int(port))
    w.write(b"HTTP/1.1 200 Connection Established\r\n\r\n")
    await w.drain()
    await asyncio.gather(pipe(r, uw), pipe(ur, w))


async def main(port):
    server = await asyncio.start_server(handle, "127.0.0.1", port)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


asyncio.run(main(int(sys.argv[1])))
