/// Checks for Chinese national identifiers and common formats, by their published rules.
public enum Validators {
    public static let names = ["cn_resident_id", "cn_uscc", "cn_passport", "passport", "cn_mobile"]

    /// GB/T 2260 province-level codes: the first two digits of every area code.
    static let provinces: Set<String> = [
        "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42", "43", "44", "45", "46",
        "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82",
    ]

    /// GB 11643-1999 citizen identity number: an area code of a GB/T 2260 province (not
    /// the province's own 0000 code), a real birth date in positions 7–14, then an ISO 7064
    /// MOD 11-2 check character (0-9 or X). Cities and districts are not checked: a number
    /// keeps the code of where it was issued, and districts have merged and been renamed
    /// since (三明's 梅列区 became part of 三元区 in 2021), so a current table would refuse
    /// real people.
    public static func isResidentID(_ text: String) -> Bool {
        let chars = Array(text.utf8)
        guard chars.count == 18 else { return false }
        guard provinces.contains(String(decoding: chars[0..<2], as: UTF8.self)), chars[2..<6] != [0x30, 0x30, 0x30, 0x30][...] else {
            return false
        }
        let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
        var sum = 0
        for index in 0..<17 {
            guard (0x30...0x39).contains(chars[index]) else { return false }
            sum += Int(chars[index] - 0x30) * weights[index]
        }
        let expected = Array("10X98765432".utf8)[sum % 11]
        guard chars[17] == expected else { return false }
        let birth = String(decoding: chars[6..<14], as: UTF8.self)
        return DatePattern.compact.parse(birth) != nil
    }

    /// The GB 11643 check character for 17 leading digits: ISO 7064 MOD 11-2, weights
    /// 2^(17-i) mod 11, the character `"10X98765432"[sum mod 11]`. Anything but 17 ASCII
    /// digits gives `?`, which no number ends with.
    public static func residentIDCheck(_ first17: String) -> Character {
        let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
        guard first17.utf8.count == 17, first17.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else { return "?" }
        let sum = zip(first17.utf8, weights).reduce(0) { $0 + Int($1.0 - 0x30) * $1.1 }
        return Array("10X98765432")[sum % 11]
    }

    /// The 18-digit number of a 15-digit one (GB 11643-1989: 6-digit area code, `YYMMDD`
    /// birth date, 3-digit sequence, no check character; issued until GB 11643-1999 replaced
    /// it): `19` goes before the birth year, since every holder was born in the 1900s, and the
    /// check character after the sequence. `350203800101001` → `350203198001010013`. Nil
    /// unless the text is 15 ASCII digits whose birth date is a real date.
    public static func residentID18(from15 text: String) -> String? {
        let bytes = Array(text.utf8)
        guard bytes.count == 15, bytes.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
        let birth = "19" + String(decoding: bytes[6..<12], as: UTF8.self)
        guard DatePattern.compact.parse(birth) != nil else { return nil }
        let first17 = String(decoding: bytes[0..<6], as: UTF8.self) + birth + String(decoding: bytes[12..<15], as: UTF8.self)
        return first17 + String(residentIDCheck(first17))
    }

    /// Why `text` fails `cn_resident_id`, without quoting it (it is personal).
    static func residentIDReason(_ text: String) -> String {
        let bytes = Array(text.utf8)
        if bytes.count == 15, bytes.allSatisfy({ (0x30...0x39).contains($0) }) {
            if residentID18(from15: text) == nil { return "is a 15-digit resident ID number whose birth date is not a real date" }
            return "is a 15-digit resident ID number (GB 11643-1989, issued before 1999); "
                + "add transform: [id15to18] to the field in the mapping to upgrade it to the 18-digit number"
        }
        guard bytes.count == 18 else { return "is \(text.count) characters; a resident ID number (GB 11643-1999) has 18" }
        guard bytes[0..<17].allSatisfy({ (0x30...0x39).contains($0) }) else { return "has a character other than a digit in its first 17" }
        guard provinces.contains(String(decoding: bytes[0..<2], as: UTF8.self)), bytes[2..<6] != [0x30, 0x30, 0x30, 0x30][...] else {
            return "does not start with a GB/T 2260 area code"
        }
        guard DatePattern.compact.parse(String(decoding: bytes[6..<14], as: UTF8.self)) != nil else {
            return "has a birth date (characters 7-14) that is not a real date"
        }
        return "has a wrong check character (ISO 7064 MOD 11-2)"
    }

    static let usccAlphabet = Array("0123456789ABCDEFGHJKLMNPQRTUWXY")
    static let usccWeights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]

    /// GB 32100-2015 unified social credit code: 18 characters from a 31-symbol alphabet,
    /// the last a MOD 31 check character.
    public static func isUSCC(_ text: String) -> Bool {
        let chars = Array(text)
        guard chars.count == 18 else { return false }
        var values: [Int] = []
        for ch in chars {
            guard let value = usccAlphabet.firstIndex(of: ch) else { return false }
            values.append(value)
        }
        return values[17] == usccCheckValue(Array(values[0..<17]))
    }

    static func usccCheckValue(_ values: [Int]) -> Int {
        let sum = zip(values, usccWeights).reduce(0) { $0 + $1.0 * $1.1 }
        let check = 31 - sum % 31
        return check == 31 ? 0 : check
    }

    /// The GB 32100 check character for 17 leading characters.
    public static func usccCheck(_ first17: String) -> Character {
        let values = first17.map { usccAlphabet.firstIndex(of: $0) ?? 0 }
        return usccAlphabet[usccCheckValue(values)]
    }

    /// Passports of the People's Republic of China: ordinary (E and 8 digits; E, a letter
    /// other than I and O, and 7 digits on e-passports since 2017; G and 8 digits on older
    /// ones) and diplomatic, service and public-affairs (DE, SE, PE and 7 digits).
    public static func isChinesePassport(_ text: String) -> Bool {
        let chars = Array(text.utf8)
        func digits(_ range: Range<Int>) -> Bool { chars[range].allSatisfy { (0x30...0x39).contains($0) } }
        guard chars.count == 9 else { return false }
        switch (chars[0], chars[1]) {
        case (UInt8(ascii: "E"), _) where digits(1..<9): return true
        case (UInt8(ascii: "E"), let second) where (0x41...0x5A).contains(second) && second != UInt8(ascii: "I") && second != UInt8(ascii: "O"):
            return digits(2..<9)
        case (UInt8(ascii: "G"), _): return digits(1..<9)
        case (UInt8(ascii: "D"), UInt8(ascii: "E")), (UInt8(ascii: "S"), UInt8(ascii: "E")), (UInt8(ascii: "P"), UInt8(ascii: "E")):
            return digits(2..<9)
        default: return false
        }
    }

    /// An ICAO 9303 travel document number: 1 to 9 of A–Z and 0–9.
    public static func isPassportNumber(_ text: String) -> Bool {
        (1...9).contains(text.utf8.count) && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) }
    }

    /// A mainland mobile number: 1, then 3–9, then 9 digits; `+86` or `86` may lead.
    public static func isChineseMobile(_ text: String) -> Bool {
        var body = Substring(text)
        if body.hasPrefix("+86") { body = body.dropFirst(3) } else if body.hasPrefix("86"), body.count == 13 { body = body.dropFirst(2) }
        let chars = Array(body.utf8)
        return chars.count == 11 && chars[0] == UInt8(ascii: "1") && (0x33...0x39).contains(chars[1])
            && chars.allSatisfy { (0x30...0x39).contains($0) }
    }

    /// Why `text` fails validator `name`, for a quarantine report; never quotes the value.
    static func reason(_ name: String, _ text: String) -> String {
        name == "cn_resident_id" ? residentIDReason(text) : "fails \(name)"
    }

    static func check(_ name: String, _ text: String) -> Bool {
        switch name {
        case "cn_resident_id": return isResidentID(text)
        case "cn_uscc": return isUSCC(text)
        case "cn_passport": return isChinesePassport(text)
        case "passport": return isPassportNumber(text)
        case "cn_mobile": return isChineseMobile(text)
        default: return false
        }
    }
}
