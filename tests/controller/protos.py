"""Message classes built at start-up from OUR proto/*.proto files.

protoc compiles every .proto under proto/ into one FileDescriptorSet (in a temporary
directory); the set is loaded into a private DescriptorPool. Nothing is imported from disk,
so no generated module can shadow a test module (EVE's package directories are called
config/, info/, logs/ ...) and our minimal google/protobuf/timestamp.proto does not collide
with python3-protobuf's own Timestamp in the default pool.

    P = load()                      # cached per proto directory
    ac = P.AuthContainer()          # by short name when unique
    P.msg("org.lfedge.eve.info.ZInfoMsg")
    P.enum("ZiEdgeview")            # an enum value number, by name
"""
import os
import shutil
import subprocess
import tempfile
import threading

from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "../.."))
DEFAULT_PROTO_DIR = os.path.join(ROOT, "proto")

_cache = {}
_lock = threading.Lock()


class ProtoError(RuntimeError):
    pass


class Protos:
    def __init__(self, proto_dir=DEFAULT_PROTO_DIR):
        self.proto_dir = os.path.abspath(proto_dir)
        if not shutil.which("protoc"):
            raise ProtoError("protoc not found (install protobuf-compiler)")
        files = []
        for d, _, names in os.walk(self.proto_dir):
            for n in names:
                if n.endswith(".proto"):
                    files.append(os.path.relpath(os.path.join(d, n), self.proto_dir))
        if not files:
            raise ProtoError(f"no .proto files under {self.proto_dir}")
        files.sort()
        with tempfile.TemporaryDirectory(prefix="evctl-proto-") as tmp:
            out = os.path.join(tmp, "all.pb")
            p = subprocess.run(["protoc", "--include_imports", f"--descriptor_set_out={out}",
                                f"-I{self.proto_dir}"] + files, capture_output=True, text=True)
            if p.returncode != 0:
                raise ProtoError(f"protoc failed: {p.stderr.strip()}")
            with open(out, "rb") as f:
                fds = descriptor_pb2.FileDescriptorSet.FromString(f.read())
        self.pool = descriptor_pool.DescriptorPool()
        for fdp in fds.file:  # --include_imports writes dependencies first
            self.pool.Add(fdp)
        factory = message_factory.MessageFactory(self.pool)
        self.messages = factory.GetMessages([fdp.name for fdp in fds.file])
        self._short = {}
        for full in self.messages:
            short = full.rsplit(".", 1)[-1]
            self._short.setdefault(short, []).append(full)
        self._enum_values = {}
        for fdp in fds.file:
            fd = self.pool.FindFileByName(fdp.name)
            enums = list(fd.enum_types_by_name.values())
            stack = list(fd.message_types_by_name.values())
            while stack:
                m = stack.pop()
                enums.extend(m.enum_types)
                stack.extend(m.nested_types)
            for e in enums:
                for v in e.values:
                    self._enum_values.setdefault(v.name, []).append((e.full_name, v.number))

    def msg(self, name):
        """The message class for a full name or a unique short name."""
        if name in self.messages:
            return self.messages[name]
        fulls = self._short.get(name)
        if not fulls:
            raise KeyError(f"no message {name} in {self.proto_dir}")
        if len(fulls) > 1:
            raise KeyError(f"message name {name} is ambiguous: {fulls}")
        return self.messages[fulls[0]]

    def has(self, name):
        try:
            self.msg(name)
            return True
        except KeyError:
            return False

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self.msg(name)
        except KeyError as e:
            raise AttributeError(str(e)) from None

    def enum(self, value_name, enum_full_name=None):
        """Number of an enum value by its name (unique across our files, or qualified)."""
        cands = self._enum_values.get(value_name, [])
        if enum_full_name:
            cands = [c for c in cands if c[0] == enum_full_name]
        if not cands:
            raise KeyError(f"no enum value {value_name}")
        if len(cands) > 1:
            raise KeyError(f"enum value {value_name} is ambiguous: {cands}")
        return cands[0][1]

    def enum_name(self, enum_full_name, number):
        e = self.pool.FindEnumTypeByName(enum_full_name)
        v = e.values_by_number.get(number)
        return v.name if v else str(number)

    def to_dict(self, m):
        """protojson-like dict (camelCase names, int64 as strings), as Adam stores it."""
        return json_format.MessageToDict(m, descriptor_pool=self.pool)


def load(proto_dir=DEFAULT_PROTO_DIR):
    key = os.path.abspath(proto_dir)
    with _lock:
        p = _cache.get(key)
        if p is None:
            p = Protos(key)
            _cache[key] = p
        return p
