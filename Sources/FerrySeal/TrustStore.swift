/// The public keys a node accepts bundles from. Several keys per node allow rotation:
/// bundles are sealed to the newest (last listed) key, and an old key keeps opening old
/// bundles until it is removed from the topology's trust list.
public struct TrustStore: Sendable {
    private var ordered: [PublicKey] = []

    public init(_ keys: [PublicKey] = []) {
        for key in keys { add(key) }
    }

    public mutating func add(_ key: PublicKey) {
        ordered.removeAll { $0.keyID == key.keyID }
        ordered.append(key)
    }

    public func key(id: String) -> PublicKey? { ordered.first { $0.keyID == id } }

    /// Keys listed for a node, oldest first.
    public func keys(forNode node: String) -> [PublicKey] { ordered.filter { $0.node == node } }

    /// The key new bundles to `node` are sealed to: the last listed of the channel's suite.
    public func current(forNode node: String, suite: String) -> PublicKey? { keys(forNode: node).last { $0.suite == suite } }

    public var all: [PublicKey] { ordered }
}
