import ArgumentParser
import Foundation
import FerryCore
import FerryNode
import FerryOps

struct ConsoleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console", abstract: "The web console for auditors and operators, and its users.",
        subcommands: [Serve.self, User.self], defaultSubcommand: Serve.self)

    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve the web console (default: http://127.0.0.1:9470/).",
            discussion: """
                Auditors read the dashboard, audit search, traces and dead letters and download \
                signed exports; operators can also re-drive dead letters and retry bundles. \
                It binds 127.0.0.1 unless told otherwise; --tls-cert and --tls-key serve HTTPS. \
                'ferry run --console' serves the same pages from the node daemon.

                Example:
                  ferry console --config ferry.yaml --node jinhong-gw --listen 127.0.0.1:9470
                """)

        @OptionGroup var options: NodeOptions
        @Option(name: .long, help: "host:port to listen on.") var listen = "127.0.0.1:9470"
        @Option(name: .long, help: "PEM certificate for HTTPS.") var tlsCert: String?
        @Option(name: .long, help: "PEM private key for HTTPS.") var tlsKey: String?
        @Option(name: .long, help: "text or json.") var logFormat: LogFormat = .text

        func run() async throws {
            guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]) else {
                throw ValidationError("--listen takes host:port, e.g. 127.0.0.1:9470")
            }
            guard (tlsCert == nil) == (tlsKey == nil) else { throw ValidationError("--tls-cert and --tls-key go together") }
            let tls = tlsCert.map { Topology.ServerTLS(certificate: URL(fileURLWithPath: $0), key: URL(fileURLWithPath: tlsKey ?? ""), clientCA: nil) }
            let logger = makeLogger(format: logFormat, defaultLevel: .info)
            try await reportingAsync {
                try await NodeConsole.serve(try Deployment.load(options.config), node: options.node, host: String(listen[..<colon]), port: port, tls: tls, logger: logger)
            }
        }
    }

    struct User: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Manage console users.", subcommands: [Add.self, Remove.self])

        struct Add: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Add a console user, or change one's role and password (which ends the user's sessions).",
                discussion: """
                    The password is read from standard input (one line), never from the command \
                    line, where it would show in process lists and shell history.

                    Example:
                      ferry console user add li.wei --role auditor --config ferry.yaml --node jinhong-gw < password.txt
                    """)

            @Argument(help: "The user name.") var name: String
            @Option(name: .long, help: "auditor (read-only) or operator (may re-drive and retry).") var role: String
            @OptionGroup var options: NodeOptions

            func run() throws {
                if isatty(STDIN_FILENO) != 0 { FileHandle.standardError.write(Data("password for \(name): ".utf8)) }
                let password: String
                if isatty(STDIN_FILENO) != 0, let typed = getpass("") {
                    password = String(cString: typed)
                } else {
                    password = readLine(strippingNewline: true) ?? ""
                }
                try reporting { try ConsoleUsers.add(try Deployment.load(options.config), node: options.node, user: name, role: role, password: password) }
                print("console user \(name) (\(role)) saved on \(options.node)")
            }
        }

        struct Remove: ParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Remove a console user; the user's open sessions end at their next request.",
                discussion: "Example:\n  ferry console user remove li.wei --config ferry.yaml --node jinhong-gw")

            @Argument(help: "The user name.") var name: String
            @OptionGroup var options: NodeOptions

            func run() throws {
                try reporting { try ConsoleUsers.remove(try Deployment.load(options.config), node: options.node, user: name) }
                print("console user \(name) removed from \(options.node)")
            }
        }
    }
}
