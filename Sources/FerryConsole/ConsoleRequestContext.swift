public import Hummingbird
public import NIOCore

/// The request context of Ferry's HTTP endpoint: Hummingbird's basic context plus the
/// peer's socket address, which the audit log records as a login's source (a `Host` or
/// `X-Forwarded-For` header is whatever the client wrote).
public struct ConsoleRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}
