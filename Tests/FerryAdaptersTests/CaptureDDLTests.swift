import Testing
@testable import FerryAdapters

/// The capture SQL per dialect, without a database: names quoted by the dialect, the key
/// change written as a deletion, and MySQL's 64-character trigger names.
struct CaptureDDLTests {
    func ddl(_ dialect: SQLDialect, table: String = "apply", schema: String? = nil) -> CaptureDDL {
        CaptureDDL(dialect: dialect, schema: schema, table: table, keyColumns: ["id", "seq"], versionColumn: "ver")
    }

    @Test func hostileTableNamesAreQuotedAndLiteralsDoubled() {
        let name = "a`b\"c'd"
        #expect(ddl(.mysql, table: name, schema: "db").qualifiedTable == "`db`.`a``b\"c'd`")
        #expect(ddl(.postgresql, table: name, schema: "s").qualifiedTable == "\"s\".\"a`b\"\"c'd\"")
        for dialect in [SQLDialect.mysql, .postgresql, .sqlite] {
            let sql = ddl(dialect, table: name).triggers.flatMap(\.statements).joined()
            #expect(sql.contains("'a`b\"c''d'"), "the table's name as a literal doubles its quote (\(dialect))")
            #expect(!sql.contains("'a`b\"c'd'"))
        }
    }

    @Test func everyDialectTurnsAKeyChangeIntoADeletion() {
        #expect(ddl(.mysql).triggers.map(\.name) == ["ferry_capture_apply_ins", "ferry_capture_apply_upd", "ferry_capture_apply_del"])
        #expect(ddl(.mysql).triggers[1].statements[0].contains("OLD.`id` <=> NEW.`id` AND OLD.`seq` <=> NEW.`seq`"))
        #expect(ddl(.sqlite).triggers[1].statements[0].contains("WHERE OLD.\"id\" IS NOT NEW.\"id\" OR OLD.\"seq\" IS NOT NEW.\"seq\""))
        let postgres = ddl(.postgresql, schema: "public").triggers
        #expect(postgres.count == 1 && postgres[0].statements.count == 2)
        #expect(postgres[0].statements[0].contains("IS DISTINCT FROM (NEW.\"id\", NEW.\"seq\", NULL)"))
        // A deletion carries the old version, so an older delete never removes a newer row.
        #expect(ddl(.mysql).triggers[2].statements[0].contains("'delete', JSON_OBJECT('id', OLD.`id`, 'seq', OLD.`seq`), JSON_OBJECT('ver', OLD.`ver`)"))
    }

    @Test func longMySQLTriggerNamesAreCutWithADigest() {
        let long = String(repeating: "表", count: 30)
        let names = ddl(.mysql, table: long).triggers.map(\.name)
        #expect(names.allSatisfy { $0.utf8.count <= 64 })
        #expect(Set(names).count == 3)
        #expect(ddl(.mysql, table: long + "x").triggers[0].name != names[0], "two long names do not share triggers")
    }
}
