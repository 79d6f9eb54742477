import Hummingbird
import HTTPTypes

/// Headers every answer of the endpoint carries, whatever route or error produced it.
///
/// - `X-Content-Type-Options: nosniff` on all, so no browser reads JSON, text or an export
///   as HTML (Fetch standard §3.5).
/// - `Referrer-Policy: no-referrer`: console URLs carry search terms and trace keys.
/// - `Cache-Control: no-store` unless a route set its own: pages, API answers and
///   exports hold audit data.
/// - `Strict-Transport-Security` over TLS (RFC 6797).
/// - On HTML: a Content-Security-Policy that allows only the console's own stylesheet and
///   forms posting back to it: no script, no inline style, no `<base>`, no framing.
struct SecurityHeaders<Context: RequestContext>: RouterMiddleware {
    let tls: Bool

    static var policy: String {
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        } catch {
            // The detail (paths, a store's message) is for the log, not for whoever asked.
            context.logger.error("request failed", metadata: ["path": .string(request.uri.path), "error": .string("\(error)")])
            response = ConsoleServer.text(.internalServerError, "internal error: see the node's log")
        }
        response.headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        response.headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        if tls { response.headers[HTTPField.Name("Strict-Transport-Security")!] = "max-age=31536000" }
        if response.headers[.contentType]?.hasPrefix("text/html") == true {
            response.headers[HTTPField.Name("Content-Security-Policy")!] = Self.policy
            response.headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        }
        return response
    }
}
