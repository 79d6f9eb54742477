import ArgumentParser
import FerryNode
import FerryOps

struct AdaptersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "adapters", abstract: "List adapter types, and check that a configured system answers.", subcommands: [List.self, Check.self, InstallCapture.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The adapter types of this build and their options.")

        func run() throws {
            var table = Table(["type", "role", "options"])
            for info in AdapterTools.types { table.add([info.type, info.role, info.options]) }
            print(table.rendered)
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Connect to a system as its node would, and print the fields it offers per entity.",
            discussion: "Example:\n  ferry adapters check portal --config ferry.yaml --node extranet-gw")

        @Argument(help: "The system, as named in the topology.") var system: String
        @OptionGroup var options: NodeOptions

        func run() throws {
            let probes = try reporting { try AdapterTools.check(try Deployment.load(options.config), node: options.node, system: system) }
            for probe in probes {
                print("\(system) / \(probe.entity): reachable, \(probe.columns.count) fields: \(probe.columns.joined(separator: ", "))")
                if !probe.missing.isEmpty { print("  warning: the mapping reads \(probe.missing.joined(separator: ", ")), which \(system) does not offer") }
                for warning in probe.warnings { print("  warning: \(warning)") }
            }
        }
    }

    struct InstallCapture: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "install-capture",
            abstract: "Install change-capture triggers on an SQLite, PostgreSQL, MySQL or ODBC (mysql, postgresql, sqlite dialect) system's tables.",
            discussion: """
                Then set cursor: changes for the system's entities: flows read the change table, so \
                deletes travel too, and an update of a key travels as the old key's deletion and the \
                new key's upsert. The first read after it is a snapshot of the table. Running it again \
                changes nothing (it upgrades triggers an earlier Ferry installed).

                Example:
                  ferry adapters install-capture portal --config ferry.yaml --node extranet-gw
                """)

        @Argument(help: "The system, as named in the topology.") var system: String
        @OptionGroup var options: NodeOptions

        func run() throws {
            let created = try reporting { try AdapterTools.installCapture(try Deployment.load(options.config), node: options.node, system: system) }
            print(created.isEmpty ? "capture already installed on \(system)" : "installed: \(created.joined(separator: ", "))")
        }
    }
}
