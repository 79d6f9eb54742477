import FerryCore
import Testing
@testable import FerrySeal

/// Published test vectors, so the OpenSSL wrappers are known to compute the standards.
@Suite struct KnownAnswerTests {
    func bytes(_ text: String) -> [UInt8] { unhex(text) ?? [] }

    @Test func sha256AndSM3OfAbc() throws {
        #expect(hex(try Hasher.digest(Array("abc".utf8), .sha256)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        // GB/T 32905-2016, example 1
        #expect(hex(try Hasher.digest(Array("abc".utf8), .sm3)) == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0")
    }

    @Test func x25519RFC7748() throws {
        let alice = bytes("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
        let bob = bytes("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb")
        #expect(hex(try X25519.publicKey(privateKey: alice)) == "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
        let bobPublic = try X25519.publicKey(privateKey: bob)
        #expect(hex(bobPublic) == "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")
        #expect(hex(try X25519.sharedSecret(privateKey: alice, publicKey: bobPublic))
            == "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742")
    }

    @Test func ed25519RFC8032Test1() throws {
        let secret = bytes("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
        let expected = "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
        let publicKey = try Ed25519.publicKey(privateKey: secret)
        #expect(hex(publicKey) == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
        let signature = try Ed25519.sign([], privateKey: secret)
        #expect(hex(signature) == expected)
        #expect(Ed25519.verify(signature, [], publicKey: publicKey))
        #expect(!Ed25519.verify(signature, [0], publicKey: publicKey))
    }

    @Test func hmacSHA256RFC4231KeyedOnce() throws {
        // RFC 4231 test cases 2 (a short key) and 6 (a key longer than the block, hashed first),
        // through the keyed hash that digests records: the key's pads are computed once and
        // reused, so the second message under one key must come out as right as the first.
        let short = HMAC.keyed(Array("Jefe".utf8), algorithm: .hmacSHA256)
        let long = HMAC.keyed([UInt8](repeating: 0xaa, count: 131), algorithm: .hmacSHA256)
        for _ in 0..<3 {
            #expect(hex(short(Array("what do ya want for nothing?".utf8))) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
            #expect(hex(long(Array("Test Using Larger Than Block-Size Key - Hash Key First".utf8)))
                == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
        }
        #expect(hex(short([])) == hex(HMAC.sha256(key: Array("Jefe".utf8), [])))
    }

    @Test func hmacSM3KeyedOnceMatchesOneShotFromManyThreads() async throws {
        let key = Array("a digest key shared by zones".utf8)
        let keyed = HMAC.keyed(key, algorithm: .hmacSM3)
        let messages = (0..<200).map { Array("record \($0)".utf8) }
        let expected = messages.map { hex(HMAC.sm3(key: key, $0)) }
        // One keyed hash serves every worker of a node at once.
        let results = await withTaskGroup(of: (Int, String).self) { group in
            for (index, message) in messages.enumerated() { group.addTask { (index, hex(keyed(message))) } }
            var results = [String](repeating: "", count: messages.count)
            for await (index, digest) in group { results[index] = digest }
            return results
        }
        #expect(results == expected)
        #expect(Set(expected).count == messages.count)
    }

    @Test func hkdfRFC5869Case1() throws {
        let okm = try HKDF.sha256(
            salt: bytes("000102030405060708090a0b0c"), ikm: [UInt8](repeating: 0x0b, count: 22), info: bytes("f0f1f2f3f4f5f6f7f8f9"), length: 42)
        #expect(hex(okm) == "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865")
    }

    @Test func aes256gcmNISTCase16() throws {
        let key = bytes("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308")
        let plain = bytes("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39")
        let aad = bytes("feedfacedeadbeeffeedfacedeadbeefabaddad2")
        let nonce = bytes("cafebabefacedbaddecaf888")
        let sealed = try AESGCM.seal(key: key, nonce: nonce, aad: aad, plain: plain)
        #expect(hex(sealed) == "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"
            + "76fc6ece0f4e1768cddf8853bb2d551b")
        #expect(try AESGCM.open(key: key, nonce: nonce, aad: aad, sealed: sealed) == plain)
        var tampered = sealed
        tampered[0] ^= 1
        #expect(try AESGCM.open(key: key, nonce: nonce, aad: aad, sealed: tampered) == nil)
    }

    @Test func sm4GBT32907Example() throws {
        // GB/T 32907-2016, appendix A, example 1: the key and the plaintext are the same block.
        let block = bytes("0123456789abcdeffedcba9876543210")
        #expect(hex(try SM4CTR.encryptBlock(key: block, block: block)) == "681edf34d206965e86b3e94f536e4246")
    }

    @Test func sm2SignsAndEncryptsWithOpenSSL() throws {
        let key = try SM2.generate()
        let message = Array("ferry".utf8)
        let signature = try SM2.sign(message, with: key)
        #expect(SM2.verify(signature, message, with: key))
        #expect(!SM2.verify(signature, Array("ferrz".utf8), with: key))
        let secret = try randomBytes(32)
        let sealed = try SM2.encrypt(secret, to: try PKey.publicSM2(der: key.publicDER()))
        #expect(SM2.decrypt(sealed, with: key) == secret)
        #expect(SM2.decrypt(sealed, with: try SM2.generate()) == nil)
    }

    @Test func merkleRootsFollowRFC6962Shape() {
        var tree = MerkleTree()
        let leaves = (0..<5).map { [UInt8]("leaf\($0)".utf8) }
        for leaf in leaves { tree.append(leaf: leaf) }
        let h = leaves.map(MerkleTree.leafHash)
        // RFC 6962: split at the largest power of two below n (4 for n = 5).
        let left = MerkleTree.nodeHash(MerkleTree.nodeHash(h[0], h[1]), MerkleTree.nodeHash(h[2], h[3]))
        #expect(tree.root == MerkleTree.nodeHash(left, h[4]))
        #expect(tree.count == 5)
    }
}
