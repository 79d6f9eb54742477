"""An independent Ferry bundle reader, written from docs/bundle-format.md alone.

It shares no code with Ferry: the `cryptography` package does SHA-256, SM3, AES-GCM,
SM4, X25519 and Ed25519, libzstd is called through ctypes, and SM2 (which `cryptography`
lacks) is done here in plain integer arithmetic from GB/T 32918. It is deliberately
strict: whatever the spec does not describe (a key-file line, a line key, an escape in
another case) makes it refuse, so the spec cannot fall behind the code unnoticed. Usage:

  independent_reader.py open BUNDLE RECIPIENT.key SENDER.pub
      check both key files, the name, the size, the signature, unwrap the file key,
      authenticate and decrypt every chunk, check the records and that every line is
      canonical JSON of the kind the header names; print the lines
"""
import ctypes
import ctypes.util
import hashlib
import json
import os
import struct
import sys

from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

DEFAULT = "x25519-aes256gcm-ed25519"
SM = "sm2-sm4-sm3"


def fail(message):
    print("REJECT: " + message, file=sys.stderr)
    sys.exit(2)


def digest(algorithm, data):
    h = hashes.Hash(algorithm)
    h.update(data)
    return h.finalize()


def sm3(data):
    return digest(hashes.SM3(), data)


def suite_hash(suite):
    return hashes.SHA256() if suite == DEFAULT else hashes.SM3()


# --- canonical JSON, as *Header* defines it -------------------------------------------

class Number:
    """A JSON number kept as its text, so decimals are compared byte for byte."""

    def __init__(self, text):
        self.text = text


def no_duplicates(pairs):
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        fail("a key appears twice in one object")
    return dict(pairs)


def parse_json(data):
    try:
        return json.loads(data.decode("utf-8"), object_pairs_hook=no_duplicates, parse_float=Number,
                          parse_constant=lambda c: fail("not JSON: " + c))
    except ValueError as error:
        fail("not JSON: %s" % error)


def canonical(value):
    if value is None:
        return b"null"
    if value is True:
        return b"true"
    if value is False:
        return b"false"
    if isinstance(value, int):
        return str(value).encode()
    if isinstance(value, Number):
        return value.text.encode()
    if isinstance(value, str):
        out = bytearray(b'"')
        for ch in value:
            code = ord(ch)
            if ch == '"':
                out += b'\\"'
            elif ch == "\\":
                out += b"\\\\"
            elif ch == "\n":
                out += b"\\n"
            elif ch == "\r":
                out += b"\\r"
            elif ch == "\t":
                out += b"\\t"
            elif code < 0x20:
                out += b"\\u00" + ("%02x" % code).encode()
            else:
                out += ch.encode("utf-8")
        return bytes(out + b'"')
    if isinstance(value, list):
        return b"[" + b",".join(canonical(item) for item in value) + b"]"
    if isinstance(value, dict):
        members = sorted(value.items(), key=lambda kv: kv[0].encode("utf-8"))
        return b"{" + b",".join(canonical(k) + b":" + canonical(v) for k, v in members) + b"}"
    fail("unexpected value %r" % (value,))


def canonical_object(data, what):
    value = parse_json(data)
    if not isinstance(value, dict):
        fail(what + " is not a JSON object")
    if canonical(value) != data:
        fail(what + " is not in canonical form: %r" % data[:200])
    return value


# --- DER, as far as the spec's key and ciphertext forms need it ------------------------

def der(data, offset=0):
    if offset + 2 > len(data):
        fail("DER cut short")
    tag, length = data[offset], data[offset + 1]
    offset += 2
    if length & 0x80:
        count = length & 0x7F
        length = int.from_bytes(data[offset:offset + count], "big")
        offset += count
    if offset + length > len(data):
        fail("DER length past the end")
    return tag, data[offset:offset + length], offset + length


def der_children(body):
    items, offset = [], 0
    while offset < len(body):
        tag, value, offset = der(body, offset)
        items.append((tag, value))
    return items


def der_whole(data, tag):
    found, body, end = der(data)
    if found != tag or end != len(data):
        fail("DER: expected one element of tag 0x%02x" % tag)
    return body


def der_integer(tag_value):
    tag, value = tag_value
    if tag != 0x02:
        fail("DER: expected an INTEGER")
    return int.from_bytes(value, "big", signed=True)


# --- SM2 (GB/T 32918) ------------------------------------------------------------------

P = int("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFF", 16)
A = int("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF00000000FFFFFFFFFFFFFFFC", 16)
B = int("28E9FA9E9D9F5E344D5A9E4BCF6509A7F39789F515AB8F92DDBCBD414D940E93", 16)
N = int("FFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123", 16)
G = (int("32C4AE2C1F1981195F9904466A39C9948FE30BBFF2660BE1715A4589334C74C7", 16),
     int("BC3736A2F4F6779C59BDCEE36B692153D0A9877CC62A474002DF32E52139F0A0", 16))
SM2_CURVE_OID = bytes.fromhex("2a811ccf5501822d")  # 1.2.156.10197.1.301
EC_PUBLIC_KEY_OID = bytes.fromhex("2a8648ce3d0201")  # 1.2.840.10045.2.1


def on_curve(point):
    x, y = point
    return 0 <= x < P and 0 <= y < P and (y * y - (x * x * x + A * x + B)) % P == 0


def add(p1, p2):
    if p1 is None:
        return p2
    if p2 is None:
        return p1
    (x1, y1), (x2, y2) = p1, p2
    if x1 == x2:
        if (y1 + y2) % P == 0:
            return None
        slope = (3 * x1 * x1 + A) * pow(2 * y1, -1, P) % P
    else:
        slope = (y2 - y1) * pow(x2 - x1, -1, P) % P
    x3 = (slope * slope - x1 - x2) % P
    return x3, (slope * (x1 - x3) - y1) % P


def multiply(k, point):
    result = None
    while k:
        if k & 1:
            result = add(result, point)
        point = add(point, point)
        k >>= 1
    return result


def b32(n):
    return n.to_bytes(32, "big")


def sm2_point(encoded):
    if len(encoded) != 65 or encoded[0] != 4:
        fail("an SM2 point is not 04 || x || y")
    point = (int.from_bytes(encoded[1:33], "big"), int.from_bytes(encoded[33:], "big"))
    if not on_curve(point):
        fail("an SM2 point is not on the curve")
    return point


def spki_encode(point):
    """SubjectPublicKeyInfo DER of an SM2 point, as *Keys and key ids* gives it."""
    algorithm = bytes([0x06, len(EC_PUBLIC_KEY_OID)]) + EC_PUBLIC_KEY_OID + bytes([0x06, len(SM2_CURVE_OID)]) + SM2_CURVE_OID
    bits = b"\x00\x04" + b32(point[0]) + b32(point[1])
    body = bytes([0x30, len(algorithm)]) + algorithm + bytes([0x03, len(bits)]) + bits
    return bytes([0x30, len(body)]) + body


def spki_decode(data):
    point = sm2_point(data[-65:]) if len(data) == 91 else fail("an SM2 public key is not 91 bytes")
    if spki_encode(point) != data:
        fail("an SM2 public key is not the SubjectPublicKeyInfo the spec gives")
    return point


def sec1_decode(data):
    """The private scalar of a SEC1 ECPrivateKey on the SM2 curve; PKCS#8 is refused."""
    items = der_children(der_whole(data, 0x30))
    if len(items) != 4 or der_integer(items[0]) != 1:
        fail("an SM2 private key is not SEC1 ECPrivateKey (version 1, four fields)")
    tag, scalar = items[1]
    if tag != 0x04 or len(scalar) != 32:
        fail("SEC1: the private key is not a 32-byte OCTET STRING")
    if items[2][0] != 0xA0 or der_whole(items[2][1], 0x06) != SM2_CURVE_OID:
        fail("SEC1: [0] does not name the SM2 curve")
    if items[3][0] != 0xA1:
        fail("SEC1: no [1] public key")
    bits = der_whole(items[3][1], 0x03)
    d = int.from_bytes(scalar, "big")
    if not 1 <= d < N - 1:
        fail("SEC1: private scalar out of range")
    if bits[0] != 0 or sm2_point(bits[1:]) != multiply(d, G):
        fail("SEC1: the public key does not belong to the private key")
    if len(data) != 121:
        fail("SEC1: not 121 bytes")
    return d


def sm2_kdf(z, length):
    out, counter = b"", 1
    while len(out) < length:
        out += sm3(z + counter.to_bytes(4, "big"))
        counter += 1
    return out[:length]


def sm2_decrypt(d, wrapped):
    items = der_children(der_whole(wrapped, 0x30))
    if len(items) != 4 or items[2][0] != 0x04 or items[3][0] != 0x04 or len(items[2][1]) != 32:
        fail("the SM2 ciphertext is not SEQUENCE { x, y, C3, C2 }")
    c1 = (der_integer(items[0]), der_integer(items[1]))
    if not on_curve(c1):
        fail("C1 is not on the curve")
    c3, c2 = items[2][1], items[3][1]
    x2, y2 = multiply(d, c1)
    t = sm2_kdf(b32(x2) + b32(y2), len(c2))
    if not any(t):
        fail("KDF gave zeros")
    plain = bytes(a ^ b for a, b in zip(c2, t))
    if sm3(b32(x2) + plain + b32(y2)) != c3:
        fail("C3 does not match: the file key does not unwrap")
    return plain


def sm2_verify(public, message, signature):
    items = der_children(der_whole(signature, 0x30))
    if len(items) != 2:
        fail("an SM2 signature is not SEQUENCE { r, s }")
    r, s = der_integer(items[0]), der_integer(items[1])
    if not (1 <= r < N and 1 <= s < N):
        return False
    identifier = b"1234567812345678"
    za = sm3((len(identifier) * 8).to_bytes(2, "big") + identifier + b32(A) + b32(B) + b32(G[0]) + b32(G[1])
             + b32(public[0]) + b32(public[1]))
    e = int.from_bytes(sm3(za + message), "big")
    t = (r + s) % N
    if t == 0:
        return False
    point = add(multiply(s, G), multiply(t, public))
    return point is not None and (e + point[0]) % N == r


# --- key files ---------------------------------------------------------------------------

KEY_LINES = {
    "private": {"format", "kind", "suite", "node", "key-id", "sign", "box"},
    "public": {"format", "kind", "suite", "node", "key-id", "fingerprint", "sign", "box"},
}


def key_file(path):
    fields = {}
    for line in open(path, "rb").read().decode("utf-8").split("\n"):
        line = line.strip(" \t")
        if not line or line.startswith("#"):
            continue
        if ":" not in line:
            fail("a key-file line without ':'")
        name, _, value = line.partition(":")
        fields[name.strip(" \t")] = value.strip(" \t")
    kind = fields.get("kind")
    if kind not in KEY_LINES or set(fields) != KEY_LINES[kind]:
        fail("key file %s has lines %s, the spec lists %s" % (path, sorted(fields), sorted(KEY_LINES.get(kind, ()))))
    if fields["format"] != "ferry-key-v1" or fields["suite"] not in (DEFAULT, SM):
        fail("key file format or suite")
    return fields


def key_id_and_fingerprint(suite, sign_public, box_public):
    whole = hashlib.sha256(suite.encode() + sign_public + box_public).hexdigest()
    return whole[:16], ":".join(whole[i:i + 4] for i in range(0, 64, 4))


def public_key(path):
    fields = key_file(path)
    if fields["kind"] != "public":
        fail("not a public key file")
    sign, box = bytes.fromhex(fields["sign"]), bytes.fromhex(fields["box"])
    if fields["suite"] == DEFAULT:
        if len(sign) != 32 or len(box) != 32:
            fail("raw public keys are 32 bytes")
        verifier = Ed25519PublicKey.from_public_bytes(sign)
    else:
        verifier = spki_decode(sign)
        spki_decode(box)
    key_id, fingerprint = key_id_and_fingerprint(fields["suite"], sign, box)
    if fields["key-id"] != key_id or fields["fingerprint"] != fingerprint:
        fail("the public key file's key-id or fingerprint is not what the spec computes")
    return fields, verifier


def private_key(path):
    fields = key_file(path)
    if fields["kind"] != "private":
        fail("not a private key file")
    if os.stat(path).st_mode & 0o077:
        fail("a private key file must be mode 0600")
    sign, box = bytes.fromhex(fields["sign"]), bytes.fromhex(fields["box"])
    if fields["suite"] == DEFAULT:
        if len(sign) != 32 or len(box) != 32:
            fail("raw private keys are 32 bytes")
        secret = X25519PrivateKey.from_private_bytes(box)
        sign_public = Ed25519PrivateKey.from_private_bytes(sign).public_key().public_bytes_raw()
        box_public = secret.public_key().public_bytes_raw()
    else:
        d_sign, secret = sec1_decode(sign), sec1_decode(box)
        sign_public, box_public = spki_encode(multiply(d_sign, G)), spki_encode(multiply(secret, G))
    key_id, _ = key_id_and_fingerprint(fields["suite"], sign_public, box_public)
    if fields["key-id"] != key_id:
        fail("the private key file's key-id is not the one its keys give")
    return fields, secret, box_public


# --- the bundle ----------------------------------------------------------------------------

HEADER_KEYS = {"format", "id", "kind", "sender", "sender_key", "recipients", "lane", "sequence", "created", "expires",
               "suite", "records", "plain_size", "compressed_size", "chunk_size", "merkle_root"}


def parse(data):
    if data[0:8] != b"FERRYBDL":
        fail("magic")
    (version,) = struct.unpack(">H", data[8:10])
    if version != 1:
        fail("version")
    (header_length,) = struct.unpack(">I", data[10:14])
    header_bytes = data[14:14 + header_length]
    header = canonical_object(header_bytes, "the header")
    if set(header) != HEADER_KEYS or header["format"] != "ferry-bundle":
        fail("header keys %s" % sorted(header))
    offset = 14 + header_length
    (count,) = struct.unpack(">H", data[offset:offset + 2])
    offset += 2
    recipients = []
    for _ in range(count):
        id_length = data[offset]
        key_id = data[offset + 1:offset + 1 + id_length].decode()
        (wrapped_length,) = struct.unpack(">H", data[offset + 1 + id_length:offset + 3 + id_length])
        wrapped = data[offset + 3 + id_length:offset + 3 + id_length + wrapped_length]
        recipients.append((key_id, wrapped))
        offset += 3 + id_length + wrapped_length
    if [key_id for key_id, _ in recipients] != header["recipients"]:
        fail("recipient entries differ from the header's recipients")
    (signature_length,) = struct.unpack(">H", data[-2:])
    signature_offset = len(data) - 2 - signature_length
    tag = 16 if header["suite"] == DEFAULT else 32
    n = max(1, -(-header["compressed_size"] // header["chunk_size"]))
    if len(data) != offset + header["compressed_size"] + n * tag + signature_length + 2:
        fail("file size")
    return header, header_bytes, recipients, offset, signature_offset


def chunks(header, payload_offset, tag_size, data):
    compressed = header["compressed_size"]
    size = header["chunk_size"]
    n = max(1, -(-compressed // size))
    position = payload_offset
    for i in range(n):
        length = min(size, compressed - i * size)
        yield i, i == n - 1, data[position:position + length], data[position + length:position + length + tag_size]
        position += length + tag_size


def nonce(i, final):
    return i.to_bytes(11, "big") + (b"\x01" if final else b"\x00")


def zstd_decompress(frame, size):
    library = ctypes.CDLL(ctypes.util.find_library("zstd"))
    library.ZSTD_decompress.restype = ctypes.c_size_t
    library.ZSTD_isError.restype = ctypes.c_uint
    out = ctypes.create_string_buffer(max(size, 1))
    result = library.ZSTD_decompress(out, ctypes.c_size_t(size), frame, ctypes.c_size_t(len(frame)))
    if library.ZSTD_isError(ctypes.c_size_t(result)):
        fail("zstd")
    if result != size:
        fail("plain size")
    return out.raw[:size]


def merkle_root(lines):
    def tree(leaves):
        if len(leaves) == 1:
            return leaves[0]
        k = 1
        while k * 2 < len(leaves):
            k *= 2
        return digest(hashes.SHA256(), b"\x01" + tree(leaves[:k]) + tree(leaves[k:]))
    if not lines:
        return digest(hashes.SHA256(), b"")
    return tree([digest(hashes.SHA256(), b"\x00" + line) for line in lines])


# --- lines, as *Lines* describes each kind -----------------------------------------------

OUTCOMES = {"applied", "skipped", "rejected", "conflict", "quarantined", "dead"}
ENTRY_KEYS = {"seq", "kind", "at", "hash", "records_root", "merkle_root", "outcomes", "targets"}


def keys_within(obj, required, optional, what):
    if not set(required) <= set(obj) <= set(required) | set(optional):
        fail("%s has keys %s; the spec gives %s and optionally %s" % (what, sorted(obj), sorted(required), sorted(optional)))


def check_record(obj):
    keys_within(obj, {"entity", "fields", "flow", "key", "op", "version"}, {"repair"}, "a record line")
    if obj["op"] not in ("upsert", "delete") or not isinstance(obj["key"], list) or obj.get("repair", True) is not True:
        fail("a record line's op, key or repair")


def check_evidence(evidence, sender_fields, verifier):
    keys_within(evidence, {"bundle", "node", "entries"}, {"checkpoint"}, "the evidence")
    for entry in evidence["entries"]:
        keys_within(entry, {"seq", "kind", "at", "hash"}, ENTRY_KEYS, "an evidence entry")
        if entry["kind"] not in ("received", "applied"):
            fail("an evidence entry of kind " + entry["kind"])
    checkpoint = evidence.get("checkpoint")
    if checkpoint is None:
        return
    keys_within(checkpoint, {"seq", "chain", "at", "head", "key_id", "signature"}, (), "the checkpoint")
    if checkpoint["key_id"] != sender_fields["key-id"]:
        return
    statement = canonical({"at": checkpoint["at"], "chain": checkpoint["chain"], "format": "ferry-audit-checkpoint-v1",
                           "head": checkpoint["head"], "node": evidence["node"], "seq": checkpoint["seq"]})
    if not verify(sender_fields["suite"], verifier, statement, bytes.fromhex(checkpoint["signature"])):
        fail("the evidence checkpoint's signature does not verify")
    print("checkpoint verified", file=sys.stderr)


def check_lines(header, objects, sender_fields, verifier):
    kind = header["kind"]
    if kind == "records":
        for obj in objects:
            check_record(obj)
    elif kind == "receipt":
        if not objects or set(objects[-1]) != {"evidence"}:
            fail("a receipt's last line is not its evidence line")
        for obj in objects[:-1]:
            keys_within(obj, {"bundle", "key", "version", "outcome"}, {"entity", "detail"}, "an outcome line")
            if obj["outcome"] not in OUTCOMES:
                fail("an outcome the spec does not list: " + obj["outcome"])
        check_evidence(objects[-1]["evidence"], sender_fields, verifier)
    elif kind == "resend":
        for obj in objects:
            keys_within(obj, {"lane", "sequence"}, (), "a resend line")


def finish(header, compressed, sender_fields, verifier):
    plain = zstd_decompress(compressed, header["plain_size"])
    lines = plain.split(b"\n")
    if lines[-1] != b"":
        fail("last line not terminated")
    lines = lines[:-1]
    if len(lines) != header["records"] or merkle_root(lines).hex() != header["merkle_root"]:
        fail("records or merkle root")
    objects = [canonical_object(line, "line %d" % (i + 1)) for i, line in enumerate(lines)]
    check_lines(header, objects, sender_fields, verifier)
    for line in lines:
        sys.stdout.write(line.decode() + "\n")


def verify(suite, verifier, message, signature):
    if suite == DEFAULT:
        try:
            verifier.verify(signature, message)
            return True
        except Exception:
            return False
    return sm2_verify(verifier, message, signature)


def unwrap(suite, secret, box_public, wrapped, header_bytes):
    if suite == SM:
        return sm2_decrypt(secret, wrapped)
    if len(wrapped) != 80:
        fail("W is not 80")
    ephemeral = wrapped[:32]
    shared = secret.exchange(X25519PublicKey.from_public_bytes(ephemeral))
    kek = HKDF(hashes.SHA256(), 32, ephemeral + box_public, b"FERRY-BUNDLE-FILE-KEY-V1").derive(shared)
    # aad: SHA-256 of the header bytes exactly as stored, from offset 14.
    return AESGCM(kek).decrypt(b"\x00" * 12, wrapped[32:], digest(hashes.SHA256(), header_bytes))


def open_chunks(suite, file_key, header, payload, data):
    aad = digest(suite_hash(suite), data[:payload])
    compressed = b""
    if suite == DEFAULT:
        for i, final, body, tag in chunks(header, payload, 16, data):
            compressed += AESGCM(file_key).decrypt(nonce(i, final), body + tag, aad)
        return compressed

    def hmac_sm3(key, message):
        h = hmac.HMAC(key, hashes.SM3())
        h.update(message)
        return h.finalize()

    k_enc = hmac_sm3(file_key, b"FERRY-SM4-KEY-V1")[:16]
    k_mac = hmac_sm3(file_key, b"FERRY-SM3-MAC-KEY-V1")
    for i, final, body, tag in chunks(header, payload, 32, data):
        flag = b"\x01" if final else b"\x00"
        if hmac_sm3(k_mac, aad + i.to_bytes(8, "big") + flag + body) != tag:
            fail("chunk %d mac" % i)
        decryptor = Cipher(algorithms.SM4(k_enc), modes.CTR(nonce(i, final) + b"\x00" * 4)).decryptor()
        compressed += decryptor.update(body) + decryptor.finalize()
    return compressed


def open_bundle(path, recipient_path, sender_path):
    data = open(path, "rb").read()
    header, header_bytes, recipients, payload, signature_offset = parse(data)
    suite = header["suite"]
    sender_fields, verifier = public_key(sender_path)
    me, secret, box_public = private_key(recipient_path)
    if sender_fields["suite"] != suite or me["suite"] != suite:
        fail("key suites differ from the bundle's")
    if header["sender_key"] != sender_fields["key-id"] or header["sender"] != sender_fields["node"]:
        fail("unknown sender")
    # Name and signature hold before anything is decrypted (*What a reader checks*, 4).
    if suite == DEFAULT:
        signed = digest(hashes.SHA256(), data[:signature_offset])
    else:
        signed = sm3(data[:payload] + b"".join(tag for _, _, _, tag in chunks(header, payload, 32, data)))
    if os.path.basename(path) != digest(suite_hash(suite), signed + data[signature_offset:]).hex() + ".bundle":
        fail("name")
    if not verify(suite, verifier, b"FERRY-BUNDLE-SIG-V1" + signed, data[signature_offset:-2]):
        fail("signature")
    mine = [w for key_id, w in recipients if key_id == me["key-id"]]
    if not mine:
        fail("not addressed")
    file_key = unwrap(suite, secret, box_public, mine[0], header_bytes)
    if len(file_key) != 32:
        fail("file key length")
    compressed = open_chunks(suite, file_key, header, payload, data)
    finish(header, compressed, sender_fields, verifier)


if __name__ == "__main__":
    if len(sys.argv) != 5 or sys.argv[1] != "open":
        fail("usage: independent_reader.py open BUNDLE RECIPIENT.key SENDER.pub")
    open_bundle(sys.argv[2], sys.argv[3], sys.argv[4])
