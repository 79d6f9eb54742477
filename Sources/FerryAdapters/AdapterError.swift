public import FerryCore

/// Failures of an adapter, classed so the queue knows whether to retry.
public enum AdapterFailure: String, Sendable {
    /// Try again later: the system is down, locked or rate-limiting.
    case retryable
    /// This record or request will never succeed as it is.
    case permanent
    /// The adapter is configured wrongly; an engineer must fix the topology.
    case configuration
}

extension FerryError.Code {
    public static let adapterRetryable: Self = "adapter.retryable"
    public static let adapterPermanent: Self = "adapter.permanent"
    public static let adapterConfiguration: Self = "adapter.configuration"
}

extension FerryError {
    public static func adapter(_ failure: AdapterFailure, _ message: String, at location: SourceLocation? = nil, hint: String? = nil) -> FerryError {
        let code: Code
        switch failure {
        case .retryable: code = .adapterRetryable
        case .permanent: code = .adapterPermanent
        case .configuration: code = .adapterConfiguration
        }
        return FerryError(code, message, at: location.map { .file($0) }, hint: hint)
    }

    /// How the queue should treat this error.
    public var adapterFailure: AdapterFailure? {
        switch code {
        case .adapterRetryable: return .retryable
        case .adapterPermanent: return .permanent
        case .adapterConfiguration: return .configuration
        default: return nil
        }
    }
}
