import ArgumentParser
import Foundation
import FerryCore
import FerryOps
import Logging

@main
struct Ferry: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ferry",
        abstract: "Move records between government systems across network gaps, sealed, queued and audited.",
        discussion: """
            A topology file describes zones, nodes, channels, systems and flows; every node \
            reads the same file and runs its part with --node NAME.

            Start here:
              ferry demo                       # the three-network sync, end to end
              ferry init mysite                # a two-zone example to edit
              ferry check --config mysite/ferry.yaml
            """,
        version: FerryVersion.current,
        subcommands: [
            Init.self, Check.self, Sync.self, Receive.self, Run.self, Demo.self, Keys.self, MappingCommand.self, BundleCommand.self,
            QueueCommand.self, AdaptersCommand.self, AuditCommand.self, ConsoleCommand.self, ReconcileCommand.self, Bench.self, Version.self,
        ])
}

enum FerryVersion {
    static let current = "0.1.0"
}

/// Options shared by the commands that act as a node.
struct NodeOptions: ParsableArguments {
    @Option(name: .long, help: "The topology file every node shares.")
    var config: String

    @Option(name: .long, help: "Which node of the topology this process is.")
    var node: String

    /// The node's existing store, as the queue tools take it.
    func queue() throws -> QueueTools.Target { try QueueTools.Target(config: config, node: node) }
}

/// Prints a Ferry error the way people read it (location, code, message, hint) and exits
/// non-zero, instead of ArgumentParser's generic rendering.
func reporting<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as FerryError {
        printForTerminal(error)
        throw ExitCode(1)
    }
}

/// The error as `description` lays it out, each part made inert: messages quote file
/// names, keys and systems' texts, which must not move the cursor or forge a line.
func printForTerminal(_ error: FerryError) {
    var text = error.location.map { TerminalText.inert($0.description) + ": " } ?? ""
    text += "error[\(TerminalText.inert(error.code.rawValue))]: \(TerminalText.inert(error.message))"
    if let hint = error.hint { text += "\n  hint: \(TerminalText.inert(hint))" }
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

func reportingAsync<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let error as FerryError {
        printForTerminal(error)
        throw ExitCode(1)
    }
}

enum LogFormat: String, ExpressibleByArgument, Sendable {
    case text, json
}

/// Logs go to standard error, as text or JSON lines; FERRY_LOG_LEVEL (trace…critical) sets how much.
func makeLogger(format: LogFormat = .text, defaultLevel: Logger.Level = .warning) -> Logger {
    let level = ProcessInfo.processInfo.environment["FERRY_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? defaultLevel
    LoggingSystem.bootstrap { label in
        var handler = StandardErrorLogHandler(label: label, format: format)
        handler.logLevel = level
        return handler
    }
    return Logger(label: "ferry")
}

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print Ferry's version.", discussion: "Example:\n  ferry version")

    func run() {
        print("ferry \(FerryVersion.current)")
    }
}
