import Hummingbird
import FerryCore

/// Refuses, with `421 Misdirected Request`, a request whose `Host` is not a loopback name
/// when the endpoint listens on loopback: the defence against DNS rebinding
/// (`Loopback.isAuthority`: a page on another site whose name an attacker re-points at
/// 127.0.0.1 cannot read the console or post to it from a visitor's browser). An endpoint on another address is reached by names
/// Ferry cannot know, and is left to TLS and its client certificates.
struct LoopbackHost<Context: RequestContext>: RouterMiddleware {
    let enabled: Bool

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard !enabled || Loopback.isAuthority(request.head.authority) else {
            return ConsoleServer.text(.misdirectedRequest, "this endpoint answers only to localhost, 127.0.0.1 or [::1]")
        }
        return try await next(request, context)
    }
}
