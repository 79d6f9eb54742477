public import Hummingbird

/// Refuses, with `421 Misdirected Request`, a request whose `Host` is not a loopback name
/// when the endpoint listens on loopback: the defence against DNS rebinding
/// (`RequestOrigin.isLoopbackHost`). An endpoint on another address is reached by names
/// Ferry cannot know, and is left to TLS and its client certificates.
struct LoopbackHost<Context: RequestContext>: RouterMiddleware {
    let enabled: Bool

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard !enabled || RequestOrigin.isLoopbackHost(request.head.authority) else {
            return ConsoleServer.text(.misdirectedRequest, "this endpoint answers only to localhost, 127.0.0.1 or [::1]")
        }
        return try await next(request, context)
    }
}
