import Foundation
import FerryCore
import FerryTransport

/// Answers that say HTTP 200 but carry a failure in their body (`{"code":401,"msg":"令牌已过期",
/// "data":[]}`): read as an empty page, an expired token would look like "no changes" for ever.
extension HTTPAdapter {
    /// Where systems put their own result code, in the order they are looked for.
    static let codeMembers: [[String]] = [["code"], ["errcode"], ["error_code"], ["errCode"], ["errorCode"], ["status"]]
    /// Where systems put their own error text, when `message:` does not say.
    static let messageMembers: [[String]] = [["msg"], ["message"], ["errmsg"], ["error_msg"], ["error_message"], ["errorMessage"],
        ["error", "message"], ["error_description"], ["error"]]

    /// The records of a 2xx answer to a read, once the answer is judged a success: by
    /// `success:` when declared; otherwise an answer with no records and a recognisable error
    /// envelope fails (``errorEnvelope(_:)``). Either failure leaves the checkpoint where it was.
    func judgedRecords(in answer: Value, status: Int, from url: String) throws -> [Value] {
        if let success = options.success, case .object = answer, !success.holds(on: answer) {
            throw failedInside(answer, status: status, method: "GET", url: url, reading: true)
        }
        let items: [Value]
        do { items = try records(in: answer, from: url) } catch {
            if options.success == nil, Self.errorEnvelope(answer, message: systemMessage(in: answer)) {
                throw failedInside(answer, status: status, method: "GET", url: url, reading: true)
            }
            throw error
        }
        if items.isEmpty, options.success == nil, Self.errorEnvelope(answer, message: systemMessage(in: answer)) {
            throw failedInside(answer, status: status, method: "GET", url: url, reading: true)
        }
        return items
    }

    /// Judges a 2xx answer to a write the same way (an answer that is not a JSON object,
    /// like an empty 204 or a list of results, carries no envelope and passes).
    func judgeWrite(_ response: HTTPClient.Response, method: String, url: String) throws {
        guard !response.body.isEmpty, let answer = try? CanonicalJSON.decode(response.body), case .object = answer else { return }
        let failed = options.success.map { !$0.holds(on: answer) } ?? Self.errorEnvelope(answer, message: systemMessage(in: answer))
        if failed { throw failedInside(answer, status: response.status, method: method, url: url, reading: false) }
    }

    /// A body that reports a failure without a declared predicate: an object whose
    /// `success` or `ok` is false, or whose numeric `code`/`errcode`/`error_code` is neither
    /// 0 nor 2xx, together with an error text (`msg`, `message`, `errmsg`, …) that does not
    /// itself say success ("ok", "success", "created", "…成功").
    static func errorEnvelope(_ answer: Value, message: String?) -> Bool {
        guard case .object(let fields) = answer, let message else { return false }
        if fields["success"] == .bool(true) || fields["ok"] == .bool(true) || saysSuccess(message) { return false }
        if fields["success"] == .bool(false) || fields["ok"] == .bool(false) { return true }
        for path in codeMembers.dropLast() {
            guard let value = member(path, of: answer) else { continue }
            guard let code = SuccessPredicate.number(value) else { return false }
            return code != 0 && !(code >= 200 && code < 300)
        }
        return false
    }

    static func saysSuccess(_ message: String) -> Bool {
        let text = message.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        if ["ok", "success", "succeeded", "successful", "done", "created", "updated", "saved", "accepted"].contains(text) { return true }
        return text.hasSuffix("成功") && !text.contains("不成功") && !text.contains("未成功")
    }

    /// The system's own error text, as it may be shown: credentials this adapter sends are
    /// cut out, long runs of letters and digits (tokens, ID numbers) masked, and the length bounded.
    func systemMessage(in answer: Value) -> String? {
        let paths = options.message.map { [$0] } ?? Self.messageMembers
        for path in paths {
            guard let value = Self.member(path, of: answer), let text = value.text, !text.isEmpty else { continue }
            var shown = text
            for secret in [options.bearer, options.password].compactMap({ $0 }) where secret.count >= 4 {
                shown = shown.replacingUTF8(secret, with: "***")
            }
            shown = Self.scrub(shown)
            return shown.count > 200 ? String(shown.prefix(200)) + "…" : shown
        }
        return nil
    }

    /// The failure a 2xx answer reported, classed: a code that says the credentials were
    /// refused (401, 403, 40101…, or one listed in `auth_codes`), or a text that speaks of
    /// tokens, signatures or expiry, is a configuration error an operator must see; anything
    /// else is retried by the queue.
    func failedInside(_ answer: Value, status: Int, method: String, url: String, reading: Bool) -> FerryError {
        let failing = options.success?.failing(on: answer) ?? []
        let codes = (failing.compactMap(\.value) + Self.codeMembers.compactMap { Self.member($0, of: answer) }).compactMap(Self.codeText)
        let code = codes.first
        let refused = codes.contains { isAuthCode($0) } || Self.speaksOfCredentials(systemMessage(in: answer) ?? "")
        var text = "\(method) \(HTTPClient.redacted(url)) answered \(status), but the answer reports a failure"
        if let code { text += " (code \(code))" }
        if let said = systemMessage(in: answer) { text += ": \(said)" }
        if let success = options.success {
            text += "; success: \(success) does not hold"
        }
        let kept = reading ? "nothing was read and the checkpoint stays where it was" : "the records stay queued"
        let declare = options.success == nil ? "; if such an answer means success, declare it, like success: \"code in [0, \(code ?? "1")]\"" : ""
        if refused {
            return FerryError.adapter(.configuration, text,
                hint: "the system refused the credentials: renew them (bearer_env/bearer_file, user with password_env/password_file); \(kept)\(declare)")
        }
        return FerryError.adapter(.retryable, text, hint: "the queue tries again later; \(kept)\(declare)")
    }

    /// A code as text: numbers and short texts only, never a long value that could be a token.
    static func codeText(_ value: Value) -> String? {
        switch value {
        case .int(let n): return String(n)
        case .decimal(let d): return d
        case .string(let s) where s.count <= 12 && !s.isEmpty: return scrub(s)
        default: return nil
        }
    }

    /// Words systems use when they refuse credentials, whatever their code (WeChat's 42001
    /// "access_token expired", "令牌已过期", "签名错误").
    static let credentialWords = ["token", "令牌", "unauthori", "forbidden", "credential", "expired", "过期", "未授权", "无权", "认证",
        "鉴权", "未登录", "登录失效", "signature", "签名", "appkey", "app_key", "appsecret", "secret"]

    static func speaksOfCredentials(_ message: String) -> Bool {
        let text = message.lowercased()
        return credentialWords.contains { text.contains($0) }
    }

    func isAuthCode(_ code: String) -> Bool {
        if options.authCodes.contains(code) { return true }
        guard code.count <= 6, code.allSatisfy({ $0.isASCII && $0.isNumber }) else { return false }
        return code.hasPrefix("401") || code.hasPrefix("403")
    }
}
