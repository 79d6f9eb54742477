import Foundation
import Testing
@testable import FerryCore

/// Media types told from first bytes, and the PDF and OFD checks that refuse a file whose
/// bytes contradict what it is declared to be.
@Suite struct MediaTypeTests {
    static func zip(firstEntry name: String) -> [UInt8] {
        var header: [UInt8] = [0x50, 0x4B, 0x03, 0x04] + [UInt8](repeating: 0, count: 22)
        header += [UInt8(name.utf8.count), 0, 0, 0] + Array(name.utf8)
        return header
    }

    @Test func knownStartsAreRecognised() {
        #expect(MediaType.sniff(Array("%PDF-1.7\n".utf8)) == MediaType.pdf)
        #expect(MediaType.sniff(Self.zip(firstEntry: "OFD.xml")) == MediaType.ofd)
        #expect(MediaType.sniff(Self.zip(firstEntry: "word/document.xml")) == "application/zip")
        #expect(MediaType.sniff([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0]) == "image/png")
        #expect(MediaType.sniff([0xFF, 0xD8, 0xFF, 0xE0]) == "image/jpeg")
        #expect(MediaType.sniff([0xEF, 0xBB, 0xBF] + Array("<?xml version".utf8)) == "application/xml")
        #expect(MediaType.sniff([]) == MediaType.octetStream)
        #expect(MediaType.sniff([0x50, 0x4B, 0x03, 0x04]) == "application/zip")
    }

    @Test func pdfAndOfdDeclarationsAreCheckedAgainstTheBytes() {
        #expect(MediaType.mismatch(declared: "application/pdf", prefix: Array("%PDF-1.4".utf8)) == nil)
        #expect(MediaType.mismatch(declared: "application/pdf", prefix: Array("GIF89a".utf8))?.contains("%PDF-") == true)
        #expect(MediaType.mismatch(declared: "application/ofd", prefix: Self.zip(firstEntry: "OFD.xml")) == nil)
        #expect(MediaType.mismatch(declared: "application/ofd", prefix: Array("%PDF-".utf8))?.contains("OFD.xml") == true)
        // Types without a fixed start are taken as declared.
        #expect(MediaType.mismatch(declared: "text/plain", prefix: [0, 1, 2]) == nil)
    }

    @Test func onlyTypeSlashSubtypeIsWellFormed() {
        #expect(MediaType.isWellFormed("application/vnd.ms-excel"))
        #expect(!MediaType.isWellFormed("pdf"))
        #expect(!MediaType.isWellFormed("application/pdf; charset=x"))
        #expect(!MediaType.isWellFormed("/pdf"))
        #expect(!MediaType.isWellFormed("a/b/c"))
    }

    @Test func safeNamesNeverLeaveTheirFolder() {
        func named(_ name: String) -> String { DocumentRef(size: 0, mediaType: "", name: name).safeName }
        #expect(named("deed.pdf") == "deed.pdf")
        #expect(named("../../etc/passwd") == "passwd")
        #expect(named("..") == "document")
        #expect(named("a\u{0}b\nc.pdf") == "abc.pdf")
        #expect(named("dir/") == "dir")
        #expect(named("/") == "document")
    }
}
