/// Puts a space into every processing instruction that has no data (`<?x?>` becomes
/// `<?x ?>`, which XML reads the same: an instruction whose data is empty).
///
/// Foundation's XMLParser on Linux (swift-corelibs-foundation, with libxml2 2.9) crashes
/// on an instruction without data: libxml2 hands its delegate bridge a NULL data pointer,
/// which it reads as a C string. Ferry must never crash on input, so the document is
/// mended on its way to the parser. Comments, CDATA sections, quoted attribute values and
/// quoted literals of a DOCTYPE are passed on untouched, so no text is changed.
///
/// A state machine over the bytes, fed block by block (a token may straddle two blocks).
struct XMLInstructionGuard {
    private enum State {
        case text
        /// Just after `<`.
        case open
        /// After `<!`: the bytes seen so far, to tell a comment, CDATA and a declaration apart.
        case bang([UInt8])
        case comment
        case cdata
        /// Inside a tag or a declaration; `quote` while in a quoted value.
        case tag(quote: UInt8?)
        /// Reading an instruction's target; `length` bytes of it so far.
        case target(length: Int)
        case instruction
    }

    private var state = State.text
    /// Inside a DOCTYPE's internal subset (`[` … `]`), where markup nests.
    private var inSubset = false
    private var inDoctype = false
    /// The last two bytes, for `-->`, `]]>` and `?>` split between blocks.
    private var last: (UInt8, UInt8) = (0, 0)

    mutating func filter(_ block: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(block.count + 8)
        for byte in block {
            if case .target(let length) = state, byte == UInt8(ascii: "?") {
                if length > 0 { out.append(0x20) }  // the mend: `<?x?>` → `<?x ?>`
                state = .instruction
            }
            out.append(byte)
            step(byte)
            last = (last.1, byte)
        }
        return out
    }

    /// Where markup that ended returns to: the DOCTYPE's subset, or text.
    private var outside: State { inSubset ? .tag(quote: nil) : .text }

    private mutating func step(_ byte: UInt8) {
        switch state {
        case .text:
            if byte == UInt8(ascii: "<") { state = .open }
        case .open:
            switch byte {
            case UInt8(ascii: "?"): state = .target(length: 0)
            case UInt8(ascii: "!"): state = .bang([])
            default: state = .tag(quote: nil)
            }
        case .bang(var seen):
            seen.append(byte)
            if seen == Array("--".utf8) {
                state = .comment
            } else if seen == Array("[CDATA[".utf8) {
                state = .cdata
            } else if !Array("[CDATA[".utf8).starts(with: seen) && !Array("--".utf8).starts(with: seen) {
                if !inSubset && seen.count == 1 && byte == UInt8(ascii: "D") { inDoctype = true }
                state = .tag(quote: nil)
            } else {
                state = .bang(seen)
            }
        case .comment:
            if byte == UInt8(ascii: ">") && last == (UInt8(ascii: "-"), UInt8(ascii: "-")) { state = outside }
        case .cdata:
            if byte == UInt8(ascii: ">") && last == (UInt8(ascii: "]"), UInt8(ascii: "]")) { state = outside }
        case .target(let length):
            let space = byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
            state = space ? .instruction : .target(length: length + 1)
        case .instruction:
            if byte == UInt8(ascii: ">") && last.1 == UInt8(ascii: "?") { state = outside }
        case .tag(let quote):
            tag(byte, quote: quote)
        }
    }

    private mutating func tag(_ byte: UInt8, quote: UInt8?) {
        if let quote {
            if byte == quote { state = .tag(quote: nil) }
            return
        }
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "'"):
            state = .tag(quote: byte)
        case UInt8(ascii: "[") where inDoctype && !inSubset:
            inSubset = true
        case UInt8(ascii: "]") where inSubset:
            inSubset = false
        case UInt8(ascii: "<") where inSubset:
            state = .open
        case UInt8(ascii: ">"):
            if !inSubset {
                inDoctype = false
                state = .text
            }
            // Inside the subset, `>` ends one declaration; the subset goes on.
        default:
            break
        }
    }
}
