/// A source whose options alone show a risk to what an incremental read sees (paging by
/// position while records change, for one): `ferry check` and `ferry adapters check` print
/// these warnings.
public protocol ReadAdvising {
    /// Each a sentence or two: what can be missed, and the option to use instead.
    var readWarnings: [String] { get }
}

extension HTTPAdapter: ReadAdvising {
    public var readWarnings: [String] { options.readWarnings }
}
