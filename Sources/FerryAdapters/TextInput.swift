import Foundation
import FerryCore

/// A file read as blocks of UTF-8, whatever its encoding, so readers parse one encoding
/// and memory stays flat (one block and its conversion at a time).
///
/// A leading byte-order mark is dropped (Excel's "CSV UTF-8" starts with one). Bytes
/// invalid in the file's encoding are never replaced by U+FFFD: each invalid sequence
/// becomes the byte 0xFF, which is never UTF-8 (RFC 3629 §1), so the reader's UTF-8 check
/// stops at it with its line and column; `firstInvalid` says where the first one was.
struct TextInput {
    enum Plan: Equatable {
        /// UTF-8 as it is (the reader checks it); a UTF-16 mark is refused with what to set.
        case utf8
        /// UTF-16 in the order its byte-order mark gives; refused without a mark.
        case utf16ByMark
        /// Converted from this charset.
        case convert(Charset)
    }

    /// Stands in for each sequence that is invalid in the file's encoding.
    static let marker: UInt8 = 0xFF
    static let blockSize = 1 << 20

    let url: URL
    let plan: Plan
    private let handle: FileHandle
    private var transcoder: Transcoder?
    private var charset: Charset?
    /// Raw bytes not converted yet: a sequence split between two blocks.
    private var pending: [UInt8] = []
    private var started = false
    private var atEnd = false
    /// Lines and column reached by what was converted so far, to place an invalid sequence.
    private var newlines = 0
    private var column = 1
    /// Line and column (in characters) of the first sequence invalid in the file's encoding.
    private(set) var firstInvalid: (line: Int, column: Int)?

    init(url: URL, plan: Plan) throws {
        self.url = url
        self.plan = plan
        do { handle = try FileHandle(forReadingFrom: url) } catch {
            throw FerryError.adapter(.retryable, "cannot open \(url.path)", hint: "check the folder's permissions")
        }
    }

    func close() { try? handle.close() }

    /// The encoding's name for messages.
    var label: String {
        switch plan {
        case .utf8: return "UTF-8"
        case .utf16ByMark: return charset?.label ?? "UTF-16"
        case .convert(let charset): return charset.label
        }
    }

    /// The next block of UTF-8; nil at the end of the file.
    mutating func next() throws -> [UInt8]? {
        while true {
            guard var block = try readRaw() else {
                guard !pending.isEmpty else { return nil }
                // The file ends inside a multi-byte sequence.
                var output: [UInt8] = []
                markInvalid(in: &output, scannedFrom: 0)
                pending.removeAll()
                return output
            }
            if !started {
                started = true
                try start(&block)
            }
            guard transcoder != nil else {
                if block.isEmpty { continue }
                return block
            }
            let output = convert(block)
            if !output.isEmpty { return output }
        }
    }

    private mutating func readRaw() throws -> [UInt8]? {
        if atEnd { return nil }
        let data: Data?
        do { data = try handle.read(upToCount: Self.blockSize) } catch {
            throw FerryError.adapter(.retryable, "cannot read \(url.path)", hint: "check the disk and the file")
        }
        guard let data, !data.isEmpty else {
            atEnd = true
            return nil
        }
        return [UInt8](data)
    }

    /// Looks at the file's first bytes: drops a byte-order mark, picks UTF-16's order.
    private mutating func start(_ head: inout [UInt8]) throws {
        let mark = Array(head.prefix(3))
        switch plan {
        case .utf8:
            if mark == [0xEF, 0xBB, 0xBF] { head.removeFirst(3) }
            if mark.starts(with: [0xFF, 0xFE]) || mark.starts(with: [0xFE, 0xFF]) {
                throw FerryError.adapter(.permanent, "the file starts with a UTF-16 byte-order mark, but the system reads UTF-8",
                    at: SourceLocation(file: url.path, line: 1, column: 1), hint: "set encoding: utf-16 in the system's options")
            }
        case .utf16ByMark:
            if mark.starts(with: [0xFF, 0xFE]) {
                charset = .utf16LittleEndian
            } else if mark.starts(with: [0xFE, 0xFF]) {
                charset = .utf16BigEndian
            } else {
                throw FerryError.adapter(.permanent, "the file has no UTF-16 byte-order mark, so its byte order is unknown",
                    at: SourceLocation(file: url.path, line: 1, column: 1),
                    hint: "set encoding: utf-16le or utf-16be (or utf-8, if the file is UTF-8)")
            }
            head.removeFirst(2)
        case .convert(let fixed):
            charset = fixed
        }
        if let charset { transcoder = try Transcoder(from: charset.iconvName, to: "UTF-8") }
    }

    /// Converts a raw block (after what was pending) to UTF-8.
    private mutating func convert(_ block: [UInt8]) -> [UInt8] {
        guard let transcoder, let charset else { return block }
        let input = pending + block
        pending.removeAll()
        var output: [UInt8] = []
        output.reserveCapacity(input.count * 3 / 2)
        var offset = 0
        var scanned = 0
        while offset < input.count {
            let (consumed, stop) = transcoder.convert(input[offset...], into: &output)
            offset += consumed
            switch stop {
            case .done:
                break
            case .incomplete:
                pending = Array(input[offset...])
                offset = input.count
            case .invalid:
                scanned = markInvalid(in: &output, scannedFrom: scanned)
                offset = min(input.count, offset + charset.unit)
            }
        }
        if newlines == 0, column == 1, firstInvalid == nil, output.starts(with: [0xEF, 0xBB, 0xBF]) {
            output.removeFirst(3)  // a byte-order mark in the file's own encoding
        }
        advance(over: output[scanned...])
        return output
    }

    /// Puts the marker for an invalid sequence and remembers where the first one was.
    @discardableResult
    private mutating func markInvalid(in output: inout [UInt8], scannedFrom scanned: Int) -> Int {
        advance(over: output[scanned...])
        if firstInvalid == nil { firstInvalid = (newlines + 1, column) }
        output.append(Self.marker)
        column += 1
        return output.count
    }

    /// Counts lines and characters (UTF-8 lead bytes) of converted text.
    private mutating func advance(over bytes: ArraySlice<UInt8>) {
        for byte in bytes {
            if byte == 0x0A {
                newlines += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
        }
    }
}
