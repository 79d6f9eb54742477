public import Foundation
import FerryCore

/// `ferry mapping apply`: NDJSON through a mapping, one line at a time, in constant memory.
/// Reading turns system rows into canonical records (their fields as one object per line);
/// writing turns canonical records back into system rows. Lines that fail go to the
/// rejects file with their line number and reasons, and the run goes on.
public struct MappingStream {
    public enum Direction: String, Sendable, CaseIterable {
        /// System rows in, canonical records out.
        case read
        /// Canonical records in, system rows out.
        case write
    }

    public struct Counts: Sendable {
        public var lines = 0
        public var mapped = 0
        public var rejected = 0
    }

    public let mapping: Mapping
    public let direction: Direction
    /// The byte-level form of the mapping for ordinary lines, when it has one.
    let compiled: CompiledWriter?

    public init(mapping: Mapping, direction: Direction, compile: Bool = true) {
        self.mapping = mapping
        self.direction = direction
        compiled = compile && direction == .write ? CompiledWriter(mapping) : nil
    }

    /// Maps every line of `input` to `output`; rejects (if given) receive
    /// `{"line": N, "issues": [...], "key": masked}` per failed line.
    public func run(input: FileHandle, output: FileHandle, rejects: FileHandle?, inputName: String) throws -> Counts {
        var counts = Counts()
        var out: [UInt8] = []
        out.reserveCapacity(1 << 20)
        var rejected: [UInt8] = []
        try NDJSONLines(input, name: inputName).forEach { line, number in
            counts.lines += 1
            // Flush before, not after, each line: the compiled path returns early.
            if out.count >= 1 << 20 {
                try output.writeAll(out)
                out.removeAll(keepingCapacity: true)
            }
            if rejected.count >= 1 << 16, let rejects {
                try rejects.writeAll(rejected)
                rejected.removeAll(keepingCapacity: true)
            }
            // The compiled writer takes ordinary lines; the rest, and every reject, the general path.
            if let compiled, compiled.write(line, into: &out) {
                out.append(0x0A)
                counts.mapped += 1
                return
            }
            switch map(line, number: number, inputName: inputName) {
            case .success(let bytes):
                out.append(contentsOf: bytes)
                out.append(0x0A)
                counts.mapped += 1
            case .failure(let reject):
                counts.rejected += 1
                CanonicalJSON.write(.object([
                    "line": .int(Int64(number)), "key": .string(reject.key),
                    "issues": .list(reject.issues.map { issue in
                        .object([
                            "field": issue.field.map(Value.string) ?? .null, "rule": .string(issue.rule), "message": .string(issue.message),
                            "at": issue.location.map { .string($0.description) } ?? .null,
                        ])
                    }),
                ]), into: &rejected)
                rejected.append(0x0A)
            }
        }
        try output.writeAll(out)
        if let rejects { try rejects.writeAll(rejected) }
        return counts
    }

    struct Reject: Error {
        var key: String
        var issues: [MappingIssue]
    }

    /// One line mapped, or why not. Malformed JSON is a reject like any other, with its
    /// file:line:column, so one bad line does not cost a whole file. Bytes that are not
    /// UTF-8 are malformed JSON (RFC 8259 §8.1): refused with their place, as a folder
    /// source refuses them, never read as U+FFFD.
    func map(_ line: ArraySlice<UInt8>, number: Int, inputName: String) -> Result<[UInt8], Reject> {
        let value: Value
        do {
            value = try CanonicalJSON.decode(line, file: inputName, line: number)
        } catch {
            var message = "not JSON: \(error)"
            var location: SourceLocation?
            if let error = error as? FerryError {
                message = "not JSON: " + error.message + (error.hint.map { "; \($0)" } ?? "")
                if case .file(let place) = error.location { location = place }
            }
            return .failure(Reject(key: "?", issues: [MappingIssue(field: nil, rule: "json", message: message, at: location)]))
        }
        guard case .object(let fields) = value else {
            return .failure(Reject(key: "?", issues: [MappingIssue(field: nil, rule: "json", message: "not a JSON object",
                at: SourceLocation(file: inputName, line: number, column: 1))]))
        }
        switch direction {
        case .read:
            switch mapping.read(fields) {
            case .record(let record): return .success(CanonicalJSON.encode(.object(record.fields)))
            case .rejected(let key, let issues): return .failure(Reject(key: key, issues: issues))
            }
        case .write:
            let entity = mapping.entity
            let key = entity.key.map { fields[$0]?.text ?? "" }
            let record = Record(entity: entity.name, key: key, version: fields[entity.version]?.text ?? "", fields: fields)
            do {
                return .success(CanonicalJSON.encode(.object(try mapping.write(record))))
            } catch let issue as MappingIssue {
                return .failure(Reject(key: mapping.displayKey(fields), issues: [issue]))
            } catch {
                return .failure(Reject(key: mapping.displayKey(fields), issues: [MappingIssue(field: nil, rule: "write", message: "\(error)")]))
            }
        }
    }
}

/// Lines of an NDJSON stream, read in large blocks. A line longer than `maxLine` is an
/// error naming the file and line, not an unbounded buffer.
struct NDJSONLines {
    let handle: FileHandle
    let name: String
    var maxLine = 16 << 20

    init(_ handle: FileHandle, name: String) {
        self.handle = handle
        self.name = name
    }

    /// Calls `body` with each line that holds more than whitespace (without its LF or CRLF)
    /// and its 1-based number. A UTF-8 byte order mark at the very start is not part of the
    /// first line, as in every other text source; anywhere else it is refused as JSON.
    func forEach(_ body: (ArraySlice<UInt8>, Int) throws -> Void) throws {
        var buffer: [UInt8] = []
        var number = 0
        var started = false
        while true {
            let block = try handle.read(upToCount: 1 << 20) ?? Data()
            let atEnd = block.isEmpty
            buffer.append(contentsOf: block)
            if !started {
                // A pipe may deliver fewer than three bytes at first.
                guard buffer.count >= 3 || atEnd else { continue }
                if buffer.starts(with: [0xEF, 0xBB, 0xBF]) { buffer.removeFirst(3) }
                started = true
            }
            var start = buffer.startIndex
            while let newline = buffer[start...].firstIndex(of: 0x0A) {
                number += 1
                let line = buffer[start..<newline]
                if !Self.isBlank(line) { try body(line.last == 0x0D ? line.dropLast() : line, number) }
                start = newline + 1
            }
            buffer.removeSubrange(buffer.startIndex..<start)
            if buffer.count > maxLine {
                throw FerryError(.config, "line \(number + 1) of \(name) is longer than \(maxLine) bytes",
                    hint: "NDJSON needs one record per line; check the file's line endings")
            }
            if atEnd {
                if !Self.isBlank(buffer[...]) { try body(buffer[...], number + 1) }
                return
            }
        }
    }

    /// Spaces, tabs and CRs only (or nothing): skipped, as the folder source skips them.
    static func isBlank(_ line: ArraySlice<UInt8>) -> Bool {
        line.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
    }
}
