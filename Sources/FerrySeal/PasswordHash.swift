import CFerryOpenSSL
import FerryCore

/// Console passwords, stored as PBKDF2-HMAC-SHA256 (OpenSSL) with a random salt:
/// `pbkdf2-sha256$ITERATIONS$SALT$HASH`. The iteration count is stored with each hash,
/// so raising it later leaves existing users able to log in.
public enum PasswordHash {
    /// OWASP's 2023 figure for PBKDF2-HMAC-SHA256.
    public static let iterations = 600_000

    public static func make(_ password: String, iterations: Int = iterations) throws -> String {
        let salt = try randomBytes(16)
        return "pbkdf2-sha256$\(iterations)$\(hex(salt))$\(hex(try derive(password, salt: salt, iterations: iterations)))"
    }

    /// Whether `password` matches `stored`, compared in constant time.
    public static func verify(_ password: String, against stored: String) -> Bool {
        let parts = stored.split(separator: "$").map(String.init)
        guard parts.count == 4, parts[0] == "pbkdf2-sha256", let iterations = Int(parts[1]), (1...10_000_000).contains(iterations),
            let salt = unhex(parts[2]), let expected = unhex(parts[3]),
            let actual = try? derive(password, salt: salt, iterations: iterations), actual.count == expected.count
        else { return false }
        return CRYPTO_memcmp(actual, expected, actual.count) == 0
    }

    static func derive(_ password: String, salt: [UInt8], iterations: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        let secret = Array(password.utf8)
        try check(PKCS5_PBKDF2_HMAC(secret.map { CChar(bitPattern: $0) }, Int32(secret.count), salt, Int32(salt.count), Int32(iterations), EVP_sha256(),
            Int32(out.count), &out), "password hashing")
        return out
    }
}
