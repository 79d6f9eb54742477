import Foundation
public import FerryCore

/// One step of a reconcile across a gap, as one line of a `reconcile` bundle. Only digests
/// cross: range fingerprints, sketches of (key digest, record digest) pairs and counts.
///
/// - `open` (opener → answerer): the source copy's range summary; in one-way mode also a
///   sketch of the pairs in the ranges that changed since the last opening (`ranges`, a
///   bitmap over the summary's ranges; every range when absent), sized for what changed.
/// - `sketch` (answerer → opener): the target's sketch, sized from comparing summaries.
/// - `equal` (answerer → opener): the copies' fingerprints agree; nothing more to ship.
/// - `more` (opener → answerer): the sketch was too narrow to peel; send one `width` wide.
/// - `failed` (answerer → opener): this side could not take the step; `reason` says why.
/// - `delete` (opener → answerer): a repair of a flow that opts in to deleting extras: the
///   key digests of records only the target holds, which the target deletes itself.
public struct ReconcileMessage: Sendable, Equatable {
    public enum Step: String, Sendable { case open, sketch, equal, more, delete, failed }

    public var step: Step
    public var run: String
    public var flow: String
    public var source: String
    public var target: String
    public var entity: String
    public var oneWay = false
    /// Both sides take their copy from their digest index instead of reading the systems.
    public var indexed = false
    /// Records in the sender's copy.
    public var records: Int64 = 0
    public var summary: RangeSummary?
    /// One-way: the summary's ranges the sketch holds pairs of; nil for every range.
    public var shipped: RangeSelection?
    public var sketch: Sketch?
    /// For `more`: the width asked for.
    public var width = 0
    /// For `sketch`: how the answerer compared the summaries.
    public var differingRanges = 0
    public var estimatedPairs = 0
    /// For `delete`: key digest prefixes, in hex.
    public var keys: [String] = []
    /// For `failed`: what stopped the answering side.
    public var reason: String?

    public var line: [UInt8] {
        var object: [String: Value] = [
            "step": .string(step.rawValue), "run": .string(run), "flow": .string(flow), "source": .string(source),
            "target": .string(target), "entity": .string(entity), "records": .int(records),
        ]
        if oneWay { object["one_way"] = .bool(true) }
        if indexed { object["indexed"] = .bool(true) }
        if let summary { object["summary"] = .string(Data(summary.bytes).base64EncodedString()) }
        if let shipped { object["ranges"] = .string(Data(shipped.bits).base64EncodedString()) }
        if let sketch {
            object["sketch"] = .string(Data(sketch.bytes).base64EncodedString())
            object["width"] = .int(Int64(sketch.width))
        } else if width > 0 {
            object["width"] = .int(Int64(width))
        }
        if !keys.isEmpty { object["keys"] = .list(keys.map(Value.string)) }
        if let reason { object["reason"] = .string(reason) }
        if step == .sketch {
            object["differing_ranges"] = .int(Int64(differingRanges))
            object["estimated_pairs"] = .int(Int64(estimatedPairs))
        }
        return CanonicalJSON.encode(.object(object))
    }

    public init(step: Step, run: String, flow: String, source: String, target: String, entity: String) {
        self.step = step
        self.run = run
        self.flow = flow
        self.source = source
        self.target = target
        self.entity = entity
    }

    /// The same run's next step, addressed the same way.
    public func reply(_ step: Step) -> ReconcileMessage {
        var reply = ReconcileMessage(step: step, run: run, flow: flow, source: source, target: target, entity: entity)
        reply.indexed = indexed
        return reply
    }

    public init(line: [UInt8]) throws {
        func malformed(_ what: String) -> FerryError {
            FerryError(.bundleRecord, "a reconcile line is malformed: \(what)", hint: "both sides must run the same Ferry version")
        }
        guard case .object(let o) = try CanonicalJSON.decode(line) else { throw malformed("not an object") }
        func text(_ name: String) throws -> String {
            guard let value = o[name]?.text, !value.isEmpty else { throw malformed("no \(name)") }
            return value
        }
        func int(_ name: String) -> Int { if case .int(let value)? = o[name] { Int(value) } else { 0 } }
        guard let step = Step(rawValue: try text("step")) else { throw malformed("unknown step \(o["step"]?.text ?? "")") }
        self.init(step: step, run: try text("run"), flow: try text("flow"), source: try text("source"), target: try text("target"),
            entity: try text("entity"))
        oneWay = o["one_way"] == .bool(true)
        indexed = o["indexed"] == .bool(true)
        if case .list(let items)? = o["keys"] { keys = items.compactMap(\.text) }
        reason = o["reason"]?.text
        records = Int64(int("records"))
        width = int("width")
        guard records >= 0, records <= 1 << 40 else { throw malformed("records \(records) out of range") }
        guard width == 0 || (width >= 8 && width <= Reconciler.maxWidth && width & (width - 1) == 0) else {
            throw malformed("width \(width) is not a power of two from 8 to \(Reconciler.maxWidth)")
        }
        differingRanges = int("differing_ranges")
        estimatedPairs = int("estimated_pairs")
        if let encoded = o["summary"]?.text {
            guard let bytes = Data(base64Encoded: encoded), let summary = RangeSummary(bytes: Array(bytes)), summary.ranges <= 4096 else {
                throw malformed("bad summary")
            }
            self.summary = summary
        }
        if let encoded = o["ranges"]?.text {
            guard let summary, let bytes = Data(base64Encoded: encoded), let shipped = RangeSelection(bits: Array(bytes), ranges: summary.ranges) else {
                throw malformed("bad ranges: a bitmap over the summary's ranges")
            }
            self.shipped = shipped
        }
        if let encoded = o["sketch"]?.text {
            guard width > 0, width <= Reconciler.maxWidth, let bytes = Data(base64Encoded: encoded),
                let sketch = Sketch(bytes: Array(bytes), width: width)
            else { throw malformed("bad sketch") }
            self.sketch = sketch
        }
    }
}


extension FerryError.Code {
    /// A reconcile could not start or continue: a flow, system or path is missing, or a
    /// step cannot be taken.
    public static let reconcile: Self = "reconcile"
}
