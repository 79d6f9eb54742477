import Foundation
import FerryAdapters

/// Valid inputs the fuzzer starts from, shaped like what real systems send, and the tokens
/// of each format that mutations insert.
enum FuzzSeeds {
    static func bytes(_ texts: [String]) -> [[UInt8]] { texts.map { Array($0.utf8) } }

    static let json = bytes([
        #"{"app_no":"WB2026000001","applicant_name":" 王伟 ","id_card":"350203198001010013","amount":12345678901234.5678,"n":-42}"#,
        #"{"code":401,"msg":"令牌已过期","data":[]}"#,
        #"[1,-0,0.5,1e-05,2.5E+3,9223372036854775807,9223372036854775808,true,false,null]"#,
        #""\ud83d\ude00 \u00e9 \u0000 \"\\\/\b\f\n\r\t""#,
        #"{"nested":{"list":[{"a":[[]]},{}],"s":"商务\u0000洽谈"},"e":"e\u0301"}"#,
        #"{"status":"rejected","status2":"approved"}"#,
        " \t\r\n[ {\"a\" : 1 } , [ ] ]\n",
        "0", "\"\"", "{}", "[]", "-1.5e-300",
    ])

    static let jsonTokens: [[UInt8]] = bytes([
        "{", "}", "[", "]", "\"", ":", ",", "\\", "\\u", "\\ud83d", "\\udc00", "\\uD800\\uE000", "\\ud83d\\u0041", "\\u0000",
        "\\x00", "\\a", "\\/", "true", "false", "null", "tru", "1e5", ".5", "+1", "012", "-01", "1.", "2.e3", "1E+", "-",
        "\"status\":\"a\",\"status\":\"b\"", "\"k\":", " ", "\t", "//", "/*", "Infinity", "0x1F",
    ])

    /// Lines for `mapping apply`: system rows for portal.yaml (read), canonical records for
    /// approval.yaml (write).
    static let mappingLines = bytes([
        #"{"app_no":"WB2026000001","applicant_name":" 王伟 ","id_card":"350203198001010013","sex":"M","employer_uscc":"91350200MA2YH12349","destinations":"AU;US","depart_on":"2026-03-01","return_on":"2026-03-10","purpose":"商务","updated_at":"2026-02-01 09:30:00"}"#
            + "\n",
        #"{"application_id":"WB2026000007","applicant_name":"陈静","id_number":"11010519491231002X","gender":"female","employer_code":"91110000600037341L","destinations":["AUS","USA","JPN"],"depart_date":"2027-03-01","return_date":"2027-03-12","purpose":"学术交流","approval":"approved","updated_at":"2026-11-24T01:30:05Z"}"#
            + "\r\n"
            + #"{"application_id":"WB2026000008","applicant_name":"王伟","id_number":"350203198001010013","gender":"male","employer_code":"91350200MA2YH12349","destinations":[],"depart_date":"2027-02-28","return_date":"2027-03-01","purpose":"say \"hi\"","approval":"submitted","updated_at":"2026-11-24T01:30:05.123Z"}"#,
    ])

    /// Seeds and tokens for files a folder source reads.
    static func folder(_ format: RecordFileFormat) -> (seeds: [[UInt8]], tokens: [[UInt8]]) {
        switch format {
        case .ndjson:
            let lines = json.filter { $0.first == UInt8(ascii: "{") }
            return ([Array(lines.joined(separator: [0x0A]))] + lines + [[0xEF, 0xBB, 0xBF] + lines[0] + [0x0D, 0x0A] + lines[1]],
                jsonTokens + [[0x0A], [0x0D, 0x0A]])
        case .csv:
            return (bytes([
                "app_no,name,amount\nWB1,王伟,12.50\nWB2,\"Li, Na\",3\n",
                "\u{FEFF}a,b\r\n1,2\r\n,\r\n",
                "id;text\n1;\"multi\r\nline\"\n2;\"say \"\"hi\"\"\"\n",
                "only\n\"\"\n\nx\n",
                "a,b,c\n\"\",,\"\"\n1,\"2\",3",
            ]), bytes(["\"", "\"\"", ",", ";", "\n", "\r\n", "\r", "\"x\r\ny\"", "a,b,c\n", "1,2,3\n", ",,,,"]))
        case .xml:
            return (bytes([
                #"<?xml version="1.0" encoding="UTF-8"?><records><record><id>1</id><JE bz="CNY">1280.50</JE><name>王伟</name></record><record><id>2</id><empty/></record></records>"#,
                #"<gx:Records xmlns:gx="urn:gx"><gx:Record><gx:id>1</gx:id><gx:v a="1">x</gx:v></gx:Record></gx:Records>"#,
                #"<?xml version="1.0"?><!DOCTYPE records [<!ENTITY i "INT">]><records><record><a>a&i;b</a><b><![CDATA[<x>&amp;]]></b><!-- c --></record></records>"#,
                "<records>\n  <record>\n    <id>3</id>\n    <text>line&#10;two &lt;&gt;&amp;&quot;&apos; &#x4E2D;</text>\n  </record>\n</records>\n",
                "<Record><id>1</id></Record>",
            ]), bytes([
                "<record>", "</record>", "<a b=\"c\">", "</a>", "/>", "<![CDATA[", "]]>", "<!--", "-->", "&amp;", "&#x0;", "&#xD800;",
                "&#1114112;", "&i;", "&undefined;", "<!DOCTYPE r [<!ENTITY i \"INT\">]>", "<!ENTITY x SYSTEM \"file:///etc/passwd\">",
                "<!ENTITY a \"&b;&b;&b;&b;\">", "<?xml version=\"1.0\" encoding=\"GB18030\"?>", " xmlns:gx=\"urn:x\"", "<gx:Record>",
                "</gx:Record>", "<", ">", "&", "=", "\"", "<?pi?>",
            ]))
        }
    }

    /// The repository's own topologies, mappings and entities.
    static func yaml(_ repository: URL) throws -> [[UInt8]] {
        let files = [
            "Ops/scenarios/foreign-affairs/ferry.yaml", "Ops/scenarios/two-zone/ferry.yaml", "Mappings/foreign-affairs/portal.yaml",
            "Mappings/foreign-affairs/approval.yaml", "Mappings/foreign-affairs/issuance-status.yaml",
            "Mappings/entities/travel-application.yaml", "Mappings/entities/passport-status.yaml",
        ]
        return try files.map { Array(try Data(contentsOf: repository.appendingPathComponent($0))) }
    }

    static let yamlTokens: [[UInt8]] = bytes([
        ": ", "- ", "{", "}", "[", "]", "&a ", "*a", "!!binary ", "!!str ", "? ", "|", ">", "---\n", "...\n", "%YAML 1.2\n", "<<: *a",
        "\"", "'", "#", "\t", "~", "null", "  ", "\n  ", "\n", "0x1F", "1e400", ".inf", "yes", "on", "\\u0000", "\"\\ud83d\"",
        "key: value\n", "fields:\n  x: { column: X }\n",
    ])
}
