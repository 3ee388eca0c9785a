"""newlogs batches as Adam reads them: Go's gzip.Reader, then a default bufio.Scanner.

Behaviours copied (device-api 6.2 and Adam's newLogsProcess):
- header errors (magic, method, FHCRC, FNAME/FCOMMENT of 512 bytes or more: Go reads them
  into a 512-byte buffer) fail the batch (400);
- errors in the body (bad deflate, CRC/size trailer, a bad next member) only end reading:
  Adam ignores scanner errors, so the lines read so far count and the reply is 201;
- a line of 64 KiB or more stops reading silently;
- the first member's FCOMMENT is JSON of LogBundle metadata; FNAME and MTIME are kept.
"""
import struct
import zlib

MAX_LINE = 64 * 1024 - 1  # bufio.MaxScanTokenSize, including the newline
_GO_HDR_STRING_MAX = 511  # Go reads FNAME/FCOMMENT into a [512]byte buffer, NUL included


class GzipHeaderError(ValueError):
    pass


def _read_cstring(data, pos, what):
    end = data.find(b"\0", pos)
    if end < 0:
        raise GzipHeaderError(f"unterminated {what}")
    if end - pos > _GO_HDR_STRING_MAX:
        raise GzipHeaderError(f"{what} longer than Go's 512-byte header buffer")
    # Go converts Latin-1 to UTF-8.
    return data[pos:end].decode("latin-1"), end + 1


def _header(data, pos):
    if len(data) - pos < 10:
        raise GzipHeaderError("short gzip header")
    id1, id2, cm, flg, mtime, _xfl, _os = struct.unpack_from("<BBBBIBB", data, pos)
    if id1 != 0x1F or id2 != 0x8B or cm != 8:
        raise GzipHeaderError("not a gzip member")
    start = pos
    pos += 10
    hdr = {"mtime": mtime, "name": None, "comment": None, "extra": None}
    if flg & 4:
        if len(data) - pos < 2:
            raise GzipHeaderError("short FEXTRA")
        (xlen,) = struct.unpack_from("<H", data, pos)
        pos += 2
        if len(data) - pos < xlen:
            raise GzipHeaderError("short FEXTRA")
        hdr["extra"] = data[pos:pos + xlen]
        pos += xlen
    if flg & 8:
        hdr["name"], pos = _read_cstring(data, pos, "FNAME")
    if flg & 16:
        hdr["comment"], pos = _read_cstring(data, pos, "FCOMMENT")
    if flg & 2:
        if len(data) - pos < 2:
            raise GzipHeaderError("short FHCRC")
        (crc16,) = struct.unpack_from("<H", data, pos)
        if crc16 != zlib.crc32(data[start:pos]) & 0xFFFF:
            raise GzipHeaderError("header checksum mismatch")
        pos += 2
    return hdr, pos


def gunzip(data, max_out=64 << 20):
    """Returns (first header dict, decompressed bytes, error text or None).

    Raises GzipHeaderError when Go's gzip.NewReader would fail."""
    data = bytes(data)
    first, pos = _header(data, 0)
    out = bytearray()
    err = None
    while True:
        d = zlib.decompressobj(-15)
        try:
            chunk = d.decompress(data[pos:], max_out - len(out) + 1)
        except zlib.error as e:
            err = f"deflate: {e}"
            break
        out += chunk
        if len(out) > max_out:
            del out[max_out:]
            err = "decompressed size cap reached"
            break
        if not d.eof:
            err = "unexpected EOF in deflate data"
            break
        rest = d.unused_data
        member_start = len(out) - len(chunk)
        if len(rest) < 8:
            err = "unexpected EOF in gzip trailer"
            break
        crc, isize = struct.unpack_from("<II", rest, 0)
        body = bytes(out[member_start:])
        if crc != zlib.crc32(body) or isize != len(body) & 0xFFFFFFFF:
            err = "gzip checksum error"
            break
        rest = rest[8:]
        if not rest:
            break
        try:
            _, used = _header(rest, 0)
        except GzipHeaderError as e:
            err = f"next member: {e}"
            break
        data = rest
        pos = used
    return first, bytes(out), err


def scan_lines(data):
    """Tokens as Go's bufio.Scanner with ScanLines yields them, and why scanning stopped
    early (None when it reached the end)."""
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()  # a final newline ends the last token; no empty token follows
    out = []
    for ln in lines:
        if len(ln) >= MAX_LINE + 1:
            return out, "token too long (64 KiB)"
        if ln.endswith(b"\r"):
            ln = ln[:-1]
        out.append(ln)
    return out, None
