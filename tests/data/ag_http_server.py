#!/usr/bin/python3
"""HTTPS test server for tests/unit/test_ag_http.c (agent/http.c).

Usage: ag_http_server.py DIR.  DIR holds the certificates the test made with
openssl.  Listens on 127.0.0.1 only and prints one line:
  ready MAIN OTHER_CA WRONG_NAME SILENT TLS11
MAIN: leaf of ca1 for localhost/127.0.0.1; OTHER_CA: the same names from ca2;
WRONG_NAME: ca1 leaf for wrong.example only; SILENT: TCP that never speaks
TLS; TLS11: a server capped at TLS 1.1.  The paths of MAIN (on every TLS
port) choose the behaviour; see route()."""
import email.utils
import http.server
import os
import socket
import socketserver
import ssl
import sys
import threading
import time

D = sys.argv[1]


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def send(self, code, body=b"", ctype=None, extra=(), length=True):
        self.send_response(code)
        if ctype:
            self.send_header("Content-Type", ctype)
        for k, v in extra:
            self.send_header(k, v)
        if length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
        self.close_connection = True

    def raw(self, data):
        self.wfile.write(data)
        self.wfile.flush()

    def chunked_head(self, code=200, te="chunked"):
        self.raw(f"HTTP/1.1 {code} OK\r\nContent-Type: text/plain\r\n"
                 f"Transfer-Encoding: {te}\r\n\r\n".encode())

    def do_GET(self):
        self.route(b"")

    def do_POST(self):
        self.route(self.read_body())

    def route(self, body):
        p, _, query = self.path.partition("?")
        parts = p.split("/")
        self.close_connection = True
        if p == "/inspect":
            lines = [f"method: {self.command}", f"path: {self.path}"]
            for k in ("Host", "Content-Type", "Content-Length", "X-Request-Id",
                      "X-Serial-Number", "X-Soft-Serial", "Transfer-Encoding",
                      "Connection"):
                v = self.headers.get(k)
                lines.append(f"{k.lower()}: {v if v is not None else '-'}")
            lines.append(f"count-x-request-id: {len(self.headers.get_all('X-Request-Id') or [])}")
            lines.append("body: " + body.hex())
            self.send(200, ("\n".join(lines) + "\n").encode(), "text/plain; charset=utf-8")
        elif p == "/echo":
            self.send(200, body, "application/x-proto-binary")
        elif p.startswith("/status/"):
            code = int(parts[2])
            text = query[5:].encode() if query.startswith("body=") else b""
            if code in (204, 304):
                # No length, and the connection stays open a while: the
                # client must not wait for a body.
                self.send_response(code)
                self.end_headers()
                self.wfile.flush()
                time.sleep(5)
            elif text:
                self.send(code, text + b"\n", "text/plain; charset=utf-8")
            else:
                self.send(code)
        elif p == "/retry":
            self.send(503, b"upgrading\n", "text/plain", [("Retry-After", "7")])
        elif p == "/retrydate":
            when = email.utils.formatdate(time.time() + 120, usegmt=True)
            self.send(429, b"slow down\n", "text/plain", [("Retry-After", when)])
        elif p.startswith("/big/"):
            self.send(200, b"x" * int(parts[2]), "application/octet-stream")
        elif p.startswith("/bigchunked/"):
            n = int(parts[2])
            self.chunked_head()
            while n > 0:
                k = min(n, 1000)
                self.raw(b"%x\r\n%s\r\n" % (k, b"y" * k))
                n -= k
            self.raw(b"0\r\n\r\n")
        elif p == "/chunked":
            self.chunked_head()
            for piece in (b"hello, ", b"chunked ", b"world"):
                self.raw(b"%x\r\n%s\r\n" % (len(piece), piece))
                time.sleep(0.05)
            self.raw(b"0\r\n\r\n")
        elif p == "/eof":
            self.raw(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n"
                     b"until the end")
        elif p == "/truncated":
            self.raw(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789")
        elif p == "/truncchunked":
            self.chunked_head()
            self.raw(b"5\r\nhello\r\n")
        elif p == "/close":
            pass
        elif p == "/noanswer":
            time.sleep(10)
        elif p == "/slowbody":
            self.raw(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789")
            time.sleep(10)
        elif p == "/badcl":
            self.raw(b"HTTP/1.1 200 OK\r\nContent-Length: 12abc\r\n\r\n")
        elif p == "/gzipte":
            self.chunked_head(te="gzip, chunked")
            self.raw(b"0\r\n\r\n")
        elif p == "/longtype":
            self.send(200, b"z", "application/" + "x" * 200)
        elif p == "/hugeheaders":
            self.send(200, b"z", "text/plain", [(f"X-Filler-{i}", "f" * 100) for i in range(100)])
        elif p == "/redirect":
            self.send(302, b"", None, [("Location", "/inspect")])
        else:
            self.send(404, b"404 page not found\n", "text/plain; charset=utf-8")


class TLSServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True

    def __init__(self, ctx):
        self.ctx = ctx
        super().__init__(("127.0.0.1", 0), Handler)

    def finish_request(self, request, client_address):
        # The handshake runs in the connection's thread, so a client that
        # fails it (or never starts it) cannot stall accept().
        try:
            conn = self.ctx.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        try:
            self.RequestHandlerClass(conn, client_address, self)
        except (ssl.SSLError, OSError):
            pass
        finally:
            conn.close()


def tls_ctx(cert, maxver=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(os.path.join(D, cert + ".pem"), os.path.join(D, cert + ".key"))
    if maxver is not None:
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        ctx.maximum_version = maxver
    return ctx


def serve(srv):
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv.server_address[1]


def silent():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(16)
    held = []

    def loop():
        while True:
            c, _ = s.accept()
            held.append(c)  # never read, never answer

    threading.Thread(target=loop, daemon=True).start()
    return s.getsockname()[1]


ports = [serve(TLSServer(tls_ctx("srv"))), serve(TLSServer(tls_ctx("other"))),
         serve(TLSServer(tls_ctx("wrong"))), silent()]
try:
    ports.append(serve(TLSServer(tls_ctx("srv", ssl.TLSVersion.TLSv1_1))))
except (ssl.SSLError, ValueError):
    ports.append(0)  # this OpenSSL cannot serve TLS 1.1 at all
print("ready " + " ".join(map(str, ports)), flush=True)
threading.Event().wait()
