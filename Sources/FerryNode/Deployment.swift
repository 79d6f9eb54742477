import Foundation
public import FerryCore
public import FerryMapping
public import FerrySeal

/// A loaded topology with its entities, mappings and code tables compiled: everything a
/// node or `ferry check` needs to know about the deployment, read once.
public final class Deployment: @unchecked Sendable {
    // Sendable: the compiled caches are guarded by `lock`; the rest is immutable.
    public let topology: Topology
    public let codes: CodeTables
    private var entityCache: [String: EntitySchema] = [:]
    private var mappingCache: [String: Mapping] = [:]
    private let lock = NSLock()

    public init(topology: Topology) {
        self.topology = topology
        self.codes = CodeTables(directory: topology.codes)
    }

    /// Loads and validates a topology file.
    public static func load(_ file: String) throws -> Deployment {
        Deployment(topology: try TopologyLoader.load(file))
    }

    /// How a stored record key appears to operators and in logs: masked when any key field
    /// of its entity is personal, or when the entity is unknown.
    public func subject(key: String, entity name: String) -> String {
        let display = key.replacingOccurrences(of: "\u{1F}", with: "/")
        guard let entity = try? entity(name) else { return Masking.mask(display) }
        return entity.key.contains(where: entity.personalFields.contains) ? Masking.mask(display) : display
    }

    /// The keyed digester of this deployment's records, from its `digest_key:`; nil if it
    /// has none. The secret stays inside the digester.
    public func digester() throws -> RecordDigester? {
        guard let file = topology.digestKey else { return nil }
        return RecordDigester(try DigestKey.load(file).keyedHash)
    }

    public func entity(_ name: String) throws -> EntitySchema {
        lock.lock()
        defer { lock.unlock() }
        if let cached = entityCache[name] { return cached }
        guard let reference = topology.entity(named: name) else {
            throw FerryError(.config, "unknown entity \(name)", hint: "declare it under entities: in \(topology.file)")
        }
        let schema = try EntitySchema.load(reference.file, codes: codes)
        guard schema.name == name else {
            throw FerryError(.config, "\(reference.file.path) declares entity \(schema.name), but the topology calls it \(name)",
                at: .file(reference.location), hint: "make the names agree")
        }
        entityCache[name] = schema
        return schema
    }

    /// The mapping between `system`'s dialect and `entity`.
    public func mapping(system name: String, entity: String) throws -> Mapping {
        let cacheKey = "\(name)\u{1F}\(entity)"
        if let cached = lock.withLock({ mappingCache[cacheKey] }) { return cached }
        guard let system = topology.system(named: name), let file = system.maps[entity] else {
            throw FerryError(.config, "system \(name) has no mapping for \(entity)", hint: "add it under the system's maps:")
        }
        let mapping = try Mapping.load(file, entity: try self.entity(entity), codes: codes)
        guard mapping.systems.contains(name) else {
            throw FerryError(.config, "\(file.path) is the mapping of system \(mapping.system), but system \(name) uses it",
                at: .file(system.location), hint: "each system has its own mapping file, or is named under the shared file's system: list")
        }
        lock.withLock { mappingCache[cacheKey] = mapping }
        return mapping
    }

    /// The mapping a trigger makes `entity` by, compiled once like every other mapping.
    func derivation(_ trigger: Topology.Trigger, entity: String) throws -> Mapping {
        let cacheKey = "trigger:\(trigger.name)\u{1F}\(entity)"
        if let cached = lock.withLock({ mappingCache[cacheKey] }) { return cached }
        let mapping = try Mapping.load(trigger.derivation, entity: try self.entity(entity), codes: codes)
        lock.withLock { mappingCache[cacheKey] = mapping }
        return mapping
    }

    /// The public keys a node trusts, from the topology's trust lists.
    public func trustStore() throws -> TrustStore {
        var store = TrustStore()
        for entry in topology.trust {
            for file in entry.publicKeyFiles {
                let key: PublicKey
                do { key = try PublicKey.load(file) } catch var error as FerryError {
                    if error.location == nil { error.location = .file(entry.location) }
                    throw error
                }
                guard key.node == entry.node else {
                    throw FerryError(.config, "\(file.path) is the key of node \(key.node), listed under \(entry.node)",
                        at: .file(entry.location), hint: "list each node's own .pub files under its name")
                }
                store.add(key)
            }
        }
        return store
    }
}

extension RecordDigester {
    /// The digester inline mapping tests' `expect_digest` is checked with: HMAC-SHA256 under
    /// the public `inlineTestKey`.
    public static let inlineTest = RecordDigester(HMAC.keyed(inlineTestKey, algorithm: .hmacSHA256))
}
