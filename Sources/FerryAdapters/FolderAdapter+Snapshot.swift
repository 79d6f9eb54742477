import Foundation
import FerryCore

extension FolderAdapter: WholeCopyReading {
    /// Every record the folders hold, read without moving a file: what reconcile and the
    /// scenario checks compare. An incremental read (and `mode: full`, which reads the
    /// waiting files as they come) retires each finished file to `done/`, so a comparison
    /// through it would take files the next sync has not read yet.
    ///
    /// With `folder:` the copy is what the system has handed over: the files already read
    /// (`done/`, oldest name first, renamed copies included) and then the files waiting.
    /// A write-only system (`out:` alone) holds what Ferry wrote to it: the complete files
    /// in `out`. Batches carry no checkpoint; they are never committed.
    public func readWholeCopy(batchSize: Int) throws -> any SourceReader {
        var files: [URL] = []
        if let folder = options.folder {
            // done/ appears with the first file read.
            if let done = options.doneFolder, FileManager.default.fileExists(atPath: done.path) { files += try completeFiles(in: done, copies: true) }
            files += try completeFiles(in: folder, copies: false)
        } else if let out = options.out {
            files += try completeFiles(in: out, copies: false)
        }
        return SnapshotReader(adapter: self, files: files, batchSize: batchSize)
    }

    /// A row read at `position` into the batch, its document paths resolved; a path that
    /// cannot be (missing, or outside the folder) makes the row malformed, with the reason.
    func append(_ row: [String: Value], at position: String, to batch: inout SourceBatch) {
        switch resolveDocuments(row) {
        case .success(let resolved):
            batch.rows.append(resolved)
            batch.positions.append(position)
        case .failure(let refusal):
            batch.malformed.append(MalformedRow(position: position, reason: refusal.reason, raw: CanonicalJSON.encode(.object(row))))
        }
    }

    /// Reads a fixed list of files through, one batch at a time, and moves none of them.
    struct SnapshotReader: SourceReader {
        let adapter: FolderAdapter
        var files: [URL]
        let batchSize: Int
        var current: (file: String, records: FileRecords)?

        init(adapter: FolderAdapter, files: [URL], batchSize: Int) {
            (self.adapter, self.files, self.batchSize) = (adapter, files.reversed(), batchSize)
        }

        mutating func next() throws -> SourceBatch? {
            var batch = SourceBatch(rows: [], positions: [], checkpoint: "")
            while batch.rows.count + batch.malformed.count < max(1, batchSize) {
                if current == nil {
                    guard let file = files.popLast() else { break }
                    current = (file.lastPathComponent, try adapter.open(file))
                }
                guard var (name, records) = current else { break }
                guard let entry = try records.next() else {
                    records.close()
                    current = nil
                    continue
                }
                current = (name, records)
                switch entry {
                case .row(let row, let line): adapter.append(row, at: "\(name):\(line)", to: &batch)
                case .malformed(let row, _):
                    batch.malformed.append(row)
                }
            }
            return batch.rows.isEmpty && batch.malformed.isEmpty ? nil : batch
        }
    }
}
