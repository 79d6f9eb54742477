import Testing
@testable import FerryAdapters

/// Databases quote the refused value back; the reason Ferry keeps names the place, not the value.
struct RefusalTextTests {
    @Test func valuesGoAndNamesStay() {
        #expect(RefusalText.withoutValues("Duplicate entry '110101199003071234' for key 'people.id_number'")
            == "Duplicate entry '…' for key 'people.id_number'")
        #expect(RefusalText.withoutValues("Incorrect integer value: '13800138000' for column `db`.`t`.`phone` at row 1")
            == "Incorrect integer value: '…' for column `db`.`t`.`phone` at row 1")
        #expect(RefusalText.withoutValues(#"invalid input syntax for type integer: "张三""#) == #"invalid input syntax for type integer: "…""#)
        #expect(RefusalText.withoutValues(#"null value in column "name" of relation "t" violates not-null constraint"#)
            == #"null value in column "name" of relation "t" violates not-null constraint"#)
        #expect(RefusalText.withoutValues("Key (email)=(a@b.cn) already exists.") == "Key (email)=(…) already exists.")
        #expect(RefusalText.withoutValues("unclosed 'quote") == "unclosed 'quote")
    }

    @Test func impossibleDatesAreLeftForTheServerToRefuse() throws {
        let utc = try #require(MySQLTime.Offset("+00:00"))
        #expect(MySQLTime.wallClock("2026-02-31T00:00:00Z", offset: utc) == nil)
        #expect(MySQLTime.wallClock("2024-02-29T23:30:00+08:00", offset: utc) == "2024-02-29 15:30:00")
        #expect(MySQLTime.wallClock("2026-12-31T23:30:00.5-01:00", offset: utc) == "2027-01-01 00:30:00.5")
    }
}
