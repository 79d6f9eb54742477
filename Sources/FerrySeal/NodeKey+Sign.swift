/// Detached signatures over small statements (audit checkpoints and exports), in the
/// key's own suite: Ed25519, or SM2 with SM3.
extension NodeKey {
    public func sign(_ message: [UInt8]) throws -> [UInt8] {
        try engine.sign(message, with: signing)
    }
}

extension PublicKey {
    public func verify(signature: [UInt8], of message: [UInt8]) -> Bool {
        guard let engine = Suites.named(suite), let key = try? engine.signing(public: signing) else { return false }
        return engine.verify(signature, message, with: key)
    }
}
