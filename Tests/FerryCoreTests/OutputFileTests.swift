import Foundation
import Testing
import FerryCore

/// How `OutputFile` treats each kind of path; the commands that use it are tested end to
/// end in FerryNodeTests/RealWorldOutputFilesTests.swift.
@Suite struct OutputFileTests {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-output-\(UUID().uuidString)")

    init() throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    func names() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() }

    @Test func aFailedRunLeavesTheOldFileAndNoTemporary() throws {
        let file = directory.appendingPathComponent("out.ndjson")
        try Data("old\n".utf8).write(to: file)
        do {
            let out = try OutputFile(file)
            try out.write(Array("new, half written\n".utf8))
            #expect(!out.inPlace)
            #expect(try names().count == 2, "the new content goes to a temporary beside it")
        }  // dropped without commit, as when a run throws
        #expect(try String(contentsOf: file, encoding: .utf8) == "old\n")
        #expect(try names() == ["out.ndjson"])
    }

    @Test func aCommittedFileReplacesTheOldOneWithTheGivenMode() throws {
        let file = directory.appendingPathComponent("out.ndjson")
        try Data("old\n".utf8).write(to: file)
        let out = try OutputFile(file, permissions: 0o600)
        try out.write(Array("new\n".utf8))
        try out.commit()
        #expect(try String(contentsOf: file, encoding: .utf8) == "new\n")
        #expect((try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(try names() == ["out.ndjson"])
    }

    @Test func heldOutputReachesAPipeOnlyOnCommit() throws {
        let fifo = directory.appendingPathComponent("held.fifo")
        #expect(mkfifo(fifo.path, 0o600) == 0)
        // A reader end opened first without blocking, so the writer's open does not wait.
        let reader = open(fifo.path, O_RDONLY | O_NONBLOCK)
        defer { close(reader) }
        let out = try OutputFile(fifo, holdUntilCommit: true)
        #expect(out.inPlace)
        try out.write(Array("line\n".utf8))
        var buffer = [UInt8](repeating: 0, count: 64)
        #expect(read(reader, &buffer, 64) <= 0, "nothing reaches the pipe before commit")
        try out.commit()
        #expect(read(reader, &buffer, 64) == 5)
        #expect(String(decoding: buffer.prefix(5), as: UTF8.self) == "line\n")
    }

    @Test func standardStreamsAreTheProcessDescriptorsAndFoldersAreRefused() throws {
        for path in ["/dev/stdout", "/dev/stderr", "/proc/self/fd/1"] {
            let out = try OutputFile(URL(fileURLWithPath: path))
            #expect(out.inPlace, "\(path)")
            out.discard()
        }
        #expect(throws: FerryError.self) { try OutputFile(self.directory) }
        #expect(throws: FerryError.self) { try OutputFile(self.directory.appendingPathComponent("missing/out.ndjson")) }
    }
}
