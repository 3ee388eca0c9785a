"""Certificates, keys and signatures for the test controller and its test devices.

The controller's PKI follows device-api section 7.3: one P-256 root CA issuing a TLS server
leaf, a signing leaf and an ECDH ("encrypt") leaf, each file holding leaf + CA the way Adam
writes them. Devices get EVE's self-signed device-certificate template (section 2.2).
Everything here uses python3-cryptography only.
"""
import datetime
import hashlib
import ipaddress
import os
import secrets

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

P256 = ec.SECP256R1


def sha256(data):
    return hashlib.sha256(data).digest()


def new_key():
    return ec.generate_private_key(P256())


def _name(cn, org=None):
    attrs = []
    if org:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    return x509.Name(attrs)


def _now():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)


def _serial():
    # 128 random bits with the top bit clear: a positive DER INTEGER of at most 16 bytes.
    return secrets.randbits(127) | 1


def make_ca(cn="test-controller-root", key=None, days=3650):
    """A self-signed P-256 root CA. Returns (cert, key)."""
    key = key or new_key()
    now = _now()
    b = (x509.CertificateBuilder().subject_name(_name(cn, "EVE test controller"))
         .issuer_name(_name(cn, "EVE test controller")).public_key(key.public_key())
         .serial_number(_serial()).not_valid_before(now - datetime.timedelta(days=1))
         .not_valid_after(now + datetime.timedelta(days=days))
         .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
         .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                      key_encipherment=False, data_encipherment=False,
                                      key_agreement=False, key_cert_sign=True, crl_sign=True,
                                      encipher_only=False, decipher_only=False), critical=True)
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                        critical=False))
    return b.sign(key, hashes.SHA256()), key


def issue_leaf(ca_cert, ca_key, cn, *, key=None, dns=(), ips=(), key_agreement=False,
               not_before=None, not_after=None, eku=(ExtendedKeyUsageOID.SERVER_AUTH,)):
    """A leaf signed by ca_cert/ca_key. Returns (cert, key)."""
    key = key or new_key()
    now = _now()
    not_before = not_before or now - datetime.timedelta(days=1)
    not_after = not_after or now + datetime.timedelta(days=3650)
    b = (x509.CertificateBuilder().subject_name(_name(cn, "EVE test controller"))
         .issuer_name(ca_cert.subject).public_key(key.public_key()).serial_number(_serial())
         .not_valid_before(not_before).not_valid_after(not_after)
         .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
         .add_extension(x509.KeyUsage(digital_signature=not key_agreement,
                                      content_commitment=False, key_encipherment=False,
                                      data_encipherment=False, key_agreement=key_agreement,
                                      key_cert_sign=False, crl_sign=False, encipher_only=False,
                                      decipher_only=False), critical=True)
         .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                        critical=False))
    if eku:
        b = b.add_extension(x509.ExtendedKeyUsage(list(eku)), critical=False)
    sans = [x509.DNSName(d) for d in dns] + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
    if sans:
        b = b.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return b.sign(ca_key, hashes.SHA256()), key


def make_device_cert(key=None, cn="EVE", org="The Linux Foundation"):
    """EVE's device certificate template (device-api 2.2): self-signed P-256, IsCA, 20 years.

    Also fine as an onboarding certificate. Returns (cert, key)."""
    key = key or new_key()
    nb = _now() - datetime.timedelta(days=1)
    b = (x509.CertificateBuilder().subject_name(_name(cn, org)).issuer_name(_name(cn, org))
         .public_key(key.public_key()).serial_number(_serial()).not_valid_before(nb)
         .not_valid_after(nb + datetime.timedelta(days=20 * 365))
         .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
         .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                      key_encipherment=False, data_encipherment=False,
                                      key_agreement=False, key_cert_sign=True, crl_sign=False,
                                      encipher_only=False, decipher_only=False), critical=True)
         .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH,
                                               ExtendedKeyUsageOID.SERVER_AUTH]),
                        critical=False))
    return b.sign(key, hashes.SHA256()), key


def cert_pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


def cert_der(cert):
    return cert.public_bytes(serialization.Encoding.DER)


def key_pem(key, fmt="pkcs8"):
    """PEM of a private key: 'pkcs8' (PRIVATE KEY) or 'sec1' (EC PRIVATE KEY)."""
    f = (serialization.PrivateFormat.PKCS8 if fmt == "pkcs8"
         else serialization.PrivateFormat.TraditionalOpenSSL)
    return key.private_bytes(serialization.Encoding.PEM, f, serialization.NoEncryption())


def load_key(pem):
    return serialization.load_pem_private_key(pem, password=None)


def load_cert(pem):
    return x509.load_pem_x509_certificate(pem)


def split_pem_certs(data):
    """Split a PEM file as Adam does (Go SplitAfter on END CERTIFICATE, then TrimSpace).

    Returns the trimmed PEM blocks (bytes, no trailing newline)."""
    return _split_after(data, b"-----END CERTIFICATE-----")


def _split_after(data, marker):
    out = []
    start = 0
    while True:
        i = data.find(marker, start)
        if i < 0:
            tail = data[start:].strip()
            if tail:
                out.append(tail)
            return out
        blk = data[start:i + len(marker)].strip()
        if blk:
            out.append(blk)
        start = i + len(marker)


def write_file(path, data, mode=0o644):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


# ---- signatures --------------------------------------------------------------------------


def sign_raw(key, data):
    """ECDSA P-256 over SHA-256(data), as raw r||s with each half left-padded (EVE's form)."""
    der = key.sign(data, ec.ECDSA(hashes.SHA256()))
    r, s = utils.decode_dss_signature(der)
    n = (key.curve.key_size + 7) // 8
    return r.to_bytes(n, "big") + s.to_bytes(n, "big")


def sign_digest_raw(key, digest):
    der = key.sign(digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))
    r, s = utils.decode_dss_signature(der)
    n = (key.curve.key_size + 7) // 8
    return r.to_bytes(n, "big") + s.to_bytes(n, "big")


def _looks_der(sig):
    try:
        utils.decode_dss_signature(sig)
        return True
    except ValueError:
        return False


def verify_payload_sig(pub, sig, payload):
    """Adam's verifySignature: RSA PKCS#1 v1.5, or ECDSA as DER when it parses, else raw r||s.

    Unlike Adam, a short signature is a plain failure instead of a panic."""
    digest = sha256(payload)
    try:
        if isinstance(pub, rsa.RSAPublicKey):
            pub.verify(sig, digest, padding.PKCS1v15(), utils.Prehashed(hashes.SHA256()))
            return True
        if not isinstance(pub, ec.EllipticCurvePublicKey):
            return False
        n = (pub.curve.key_size + 7) // 8
        if n % 8:
            return False
        if _looks_der(sig):
            der = sig
        else:
            if len(sig) < 2 * n:
                return False
            # Go slices [0:n] and [n:]; extra trailing bytes end up in s and fail there.
            r = int.from_bytes(sig[:n], "big")
            s = int.from_bytes(sig[n:], "big")
            if r == 0 or s == 0 or s.bit_length() > 8 * n:
                return False
            der = utils.encode_dss_signature(r, s)
        pub.verify(der, digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))
        return True
    except (InvalidSignature, ValueError):
        return False


def verify_raw_es256(pub, sig, data):
    """Strict ES256: exactly 64 bytes r||s over SHA-256(data)."""
    if len(sig) != 64:
        return False
    der = utils.encode_dss_signature(int.from_bytes(sig[:32], "big"),
                                     int.from_bytes(sig[32:], "big"))
    try:
        pub.verify(der, data, ec.ECDSA(hashes.SHA256()))
        return True
    except InvalidSignature:
        return False


def issued_by(cert, issuer):
    """True when issuer's key signed cert (ECDSA or RSA); no time or extension checks."""
    pub = issuer.public_key()
    try:
        if isinstance(pub, ec.EllipticCurvePublicKey):
            pub.verify(cert.signature, cert.tbs_certificate_bytes,
                       ec.ECDSA(cert.signature_hash_algorithm))
        else:
            pub.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(),
                       cert.signature_hash_algorithm)
        return cert.issuer == issuer.subject
    except InvalidSignature:
        return False
