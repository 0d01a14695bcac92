#!/usr/bin/python3
"""An independent implementation of the MedCrypt envelope format v1 (lib/envelope/SPEC.md),
written from the specification alone with PyCryptodome, for interoperability tests.

Usage (Debian's Python: /usr/bin/python3; needs python3-pycryptodome):
  _interop.py probe
  _interop.py decrypt --key PRIV.pem [--passphrase P] --in FILE.mce --out FILE [--meta-out M.json]
  _interop.py encrypt --to PUB.pem [--to ...] --in FILE --out FILE.mce [--suite 1|2] [--exp 16]
                      [--meta JSON] [--clear-meta] [--file-key HEX --nonce HEX]
  _interop.py check-vectors VECTORS.json
  _interop.py check-negative NEGATIVE.json
Exit status 0 on success, 1 with a one-line message `interop: CODE: detail` on failure; CODE
names the rule broken, with the same words as the TypeScript reader's error codes.
"""
import argparse
import hashlib
import hmac as std_hmac
import json
import os
import struct
import sys

try:  # Debian's python3-pycryptodome installs the "Cryptodome" namespace
    from Cryptodome.Cipher import AES, PKCS1_OAEP
    from Cryptodome.Hash import HMAC, SHA256
    from Cryptodome.Protocol.KDF import HKDF
    from Cryptodome.PublicKey import RSA
    from Cryptodome.Util.Padding import pad, unpad
except ImportError:  # pip's pycryptodome uses "Crypto"
    from Crypto.Cipher import AES, PKCS1_OAEP
    from Crypto.Hash import HMAC, SHA256
    from Crypto.Protocol.KDF import HKDF
    from Crypto.PublicKey import RSA
    from Crypto.Util.Padding import pad, unpad

MAGIC = b"\x89MCE\r\n\x1a\n"
RSA_TYPE = b"RSA-OAEP-SHA256"


class Fail(Exception):
    def __init__(self, code, detail):
        super().__init__("%s: %s" % (code, detail))
        self.code = code


def _no_constant(name):
    raise ValueError("%s is not JSON" % name)


def parse_metadata(raw, where):
    """Metadata is UTF-8 JSON text (no byte order mark) whose value is an object (SPEC.md 7)."""
    try:
        value = json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
    except ValueError:  # includes UnicodeDecodeError and a leading BOM
        raise Fail("bad-metadata", "the %s metadata is not UTF-8 JSON text" % where)
    if not isinstance(value, dict):
        raise Fail("bad-metadata", "the %s metadata is not a JSON object" % where)
    return value


def hkdf(ikm, salt, info):
    return HKDF(ikm, 32, salt, SHA256, num_keys=1, context=info.encode())


def hmac(key, *parts):
    h = HMAC.new(key, digestmod=SHA256)
    for p in parts:
        h.update(p)
    return h.digest()


def nonce(i, last):
    return i.to_bytes(11, "big") + (b"\x01" if last else b"\x00")


def spki_fingerprint(pub):
    return hashlib.sha256(pub.export_key(format="DER")).digest()


def ct_len(suite, p):
    return p + 16 if suite == 1 else 16 * (p // 16 + 1) + 32


def payload_keys(suite, K, N):
    if suite == 1:
        return {"key": hkdf(K, N, "medcrypt/v1 payload aes-256-gcm")}
    return {
        "enc": hkdf(K, N, "medcrypt/v1 payload cbc enc"),
        "mac": hkdf(K, N, "medcrypt/v1 payload cbc mac"),
        "iv": hkdf(K, N, "medcrypt/v1 payload cbc iv"),
    }


def seal_chunk(suite, keys, i, last, pt):
    n = nonce(i, last)
    if suite == 1:
        c, tag = AES.new(keys["key"], AES.MODE_GCM, nonce=n).encrypt_and_digest(pt)
        return c + tag
    iv = hmac(keys["iv"], n)[:16]
    c = AES.new(keys["enc"], AES.MODE_CBC, iv=iv).encrypt(pad(pt, 16))
    return c + hmac(keys["mac"], n, c)


def open_chunk(suite, keys, i, last, ct):
    """Returns the plaintext of chunk i, or None if it fails authentication or padding."""
    n = nonce(i, last)
    if suite == 1:
        try:
            return AES.new(keys["key"], AES.MODE_GCM, nonce=n).decrypt_and_verify(ct[:-16], ct[-16:])
        except ValueError:
            return None
    c, tag = ct[:-32], ct[-32:]
    if not std_hmac.compare_digest(hmac(keys["mac"], n, c), tag):
        return None
    iv = hmac(keys["iv"], n)[:16]
    try:
        return unpad(AES.new(keys["enc"], AES.MODE_CBC, iv=iv).decrypt(c), 16)
    except ValueError:
        return None


def chunk_failure(suite, keys, i, n, ct):
    """Says why chunk i failed: it belongs at another position, the final flag was moved, or
    it was altered."""
    for j in range(n):
        if j != i and open_chunk(suite, keys, j, j == n - 1, ct) is not None:
            return Fail("chunk-reordered", "chunk %d is chunk %d of the stream" % (i, j))
    if open_chunk(suite, keys, i, i != n - 1, ct) is not None:
        return Fail("chunk-final-flag", "chunk %d of %d has the wrong final flag" % (i, n))
    return Fail("chunk-altered", "chunk %d failed authentication" % i)


def build_payload(suite, keys, exp, P):
    C = 1 << exp
    L = len(P)
    n = max(1, -(-L // C))
    return b"".join(seal_chunk(suite, keys, i, i == n - 1, P[i * C:(i + 1) * C]) for i in range(n))


def encrypt(pubs, content, suite=1, exp=16, meta=None, clear_meta=False, K=None, N=None):
    K = K or os.urandom(32)
    N = N or os.urandom(16)
    if meta is not None and not isinstance(meta, dict):
        raise Fail("bad-metadata", "the metadata must be a JSON object")
    inner = json.dumps(meta).encode() if meta is not None and not clear_meta else b""
    P = struct.pack(">I", len(inner)) + inner + content
    h = MAGIC + bytes([1, suite, exp, 1 if (clear_meta and meta is not None) else 0])
    h += struct.pack(">Q", len(P)) + N + struct.pack(">H", len(pubs))
    for pub in pubs:
        if pub.size_in_bits() < 2048:
            raise Fail("weak-key", "RSA key under 2048 bits")
        body = spki_fingerprint(pub) + PKCS1_OAEP.new(pub, hashAlgo=SHA256).encrypt(K)
        h += bytes([len(RSA_TYPE)]) + RSA_TYPE + struct.pack(">H", len(body)) + body
    if clear_meta and meta is not None:
        m = json.dumps(meta).encode()
        h += struct.pack(">I", len(m)) + m
    h += hmac(hkdf(K, b"", "medcrypt/v1 header"), h)
    return h + build_payload(suite, payload_keys(suite, K, N), exp, P)


def parse_header(data):
    """Parses the header and checks every rule that needs no key (SPEC.md 3, 4)."""
    if len(data) == 0:
        raise Fail("empty-file", "the file is empty")
    if data[:8] != MAGIC[:len(data)]:
        raise Fail("not-envelope", "not an envelope (magic bytes missing)")

    def need(k):
        if k > len(data):
            raise Fail("truncated", "the file ends inside the header (%d bytes)" % len(data))

    need(38)
    version, suite, exp, flags = data[8], data[9], data[10], data[11]
    if version != 1:
        raise Fail("unsupported-version", "unsupported version %d" % version)
    if suite not in (1, 2):
        raise Fail("malformed-header", "unknown suite %d" % suite)
    if not 10 <= exp <= 24:
        raise Fail("malformed-header", "chunk exponent %d out of range" % exp)
    if flags & 0xFE:
        raise Fail("malformed-header", "reserved flag bits set (0x%02x)" % flags)
    (L,) = struct.unpack(">Q", data[12:20])
    N = data[20:36]
    (r,) = struct.unpack(">H", data[36:38])
    if L < 4:
        raise Fail("malformed-header", "plaintext length %d below 4" % L)
    if not 1 <= r <= 1024:
        raise Fail("malformed-header", "recipient count %d" % r)
    o = 38
    stanzas = []
    seen = set()
    for i in range(r):
        need(o + 1)
        t = data[o]
        need(o + 3 + t)
        typ = data[o + 1:o + 1 + t]
        (b,) = struct.unpack(">H", data[o + 1 + t:o + 3 + t])
        need(o + 3 + t + b)
        body = data[o + 3 + t:o + 3 + t + b]
        if typ == RSA_TYPE:
            if b < 32 + 256:
                raise Fail("malformed-header", "stanza %d: %d-byte RSA body" % (i, b))
            if body[:32] in seen:
                raise Fail("duplicate-recipient", "stanza %d repeats a fingerprint" % i)
            seen.add(body[:32])
        stanzas.append((typ, body))
        o += 3 + t + b
    clear = None
    if flags & 1:
        need(o + 4)
        (m,) = struct.unpack(">I", data[o:o + 4])
        need(o + 4 + m)
        clear = data[o + 4:o + 4 + m]
        o += 4 + m
    need(o + 32)
    return dict(suite=suite, exp=exp, L=L, N=N, stanzas=stanzas, clear=clear, mac_at=o)


def decrypt(priv, data):
    if priv.size_in_bits() < 2048:
        raise Fail("weak-key", "RSA key under 2048 bits")
    h = parse_header(data)
    fp = spki_fingerprint(priv.public_key())
    k = (priv.size_in_bits() + 7) // 8
    K = None
    for typ, body in h["stanzas"]:
        if typ == RSA_TYPE and body[:32] == fp:
            try:
                if len(body) != 32 + k:
                    raise ValueError
                K = PKCS1_OAEP.new(priv, hashAlgo=SHA256).decrypt(body[32:])
            except ValueError:
                raise Fail("stanza-altered", "the stanza for this key does not unwrap")
            if len(K) != 32:
                raise Fail("stanza-altered", "the stanza for this key holds a %d-byte key" % len(K))
            break
    if K is None:
        raise Fail("wrong-key", "no recipient stanza for this key")
    o = h["mac_at"]
    mac = hmac(hkdf(K, b"", "medcrypt/v1 header"), data[:o])
    if not std_hmac.compare_digest(mac, data[o:o + 32]):
        raise Fail("header-altered", "header MAC mismatch")
    suite, C, L = h["suite"], 1 << h["exp"], h["L"]
    n = -(-L // C)
    expected = o + 32 + (n - 1) * ct_len(suite, C) + ct_len(suite, L - (n - 1) * C)
    if len(data) < expected:
        raise Fail("truncated", "%d of %d bytes" % (len(data), expected))
    if len(data) > expected:
        raise Fail("trailing-data", "%d bytes after the final chunk" % (len(data) - expected))
    clear = parse_metadata(h["clear"], "clear") if h["clear"] is not None else None
    keys = payload_keys(suite, K, h["N"])
    pos = o + 32
    parts = []
    for i in range(n):
        p = C if i < n - 1 else L - (n - 1) * C
        c = ct_len(suite, p)
        ct = data[pos:pos + c]
        pt = open_chunk(suite, keys, i, i == n - 1, ct)
        if pt is None:
            raise chunk_failure(suite, keys, i, n, ct)
        if len(pt) != p:
            raise Fail("chunk-altered", "chunk %d has the wrong length" % i)
        parts.append(pt)
        pos += c
    P = b"".join(parts)
    (m,) = struct.unpack(">I", P[:4])
    if 4 + m > L:
        raise Fail("bad-metadata", "the metadata record is longer than the payload")
    if m and clear is not None:
        raise Fail("bad-metadata", "metadata is both in clear and encrypted")
    meta = parse_metadata(P[4:4 + m], "encrypted") if m else clear
    return P[4 + m:], meta, P


def check_vectors(path):
    base = os.path.dirname(path)
    vectors = json.load(open(path))
    priv = RSA.import_key(open(os.path.join(base, vectors["privateKey"])).read())
    for v in vectors["vectors"]:
        data = open(os.path.join(base, v["file"]), "rb").read()
        content, meta, P = decrypt(priv, data)
        if hashlib.sha256(content).hexdigest() != v["contentSha256"]:
            raise Fail("vector", "%s: content differs" % v["file"])
        if meta != v.get("metadata"):
            raise Fail("vector", "%s: metadata differs" % v["file"])
        # the payload is deterministic given K and N: rebuild it and compare byte for byte
        K, N = bytes.fromhex(v["fileKey"]), bytes.fromhex(v["nonce"])
        payload = build_payload(v["suite"], payload_keys(v["suite"], K, N), v["exponent"], P)
        if payload != data[v["headerBytes"]:]:
            raise Fail("vector", "%s: payload differs from the one rebuilt from K and N" % v["file"])
    print("ok %d vectors" % len(vectors["vectors"]))


def check_negative(path):
    """Every negative vector must be rejected, with the code its index states."""
    base = os.path.dirname(path)
    vectors = json.load(open(path))
    priv = RSA.import_key(open(os.path.join(base, vectors["privateKey"])).read())
    for v in vectors["vectors"]:
        data = open(os.path.join(base, v["file"]), "rb").read()
        try:
            decrypt(priv, data)
        except Fail as err:
            if err.code != v["code"]:
                raise Fail("vector", "%s: rejected as %s, expected %s" % (v["file"], err, v["code"]))
            continue
        raise Fail("vector", "%s: accepted, expected %s" % (v["file"], v["code"]))
    print("ok %d rejected" % len(vectors["vectors"]))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("probe")
    d = sub.add_parser("decrypt")
    d.add_argument("--key", required=True)
    d.add_argument("--passphrase")
    d.add_argument("--in", dest="inp", required=True)
    d.add_argument("--out", required=True)
    d.add_argument("--meta-out")
    e = sub.add_parser("encrypt")
    e.add_argument("--to", action="append", required=True)
    e.add_argument("--in", dest="inp", required=True)
    e.add_argument("--out", required=True)
    e.add_argument("--suite", type=int, default=1)
    e.add_argument("--exp", type=int, default=16)
    e.add_argument("--meta")
    e.add_argument("--clear-meta", action="store_true")
    e.add_argument("--file-key")
    e.add_argument("--nonce")
    c = sub.add_parser("check-vectors")
    c.add_argument("path")
    c = sub.add_parser("check-negative")
    c.add_argument("path")
    a = ap.parse_args()
    try:
        if a.cmd == "probe":
            print("pycryptodome ok")
        elif a.cmd == "decrypt":
            priv = RSA.import_key(open(a.key).read(), passphrase=a.passphrase)
            content, meta, _ = decrypt(priv, open(a.inp, "rb").read())
            open(a.out, "wb").write(content)
            if a.meta_out:
                json.dump(meta, open(a.meta_out, "w"))
        elif a.cmd == "encrypt":
            pubs = [RSA.import_key(open(p).read()) for p in a.to]
            meta = json.loads(a.meta) if a.meta else None
            K = bytes.fromhex(a.file_key) if a.file_key else None
            N = bytes.fromhex(a.nonce) if a.nonce else None
            out = encrypt(pubs, open(a.inp, "rb").read(), a.suite, a.exp, meta, a.clear_meta, K, N)
            open(a.out, "wb").write(out)
        elif a.cmd == "check-vectors":
            check_vectors(a.path)
        else:
            check_negative(a.path)
    except Fail as err:
        print("interop: %s" % err, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
