import Foundation
import Testing
import FerryCore
@testable import FerryAdapters

/// The exec adapter with the Python example under Ops/adapters/, as a source and as a sink.
@Suite struct ExecAdapterTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Ops/adapters/sqlite_table.py")
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-exec-\(UUID().uuidString)")

    func database() throws -> URL {
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let file = root.appendingPathComponent("legacy.db")
        let sql = """
            CREATE TABLE people (id TEXT PRIMARY KEY, name TEXT NOT NULL, updated TEXT);
            CREATE TABLE copy (id TEXT PRIMARY KEY, name TEXT NOT NULL, updated TEXT);
            INSERT INTO people VALUES ('P1', '陈静', '2026-11-24 09:00'), ('P2', '王伟', '2026-11-24 09:01'), ('P3', '李娜', '2026-11-24 09:02'),
                ('P4', '张敏', '2026-11-24 09:03'), ('P5', '刘洋', '2026-11-24 09:04');
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", "import sqlite3,sys; db=sqlite3.connect(sys.argv[1]); db.executescript(sys.argv[2]); db.commit()", file.path, sql]
        try process.run()
        process.waitUntilExit()
        return file
    }

    func adapter(_ table: String, database: URL, timeout: Int = 30) -> ExecAdapter {
        var options = ExecAdapter.Options(command: ["python3", Self.script.path])
        options.config = .object(["database": .string(database.path), "table": .string(table), "cursor": "updated", "key": ["id"]])
        options.timeoutSeconds = timeout
        return ExecAdapter(options: options, layout: SinkLayout(keyColumns: ["id"], versionColumn: "updated"))
    }

    @Test func theExampleReadsInBatchesWithStates() throws {
        let file = try database()
        let source = adapter("people", database: file)
        try source.check()
        #expect(try source.discover() == ["id", "name", "updated"])
        #expect(try source.spec() != .null)
        var reader = try source.read(since: nil, batchSize: 2)
        let first = try #require(try reader.next())
        #expect(first.rows.map { $0["name"] } == ["陈静", "王伟"] && first.positions == ["people rowid 1", "people rowid 2"])
        var rest: [[String: Value]] = []
        var resumed = try source.read(since: first.checkpoint, batchSize: 2)
        while let batch = try resumed.next() { rest += batch.rows }
        #expect(rest.map { $0["id"] } == ["P3", "P4", "P5"], "a STATE is a checkpoint: reading resumes after it")
        do {
            try adapter("missing", database: file).check()
            Issue.record("a missing table passed the check")
        } catch let error as FerryError {
            #expect(error.adapterFailure == .configuration && error.message.contains("table missing does not exist"))
        }
    }

    @Test func theExampleWritesWithOutcomesPerRecord() throws {
        let file = try database()
        let sink = adapter("copy", database: file)
        let outcomes = try sink.apply([
            SinkRow(key: ["id": "C1"], values: ["id": "C1", "name": "甲", "updated": "2026-11-24 10:00"]),
            SinkRow(key: ["id": "C2"], values: ["id": "C2", "name": "乙", "updated": "2026-11-24 10:00"]),
            SinkRow(key: ["id": "C1"], values: ["id": "C1", "name": "旧", "updated": "2026-11-23 10:00"]),
            SinkRow(key: ["id": "C3"], values: ["id": "C3", "name": .null, "updated": "2026-11-24 10:00"]),
            SinkRow(key: ["id": "C2"], values: ["id": "C2", "updated": "2026-11-24 10:00"], operation: .delete),
        ])
        #expect(outcomes.count == 5)
        #expect(outcomes[0] == .applied && outcomes[1] == .applied && outcomes[2] == .skippedOlder && outcomes[4] == .applied)
        guard case .rejected(let reason) = outcomes[3] else {
            Issue.record("a NOT NULL violation was not rejected: \(outcomes[3])")
            return
        }
        #expect(reason.contains("NOT NULL"))
        var reader = try adapter("copy", database: file).read(since: nil, batchSize: 10)
        #expect(try reader.next()?.rows.map { $0["name"] } == ["甲"])
    }

    @Test func aSilentProgramIsStoppedAtItsTimeout() throws {
        var options = ExecAdapter.Options(command: ["sleep", "30"])
        options.timeoutSeconds = 1
        let started = Date()
        do {
            try ExecAdapter(options: options).check()
            Issue.record("a silent program passed")
        } catch let error as FerryError {
            #expect(error.adapterFailure == .retryable && error.message.contains("said nothing for 1 s"))
        }
        #expect(Date().timeIntervalSince(started) < 10)
    }

    @Test func aSinkThatQuitsEarlyIsAnErrorNotACrash() throws {
        // Reads one line, then leaves: the rest of Ferry's input hits a closed pipe.
        var options = ExecAdapter.Options(command: ["python3", "-c", "import sys; sys.stdin.readline()"])
        options.timeoutSeconds = 5
        let rows = (0..<5000).map { SinkRow(key: ["id": .string("K\($0)")], values: ["id": .string("K\($0)"), "pad": .string(String(repeating: "x", count: 200))]) }
        do {
            _ = try ExecAdapter(options: options).apply(rows)
            Issue.record("a sink that answered nothing was taken as done")
        } catch let error as FerryError {
            #expect(error.adapterFailure == .retryable && error.message.contains("answered 0 of 5000"))
        }
    }
}

/// Documents through an exec program: it names files to read, and gets the path of each
/// document it is to write.
@Suite struct ExecDocumentTests {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-exec-documents-\(UUID().uuidString)")

    /// A program that reads one record naming `scan.pdf`, and on WRITE copies each
    /// document's file into `out/` under its name.
    static let program = #"""
        import json, shutil, sys
        request = json.loads(sys.stdin.readline())
        if request["type"] == "READ":
            print(json.dumps({"type": "RECORD", "record": {"id": "L1", "scan": {"$document": {"path": "scan.pdf", "media_type": "application/pdf"}},
                "stamp": {"$bytes": "AAH/"}}}))
            print(json.dumps({"type": "STATE", "state": {"done": True}}))
        elif request["type"] == "WRITE":
            for line in sys.stdin:
                message = json.loads(line)
                if message["type"] != "RECORD":
                    continue
                document = message["record"]["scan"]["$document"]
                shutil.copyfile(document["path"], "out/" + document["name"])
                print(json.dumps({"type": "OUTCOME", "index": message["index"], "outcome": "applied"}))
        """#

    func adapter() throws -> ExecAdapter {
        try FileManager.default.createDirectory(at: root.appendingPathComponent("out"), withIntermediateDirectories: true)
        try Data(Self.program.utf8).write(to: root.appendingPathComponent("program.py"))
        var options = ExecAdapter.Options(command: ["python3", "program.py"])
        options.workingDirectory = root
        return ExecAdapter(options: options, layout: SinkLayout(keyColumns: ["id"], versionColumn: nil))
    }

    @Test func aSourceNamesFilesAndASinkGetsEachDocumentsPath() throws {
        let exec = try adapter()
        let content = Data("%PDF-1.7\n".utf8) + Data((0..<10_000).map { UInt8(truncatingIfNeeded: $0) })
        try content.write(to: root.appendingPathComponent("scan.pdf"))
        var reader = try exec.read(since: nil, batchSize: 10)
        let row = try #require(try reader.next()?.rows.first)
        guard case .document(let reference)? = row["scan"] else {
            Issue.record("no document: \(String(describing: row["scan"]))")
            return
        }
        #expect(reference.localPath == root.appendingPathComponent("scan.pdf").standardizedFileURL.path)
        #expect(reference.size == Int64(content.count))
        #expect(reference.name == "scan.pdf" && reference.mediaType == "application/pdf")
        #expect(row["stamp"] == .bytes(Data([0, 1, 255])))

        var stored = reference
        stored.digest = "sha256:" + String(repeating: "e", count: 64)
        stored.name = "licence.pdf"
        let outcomes = try exec.apply([SinkRow(key: ["id": "L1"], values: ["id": "L1", "scan": .document(stored)])])
        #expect(outcomes == [.applied])
        #expect(try Data(contentsOf: root.appendingPathComponent("out/licence.pdf")) == content)
    }

    @Test func aReferenceWithoutAFileNeverBecomesADocument() {
        let digest = "sha256:" + String(repeating: "a", count: 64)
        let borrowed: Value = .object(["$document": .object(["digest": .string(digest), "size": 5, "media_type": "application/pdf", "name": "x.pdf"])])
        #expect(ExecAdapter.incoming(["scan": borrowed], base: nil)["scan"] == borrowed)
        let typed = ExecAdapter.incoming(["scan": .object(["$document": .object(["path": "/x.pdf", "media_type": "bad\r\nX: 1"])])], base: nil)
        guard case .document(let reference)? = typed["scan"] else { Issue.record("no document"); return }
        #expect(reference.mediaType == "")
    }
}
