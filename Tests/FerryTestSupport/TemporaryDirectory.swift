public import Foundation

/// Fresh paths under the system's temporary directory, one per test, so parallel tests
/// never share a file.
public enum TemporaryDirectory {
    /// A path that does not exist yet, named after `name`.
    public static func url(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("ferry-\(name)-\(UUID().uuidString)")
    }
}
