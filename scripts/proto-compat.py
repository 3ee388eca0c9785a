#!/usr/bin/python3
"""Check proto/*.proto against EVE's own API schema, field by field.

    scripts/proto-compat.py [EVE_GIT_DIR]     (default /work/.mirror/lf-edge+eve/repo)

EVE vendors eve-api's generated Go code; each .pb.go embeds its file descriptor as a
byte array.  This script reads those descriptors (read-only, nothing is copied into our
tree) and checks that every message, field and enum value in proto/ exists in EVE's schema
with the same full name, number, wire type, label and oneof.  Our files are subsets, so
extra EVE fields are fine: decoders skip unknown fields.  Exit 0 when compatible,
1 on a mismatch, 77 when the EVE tree is not available.
"""
import os, re, subprocess, sys, tempfile

from google.protobuf import descriptor_pb2

GO_API = 'pkg/pillar/vendor/github.com/lf-edge/eve-api/go'
ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))

def eve_descriptors(gitdir):
    names = subprocess.check_output(['git', '-C', gitdir, 'ls-tree', '-r', '--name-only',
                                     'HEAD', GO_API], text=True).split()
    out = []
    for name in names:
        if not name.endswith('.pb.go'):
            continue
        src = subprocess.check_output(['git', '-C', gitdir, 'show', 'HEAD:' + name], text=True)
        m = re.search(r'_rawDesc = \[\]byte\{(.*?)\n\}', src, re.S)
        if m:
            raw = bytes(int(x, 16) for x in re.findall(r'0x[0-9a-fA-F]{2}', m.group(1)))
        else:  # newer protoc-gen-go: a string constant
            m = re.search(r'_rawDesc = ((?:"(?:[^"\\]|\\.)*"\s*\+?\s*)+)', src)
            if not m:
                continue
            parts = re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(1))
            raw = b''.join(p.encode('latin1').decode('unicode_escape').encode('latin1')
                           for p in parts)
        fd = descriptor_pb2.FileDescriptorProto()
        fd.ParseFromString(raw)
        out.append(fd)
    return out

def ours():
    files = []
    for d, _, fs in os.walk(os.path.join(ROOT, 'proto')):
        files += [os.path.relpath(os.path.join(d, f), os.path.join(ROOT, 'proto'))
                  for f in fs if f.endswith('.proto')]
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, 'ours.fds')
        subprocess.check_call(['protoc', '-I' + os.path.join(ROOT, 'proto'), '--include_imports',
                               '--descriptor_set_out=' + out] + sorted(files))
        s = descriptor_pb2.FileDescriptorSet()
        with open(out, 'rb') as f:
            s.ParseFromString(f.read())
    return list(s.file)

def index(files):
    msgs, enums = {}, {}
    def walk(m, prefix):
        full = prefix + '.' + m.name
        msgs[full] = m
        for e in m.enum_type:
            enums[full + '.' + e.name] = e
        for n in m.nested_type:
            walk(n, full)
    for f in files:
        for e in f.enum_type:
            enums['.' + f.package + '.' + e.name] = e
        for m in f.message_type:
            walk(m, '.' + f.package)
    return msgs, enums

def main():
    gitdir = sys.argv[1] if len(sys.argv) > 1 else '/work/.mirror/lf-edge+eve/repo'
    if not os.path.isdir(gitdir):
        print('proto-compat: no EVE tree at', gitdir, '(skipped)')
        return 77
    em, ee = index(eve_descriptors(gitdir))
    om, oe = index(ours())
    bad = nfields = 0
    def oneof(m, f):
        return m.oneof_decl[f.oneof_index].name if f.HasField('oneof_index') else None
    for name, m in sorted(om.items()):
        if name.startswith('.google.protobuf.'):
            continue
        if name not in em:
            print('missing in EVE: message', name)
            bad += 1
            continue
        theirs = {f.number: f for f in em[name].field}
        for f in m.field:
            nfields += 1
            e = theirs.get(f.number)
            if e is None:
                print('missing in EVE: field %s.%s = %d' % (name, f.name, f.number))
                bad += 1
                continue
            for attr in ('name', 'type', 'label', 'type_name'):
                if getattr(f, attr) != getattr(e, attr):
                    print('%s.%s: %s is %r, EVE has %r' % (name, f.name, attr,
                                                           getattr(f, attr), getattr(e, attr)))
                    bad += 1
            if oneof(m, f) != oneof(em[name], e):
                print('%s.%s: oneof differs' % (name, f.name))
                bad += 1
    for name, e in sorted(oe.items()):
        if name.startswith('.google.protobuf.'):
            continue
        theirs = {v.number: v.name for v in ee.get(name, descriptor_pb2.EnumDescriptorProto()).value}
        for v in e.value:
            if theirs.get(v.number) != v.name:
                print('enum %s: %s = %d, EVE has %r' % (name, v.name, v.number,
                                                        theirs.get(v.number)))
                bad += 1
    print('proto-compat: %d messages, %d fields, %d enums; %d problems'
          % (sum(1 for n in om if not n.startswith('.google.')), nfields, len(oe), bad))
    return 1 if bad else 0

sys.exit(main())
