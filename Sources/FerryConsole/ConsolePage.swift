import FerryCore

/// The console's HTML: server-rendered, no scripts, every value escaped. Values arrive
/// masked from the backend; a key the user typed is shown masked too.
enum ConsolePage {
    static func escape(_ text: String) -> String { Markup.escape(text) }

    /// Served as `/console.css`. Values sit in bidi-isolated boxes (CSS Writing Modes §2.2),
    /// so a right-to-left override in one cannot reorder its neighbours.
    static let style = """
        :root { --ink:#1d2733; --muted:#5b6b7c; --line:#dde3ea; --bg:#f5f7fa; --brand:#0b5cad; --ok:#17803d; --bad:#b42318; --warn:#b25e09; }
        * { box-sizing: border-box; }
        body { margin:0; font: 14px/1.45 "Noto Sans CJK SC", "PingFang SC", system-ui, sans-serif; color:var(--ink); background:var(--bg); }
        header { background:#0f2740; color:#fff; padding:10px 24px; display:flex; align-items:center; gap:24px; }
        header .brand { font-weight:700; font-size:17px; letter-spacing:.5px; }
        header nav a { color:#c9d7e6; text-decoration:none; margin-right:16px; }
        header nav a.on { color:#fff; border-bottom:2px solid #5aa9ff; padding-bottom:2px; }
        header .who { margin-left:auto; color:#c9d7e6; display:flex; gap:12px; align-items:center; }
        header button { background:none; border:1px solid #5c7a99; color:#fff; border-radius:4px; padding:3px 10px; cursor:pointer; }
        main { padding:20px 24px; max-width:1280px; }
        h1 { font-size:20px; margin:0 0 14px; } h2 { font-size:15px; margin:22px 0 8px; color:var(--muted); text-transform:uppercase; letter-spacing:.6px; }
        .cards { display:grid; grid-template-columns:repeat(auto-fit,minmax(170px,1fr)); gap:12px; }
        .card { background:#fff; border:1px solid var(--line); border-radius:8px; padding:12px 14px; }
        .card .n { font-size:26px; font-weight:700; } .card .l { color:var(--muted); font-size:12px; }
        table { border-collapse:collapse; width:100%; background:#fff; border:1px solid var(--line); border-radius:8px; overflow:hidden; }
        th, td { text-align:left; padding:7px 10px; border-bottom:1px solid var(--line); vertical-align:top; }
        th { background:#eef2f6; font-weight:600; font-size:12px; color:var(--muted); }
        td.mono, .mono { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size:12px; }
        .ok { color:var(--ok); font-weight:600; } .bad { color:var(--bad); font-weight:600; } .warn { color:var(--warn); font-weight:600; }
        form.filters { display:flex; flex-wrap:wrap; gap:8px; margin-bottom:14px; }
        input, select { border:1px solid #b8c4d0; border-radius:4px; padding:5px 8px; font:inherit; }
        button.primary { background:var(--brand); color:#fff; border:0; border-radius:4px; padding:6px 14px; cursor:pointer; }
        .hop { background:#fff; border:1px solid var(--line); border-left:4px solid var(--brand); border-radius:6px; padding:10px 14px; margin-bottom:10px; }
        .hop .zone { display:inline-block; min-width:90px; font-weight:700; }
        .hop .kind { background:#e8f1fb; color:var(--brand); border-radius:10px; padding:1px 8px; font-size:12px; margin-left:6px; }
        .hop .outcome { background:#e7f6ec; color:var(--ok); border-radius:10px; padding:1px 8px; font-size:12px; margin-left:6px; font-weight:600; }
        .hop .detail { color:var(--muted); margin-top:4px; }
        .login { max-width:360px; margin:12vh auto; background:#fff; border:1px solid var(--line); border-radius:10px; padding:28px; }
        .login input { width:100%; margin:6px 0 12px; }
        td, .hop span, .detail, header span { unicode-bidi: isolate; }
        td.mono:last-child, .detail { overflow-wrap: anywhere; }
        """ + zoneColours.enumerated().map { ".hop.zone\($0.offset) { border-left-color:\($0.element); }" }.joined(separator: "\n")

    static func frame(_ title: String, _ body: String, session: ConsoleSessions.Session?, node: String, active: String = "") -> String {
        let links = [("/", "Dashboard"), ("/audit", "Audit log"), ("/trace", "Trace"), ("/dead", "Dead letters"), ("/exports", "Exports")]
        let nav = links.map { path, label in "<a href=\"\(path)\"\(path == active ? " class=\"on\"" : "")>\(label)</a>" }.joined()
        let who = session.map { s in
            """
            <div class="who"><span>\(escape(s.user)) · \(s.role.rawValue)</span>
            <form method="post" action="/logout"><input type="hidden" name="csrf" value="\(s.csrf)"><button>Log out</button></form></div>
            """
        } ?? ""
        return """
            <!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>\(escape(title)) · Ferry \(escape(node))</title>
            <meta name="viewport" content="width=device-width, initial-scale=1"><link rel="stylesheet" href="/console.css"></head><body>
            <header><span class="brand">Ferry</span><span>\(escape(node))</span>\(session == nil ? "" : "<nav>\(nav)</nav>")\(who)</header>
            <main>\(body)</main></body></html>
            """
    }

    static func login(node: String, failed: Bool, next: String) -> String {
        frame("Log in", """
            <form class="login" method="post" action="/login">
            <h1>Ferry console · \(escape(node))</h1>
            \(failed ? "<p class=\"bad\">Wrong user or password, or too many attempts: wait a few minutes.</p>" : "")
            <label>User<input name="user" autocomplete="username" autofocus></label>
            <label>Password<input name="password" type="password" autocomplete="current-password"></label>
            <input type="hidden" name="next" value="\(escape(next))">
            <button class="primary">Log in</button></form>
            """, session: nil, node: node)
    }

    static func text(_ value: Value?) -> String { escape(value?.text ?? "") }

    static func list(_ value: Value?) -> [Value] { if case .list(let items)? = value { return items } else { return [] } }

    static func field(_ value: Value, _ name: String) -> Value? { if case .object(let o) = value { return o[name] } else { return nil } }

    static func dashboard(_ data: Value, session: ConsoleSessions.Session, node: String) -> String {
        let chain = field(data, "chain")
        let verified = field(chain ?? .null, "verified") == .bool(true)
        let chainText = verified
            ? "<span class=\"ok\">verified</span> · \(text(field(chain ?? .null, "entries"))) entries · last signed at #\(text(field(chain ?? .null, "last_checkpoint")))"
            : "<span class=\"bad\">BROKEN</span> · \(text(field(chain ?? .null, "error")))"
        let cards = [("inbox_pending", "records waiting to apply"), ("dead_letters", "dead letters"), ("quarantined", "quarantined records"),
            ("rejected_bundles", "rejected bundles")].map { name, label in
            "<div class=\"card\"><div class=\"n\">\(text(field(data, name)))</div><div class=\"l\">\(label)</div></div>"
        }.joined()
        let flows = list(field(data, "flows")).map { flow in
            "<tr><td>\(text(field(flow, "name")))</td><td>\(text(field(flow, "from")))</td><td>\(text(field(flow, "to")))</td><td class=\"mono\">\(text(field(flow, "last_sync")))</td><td class=\"mono\">\(text(field(flow, "cursor")))</td></tr>"
        }.joined()
        let lanes = list(field(data, "lanes")).map { lane in
            "<tr><td>\(text(field(lane, "lane")))</td><td>\(text(field(lane, "pending")))</td><td>\(text(field(lane, "undelivered")))</td><td class=\"mono\">\(text(field(lane, "oldest_undelivered")))</td><td>\(text(field(lane, "delivered")))</td></tr>"
        }.joined()
        return frame("Dashboard", """
            <h1>Dashboard</h1>
            <div class="cards"><div class="card"><div class="l">audit chain</div><div>\(chainText)</div></div>\(cards)</div>
            <h2>Flows</h2><table><tr><th>flow</th><th>from</th><th>to</th><th>last activity here (UTC)</th><th>cursor</th></tr>\(flows)</table>
            <h2>Outbound queues</h2><table><tr><th>lane</th><th>pending</th><th>undelivered</th><th>oldest undelivered</th><th>delivered</th></tr>\(lanes)</table>
            """, session: session, node: node, active: "/")
    }

    static func audit(_ data: Value, filters: [String: String], session: ConsoleSessions.Session, node: String) -> String {
        func input(_ name: String, _ placeholder: String) -> String {
            "<input name=\"\(name)\" placeholder=\"\(placeholder)\" value=\"\(escape(name == "key" ? Masking.mask(filters[name] ?? "") : filters[name] ?? ""))\">"
        }
        let rows = list(field(data, "entries")).map { entry in
            let details: String
            if case .object(let d)? = field(entry, "details") {
                details = d.sorted { $0.key < $1.key }.compactMap { k, v in v.text.map { "\(k)=\($0)" } }.joined(separator: " ")
            } else { details = "" }
            return """
                <tr><td class="mono">\(text(field(entry, "seq")))</td><td class="mono">\(text(field(entry, "at")))</td><td>\(text(field(entry, "kind")))</td>
                <td>\(text(field(entry, "actor")))</td><td>\(text(field(entry, "flow") ?? field(entry, "lane")))</td>
                <td class="mono">\(escape(String((field(entry, "bundle")?.text ?? "").prefix(12))))</td><td>\(text(field(entry, "subject")))</td>
                <td class="mono">\(escape(String(details.prefix(160))))</td></tr>
                """
        }.joined()
        return frame("Audit log", """
            <h1>Audit log</h1>
            <form class="filters" method="get" action="/audit">\(input("since", "since (UTC)"))\(input("until", "until"))\(input("kind", "kind"))\(input("flow", "flow"))\(input("system", "system"))\(input("bundle", "bundle"))
            <input name="key" placeholder="record key (digested)"><button class="primary">Search</button></form>
            <table><tr><th>seq</th><th>at (UTC)</th><th>kind</th><th>actor</th><th>flow / lane</th><th>bundle</th><th>subject</th><th>details</th></tr>\(rows)</table>
            """, session: session, node: node, active: "/audit")
    }

    static func trace(_ data: Value?, key: String, session: ConsoleSessions.Session, node: String) -> String {
        var body = """
            <h1>Trace a record</h1>
            <form class="filters" method="get" action="/trace"><input name="key" placeholder="record key, e.g. an application number" size="40">
            <button class="primary">Trace</button></form>
            """
        if let data {
            let hops = list(field(data, "hops"))
            body += "<p>Record <span class=\"mono\">\(escape(Masking.mask(key)))</span>: \(hops.count) hops, looked up by keyed digest.</p>"
            for hop in hops {
                var proof = ""
                if let p = field(hop, "proof") {
                    let valid = field(p, "valid") == .bool(true)
                    proof = "<div class=\"mono\">Merkle proof: leaf \((Int(field(p, "index")?.text ?? "0") ?? 0) + 1) of \(text(field(p, "count"))), \(list(field(p, "path")).count) siblings, root \(escape(String((field(p, "root")?.text ?? "").prefix(16))))… <span class=\"\(valid ? "ok" : "bad")\">\(valid ? "valid" : "INVALID")</span></div>"
                }
                let outcome = field(hop, "outcome").map { "<span class=\"outcome\">→ \(text($0))</span>" } ?? ""
                let zone = field(hop, "zone")?.text ?? ""
                let colour = Int(zone.unicodeScalars.reduce(0) { ($0 &* 31 &+ $1.value) % 9973 }) % zoneColours.count
                body += """
                    <div class="hop zone\(colour)"><span class="zone">\(text(field(hop, "zone")))</span> \(text(field(hop, "node"))) #\(text(field(hop, "seq")))
                    <span class="kind">\(text(field(hop, "kind")))</span>\(outcome) <span class="mono">\(text(field(hop, "at")))</span>
                    <div class="detail">\(text(field(hop, "detail")))</div>\(proof)</div>
                    """
            }
        }
        return frame("Trace", body, session: session, node: node, active: "/trace")
    }

    /// One colour per zone in the trace, so a record's crossings stand out; classes
    /// `zone0`… in the stylesheet, since the policy allows no inline style.
    static let zoneColours = ["#0b5cad", "#b25e09", "#17803d", "#7a3fb0", "#b42318", "#0e7c86"]

    static func deadLetters(_ data: Value, session: ConsoleSessions.Session, node: String) -> String {
        let rows = list(field(data, "letters")).map { letter -> String in
            var actions = ""
            if session.role.mayOperate, let id = field(letter, "id")?.text {
                actions = "<form method=\"post\" action=\"/dead/\(escape(id))/redrive\"><input type=\"hidden\" name=\"csrf\" value=\"\(session.csrf)\"><button class=\"primary\">Re-drive</button></form>"
                if field(letter, "stage")?.text == "ship", let bundle = field(letter, "bundle")?.text {
                    actions = "<form method=\"post\" action=\"/bundles/\(escape(bundle))/retry\"><input type=\"hidden\" name=\"csrf\" value=\"\(session.csrf)\"><button class=\"primary\">Retry bundle</button></form>"
                }
            }
            return """
                <tr><td>\(text(field(letter, "id")))</td><td>\(text(field(letter, "stage")))</td><td>\(text(field(letter, "flow")))</td>
                <td>\(text(field(letter, "subject")))</td><td>\(text(field(letter, "reason")))</td><td>\(text(field(letter, "attempts")))</td>
                <td class="mono">\(text(field(letter, "at")))</td><td>\(actions)</td></tr>
                """
        }.joined()
        return frame("Dead letters", """
            <h1>Dead letters</h1>
            <table><tr><th>id</th><th>stage</th><th>flow</th><th>record</th><th>reason</th><th>attempts</th><th>since</th><th></th></tr>\(rows)</table>
            """, session: session, node: node, active: "/dead")
    }

    static func exports(session: ConsoleSessions.Session, node: String) -> String {
        frame("Exports", """
            <h1>Signed audit export</h1>
            <p>Downloads the entries in the range as a signed file chained to the previous export. Check it offline with
            <span class="mono">ferry audit verify --export FILE…</span></p>
            <form class="filters" method="post" action="/export"><input type="hidden" name="csrf" value="\(session.csrf)">
            <input name="since" placeholder="since, e.g. 2026-11-01"><input name="until" placeholder="until, e.g. 2026-12-01">
            <button class="primary">Download</button></form>
            """, session: session, node: node, active: "/exports")
    }

    static func failure(_ error: FerryError, session: ConsoleSessions.Session, node: String) -> String {
        frame("Error", "<h1>That did not work</h1><p class=\"bad\">\(escape(error.message))</p><p>\(escape(error.hint ?? ""))</p>", session: session, node: node)
    }
}
