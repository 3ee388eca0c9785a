#!/usr/bin/python3
"""Regenerate the AuthContainer / ZControllerCert fixtures of test_authc and test_ctrlcerts.

An encoder independent of ours (Python protobuf over proto/*.proto, pyca/cryptography for
ECDSA) plays the controller the way Adam does (device-api section 7.6): the signing
certificate is the spec's EC test certificate (vectors.json "ec_cert_pem"), sent as trimmed
PEM (no trailing newline), certHash = first 16 bytes of SHA-256(trimmed PEM), algo 1; the
config response is signed over SHA-256(payload) as raw r || s.

    cd tests/data/authc && /usr/bin/python3 make_fixtures.py
ECDSA signatures are randomized, so the .pb files change on every run; the tests only
check that they verify.
"""
import hashlib, json, os, subprocess, tempfile

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, '..', '..', '..'))

def classes():
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, 'all.fds')
        files = ['auth/auth.proto', 'certs/certs.proto', 'config/devconfig.proto']
        subprocess.check_call(['protoc', '-I' + os.path.join(ROOT, 'proto'), '--include_imports',
                               '--descriptor_set_out=' + out] + files)
        fds = descriptor_pb2.FileDescriptorSet()
        with open(out, 'rb') as f:
            fds.ParseFromString(f.read())
    pool = descriptor_pool.DescriptorPool()  # private: no clash with the real timestamp_pb2
    for fd in fds.file:
        pool.Add(fd)
    factory = message_factory.MessageFactory(pool)  # protobuf 3.x API (Debian bookworm)
    get = lambda n: factory.GetPrototype(pool.FindMessageTypeByName(n))
    return (get('org.lfedge.eve.auth.AuthContainer'), get('org.lfedge.eve.certs.ZControllerCert'),
            get('org.lfedge.eve.config.ConfigResponse'))

def main():
    AuthContainer, ZControllerCert, ConfigResponse = classes()
    with open(os.path.join(ROOT, 'tests', 'data', 'vectors.json')) as f:
        vec = json.load(f)
    cert_pem = vec['ec_cert_pem'].strip().encode()  # Adam trims the PEM
    key = serialization.load_pem_private_key(vec['ec_private_pem_pkcs8'].encode(), None)
    h = hashlib.sha256(cert_pem).digest()

    zc = ZControllerCert()
    for t in (1, 3):  # SIGNING, ECDH_EXCHANGE (the same certificate: a fixture shortcut)
        c = zc.certs.add()
        c.hashAlgo, c.certHash, c.type, c.cert = 1, h[:16], t, cert_pem
    certs = zc.SerializeToString()

    def container(payload, algo, sender_hash):
        der = key.sign(payload, ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        ac = AuthContainer()
        ac.protectedPayload.payload = payload
        ac.algo, ac.senderCertHash = algo, sender_hash
        ac.signatureHash = r.to_bytes(32, 'big') + s.to_bytes(32, 'big')
        return ac.SerializeToString()

    cr = ConfigResponse()
    cr.configHash = 'fixture-hash-1'
    cr.config.id.uuid = '0c6b3a6e-8f1f-4a5d-9a53-2f0f5c3e9b01'
    cr.config.id.version = '7'
    cr.config.controller_epoch = 3
    cr.config.edgeview.token = vec['jwtA']['token']
    cr.config.edgeview.dev_policy.allow_dev = True
    cr.config.edgeview.generation_id = 2
    item = cr.config.configItems.add()
    item.key, item.value = 'timer.config.interval', '10'
    cr.config.config_timestamp.seconds = 1767225600
    payload = cr.SerializeToString()

    out = {
        'roots.pem': vec['ec_cert_pem'].encode(),
        'certs.pb': certs,
        'certs_ac.pb': container(certs, 2, h),
        'config_ac.pb': container(payload, 2, h),
        'config_ac16.pb': container(payload, 1, h[:16]),
    }
    for name, data in out.items():
        with open(os.path.join(HERE, name), 'wb') as f:
            f.write(data)

main()
