import Foundation
import Testing
import FerryCore
@testable import FerryTransport

/// A transfer area's file names are chosen by whoever writes there: only content-hash
/// names are bundles, and other `.bundle` files are listed apart, for quarantine.
@Suite struct BundleFileNameTests {
    @Test func onlyContentHashNamesArePendingAndForeignBundleNamesAreStrays() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-names-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let genuine = String(repeating: "0a", count: 32) + ".bundle"
        let names = [
            genuine, String(repeating: "0A", count: 32) + ".bundle", "\u{600}<img src=x onerror=alert(1)>\u{301}.bundle",
            String(repeating: "0a", count: 31) + "0\u{301}a.bundle", "notes.txt", genuine + ".part", ".hidden.bundle",
        ]
        for name in names { try Data("x".utf8).write(to: directory.appendingPathComponent(name)) }
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("dir.bundle"), withIntermediateDirectories: true)
        let drop = DirectoryDrop(directory: directory)
        #expect(try drop.pending().map(\.lastPathComponent) == [genuine])
        #expect(Set(try drop.strays().map(\.lastPathComponent)) == Set(names[1...3]))
    }

    @Test func describedNamesCarryNoMarkupOrMarks() {
        let shown = OutsideText.describe("\u{600}<img src=x onerror=alert(1)>\u{301}.bundle")
        #expect(shown.hasPrefix("\\u{600}\\u{3C}img\\u{20}src\\u{3D}x"), "\(shown)")
        #expect(shown.unicodeScalars.allSatisfy { $0.isASCII && $0.value >= 0x20 && !"<>\"'&".unicodeScalars.contains($0) })
        #expect(OutsideText.describe(String(repeating: "a", count: 100)).hasSuffix("...(+60)"))
        #expect(OutsideText.describe("") == "(empty)")
    }
}
