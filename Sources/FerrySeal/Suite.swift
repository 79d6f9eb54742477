public import FerryCore

/// The crypto suites a bundle can be sealed with.
public enum Suite {
    public static let defaultSuite = "x25519-aes256gcm-ed25519"
    public static let sm = "sm2-sm4-sm3"
    /// Suites this build can seal and open.
    public static let supported = [defaultSuite]

    static func require(_ suite: String, in place: String) throws {
        guard supported.contains(suite) else {
            throw FerryError("bundle.unsupported-suite", "suite '\(suite)' is not supported by this build (\(place))",
                hint: "supported: \(supported.joined(separator: ", "))")
        }
    }
}
