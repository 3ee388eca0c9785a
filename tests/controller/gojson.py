"""Just enough of Go's encoding/json to judge newlogs input the way Adam does.

Adam decodes the gzip FCOMMENT into logs.LogBundle and each line into logs.LogEntry with
json.Unmarshal on the Go structs generated from the protos. That means: keys match
case-insensitively, unknown keys are ignored, null leaves a field alone, any type mismatch
(e.g. an RFC 3339 string where the Timestamp struct {"seconds","nanos"} is expected, or a
fraction in an integer) fails the whole message, and invalid UTF-8 is replaced, not refused.
Also Go-style string quoting for minting JWTs with the same bytes EVE's controller makes.
"""
import json


class GoJSONError(ValueError):
    pass


class _Num(str):
    """A JSON number literal kept as text, so integer fields can refuse 1.0 or 1e3."""


_INT_RANGES = {
    "int32": (-(1 << 31), (1 << 31) - 1),
    "int64": (-(1 << 63), (1 << 63) - 1),
    "uint32": (0, (1 << 32) - 1),
    "uint64": (0, (1 << 64) - 1),
}

TIMESTAMP = {"seconds": "int64", "nanos": "int32"}
LOG_ENTRY = {
    "severity": "string", "source": "string", "iid": "string", "content": "string",
    "msgid": "uint64", "tags": "map_string", "timestamp": TIMESTAMP, "filename": "string",
    "function": "string",
}
LOG_BUNDLE = {
    "devID": "string", "image": "string", "log": ("list", LOG_ENTRY), "timestamp": TIMESTAMP,
    "eveVersion": "string",
}


def _reject_constant(name):
    raise GoJSONError(f"invalid character in literal {name}")


def _parse(data):
    if isinstance(data, (bytes, bytearray)):
        data = bytes(data).decode("utf-8", errors="replace")
    try:
        return json.loads(data, parse_int=_Num, parse_float=_Num, parse_constant=_reject_constant)
    except json.JSONDecodeError as e:
        raise GoJSONError(f"syntax error: {e}") from None


def _decode(v, schema, path):
    if v is None:
        return None
    if isinstance(schema, dict):
        if not isinstance(v, dict):
            raise GoJSONError(f"cannot unmarshal {_kind(v)} into {path or 'object'}")
        out = {}
        lower = {k.lower(): k for k in schema}
        for k, x in v.items():
            name = k if k in schema else lower.get(k.lower())
            if name is None:
                continue
            d = _decode(x, schema[name], f"{path}.{name}" if path else name)
            if d is not None:
                out[name] = d
        return out
    if isinstance(schema, tuple) and schema[0] == "list":
        if not isinstance(v, list):
            raise GoJSONError(f"cannot unmarshal {_kind(v)} into {path} (array)")
        return [_decode(x, schema[1], f"{path}[{i}]") for i, x in enumerate(v)]
    if schema == "string":
        if not isinstance(v, str) or isinstance(v, _Num):
            raise GoJSONError(f"cannot unmarshal {_kind(v)} into {path} (string)")
        return v
    if schema == "map_string":
        if not isinstance(v, dict):
            raise GoJSONError(f"cannot unmarshal {_kind(v)} into {path} (map)")
        out = {}
        for k, x in v.items():
            if x is None:
                out[k] = ""
            elif isinstance(x, str) and not isinstance(x, _Num):
                out[k] = x
            else:
                raise GoJSONError(f"cannot unmarshal {_kind(x)} into {path}[{k}] (string)")
        return out
    if schema in _INT_RANGES:
        if not isinstance(v, _Num):
            raise GoJSONError(f"cannot unmarshal {_kind(v)} into {path} ({schema})")
        try:
            n = int(v, 10)
        except ValueError:
            raise GoJSONError(f"cannot unmarshal number {v} into {path} ({schema})") from None
        lo, hi = _INT_RANGES[schema]
        if not lo <= n <= hi:
            raise GoJSONError(f"cannot unmarshal number {v} into {path} ({schema})")
        return n
    raise AssertionError(f"bad schema {schema!r}")


def _kind(v):
    if isinstance(v, _Num):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, list):
        return "array"
    if isinstance(v, dict):
        return "object"
    return type(v).__name__


def unmarshal(data, schema):
    """Go json.Unmarshal into a struct described by schema; returns a dict of set fields
    (None for a top-level null). Raises GoJSONError where Go would return an error."""
    return _decode(_parse(data), schema, "")


def go_string(s):
    """A JSON string exactly as Go's encoding/json writes it (HTML-safe escapes)."""
    out = ['"']
    for ch in s:
        o = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif o < 0x20 or ch in "<>&" or o in (0x2028, 0x2029):
            out.append(f"\\u{o:04x}")
        elif 0xD800 <= o <= 0xDFFF:
            out.append("\ufffd")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)
