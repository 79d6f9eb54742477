import Foundation
import FerryCore
import FerryMapping

extension SeedSpec {
    /// The `n`-th record's canonical fields. The random draws come from a generator seeded
    /// by `n` alone, so a record does not depend on how many came before it.
    func fields(_ n: Int) throws -> [String: Value] {
        var random = SplitMix64(seed: 0x5EED_0000 &+ UInt64(n))
        var known: [String: String] = ["n": String(n)]
        var record: [String: Value] = [:]
        for (name, generator) in helpers {
            known[name] = try Self.text(generator, n: n, known: known, random: &random, field: name).text
        }
        for (name, generator) in fields {
            let value = try Self.text(generator, n: n, known: known, random: &random, field: name)
            record[name] = value
            known[name] = value.text
        }
        return record
    }

    static func text(_ generator: Generator, n: Int, known: [String: String], random: inout SplitMix64, field: String) throws -> Value {
        func draw(_ count: Int) -> Int { Int(random.next() % UInt64(count)) }
        switch generator {
        case .value(let text): return .string(text)
        case .cycle(let items): return .string(items[n % items.count])
        case .pick(let items): return .string(items[draw(items.count)])
        case .pattern(let pattern): return .string(try fill(pattern, known: known, field: field))
        case .uscc(let divisionField):
            let division = try Self.division(divisionField, known: known, field: field)
            let alphabet = Array("0123456789ABCDEFGHJKLMNPQRTUWXY")
            let first17 = "91" + division + String((0..<9).map { _ in alphabet[draw(alphabet.count)] })
            return .string(first17 + String(Validators.usccCheck(first17)))
        case .residentID(let divisionField):
            let division = try Self.division(divisionField, known: known, field: field)
            let birth = String(format: "%04d%02d%02d%03d", 1960 + draw(45), 1 + draw(12), 1 + draw(28), draw(1000))
            return .string(division + birth + String(Validators.residentIDCheck(division + birth)))
        case .decimal(let low, let high):
            // In canonical spelling: no trailing zeros after the point, no point for a whole.
            let cents = low * 100 + draw((high - low) * 100 + 1)
            let (whole, fraction) = (cents / 100, cents % 100)
            let text = fraction == 0 ? "\(whole)" : fraction % 10 == 0 ? "\(whole).\(fraction / 10)" : "\(whole).\(fraction < 10 ? "0" : "")\(fraction)"
            return .decimal(text)
        case .date(let start, let days):
            let base = Timestamp.parse(start + "T00:00:00Z") ?? Date(timeIntervalSince1970: 0)
            return .string(String(Timestamp.format(base.addingTimeInterval(Double(draw(days + 1)) * 86_400)).prefix(10)))
        case .timestamp(let start, let step):
            return .string(Timestamp.format(start.addingTimeInterval(Double(n * step))))
        case .pdf(let text, let name):
            let content = Data(Self.pdf(try fill(text, known: known, field: field)).utf8)
            return .document(DocumentRef(size: Int64(content.count), mediaType: "application/pdf", name: try fill(name, known: known, field: field),
                content: content))
        case .sample(let items, let low, let high):
            let count = low + draw(high - low + 1)
            var chosen = Set<Int>()
            while chosen.count < count { chosen.insert(draw(items.count)) }
            return .list(chosen.sorted().map { .string(items[$0]) })
        }
    }

    /// A one-page PDF whose page says `text` (in a content stream; only its first bytes are
    /// checked on the way, as for any PDF).
    static func pdf(_ text: String) -> String {
        let stream = "BT /F1 12 Tf 72 760 Td (\(text.unicodeScalars.map { $0.isASCII ? String($0) : String(format: "\\u%04X", $0.value) }.joined())) Tj ET"
        return """
            %PDF-1.7
            1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj
            2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj
            3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >> endobj
            4 0 obj << /Length \(stream.utf8.count) >> stream
            \(stream)
            endstream endobj
            trailer << /Root 1 0 R >>
            %%EOF

            """
    }

    /// The six-digit GB/T 2260 division a `uscc` or `resident_id` generator names.
    static func division(_ name: String, known: [String: String], field: String) throws -> String {
        guard let division = known[name], division.count == 6, division.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw FerryError(.config, "\(field) takes its division from \(name), which is not a six-digit code generated before it",
                hint: "generate \(name) first (under let: or fields:), as a GB/T 2260 code")
        }
        return division
    }

    /// `{name}` is a known value; `{n:6}` is n padded with zeros to six digits.
    static func fill(_ pattern: String, known: [String: String], field: String) throws -> String {
        var out = ""
        var rest = Substring(pattern)
        while let open = rest.firstIndex(of: "{") {
            out += rest[..<open]
            guard let close = rest[open...].firstIndex(of: "}") else { break }
            let inside = rest[rest.index(after: open)..<close].split(separator: ":", maxSplits: 1).map(String.init)
            guard let name = inside.first, let value = known[name] else {
                throw FerryError(.config, "the pattern of \(field) names {\(inside.first ?? "")}, which is not generated before it",
                    hint: "name n, or a helper under let:, or a field above this one")
            }
            let width = inside.count > 1 ? Int(inside[1]) ?? 0 : 0
            out += String(repeating: "0", count: max(0, width - value.count)) + value
            rest = rest[rest.index(after: close)...]
        }
        return out + rest
    }
}
