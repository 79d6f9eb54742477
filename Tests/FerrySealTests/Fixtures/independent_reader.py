"""An independent Ferry bundle reader, written from docs/bundle-format.md alone.

It shares no code with Ferry: the `cryptography` package does the crypto and libzstd is
called through ctypes. Usage:

  independent_reader.py x25519 BUNDLE RECIPIENT.key SENDER.pub
      verify name and signature, unwrap the file key, print the record lines
  independent_reader.py sm BUNDLE FILE_KEY_HEX
      check the name's SM3 commitment and the SM4-CTR/HMAC-SM3 payload layer with a
      file key the test exposes (the cryptography package has no SM2), print the lines
"""
import ctypes
import ctypes.util
import json
import os
import struct
import sys

from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF


def fail(message):
    print("REJECT: " + message, file=sys.stderr)
    sys.exit(2)


def digest(algorithm, data):
    h = hashes.Hash(algorithm)
    h.update(data)
    return h.finalize()


def key_file(path):
    fields = {}
    for line in open(path, encoding="utf-8"):
        line = line.strip()
        if line and not line.startswith("#"):
            name, _, value = line.partition(":")
            fields[name.strip()] = value.strip()
    return fields


def parse(data):
    if data[0:8] != b"FERRYBDL":
        fail("magic")
    (version,) = struct.unpack(">H", data[8:10])
    if version != 1:
        fail("version")
    (header_length,) = struct.unpack(">I", data[10:14])
    header_bytes = data[14:14 + header_length]
    header = json.loads(header_bytes)
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
    (signature_length,) = struct.unpack(">H", data[-2:])
    signature_offset = len(data) - 2 - signature_length
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


def finish(header, compressed):
    plain = zstd_decompress(compressed, header["plain_size"])
    lines = plain.split(b"\n")
    if lines[-1] != b"":
        fail("last line not terminated")
    lines = lines[:-1]
    if len(lines) != header["records"] or merkle_root(lines).hex() != header["merkle_root"]:
        fail("records or merkle root")
    for line in lines:
        sys.stdout.write(line.decode() + "\n")


def x25519(path, recipient_path, sender_path):
    data = open(path, "rb").read()
    header, header_bytes, recipients, payload, signature_offset = parse(data)
    assert header["suite"] == "x25519-aes256gcm-ed25519"
    signed = digest(hashes.SHA256(), data[:signature_offset])
    trailer = data[signature_offset:]
    name = digest(hashes.SHA256(), signed + trailer).hex()
    if os.path.basename(path) != name + ".bundle":
        fail("name")
    sender = key_file(sender_path)
    Ed25519PublicKey.from_public_bytes(bytes.fromhex(sender["sign"])).verify(
        data[signature_offset:-2], b"FERRY-BUNDLE-SIG-V1" + signed)
    me = key_file(recipient_path)
    mine = [w for key_id, w in recipients if key_id == me["key-id"]]
    if not mine:
        fail("not addressed")
    wrapped = mine[0]
    box = X25519PrivateKey.from_private_bytes(bytes.fromhex(me["box"]))
    box_public = box.public_key().public_bytes_raw()
    ephemeral = wrapped[:32]
    shared = box.exchange(X25519PublicKey.from_public_bytes(ephemeral))
    kek = HKDF(hashes.SHA256(), 32, ephemeral + box_public, b"FERRY-BUNDLE-FILE-KEY-V1").derive(shared)
    file_key = AESGCM(kek).decrypt(b"\x00" * 12, wrapped[32:], digest(hashes.SHA256(), header_bytes))
    aad = digest(hashes.SHA256(), data[:payload])
    compressed = b"".join(
        AESGCM(file_key).decrypt(nonce(i, final), body + tag, aad) for i, final, body, tag in chunks(header, payload, 16, data))
    finish(header, compressed)


def sm(path, file_key_hex):
    data = open(path, "rb").read()
    header, header_bytes, recipients, payload, signature_offset = parse(data)
    assert header["suite"] == "sm2-sm4-sm3"
    file_key = bytes.fromhex(file_key_hex)

    def hmac_sm3(key, message):
        h = hmac.HMAC(key, hashes.SM3())
        h.update(message)
        return h.finalize()

    k_enc = hmac_sm3(file_key, b"FERRY-SM4-KEY-V1")[:16]
    k_mac = hmac_sm3(file_key, b"FERRY-SM3-MAC-KEY-V1")
    aad = digest(hashes.SM3(), data[:payload])
    compressed = b""
    tags = b""
    for i, final, body, tag in chunks(header, payload, 32, data):
        flag = b"\x01" if final else b"\x00"
        if hmac_sm3(k_mac, aad + i.to_bytes(8, "big") + flag + body) != tag:
            fail("chunk %d mac" % i)
        tags += tag
        decryptor = Cipher(algorithms.SM4(k_enc), modes.CTR(nonce(i, final) + b"\x00" * 4)).decryptor()
        compressed += decryptor.update(body) + decryptor.finalize()
    signed = digest(hashes.SM3(), data[:payload] + tags)
    name = digest(hashes.SM3(), signed + data[signature_offset:]).hex()
    if os.path.basename(path) != name + ".bundle":
        fail("name")
    finish(header, compressed)


if __name__ == "__main__":
    if sys.argv[1] == "x25519":
        x25519(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sm(sys.argv[2], sys.argv[3])
