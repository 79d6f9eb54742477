public import Foundation
import FerryCore
import FerryMapping
import FerrySeal
import FerryNode
import FerryOps

/// `ferry bench mapping`: canonical official-travel records mapped into the approval
/// system's dialect, one core, NDJSON file to NDJSON file, beside jq 1.6 running the
/// equivalent program over the same file in the same run.
public enum MappingBenchmark {
    public struct Result: Sendable {
        public var records: Int
        public var inputMegabytes: Double
        public var ferryPerSecond: Double
        public var rejected: Int
        /// nil when jq is not installed.
        public var jqPerSecond: Double?
        public var jqVersion: String?
        public var peakRSSMB: Double
    }

    static let entity = """
        entity: OfficialTravel
        key: [application_id]
        version: updated_at
        fields:
          application_id: { type: string, required: true }
          applicant_name: { type: string, personal: true }
          id_number:      { type: string, personal: true }
          gender:         { type: code, table: gender }
          birth_date:     { type: date }
          destinations:   { type: list, each: { type: code, table: country } }
          depart_date:    { type: date }
          return_date:    { type: date }
          purpose:        { type: string }
          updated_at:     { type: timestamp }
        """

    static let mapping = """
        system: approval
        entity: OfficialTravel
        fields:
          application_id: { column: SQBH }
          applicant_name: { column: XM }
          id_number:      { column: SFZH }
          gender:         { column: XB, translate: gender.gbt2261 }
          birth_date:     { column: CSRQ, format: yyyyMMdd }
          destinations:   { column: QWGJ, each: { translate: country.numeric }, join: "," }
          depart_date:    { column: CJRQ, format: yyyyMMdd }
          return_date:    { column: HGRQ, format: yyyyMMdd }
          purpose:        { column: CFSY }
          updated_at:     { column: GXSJ, format: yyyyMMddHHmmss }
        """

    /// - Parameter codes: the `Mappings/codes` folder (gender and country tables).
    public static func run(records: Int, codes: URL, directory: URL) throws -> Result {
        try? FileManager.default.removeItem(at: directory)
        for folder in ["entities", "codes", "systems"] {
            try FileManager.default.createDirectory(at: directory.appendingPathComponent(folder), withIntermediateDirectories: true)
        }
        for table in ["gender", "country"] {
            try FileManager.default.copyItem(
                at: codes.appendingPathComponent("\(table).csv"), to: directory.appendingPathComponent("codes/\(table).csv"))
        }
        try Data(entity.utf8).write(to: directory.appendingPathComponent("entities/official-travel.yaml"))
        let mappingFile = directory.appendingPathComponent("systems/approval.yaml")
        try Data(mapping.utf8).write(to: mappingFile)
        let library = try MappingLibrary.containing(mappingFile)
        let compiled = try library.mapping(mappingFile)

        let input = directory.appendingPathComponent("records.ndjson")
        let size = try generate(records: records, to: input, countries: compiled)

        var clock = Stopwatch()
        let counts = try MappingStream(mapping: compiled, direction: .write).run(
            input: try FileHandle(forReadingFrom: input), output: try FileHandle(forWritingTo: URL(fileURLWithPath: "/dev/null")),
            rejects: nil, inputName: input.path)
        let ferrySeconds = clock.lap()

        var jqPerSecond: Double?
        var jqVersion: String?
        if let jq = PeerTool.locate("jq") {
            // The whole country table as a jq object: alpha-3 → numeric.
            let country = try library.codes.table("country", at: SourceLocation(file: "bench", line: 1, column: 1))
            let numeric = country.canonicalCodes.sorted().map { "\"\($0)\":\"\(country.forward($0, to: "numeric") ?? "")\"" }
                .joined(separator: ",")
            let program = """
                {SQBH: .application_id, XM: .applicant_name, SFZH: .id_number,
                 XB: ({"male":"1","female":"2","unknown":"0","unspecified":"9"}[.gender] // "9"),
                 CSRQ: (.birth_date|gsub("-";"")),
                 QWGJ: ([.destinations[]|{\(numeric)}[.]]|join(",")),
                 CJRQ: (.depart_date|gsub("-";"")), HGRQ: (.return_date|gsub("-";"")),
                 CFSY: .purpose, GXSJ: (.updated_at|gsub("[-:TZ]";""))}
                """
            let programFile = directory.appendingPathComponent("approval.jq")
            try Data(program.utf8).write(to: programFile)
            jqVersion = try PeerTool.capture(jq, ["--version"]).trimmingCharacters(in: .whitespacesAndNewlines)
            _ = clock.lap()
            try PeerTool.run(jq, ["-c", "-f", programFile.path, input.path])
            jqPerSecond = Double(records) / clock.lap()
        }
        return Result(
            records: records, inputMegabytes: Double(size) / 1_048_576, ferryPerSecond: Double(counts.lines) / ferrySeconds,
            rejected: counts.rejected, jqPerSecond: jqPerSecond, jqVersion: jqVersion, peakRSSMB: SealBenchmark.peakRSS())
    }

    /// Canonical records as NDJSON, written in large blocks; returns the file's size.
    static func generate(records: Int, to url: URL, countries mapping: Mapping) throws -> Int {
        _ = FileManager.default.createFile(atPath: url.path, contents: nil)
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        var data = DemoData(seed: 500)
        var out: [UInt8] = []
        var size = 0
        let base = Date(timeIntervalSince1970: 1_795_000_000)
        for index in 0..<records {
            let application = data.application(index: index, bad: false, base: base).row
            let id = application["id_card"] ?? ""
            let birth = id.count == 18 ? "\(id.dropFirst(6).prefix(4))-\(id.dropFirst(10).prefix(2))-\(id.dropFirst(12).prefix(2))" : ""
            let destinations = (application["destinations"] ?? "").split(separator: ";").map { code in
                Value.string(mapping.rule(for: "destinations")?.eachTranslate?.table.backward(String(code), from: "alpha2") ?? String(code))
            }
            let record: Value = .object([
                "application_id": .string(application["app_no"] ?? ""), "applicant_name": .string(application["applicant_name"] ?? ""),
                "id_number": .string(id), "gender": .string(application["sex"] == "M" ? "male" : "female"), "birth_date": .string(birth),
                "destinations": .list(destinations), "depart_date": .string(application["depart_on"] ?? ""),
                "return_date": .string(application["return_on"] ?? ""), "purpose": .string(application["purpose"] ?? ""),
                "updated_at": .string((application["updated_at"] ?? "").replacingOccurrences(of: " ", with: "T") + "Z"),
            ])
            CanonicalJSON.write(record, into: &out)
            out.append(0x0A)
            if out.count > 1 << 20 {
                try handle.writeAll(out)
                size += out.count
                out.removeAll(keepingCapacity: true)
            }
        }
        try handle.writeAll(out)
        return size + out.count
    }
}
