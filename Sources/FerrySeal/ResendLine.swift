import FerryCore

/// One request inside a `resend` bundle (docs/bundle-format.md): drop the bundle with this
/// sequence of this lane again. `{"lane": "from→to", "sequence": N}`.
public struct ResendLine: Sendable, Equatable {
    public var lane: String
    public var sequence: Int64

    public init(lane: String, sequence: Int64) {
        self.lane = lane
        self.sequence = sequence
    }

    public var line: [UInt8] { CanonicalJSON.encode(.object(["lane": .string(lane), "sequence": .int(sequence)])) }

    /// - Throws: `bundle.record` when the line is not a resend request.
    public init(line: [UInt8]) throws {
        guard case .object(let o) = try CanonicalJSON.decode(line), case .int(let sequence)? = o["sequence"], sequence >= 0 else {
            throw FerryError(.bundleRecord, "a resend line is malformed", hint: "sender and receiver run incompatible Ferry versions")
        }
        self.init(lane: o["lane"]?.text ?? "", sequence: sequence)
    }
}
