import FerryCore

/// Keyset and since paging, and the rules that judge an answer: parsed from `options:`, and
/// the warnings an engineer should read before trusting an incremental read.
extension HTTPAdapter {
    static func readKeyset(_ node: ConfigNode, into options: inout Options) throws {
        let pagingNode = node["paging"] ?? node
        if let field = node["keyset"] {
            guard options.paging == .keyset else { throw field.error("keyset: is for paging: keyset") }
            options.keyset = try field.strings("keyset")
            guard !options.keyset.isEmpty, !options.keyset.contains(where: \.isEmpty), Set(options.keyset).count == options.keyset.count else {
                throw field.error("keyset names the record fields the API sorts by, each once, like keyset: [updated, id]")
            }
        }
        if let field = node["after_param"], options.paging != .keyset {
            throw field.error("after_param is for paging: keyset", hint: options.paging == .since ? "paging: since sends since_param" : nil)
        }
        switch options.paging {
        case .keyset:
            guard !options.keyset.isEmpty else {
                throw pagingNode.error("paging: keyset needs keyset: the record fields the API sorts by, like keyset: [updated, id]")
            }
            if let field = node["after_param"] {
                options.afterParameters = try field.strings("after_param")
                guard options.afterParameters.count == options.keyset.count, !options.afterParameters.contains(where: \.isEmpty) else {
                    throw field.error("after_param names one query parameter per keyset field (\(options.keyset.joined(separator: ", ")))")
                }
            } else {
                options.afterParameters = options.keyset.count == 1 ? ["after"] : options.keyset.map { "after_\($0)" }
            }
            if options.keysetResumes, let since = options.sinceParameter, !options.afterParameters.contains(since), let field = node["since_param"] {
                throw field.error("with keyset led by the cursor field, the read resumes after the last record's position (after_param); "
                    + "since_param would also filter, and a filter strictly after the last stamp drops records that share it",
                    hint: "remove since_param, or name it in after_param")
            }
        case .since:
            guard options.cursorField != nil, options.sinceParameter != nil else {
                throw pagingNode.error("paging: since needs cursor: (the field the API sorts by) and since_param: (the query parameter that asks for records from a value)")
            }
        default:
            break
        }
    }

    static func readAnswerRules(_ node: ConfigNode, into options: inout Options) throws {
        if let field = node["success"] {
            let text = try field.string("success")
            let start = SourceLocation(file: field.location.file, line: field.location.line, column: field.location.column + (field.isQuoted ? 1 : 0))
            options.success = try SuccessPredicate(parsing: text, at: start)
        }
        if let field = node["message"] {
            let path = try field.string("message").split(separator: ".", omittingEmptySubsequences: false).map(String.init)
            guard !path.contains(where: \.isEmpty) else { throw field.error("message is the dotted path of the error text, like msg or error.message") }
            options.message = path
        }
        if let field = node["auth_codes"] {
            options.authCodes = try field.strings("auth_codes")
        }
    }
}

extension HTTPAdapter.Options {
    /// The fields a keyset or since read pages by.
    var pagingFields: [String] {
        paging == .since ? (cursorField.map { [$0] } ?? []) : keyset
    }

    /// The query parameters carrying the position, one per paging field.
    var pagingParameters: [String] {
        paging == .since ? (sinceParameter.map { [$0] } ?? []) : afterParameters
    }

    /// A keyset led by the cursor field: the next read starts after the last record read,
    /// and a record edited meanwhile moves past that position, so it is read again.
    var keysetResumes: Bool {
        paging == .keyset && cursorField != nil && keyset.first == cursorField
    }

    /// Whether `since_param` goes on the first request as a filter; under since paging and a
    /// resuming keyset, the position itself asks for the newer records.
    var sendsSinceFilter: Bool {
        paging != .since && !keysetResumes
    }

    /// Risks the options alone show: paging by position while reading incrementally, where a
    /// record edited between two pages shifts the others and one is skipped for good.
    public var readWarnings: [String] {
        guard let cursor = cursorField, let since = sinceParameter, sendsSinceFilter else { return [] }
        let instead = "use paging: keyset with keyset: [\(cursor), id] (each page asks for the records after the last one read), "
            + "or paging: since when the API's \(since) filter includes the value itself"
        switch paging {
        case .page, .offset:
            return ["paging: \(paging.rawValue) with an incremental cursor (cursor: \(cursor), since_param: \(since)) can skip a record for good: "
                + "a record edited between two page requests moves to the end, the records after it shift one place forward, and the one "
                + "that slides onto a page already read is never read, as the next read starts after the newest \(cursor); " + instead]
        case .keyset:
            return ["keyset: [\(keyset.joined(separator: ", "))] does not start with the cursor \(cursor): a record edited after its page "
                + "was read can be missed for good, when a record edited later still is read after it and the checkpoint moves past both; " + instead]
        default:
            return []
        }
    }
}
