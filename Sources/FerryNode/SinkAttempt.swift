import FerryCore
import FerryAdapters
import Logging

/// Sends one batch of rows to a sink and says what became of each row, every text the sink
/// wrote masked (``FreeTextRedactor``) with that row's own personal values.
///
/// A sink that fails a whole batch (an exec program that exits, a web service that answers
/// 500) says nothing about which record caused it, and its text may quote one record's
/// values. Copying that text onto every record of the batch would show one applicant's data
/// on another applicant's dead letter, and dead-letter records that were never at fault.
/// So, as JDBC and Elasticsearch bulk writers do, a failed batch is tried again one record
/// at a time: each record then gets its own outcome and its own error text. A user expects
/// a dead letter to say why *that* record failed, and the records that are fine to arrive.
///
/// Trying alone is bounded. When the target is down, every record fails alone too, and
/// sending each one separately only multiplies the waiting. After two records in a row fail
/// alone with the same text (that text is then about the target, not about a record), or
/// after four in a row whatever their texts, the rest are sent once more as one batch; if
/// that fails as well they are postponed with a batch error that says so and quotes no
/// record: only the text two different records got alike, which holds neither's values.
struct SinkAttempt {
    /// What became of one row.
    enum Result: Equatable {
        /// The sink's outcome; a rejection's reason is masked.
        case outcome(SinkOutcome)
        /// Failed for now, to be retried after a backoff; the reason is masked.
        case failed(String)
    }

    /// Single records that fail in a row before the rest are no longer tried alone.
    static let sameTextLimit = 2
    static let anyTextLimit = 4

    let sink: any Sink
    let target: String
    let logger: Logger

    /// Applies `rows`; `personal[i]` holds the personal values of row `i`, masked wherever
    /// they appear in the sink's text. Errors other than adapter failures are thrown.
    func apply(_ rows: [SinkRow], personal: [[String]]) throws -> [Result] {
        guard !rows.isEmpty else { return [] }
        // Maskers are built only for text that needs one: most batches apply cleanly.
        let personal = rows.indices.map { $0 < personal.count ? personal[$0] : [] }
        do {
            return try masked(sink.apply(rows), personal: personal[...])
        } catch let error as FerryError where error.adapterFailure != nil {
            let batch = FreeTextRedactor(values: personal.joined())
            let configuration = error.adapterFailure == .configuration
            let alone = !configuration && rows.count > 1
            logger.warning(alone ? "apply failed: trying the records one by one" : "apply failed, will retry", metadata: [
                "target": .string(target), "records": "\(rows.count)", "reason": .string(batch(error.message)),
            ])
            // A wrong configuration fails every record alike: nothing to learn by trying them alone.
            if configuration { return rows.map { _ in .failed(batch(error.message)) } }
            guard rows.count > 1 else { return [single(error, personal: personal[0])] }
            return try isolate(rows, personal: personal, batch: batch)
        }
    }

    /// Each row alone, until the target fails for records in a row; then the rest together.
    private func isolate(_ rows: [SinkRow], personal: [[String]], batch: FreeTextRedactor) throws -> [Result] {
        var results: [Result] = []
        var streak: [String] = []
        for (index, row) in rows.enumerated() {
            if streak.count >= Self.anyTextLimit || (streak.count >= Self.sameTextLimit && Set(streak.suffix(Self.sameTextLimit)).count == 1) {
                return try results + rest(Array(rows[index...]), personal: personal[index...], streak: streak, batch: batch)
            }
            do {
                let outcome = try sink.apply([row])
                results += outcome.isEmpty ? [.failed("the target answered nothing for the record")] : masked(outcome, personal: personal[index...index])
                streak = []
            } catch let error as FerryError where error.adapterFailure == .configuration {
                return results + rows[index...].map { _ in .failed(batch(error.message)) }
            } catch let error as FerryError where error.adapterFailure != nil {
                results.append(single(error, personal: personal[index]))
                if error.adapterFailure == .retryable { streak.append(error.message) } else { streak = [] }
            }
        }
        return results
    }

    /// The rows not tried alone, sent once more as one batch.
    private func rest(_ rows: [SinkRow], personal: ArraySlice<[String]>, streak: [String], batch: FreeTextRedactor) throws -> [Result] {
        do {
            return try masked(sink.apply(rows), personal: personal)
        } catch let error as FerryError where error.adapterFailure == .configuration {
            return rows.map { _ in .failed(batch(error.message)) }
        } catch let error as FerryError where error.adapterFailure != nil {
            var reason = "the target failed a batch of \(rows.count) records, and \(streak.count) records in a row sent alone before "
                + "this one; this record was not sent alone"
            if let common = streak.last, Set(streak.suffix(Self.sameTextLimit)).count == 1 {
                reason += "; they failed with: \(batch(common))"
            }
            return rows.map { _ in .failed(reason) }
        }
    }

    /// A record sent alone that failed: retried later, or rejected when it never can succeed.
    private func single(_ error: FerryError, personal: [String]) -> Result {
        let reason = FreeTextRedactor(values: personal)(error.message)
        return error.adapterFailure == .permanent ? .outcome(.rejected(reason)) : .failed(reason)
    }

    /// The sink's outcomes in order, each rejection's reason masked with its own row's values.
    private func masked(_ outcomes: [SinkOutcome], personal: ArraySlice<[String]>) -> [Result] {
        zip(outcomes, personal).map { outcome, values in
            if case .rejected(let reason) = outcome { return .outcome(.rejected(FreeTextRedactor(values: values)(reason))) }
            return .outcome(outcome)
        }
    }
}
