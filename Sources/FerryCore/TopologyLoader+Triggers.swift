import Foundation

extension TopologyLoader {
    /// One item of `triggers:`, as the flows it produces (`NAME.ENTITY`, one per `produce`).
    static func triggerFlows(_ item: ConfigNode, base: URL) throws -> [Topology.Flow] {
        let what = "a trigger"
        try item.rejectUnknownKeys(["name", "on", "produce", "schedule"], in: what)
        let name = try name(item.require("name", in: what), "trigger")
        // The name ends at the dot of each flow's TRIGGER.ENTITY.
        guard !name.contains(".") else {
            throw item.error("trigger name '\(name)' has a dot, which would make its flows' names ambiguous", hint: "use letters, digits, '-' or '_'")
        }
        let on = try item.require("on", in: what)
        try on.rejectUnknownKeys(["system", "entity", "when"], in: "on")
        let conditions = try (on["when"]?.items("when") ?? []).map(condition)
        if let when = on["when"], conditions.isEmpty {
            throw when.error("when: lists no condition", hint: "leave when: out to act on every change, or list FIELD == 'value' conditions")
        }
        let scheduleNode = item["schedule"]
        let schedule = try scheduleNode?.string("schedule")
        if let schedule, let scheduleNode, case .failure(let problem) = Schedule.parse(schedule) {
            throw scheduleNode.error("schedule '\(schedule)' is not a cron expression: \(problem.message)",
                hint: "write five fields, minute hour day month weekday, e.g. \"*/5 * * * *\", or \"@every 30s\"")
        }
        let produce = try item.require("produce", in: what).items("produce")
        guard !produce.isEmpty else { throw item.error("trigger \(name) produces nothing", hint: "list { entity, to, mapping } under produce:") }
        return try produce.map { entry in
            try entry.rejectUnknownKeys(["entity", "to", "mapping"], in: "a produced entity")
            let entity = try entry.require("entity", in: "a produced entity").string("entity")
            let trigger = Topology.Trigger(name: name, entity: try on.require("entity", in: "on").string("entity"), conditions: conditions,
                derivation: try path(entry.require("mapping", in: "a produced entity"), "mapping", base: base))
            // The source holds the triggering entity, not this one: there is no copy of it
            // there to index or reconcile against.
            var flow = Topology.Flow(
                name: try self.name("\(name).\(entity)", "flow", at: entry.location), entity: entity,
                from: try on.require("system", in: "on").string("system"), to: try entry.require("to", in: "a produced entity").strings("to"),
                schedule: schedule, mode: .incremental, keepsDigestIndex: false, location: entry.location)
            flow.trigger = trigger
            return flow
        }
    }

    /// `FIELD == 'literal'` or `FIELD != 'literal'`.
    static func condition(_ node: ConfigNode) throws -> Topology.Trigger.Condition {
        let text = try node.string("when")
        guard let parsed = EqualityCondition.parse(text) else {
            throw node.error("when '\(text)' must read FIELD == 'value' or FIELD != 'value'",
                hint: "compare with == or != and quote the value in single quotes; several conditions go in a list, and all must hold")
        }
        return .init(field: parsed.name, equals: parsed.equals, literal: parsed.literal)
    }
}
