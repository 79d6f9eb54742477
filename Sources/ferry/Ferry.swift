import ArgumentParser
import Foundation
import FerryCore
import Logging

@main
struct Ferry: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ferry",
        abstract: "Move records between government systems across network gaps, sealed, queued and audited.",
        discussion: """
            A topology file describes zones, nodes, channels, systems and flows; every node
            reads the same file and runs its part with --node NAME.

            Start here:
              ferry demo                       # the three-network sync, end to end
              ferry init mysite                # a two-zone example to edit
              ferry check --config mysite/ferry.yaml
            """,
        version: FerryVersion.current,
        subcommands: [
            Init.self, Check.self, Sync.self, Receive.self, Demo.self, Keys.self, MappingCommand.self, BundleCommand.self,
            QueueCommand.self, AuditCommand.self, Bench.self, Version.self,
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
}

/// Prints a Ferry error the way people read it (location, code, message, hint) and exits
/// non-zero, instead of ArgumentParser's generic rendering.
func reporting<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as FerryError {
        FileHandle.standardError.write(Data((error.description + "\n").utf8))
        throw ExitCode(1)
    }
}

/// Logs go to standard error; FERRY_LOG_LEVEL (trace…critical) sets how much.
func makeLogger() -> Logger {
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = ProcessInfo.processInfo.environment["FERRY_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .warning
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
