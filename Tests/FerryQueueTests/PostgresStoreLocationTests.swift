import Foundation
import Testing
import FerryCore
import FerryQueue

/// A PostgreSQL store URL as an integration engineer writes it: options checked, defaults
/// filled in, and the password never shown, whichever way it was given.
@Suite struct PostgresStoreLocationTests {
    @Test func optionsAreReadAndDefaultsFilledIn() throws {
        let location = try PostgresStoreLocation(url: "postgres://ferry@db.example:6432/exchange?password_env=PW&sslmode=verify-full",
            node: "jinhong-gw", environment: ["PW": "s3cret"])
        #expect(location.host == "db.example" && location.port == 6432 && location.user == "ferry" && location.database == "exchange")
        #expect(location.schema == "ferry_jinhong_gw" && location.requireTLS && location.connectTimeout == 10)
        #expect(!location.description.contains("s3cret"))
    }

    @Test func aPasswordInTheURLNeverAppearsInMessages() throws {
        let location = try PostgresStoreLocation(url: "postgres://ferry:hunter2@127.0.0.1/ferry", node: "a")
        #expect(!location.description.contains("hunter2"))
        let refused = #expect(throws: FerryError.self) { _ = try PostgresStoreLocation(url: "postgres://ferry:hunter2@127.0.0.1/ferry?bogus=1", node: "a") }
        #expect(refused?.message.contains("bogus") == true && refused.map { !"\($0)".contains("hunter2") } == true)
        let malformed = #expect(throws: FerryError.self) { _ = try PostgresStoreLocation(url: "postgres://ferry:hunter2@/ferry", node: "a") }
        #expect(malformed.map { !"\($0)".contains("hunter2") } == true, "\(String(describing: malformed))")
    }

    @Test(arguments: [
        ("postgres://f@h/d?sslmode=prefer", "sslmode"), ("postgres://f@h/d?connect_timeout=abc", "connect_timeout"),
        ("postgres://f@h/d?schema=a;DROP", "schema"), ("postgres://f@h/d?password_env=NOT_SET_ANYWHERE", "NOT_SET_ANYWHERE"),
        ("mysql://f@h/d", "postgres://"), ("postgres://f@h/d?schema=public", "reserved"), ("postgres://f@h/d?schema=pg_x", "reserved"),
        ("postgres://f@h/d?schema=", "plain name"), ("postgres://f@h/d?schema=a&schema=b", "twice"),
        ("postgres://f@h/d?password_env=A&password_file=/x", "both"),
    ])
    func aBadOptionIsRefusedByName(_ url: String, _ named: String) {
        let refused = #expect(throws: FerryError.self) { _ = try PostgresStoreLocation(url: url, node: "a", environment: [:]) }
        #expect(refused?.code == .config && refused?.message.contains(named) == true, "\(String(describing: refused))")
    }
}
