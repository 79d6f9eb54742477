import Foundation
import FerryCore
import FerryMapping
import FerryNode
import FerryOps
import FerrySeal

/// Deterministic generator of realistic official-travel applications: valid GB 11643
/// citizen numbers and GB 32100 credit codes, ISO country codes, plausible dates.
struct DemoData {
    private var generator: SplitMix64

    init(seed: UInt64) { generator = SplitMix64(seed: seed) }

    mutating func next() -> UInt64 { generator.next() }

    mutating func int(_ range: Range<Int>) -> Int { range.lowerBound + Int(next() % UInt64(range.count)) }
    mutating func pick<T>(_ items: [T]) -> T { items[int(0..<items.count)] }

    static let surnames = Array("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹").map(String.init)
    static let given = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "霞", "平",
        "刚", "桂英", "华", "建华", "志强", "海燕", "晓东", "文博", "思远", "雨萱"]
    /// GB/T 2260 codes of districts in Fujian province.
    static let districts = ["350102", "350103", "350104", "350105", "350203", "350205", "350206", "350211", "350212", "350213",
        "350302", "350502", "350503", "350602", "350702", "350802", "350902"]
    static let countries = ["US", "GB", "FR", "DE", "JP", "KR", "SG", "AU", "NZ", "CA", "RU", "IT", "ES", "NL", "TH", "MY", "ID",
        "VN", "AE", "ZA", "BR", "AR", "EG", "KE", "CH", "SE", "NO", "FI", "DK", "PT"]
    static let purposes = ["商务考察", "学术交流", "参加国际会议", "经贸洽谈", "友好城市交流", "业务培训"]

    struct Application {
        var row: [String: String]
        var valid: Bool
    }

    /// The `index`-th application's number: WB and ten digits, as the entity checks. The
    /// first million are WB2026000001…WB2026999999 and later ones go on into the next "year"
    /// (WB2027000000…), so a run of millions of records never makes an eleven-digit number
    /// that the mapping would quarantine.
    static func applicationNumber(_ index: Int) -> String {
        "WB" + String(2_026_000_000 + index + 1)
    }

    /// 1965-01-01T00:00:00Z, and the days from it to the end of 2000.
    static let earliestBirth: TimeInterval = -157_766_400
    static let birthDays = 13_149

    /// The `index`-th application; `bad` ones carry a wrong ID check digit.
    mutating func application(index: Int, bad: Bool, base: Date) -> Application {
        let district = pick(Self.districts)
        // One GB 11643 number per person: the birth date and the sequence come from the
        // index, so no two applicants share one (random draws gave about 90 pairs of people
        // with one number in 200,000, which the foreign-affairs register rule caught). Unique
        // for the first 13 million indices (36 years of days, 1000 a day).
        let serial = index % 1000
        let born = Date(timeIntervalSince1970: Self.earliestBirth + Double((index / 1000) % Self.birthDays) * 86_400)
        let first17 = district + Self.format(born, "yyyyMMdd") + String(format: "%03d", serial)
        var check = Validators.residentIDCheck(first17)
        if bad { check = check == "0" ? "1" : "0" }
        let male = serial % 2 == 1  // GB 11643: an odd 17th digit is a man
        var organisation = ""
        let alphabet = Array("0123456789ABCDEFGHJKLMNPQRTUWXY")
        for _ in 0..<9 { organisation.append(pick(alphabet)) }
        let uscc17 = "91" + district + organisation
        var destinations: [String] = []
        for _ in 0..<int(1..<4) {
            let country = pick(Self.countries)
            if !destinations.contains(country) { destinations.append(country) }
        }
        let depart = base.addingTimeInterval(Double(int(30..<330)) * 86400)
        let back = depart.addingTimeInterval(Double(int(3..<21)) * 86400)
        let updated = base.addingTimeInterval(-Double(index / 3))
        return Application(row: [
            "app_no": Self.applicationNumber(index),
            "applicant_name": pick(Self.surnames) + pick(Self.given),
            "id_card": first17 + String(check),
            "sex": male ? "M" : "F",
            "employer_uscc": uscc17 + String(Validators.usccCheck(uscc17)),
            "destinations": destinations.joined(separator: ";"),
            "depart_on": Self.format(depart, "yyyy-MM-dd"),
            "return_on": Self.format(back, "yyyy-MM-dd"),
            "purpose": pick(Self.purposes),
            "updated_at": Self.format(updated, "yyyy-MM-dd HH:mm:ss"),
        ], valid: !bad)
    }

    /// The patterns the generator writes, compiled once: compiling one per value was most of
    /// the time it took to seed a million applications.
    static let patterns = Dictionary(uniqueKeysWithValues: ["yyyy-MM-dd", "yyyy-MM-dd HH:mm:ss", "yyyyMMddHHmmss", "yyyyMMdd"].map { ($0, DatePattern($0)) })

    static func format(_ date: Date, _ pattern: String) -> String {
        guard let parts = DatePattern.isoTimestamp.parse(Timestamp.format(date)) else { return "" }
        return (patterns[pattern] ?? DatePattern(pattern)).format(parts)
    }
}
