public import Foundation
import Hummingbird
import Logging
import FerryCore

/// What the bundle upload endpoint needs from the node: the lanes it receives, what it
/// does with a complete upload, and where refusals are audited.
public struct BundleUploadHandler: Sendable {
    /// The answer to one complete upload. `message` is fixed text or checked values only.
    public struct Answer: Sendable, Equatable {
        public var status: Int
        public var message: String
        /// For a refusal (4xx): a fixed reason code for the audit log, e.g. `bad-signature`.
        public var reason: String?

        public init(status: Int, message: String, reason: String? = nil) {
            (self.status, self.message, self.reason) = (status, message, reason)
        }
    }

    /// The largest upload, in bytes, this node takes on lane `from → to` (both already
    /// checked to be simple identifiers), or nil when it does not receive that lane.
    public var capacity: @Sendable (_ from: String, _ to: String) -> Int64?
    /// Takes a complete upload (a private file named as the bundle) for the lane.
    public var accept: @Sendable (_ from: String, _ to: String, _ file: URL) async -> Answer
    /// Writes one audit entry about refused uploads; the route calls it at most once per
    /// `refusalWindow`.
    public var audit: @Sendable (_ summary: HTTPRefusalSummary) async -> Void
    public var rate = UploadRateLimiter.Policy()
    /// Seconds per audit entry about refusals, however many there are.
    public var refusalWindow: TimeInterval = 60
    /// Uploads stored at once; more are answered 429 before their body is read.
    public var maxConcurrent = 4

    public init(
        capacity: @escaping @Sendable (String, String) -> Int64?, accept: @escaping @Sendable (String, String, URL) async -> Answer,
        audit: @escaping @Sendable (HTTPRefusalSummary) async -> Void
    ) {
        (self.capacity, self.accept, self.audit) = (capacity, accept, audit)
    }
}

extension ConsoleServer {
    /// Takes pushed bundles for this node's lanes (see `BundleUploadRoute`).
    public typealias Upload = BundleUploadHandler
}

/// `POST /bundles/:from/:to/:name`: a sending node pushes a sealed bundle for lane
/// `from → to`. Everything in the request comes from whoever can reach the port, so:
/// `from`, `to` and `name` are shape-checked before anything echoes them; each client
/// address gets a token bucket and 429 with `Retry-After` beyond it; the body is capped at
/// `min(Options.maxUploadBytes, the lane's capacity)`; and the node checks the stored
/// bundle's lane, sender, trusted key and signature before answering 201. Refusals are
/// audited with checked values only, one entry per window.
struct BundleUploadRoute: Sendable {
    let options: ConsoleServer.Options
    let handler: BundleUploadHandler
    let logger: Logger
    let gate: UploadGate
    let clock: @Sendable () -> Date

    init(options: ConsoleServer.Options, handler: BundleUploadHandler, logger: Logger, clock: @escaping @Sendable () -> Date = { Date() }) {
        self.options = options
        self.handler = handler
        self.logger = logger
        self.clock = clock
        self.gate = UploadGate(rate: handler.rate, refusalWindow: handler.refusalWindow, maxConcurrent: handler.maxConcurrent)
    }

    func register<Context: RequestContext>(on router: Router<Context>) {
        // The first capture is named `id` like the console's `bundles/:id/retry`: Hummingbird
        // keeps one capture per path level, and two names there clash (its router validation
        // stops a debug build; a release build would route only one of them).
        router.post("bundles/:id/:to/:name") { request, context -> Response in
            let client = Self.client(of: context)
            let outcome = await self.handle(request, from: context.parameters.get("id") ?? "", to: context.parameters.get("to") ?? "",
                name: context.parameters.get("name") ?? "", client: client)
            if let refusal = outcome.refusal { await self.audit(refusal) }
            var response = ConsoleServer.text(HTTPResponse.Status(code: outcome.answer.status), outcome.answer.message)
            if let seconds = outcome.retryAfter { response.headers[.retryAfter] = String(seconds) }
            return response
        }
    }

    struct Outcome {
        var answer: BundleUploadHandler.Answer
        var refusal: HTTPRefusal?
        var retryAfter: Int?
    }

    /// Checks the request line, the rate and the size, stores the body, and hands it on.
    func handle(_ request: Request, from: String, to: String, name: String, client: String) async -> Outcome {
        func refuse(_ status: Int, _ reason: String, _ message: String, lane: String? = nil, retryAfter: Int? = nil) -> Outcome {
            Outcome(answer: .init(status: status, message: message, reason: reason),
                refusal: HTTPRefusal(reason: reason, status: status, lane: lane, client: client), retryAfter: retryAfter)
        }
        if case .retryAfter(let seconds) = await gate.admit(client, now: clock()) {
            return refuse(429, "rate", "too many uploads from this address; retry after \(seconds) seconds", retryAfter: seconds)
        }
        guard OutsideText.isIdentifier(from), OutsideText.isIdentifier(to) else {
            return refuse(400, "bad-lane", "not a lane: FROM and TO must be zone names ([A-Za-z0-9][A-Za-z0-9._-]*)")
        }
        // Only content-hash names: nothing else belongs in a transfer area.
        guard OutsideText.isBundleFileName(name) else {
            return refuse(400, "bad-name", "not a bundle name: a bundle is named by its content hash, 64 lowercase hex digits and .bundle")
        }
        let lane = "\(from)→\(to)"
        guard let capacity = handler.capacity(from, to) else {
            return refuse(404, "no-lane", "this node does not receive \(lane)")
        }
        let cap = min(Int64(options.maxUploadBytes), capacity)
        if let declared = request.headers[.contentLength].flatMap({ Int64($0) }), declared > cap {
            return refuse(413, "too-large", "bundle exceeds \(cap) bytes", lane: lane)
        }
        guard await gate.begin() else {
            return refuse(429, "busy", "too many uploads at once; retry after 5 seconds", lane: lane, retryAfter: 5)
        }
        let outcome = await store(request, name: name, cap: cap) { file in
            let answer = await handler.accept(from, to, file)
            guard (400..<500).contains(answer.status) else { return Outcome(answer: answer) }
            return refuse(answer.status, answer.reason ?? "refused", answer.message, lane: lane)
        } tooLarge: {
            refuse(413, "too-large", "bundle exceeds \(cap) bytes", lane: lane)
        }
        await gate.end()
        return outcome
    }

    /// Streams the body into a private file beside no other upload, stopping at `cap`
    /// bytes, then hands the file to `body`; the file is gone when this returns.
    func store(_ request: Request, name: String, cap: Int64, _ body: (URL) async -> Outcome, tooLarge: () -> Outcome) async -> Outcome {
        let unavailable = Outcome(answer: .init(status: 507, message: "cannot stage the upload"))
        let folder = options.uploadDirectory.appendingPathComponent(UUID().uuidString)
        guard (try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)) != nil else { return unavailable }
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent(name)
        guard FileManager.default.createFile(atPath: file.path, contents: nil, attributes: [.posixPermissions: 0o600]),
            let handle = try? FileHandle(forWritingTo: file)
        else { return unavailable }
        var received: Int64 = 0
        do {
            for try await buffer in request.body {
                received += Int64(buffer.readableBytes)
                if received > cap {
                    try? handle.close()
                    return tooLarge()
                }
                try handle.write(contentsOf: Array(buffer.readableBytesView))
            }
            try handle.synchronize()
            try handle.close()
        } catch {
            try? handle.close()
            // The error text may quote the network layer; the log keeps it, the answer does not.
            logger.warning("upload failed while receiving", metadata: ["error": .string("\(error)")])
            return Outcome(answer: .init(status: 400, message: "the upload did not complete"))
        }
        return await body(file)
    }

    /// Audits refusals at the window's pace, and logs each entry it writes.
    func audit(_ refusal: HTTPRefusal) async {
        guard let summary = await gate.note(refusal, now: clock()) else { return }
        let held = summary.heldBack.values.reduce(0, +)
        logger.warning("bundle upload refused", metadata: [
            "reason": .string(refusal.reason), "status": .stringConvertible(refusal.status), "client": .string(refusal.client),
            "held_back": .stringConvertible(held),
        ])
        await handler.audit(summary)
    }

    /// The peer's address as the socket reports it, when the router's context carries it.
    static func client<Context: RequestContext>(of context: Context) -> String {
        guard let address = (context as? any RemoteAddressRequestContext)?.remoteAddress else { return "unknown" }
        return address.ipAddress ?? "unknown"
    }
}

/// The endpoint's shared state: rate buckets, uploads in flight, the refusal window.
actor UploadGate {
    private var limiter: UploadRateLimiter
    private var refusals: HTTPRefusals
    private var inFlight = 0
    private let maxConcurrent: Int

    init(rate: UploadRateLimiter.Policy, refusalWindow: TimeInterval, maxConcurrent: Int) {
        limiter = UploadRateLimiter(policy: rate)
        refusals = HTTPRefusals(window: refusalWindow)
        self.maxConcurrent = max(1, maxConcurrent)
    }

    func admit(_ client: String, now: Date) -> UploadRateLimiter.Decision { limiter.admit(client, now: now) }

    func begin() -> Bool {
        guard inFlight < maxConcurrent else { return false }
        inFlight += 1
        return true
    }

    func end() { inFlight -= 1 }

    func note(_ refusal: HTTPRefusal, now: Date) -> HTTPRefusalSummary? { refusals.note(refusal, now: now) }
}
