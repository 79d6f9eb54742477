/// Checks for Chinese national identifiers, by their published check-digit rules.
public enum Validators {
    public static let names = ["cn_resident_id", "cn_uscc"]

    /// GB 11643-1999 citizen identity number: 17 digits, then an ISO 7064 MOD 11-2 check
    /// character (0-9 or X), with a real birth date in positions 7–14.
    public static func isResidentID(_ text: String) -> Bool {
        let chars = Array(text.utf8)
        guard chars.count == 18 else { return false }
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

    /// The GB 11643 check character for 17 leading digits.
    public static func residentIDCheck(_ first17: String) -> Character {
        let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
        let sum = zip(first17.utf8, weights).reduce(0) { $0 + Int($1.0 - 0x30) * $1.1 }
        return Array("10X98765432")[sum % 11]
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

    static func check(_ name: String, _ text: String) -> Bool {
        switch name {
        case "cn_resident_id": return isResidentID(text)
        case "cn_uscc": return isUSCC(text)
        default: return false
        }
    }
}
