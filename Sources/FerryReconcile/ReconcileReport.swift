public import FerryCore

/// What a reconcile found. Keys are shown as this side can show them: masked when
/// personal, and as `#` and a key digest prefix for records only the far side holds.
public struct ReconcileReport: Sendable {
    public struct FieldDifference: Sendable, Equatable {
        public var field: String
        /// Masked when the field is personal.
        public var left: String
        public var right: String

        public init(field: String, left: String, right: String) { (self.field, self.left, self.right) = (field, left, right) }
    }

    public struct Changed: Sendable, Equatable {
        /// Masked when the key is personal.
        public var key: String
        /// Empty across a gap: only digests crossed, so only the key is known to differ.
        public var fields: [FieldDifference]

        public init(key: String, fields: [FieldDifference]) { (self.key, self.fields) = (key, fields) }
    }

    public var left: String
    public var right: String
    public var entity: String
    /// Set for a run across a gap.
    public var run: String?
    public var flow: String?
    /// `in-zone`, `two-way` or `one-way`.
    public var mode = "in-zone"
    /// `done`; `unresolved` when the differences were too many for the sketch; `partial`
    /// when a one-way run found what differs in the ranges shipped, but ranges it did
    /// not ship differ too; `failed` when the far side could not answer.
    public var state = "done"
    /// What an unresolved run needs, or how the run went.
    public var note: String?
    public var leftRecords = 0
    public var rightRecords = 0
    /// Rows a mapping could not read (each side), not compared.
    public var unreadable = (left: 0, right: 0)
    /// Records whose pairs agree; in a `partial` report an upper bound, since records
    /// in the ranges not shipped were not compared one by one.
    public var matched = 0
    public var onlyLeft: [String] = []
    public var onlyRight: [String] = []
    public var changed: [Changed] = []
    /// Changed by digest but equal within the fields' tolerances.
    public var withinTolerance = 0
    public var differingLeaves = 0
    /// In one zone the tree's leaves; across a gap the summary's ranges.
    public var leaves = 0
    /// One-way: the ranges the opening shipped pairs of, and how many of the others differ.
    public var shippedRanges: Int?
    public var outsideRanges = 0
    public var fingerprintsCompared = 0
    /// Across a gap: the sketch's width and the bytes of reconcile bundles this side sent.
    public var sketchWidth = 0
    public var rounds = 0
    /// SHA-256 over the sorted key digests of every difference, as audited.
    public var resultDigest = ""
    /// The repair plan, when one was asked for.
    public var plan: [RepairStep] = []

    public init(left: String, right: String, entity: String) {
        self.left = left
        self.right = right
        self.entity = entity
    }

    public var differences: Int { onlyLeft.count + onlyRight.count + changed.count }

    /// The report as JSON: what `--json` prints and what the store keeps.
    public var value: Value {
        var object: [String: Value] = [
            "left": .string(left), "right": .string(right), "entity": .string(entity), "mode": .string(mode), "state": .string(state),
            "left_records": .int(Int64(leftRecords)), "right_records": .int(Int64(rightRecords)),
            "matched": .int(Int64(matched)), "within_tolerance": .int(Int64(withinTolerance)),
            "only_left": .list(onlyLeft.map(Value.string)), "only_right": .list(onlyRight.map(Value.string)),
            "changed": .list(changed.map { change in
                .object(["key": .string(change.key), "fields": .list(change.fields.map {
                    .object(["field": .string($0.field), "left": .string($0.left), "right": .string($0.right)])
                })])
            }),
            "result_digest": .string(resultDigest),
        ]
        if let run { object["run"] = .string(run) }
        if let flow { object["flow"] = .string(flow) }
        if let note { object["note"] = .string(note) }
        if sketchWidth > 0 { object["sketch_width"] = .int(Int64(sketchWidth)) }
        if rounds > 0 { object["rounds"] = .int(Int64(rounds)) }
        if leaves > 0 { object["ranges"] = .int(Int64(leaves)) }
        if let shippedRanges {
            object["shipped_ranges"] = .int(Int64(shippedRanges))
            object["outside_ranges"] = .int(Int64(outsideRanges))
        }
        if !plan.isEmpty { object["plan"] = .list(plan.map { $0.value }) }
        return .object(object)
    }

    public init?(value: Value) {
        guard case .object(let o) = value, let left = o["left"]?.text, let right = o["right"]?.text, let entity = o["entity"]?.text else { return nil }
        self.init(left: left, right: right, entity: entity)
        func int(_ name: String) -> Int { if case .int(let v)? = o[name] { Int(v) } else { 0 } }
        func texts(_ name: String) -> [String] { if case .list(let items)? = o[name] { items.compactMap(\.text) } else { [] } }
        (run, flow, note) = (o["run"]?.text, o["flow"]?.text, o["note"]?.text)
        mode = o["mode"]?.text ?? mode
        state = o["state"]?.text ?? state
        (leftRecords, rightRecords, matched, withinTolerance) = (int("left_records"), int("right_records"), int("matched"), int("within_tolerance"))
        (sketchWidth, rounds, leaves, outsideRanges) = (int("sketch_width"), int("rounds"), int("ranges"), int("outside_ranges"))
        if o["shipped_ranges"] != nil { shippedRanges = int("shipped_ranges") }
        (onlyLeft, onlyRight) = (texts("only_left"), texts("only_right"))
        resultDigest = o["result_digest"]?.text ?? ""
        if case .list(let items)? = o["changed"] {
            changed = items.compactMap { item in
                guard case .object(let c) = item, let key = c["key"]?.text else { return nil }
                var fields: [FieldDifference] = []
                if case .list(let list)? = c["fields"] {
                    for case .object(let f) in list {
                        fields.append(FieldDifference(field: f["field"]?.text ?? "", left: f["left"]?.text ?? "", right: f["right"]?.text ?? ""))
                    }
                }
                return Changed(key: key, fields: fields)
            }
        }
        if case .list(let items)? = o["plan"] { plan = items.compactMap { RepairStep(value: $0) } }
    }
}
