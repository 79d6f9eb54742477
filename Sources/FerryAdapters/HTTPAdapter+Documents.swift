import Foundation
import FerryCore
import FerryTransport

/// A private folder for one read's downloaded documents: emptied when the next batch is
/// read (the node has stored the batch's documents by then), removed with the reader.
final class DownloadFolder: @unchecked Sendable {
    // @unchecked: used by one reader on one thread.
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-downloads-\(UUID().uuidString)")

    func clear() { try? FileManager.default.removeItem(at: url) }

    func file() throws -> URL {
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        return url.appendingPathComponent(UUID().uuidString)
    }

    deinit { clear() }
}

extension HTTPAdapter {
    /// The largest document a read downloads; the node's own `max_document_size` is
    /// checked again when it stores the file.
    static let downloadLimit: Int64 = 2 << 30

    /// A read record with each `documents:` field's URL downloaded into `folder` and made a
    /// document: named by the URL's last path segment, typed by the answer's Content-Type.
    /// - Returns: the row, or why a file could not be had (the row is set aside with it).
    func download(_ row: [String: Value], into folder: DownloadFolder) -> Result<[String: Value], DocumentRefusal> {
        var row = row
        for field in options.documents {
            guard case .string(let address)? = row[field], !address.isEmpty else { continue }
            let url = address.hasPrefix("/") ? Self.origin(of: options.url) + address : address
            // Credentials go only where the system's own URL points.
            guard Self.origin(of: url) == Self.origin(of: options.url) else {
                return .failure(DocumentRefusal(reason: "field \(field) names a file on another site (\(HTTPClient.redacted(url))); "
                    + "documents are only fetched from \(Self.origin(of: options.url))"))
            }
            do {
                let file = try folder.file()
                var request = HTTPClient.Request(url: url, headers: headers(json: false))
                request.download = (file, Self.downloadLimit)
                let response = try exchange(request, label: HTTPClient.redacted(url))
                guard (200..<300).contains(response.status) else {
                    return .failure(DocumentRefusal(reason: "field \(field): GET \(HTTPClient.redacted(url)) answered \(response.status)"))
                }
                let size = (try? FileManager.default.attributesOfItem(atPath: file.path)[.size] as? NSNumber)?.int64Value ?? 0
                let type = response.header("content-type")?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
                let name = URL(string: url)?.lastPathComponent.removingPercentEncoding ?? ""
                row[field] = .document(DocumentRef(size: size, mediaType: MediaType.isWellFormed(type) && type != MediaType.octetStream ? type : "",
                    name: name.isEmpty ? field : name, localPath: file.path))
            } catch let error as FerryError {
                return .failure(DocumentRefusal(reason: "field \(field): \(error.message)"))
            } catch {
                return .failure(DocumentRefusal(reason: "field \(field): \(error)"))
            }
        }
        return .success(row)
    }

    static func hasDocuments(_ row: SinkRow) -> Bool {
        row.values.values.contains { if case .document = $0 { true } else { false } }
    }

    enum DocumentRequest {
        case request(HTTPClient.Request)
        case refused(String)
    }

    /// The request that writes a record with documents: `multipart/form-data` (RFC 7578)
    /// with the record as JSON in part `record` and each document as a file part named by
    /// its field, or, with `upload: raw`, each document first PUT to `document_url`, then
    /// the record with the references (each with its `url`). The body is built in a file,
    /// so a document never sits in memory.
    func documentRequest(_ row: SinkRow) throws -> DocumentRequest {
        let address = try recordAddress(row)
        let (method, url) = (address == nil ? "POST" : options.method, address ?? options.url)
        var fields = row.values.merging(row.key) { value, _ in value }
        var files: [(field: String, reference: DocumentRef)] = []
        for (field, value) in fields {
            guard case .document(let reference) = value else { continue }
            files.append((field, reference))
            var members = reference.members
            if options.upload == .raw, let documentURL = options.documentURL {
                let target = Self.fill(documentURL, ["digest": reference.digest, "name": reference.safeName])
                if let refusal = try put(reference, to: target) { return .refused(refusal) }
                members["url"] = .string(target)
            }
            fields[field] = .object(members)
        }
        let json = CanonicalJSON.encode(.object(fields))
        guard options.upload == .multipart else {
            return .request(HTTPClient.Request(method: method, url: url, headers: headers(json: true), body: .bytes(json)))
        }
        let boundary = "ferry-" + UUID().uuidString.lowercased()
        let body = try Multipart.write(boundary: boundary, record: json, files: files.sorted { $0.field < $1.field })
        return .request(HTTPClient.Request(method: method, url: url,
            headers: headers(json: false) + ["Content-Type: multipart/form-data; boundary=\(boundary)"], body: .file(body)))
    }

    /// PUTs one document's file as a raw body; nil when the system took it, else why not
    /// (a 4xx: the record is rejected). A 5xx or a failure below HTTP throws: retried.
    private func put(_ reference: DocumentRef, to url: String) throws -> String? {
        guard let path = reference.localPath else { throw FerryError.adapter(.retryable, "document \(reference.digest) is not in this node's blob store") }
        let request = HTTPClient.Request(method: "PUT", url: url, headers: headers(json: false) + ["Content-Type: \(Multipart.contentType(reference))"],
            body: .file(URL(fileURLWithPath: path)))
        let response = try exchange(request, label: HTTPClient.redacted(options.documentURL ?? url))
        switch response.status {
        case 200..<300: return nil
        case 401, 403, 404, 408: throw refusal(response, method: "PUT", url: options.documentURL ?? url)
        case 400..<500: return "document \(reference.digest): \(response.status): \(Self.scrub(response.excerpt))"
        default: throw refusal(response, method: "PUT", url: options.documentURL ?? url)
        }
    }

    /// `template` with `{name}` places filled in, percent-encoded as a path segment.
    static func fill(_ template: String, _ values: [String: String]) -> String {
        values.reduce(template) { text, entry in
            text.replacingOccurrences(of: "{\(entry.key)}", with: entry.value.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? "")
        }
    }
}

/// A `multipart/form-data` body (RFC 7578) written to a private temporary file.
enum Multipart {
    static func write(boundary: String, record: [UInt8], files: [(field: String, reference: DocumentRef)]) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-multipart-\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: url.path, contents: nil, attributes: [.posixPermissions: 0o600]),
            let out = FileHandle(forWritingAtPath: url.path)
        else { throw FerryError.adapter(.retryable, "cannot create a temporary file for a multipart body") }
        defer { try? out.close() }
        do {
            try out.write(contentsOf: Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"record\"\r\nContent-Type: application/json\r\n\r\n".utf8))
            try out.write(contentsOf: Data(record))
            for file in files {
                guard let path = file.reference.localPath, let input = FileHandle(forReadingAtPath: path) else {
                    throw FerryError.adapter(.retryable, "document \(file.reference.digest) is not in this node's blob store")
                }
                defer { try? input.close() }
                try out.write(contentsOf: Data(("\r\n--\(boundary)\r\n" + disposition(file.field, file.reference.safeName)
                    + "\r\nContent-Type: \(contentType(file.reference))\r\n\r\n").utf8))
                while let piece = try input.read(upToCount: 1 << 20), !piece.isEmpty { try out.write(contentsOf: piece) }
            }
            try out.write(contentsOf: Data("\r\n--\(boundary)--\r\n".utf8))
        } catch {
            try? FileManager.default.removeItem(at: url)
            throw error
        }
        return url
    }

    /// A document's media type as a header value: only a well-formed `type/subtype`, never
    /// text that could end the header.
    static func contentType(_ reference: DocumentRef) -> String {
        MediaType.isWellFormed(reference.mediaType) ? reference.mediaType : MediaType.octetStream
    }

    /// `Content-Disposition` of a file part. The name goes as UTF-8 in `filename`, as
    /// browsers send it (WHATWG HTML, "multipart/form-data encoding algorithm"); RFC 7578
    /// §4.2 rules out RFC 5987's `filename*`. Quotes, backslashes and control characters
    /// become `_`, so the header cannot be broken out of.
    static func disposition(_ field: String, _ name: String) -> String {
        func clean(_ text: String) -> String {
            String(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F || $0 == "\"" || $0 == "\\" ? "_" : Character($0) })
        }
        return "Content-Disposition: form-data; name=\"\(clean(field))\"; filename=\"\(clean(name))\""
    }
}
