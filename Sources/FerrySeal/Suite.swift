/// The crypto suites a bundle can be sealed with; a topology picks one per channel.
public enum Suite {
    public static let defaultSuite = "x25519-aes256gcm-ed25519"
    public static let sm = "sm2-sm4-sm3"
    /// Suites this build can seal and open.
    public static let supported = [defaultSuite, sm]
}
