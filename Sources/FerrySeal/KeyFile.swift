import Foundation
public import FerryCore

extension FerryError.Code {
    public static let keyFile: Self = "key.file"
    public static let keyPermissions: Self = "key.permissions"
}

/// The text form of key files: `name: value` lines, `#` comments. Plain text so an
/// operator can read the suite and key id of a public key before trusting it.
struct KeyFile {
    var fields: [String: (value: String, line: Int)] = [:]
    let path: String

    init(path: String, text: String) throws {
        self.path = path
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard let colon = line.firstIndex(of: ":") else {
                throw FerryError(.keyFile, "expected 'name: value'", at: .file(SourceLocation(file: path, line: index + 1, column: 1)),
                    hint: "key files are written by 'ferry keys generate'; regenerate a damaged one")
            }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            fields[name] = (value, index + 1)
        }
    }

    func value(_ name: String) throws -> String {
        guard let field = fields[name] else {
            throw FerryError(.keyFile, "missing '\(name):'", at: .file(SourceLocation(file: path, line: 1, column: 1)),
                hint: "key files are written by 'ferry keys generate'; regenerate a damaged one")
        }
        return field.value
    }

    /// Hex bytes, of an exact length when given; the message never echoes the value, which may be secret.
    func bytes(_ name: String, count: Int? = nil) throws -> [UInt8] {
        let text = try value(name)
        guard let bytes = unhex(text), !bytes.isEmpty, count == nil || bytes.count == count else {
            throw FerryError(.keyFile, "'\(name)' is not \(count.map { "\($0) bytes of " } ?? "")hex",
                at: .file(SourceLocation(file: path, line: fields[name]?.line ?? 1, column: 1)))
        }
        return bytes
    }

    static func read(_ url: URL) throws -> KeyFile {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw FerryError(.keyFile, "cannot read key file \(url.path)", hint: "check the path in the topology and the file's permissions")
        }
        return try KeyFile(path: url.path, text: String(decoding: data, as: UTF8.self))
    }
}
