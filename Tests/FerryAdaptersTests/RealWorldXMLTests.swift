import Foundation
import Testing
import FerryCore
@testable import FerryAdapters

/// XML as provincial and national systems export it: attributes beside text, namespaces,
/// entities, files cut off, deep nesting. A file is read whole or not at all.
@Suite struct RealWorldXMLTests {
    let fixture = FolderFixture()

    func source(record: String = "Record") throws -> FolderAdapter {
        try fixture.adapter(.xml) { $0.recordElement = record }
    }

    @Test func anElementWithAttributesKeepsItsText() throws {
        try fixture.drop("a.xml", """
            <Records><Record id="1"><JE bz="CNY">1280.50</JE><XM>陈静</XM><DH lx="手机" qh="86">13800000000</DH>
            <BZ bz="USD">1</BZ><BZ>2</BZ><BZ bz="EUR">3</BZ><DW dm="9135"><MC>外办</MC></DW><SM>a<b>x</b>c</SM></Record></Records>
            """)
        let row = try #require(try fixture.read(try source()).rows.first)
        #expect(row["JE"] == "1280.50" && row["JE@bz"] == "CNY")
        #expect(row["DH"] == "13800000000" && row["DH@lx"] == "手机" && row["DH@qh"] == "86")
        #expect(row["BZ"] == ["1", "2", "3"] && row["BZ@bz"] == ["USD", .null, "EUR"], "repeated children keep attributes aligned")
        #expect(row["DW"] == .object(["MC": "外办"]) && row["DW@dm"] == "9135")
        #expect(row["SM"] == .object(["b": "x", "#text": "ac"]), "mixed text is kept")
        #expect(row["id"] == "1")
    }

    @Test func namespacedRecordsMatchByQualifiedOrLocalName() throws {
        let document = """
            <gx:Records xmlns:gx="urn:gov:gx" xmlns:o="urn:other">
              <gx:Record gx:id="1"><gx:XM>陈静</gx:XM><gx:JE>1</gx:JE></gx:Record>
              <o:Record><o:XM>王伟</o:XM></o:Record>
            </gx:Records>
            """
        try fixture.drop("a.xml", document)
        let qualified = try fixture.read(try source(record: "gx:Record")).rows
        #expect(qualified == [["XM": "陈静", "JE": "1", "id": "1"]], "a prefix matches that prefix only; fields by local name")
        try FileManager.default.moveItem(at: fixture.folder.appendingPathComponent("done/a.xml"), to: fixture.folder.appendingPathComponent("a.xml"))
        let local = try fixture.read(try source(record: "Record")).rows
        #expect(local.map { $0["XM"] } == ["陈静", "王伟"], "a bare name matches whatever the prefix")
    }

    @Test func aFileWithNoMatchingRecordIsHeldNotRetired() throws {
        try fixture.drop("a.xml", "<gx:Records xmlns:gx=\"urn:x\"><gx:Item><gx:XM>1</gx:XM></gx:Item></gx:Records>")
        let error = try fixture.refusal(try source(record: "Row"))
        #expect(error?.message.contains("no <Row> elements") == true, "\(String(describing: error))")
        #expect(error?.message.contains("<gx:Records>, <gx:Item>, <gx:XM>") == true, "it says which elements there are")
        #expect(fixture.waiting("a.xml") && !fixture.retired("a.xml"))
    }

    /// A cut-off file is refused at its place before any record of it is handed on.
    @Test(arguments: [
        ("<Records><Record><id>1</id></Record><Record><id>2</id><name>王", "Record"),
        ("<Records>\n<Record><id>1</id></Record>\n<Record><id>2</id></Record>\n", "Records"),
        ("<Records><Record><id>1</id></Record></Records><Record><id>2</id></Record>", "content after"),
    ])
    func aBrokenFileIsRefusedWholeAndHeld(_ document: String, _ said: String) throws {
        let records = (1...2000).map { "<Record><id>\($0)</id></Record>" }.joined()
        try fixture.drop("a.xml", document.replacingOccurrences(of: "<Records>", with: "<Records>" + records))
        var reader = try (try source()).read(since: nil, batchSize: 10)
        do {
            let batch = try reader.next()
            Issue.record("a batch of a broken file was handed on: \(batch?.rows.count ?? 0) rows")
        } catch let error as FerryError {
            #expect(error.message.hasPrefix("not well-formed XML: ") && error.message.contains(said), "\(error)")
            #expect(error.location?.description.contains("a.xml:") == true)
        }
        #expect(fixture.waiting("a.xml"))
    }

    @Test func internalEntitiesAreRefusedNeverDropped() throws {
        try fixture.drop("a.xml", "<!DOCTYPE r [<!ENTITY i \"INT\">]>\n<r><Record><v>a&i;b</v></Record></r>")
        let error = try fixture.refusal(try source())
        #expect(error?.message.contains("declares entity i") == true && error?.location?.description.hasSuffix("a.xml:1:14") == true,
            "\(String(describing: error))")
        #expect(fixture.waiting("a.xml"))
    }

    @Test func externalEntitiesAreRefusedNeverFetched() throws {
        let secret = fixture.root.appendingPathComponent("secret.txt")
        try FileManager.default.createDirectory(at: fixture.root, withIntermediateDirectories: true)
        try Data("TOP SECRET".utf8).write(to: secret)
        try fixture.drop("a.xml", "<!DOCTYPE r [ <!-- x > ] --> <!ENTITY leak SYSTEM \"file://\(secret.path)\"> ]>\n<r><Record><v>&leak;after</v></Record></r>")
        let error = try fixture.refusal(try source())
        #expect(error?.message.contains("external entity leak") == true, "\(String(describing: error))")
        #expect(error?.description.contains("TOP SECRET") == false)
        // Parameter entities, and a reference to one no DTD here declares, are refused too.
        let other = FolderFixture()
        try other.drop("b.xml", "<!DOCTYPE r [<!ENTITY % p SYSTEM \"x.dtd\"> %p;]><r><Record><v>a</v></Record></r>")
        #expect(try other.refusal(try other.adapter(.xml) { $0.recordElement = "Record" })?.message.contains("parameter entity %p") == true)
        let undeclared = FolderFixture()
        try undeclared.drop("c.xml", "<!DOCTYPE r SYSTEM \"r.dtd\"><r><Record><v>a&nbsp;b</v></Record></r>")
        let refused = try undeclared.refusal(try undeclared.adapter(.xml) { $0.recordElement = "Record" })
        #expect(refused?.message.contains("&nbsp; is not declared") == true, "\(String(describing: refused))")
    }

    @Test func predefinedEntitiesAndCharacterReferencesRead() throws {
        try fixture.drop("a.xml", "<?xml version=\"1.0\"?><!DOCTYPE r><r><Record><v>a&amp;b&lt;&#x9648;&#38745;</v></Record></r>")
        #expect(try fixture.read(try source()).rows == [["v": "a&b<陈静"]])
    }

    @Test func deepNestingIsRefusedWithoutACrash() throws {
        let depth = 52_000
        try fixture.drop("a.xml", "<r><Record>" + String(repeating: "<a>", count: depth) + "x" + String(repeating: "</a>", count: depth) + "</Record></r>")
        let error = try fixture.refusal(try source())
        #expect(error?.message.contains("nested more than \(XMLRecordReader.maxDepth) deep") == true, "\(String(describing: error))")
        #expect(error?.location?.description.contains("a.xml:1:") == true)
    }

    /// Parser errors are described in words, at their line and column.
    @Test(arguments: [
        ("<r><Record><a>1</b></Record></r>", "a closing tag does not match", "1:"),
        ("<r><Record a=1/></r>", "attribute without a quoted value", "1:"),
        ("<r>\n<Record><v>a & b</v></Record></r>", "write &amp; for a literal ampersand", "2:"),
        ("<r><Record><v>\u{1}</v></Record></r>", "a character XML does not allow", "1:"),
    ])
    func parserErrorsAreDescribedInWords(_ document: String, _ words: String, _ line: String) throws {
        try fixture.drop("a.xml", document)
        let error = try fixture.refusal(try source())
        #expect(error?.message.contains(words) == true, "\(String(describing: error))")
        #expect(error?.location?.description.contains("a.xml:\(line)") == true)
    }

    @Test func theDeclaredEncodingOrAByteOrderMarkIsHonoured() throws {
        try fixture.drop("a.xml", try encoded("<?xml version=\"1.0\" encoding=\"GB18030\"?><r><Record><v>陈𠀀</v></Record></r>", as: "GB18030"))
        try fixture.drop("b.xml", [0xFF, 0xFE] + (try encoded("<?xml version=\"1.0\" encoding=\"UTF-16\"?><r><Record><v>静</v></Record></r>", as: "UTF-16LE")))
        #expect(try fixture.read(try source()).rows == [["v": "陈𠀀"], ["v": "静"]])
        // Bytes that are not GB18030, in a file that says it is: located, not replaced.
        let bad = FolderFixture()
        try bad.drop("c.xml", Array("<?xml version=\"1.0\" encoding=\"GB18030\"?>\n<r><Record><v>".utf8) + [0x81, 0x20] + Array("</v></Record></r>".utf8))
        let error = try bad.refusal(try bad.adapter(.xml) { $0.recordElement = "Record" })
        #expect(error?.message == "bytes that are not GB18030 text" && error?.location?.description.hasSuffix("c.xml:2:15") == true,
            "\(String(describing: error))")
    }

    /// What the reader gives, the writer writes back: `X@a` as attributes, line breaks and
    /// leading spaces exactly, and a value XML cannot carry refused alone.
    @Test func writtenFilesReadBackWithAttributesAndExactText() throws {
        let sink = try source()
        let values: [[String: Value]] = [
            ["id": "1", "JE": "1280.50", "JE@bz": "CNY", "BZ": "  a\r\nb ", "DH@lx": "手机 \"1\"\n"],
            ["id": "2", "JE": "\u{1}", "BZ": .null],
        ]
        let outcomes = try sink.apply(values.map { SinkRow(key: ["id": $0["id"] ?? .null], values: $0) })
        #expect(outcomes[0] == .applied)
        guard case .rejected(let reason) = outcomes[1] else {
            Issue.record("\(outcomes)")
            return
        }
        #expect(reason.contains("control character"))
        try fixture.readBack()
        let rows = try fixture.read(try source()).rows
        // DH had only an attribute: its element is written empty, and an empty element reads
        // as the empty string (an absent one as null).
        #expect(rows == [["id": "1", "JE": "1280.50", "JE@bz": "CNY", "BZ": "  a\r\nb ", "DH": "", "DH@lx": "手机 \"1\"\n"]])
    }

    @Test func aPrefixedRecordOptionIsAccepted() throws {
        let node = try ConfigNode.parse("folder: in\nrecord: gx:Record\n", file: "ferry.yaml")
        #expect(try FolderAdapter.options(node, format: .xml, system: "s", baseDirectory: fixture.root).recordElement == "gx:Record")
        let bad = try ConfigNode.parse("folder: in\nrecord: a:b:c\n", file: "ferry.yaml")
        #expect(throws: FerryError.self) { try FolderAdapter.options(bad, format: .xml, system: "s", baseDirectory: fixture.root) }
    }

    /// Foundation's parser on Linux crashes on `<?x?>` (an instruction without data); such
    /// instructions are read as the empty instructions they are, anywhere in the document.
    @Test func anInstructionWithoutDataDoesNotCrash() throws {
        try fixture.drop("a.xml", "<?pi?><r><?x?><Record><?y?><v>1</v><?z?></Record></r><?end?>")
        #expect(try fixture.read(try source()).rows == [["v": "1"]])
        let cut = FolderFixture()
        try cut.drop("b.xml", "<?pi?>cords xmlns:gx=\"urn:gx\"6<gx:Recordd>1</gx:id><gx")
        #expect(try cut.refusal(try cut.adapter(.xml) { $0.recordElement = "Record" }) != nil)
    }

    /// The mend touches instructions only: comments, CDATA, attribute values and DOCTYPE
    /// literals pass unchanged, whichever way the blocks fall.
    @Test func theInstructionMendChangesNothingElse() {
        let document = "<!DOCTYPE r [<!ATTLIST r a CDATA '<?q?>'><?in?><!-- <?c?> -->]><r a='<?v?>'><![CDATA[<?d?>]]><!--<?e?>--><?f?>x</r>"
        let expected = document.replacingOccurrences(of: "<?in?>", with: "<?in ?>").replacingOccurrences(of: "<?f?>", with: "<?f ?>")
        for size in [1, 2, 3, 7, document.utf8.count] {
            var guardian = XMLInstructionGuard()
            var out: [UInt8] = []
            var bytes = Array(document.utf8)[...]
            while !bytes.isEmpty {
                out += guardian.filter(Array(bytes.prefix(size)))
                bytes = bytes.dropFirst(size)
            }
            #expect(String(decoding: out, as: UTF8.self) == expected, "blocks of \(size)")
        }
    }

    @Test func prologScannerFindsDeclarationsSplitAcrossBlocks() {
        var scanner = XMLPrologScanner()
        let text = Array("<?xml version='1.0'?>\n<!-- <!ENTITY no 'x'> -->\n<!DOCTYPE r [ <!ATTLIST r a CDATA '>]'> <!ENTITY yes 'y'> ]><r/>".utf8)
        var finding: XMLPrologScanner.Finding?
        for byte in text where finding == nil { finding = scanner.feed([byte]) }
        #expect(finding == .entity(name: "yes", external: false, parameter: false, line: 3, column: 41))
        var clean = XMLPrologScanner()
        #expect(clean.feed(Array("<!DOCTYPE r SYSTEM 'r.dtd'><r>&x;</r>".utf8)) == nil && clean.finished)
    }
}
