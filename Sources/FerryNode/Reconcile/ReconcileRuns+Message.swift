import FerryQueue
import FerryReconcile

extension ReconcileRuns {
    /// Opens (or moves on) the run a message belongs to, in `role`.
    func open(message: ReconcileMessage, role: String, state: String, actor: String) throws {
        try open(message.run, role: role, flow: message.flow, source: message.source, target: message.target, entity: message.entity,
            oneWay: message.oneWay, state: state, actor: actor)
    }
}
