public import FerryCore
public import FerryMapping
public import FerryNode

extension Deployment {
    /// Runs the inline tests of every mapping (or one system's), and of every trigger's
    /// derivation (all of them, or those of triggers watching that system), labelled by
    /// mapping name.
    public func runMappingTests(system: String? = nil) throws -> [(mapping: String, result: MappingTestResult)] {
        var results: [(String, MappingTestResult)] = []
        for candidate in topology.systems where system == nil || candidate.name == system {
            for entity in candidate.maps.keys.sorted() {
                let compiled = try mapping(system: candidate.name, entity: entity)
                results += compiled.runTests(inlineDigester: .inlineTest).map { (compiled.name, $0) }
            }
        }
        for flow in topology.flows where flow.trigger != nil && (system == nil || flow.from == system) {
            guard let derivation = try flowSource(flow).derivation else { continue }
            results += derivation.runTests(inlineDigester: .inlineTest).map { (derivation.name, $0) }
        }
        return results
    }
}

extension FerryError.Code {
    /// A mapping file's inline test (`tests:`) that did not hold.
    public static let mappingTest: Self = "mapping.test"
}
