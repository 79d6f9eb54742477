import FerryCore
import FerryMapping
import FerryQueue
import FerrySeal

extension Node {
    /// What field policies make of one incoming record: fields left as a higher authority
    /// set them, fields in conflict, and who holds the policed fields once it is applied.
    struct ConflictDecision {
        var kept: [String] = []
        var conflicts: [String] = []
        var holders: [String: FieldProvenance.Entry] = [:]
    }

    /// Judges each policed field of `record` from `source` (authority `rank`, 0 national)
    /// against its holder: `authority` keeps a higher authority's value, `none` makes a
    /// case for a person, `latest` lets the version decide. A holder's own value, or an
    /// equal one, is never a conflict.
    static func settleConflicts(
        _ record: FerryCore.Record, fields: [FieldSpec], holders: [String: FieldProvenance.Entry], source: String, rank: Int
    ) -> ConflictDecision {
        var decision = ConflictDecision()
        for spec in fields {
            let digest = valueDigest(record.fields[spec.name] ?? .null)
            let incoming = FieldProvenance.Entry(system: source, rank: rank, digest: digest)
            guard let holder = holders[spec.name], holder.system != source, holder.digest != digest else {
                decision.holders[spec.name] = incoming
                continue
            }
            switch spec.conflict {
            case .authority where holder.rank < rank:
                decision.kept.append(spec.name)
            case .none:
                decision.conflicts.append("\(spec.name) (\(holder.system) holds another value; settle it, then re-drive)")
            default:
                decision.holders[spec.name] = incoming
            }
        }
        return decision
    }

    /// A short digest of a canonical value: enough to see that two writers disagree.
    static func valueDigest(_ value: Value) -> String {
        hex(FerrySeal.Hasher.sha256(CanonicalJSON.encode(value)).prefix(16))
    }
}
