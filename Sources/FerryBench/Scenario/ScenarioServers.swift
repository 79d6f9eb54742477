import Foundation
import FerryCore
import FerryAdapters
import FerrySeal

/// The local servers a scenario's systems live on, for as long as the scenario runs:
/// the test set-up's PostgreSQL and MariaDB (started by `Ops/test-postgres.sh` and
/// `Ops/test-mariadb.sh`, which install them on a machine that has none), each with a
/// database of this run's own made afresh, and a REST system (`Ops/systems/rest_system.py`)
/// on a free loopback port. The REST system stops when this object goes or the process ends.
///
/// The database is named after the scenario and the demo directory (`ferry_SCENARIO_HASH`),
/// so two runs in two directories never share tables, and a run again in one directory
/// starts from nothing.
final class ScenarioServers {
    /// The test set-up's fixed addresses and password (see the Ops scripts).
    static let postgresPort = 54329
    static let mariadbPort = 33069
    static let testPassword = "ferry-test-password"

    private var http: Process?
    private var httpInput: Pipe?
    /// `${FERRY_SCENARIO_HTTP}`, `${FERRY_SCENARIO_DATABASE}` and their values, for the copied ferry.yaml.
    private(set) var substitutions: [String: String] = [:]

    init(plan: ScenarioPlan, scenario: String, directory: URL, root: URL) throws {
        let database = Self.database(scenario: scenario, directory: directory)
        substitutions["${FERRY_SCENARIO_DATABASE}"] = database
        if plan.postgres {
            var options = PostgresAdapter.Options(host: "127.0.0.1", user: "ferry", database: "postgres", table: "x", cursor: "x")
            (options.port, options.password) = (Self.postgresPort, try Self.start("Ops/test-postgres.sh", password: "FERRY_TEST_POSTGRES_PASSWORD", root: root))
            let server = PostgresAdapter(options: options)
            try server.execute(["DROP DATABASE IF EXISTS \(database) WITH (FORCE)", "CREATE DATABASE \(database) ENCODING 'UTF8'"])
        }
        if plan.mariadb {
            var options = MySQLAdapter.Options(host: "127.0.0.1", user: "ferry", database: "mysql", table: "x", cursor: "x")
            (options.port, options.password) = (Self.mariadbPort, try Self.start("Ops/test-mariadb.sh", password: "FERRY_TEST_MARIADB_PASSWORD", root: root))
            let server = MySQLAdapter(options: options)
            try server.execute(["DROP DATABASE IF EXISTS \(database)", "CREATE DATABASE \(database) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"])
        }
        if let collections = plan.httpCollections {
            let port = try startREST(root.appendingPathComponent("Ops/systems/rest_system.py"), collections: collections)
            substitutions["${FERRY_SCENARIO_HTTP}"] = "http://127.0.0.1:\(port)"
        }
    }

    /// `ferry_` + the scenario's name (lower-case ASCII letters and digits, others `_`, at
    /// most 40) + `_` + 8 hex digits of SHA-256 of the directory's path: an identifier both
    /// servers take unquoted and keep as written, well under their 63-byte limit.
    static func database(scenario: String, directory: URL) -> String {
        let tag = hex(FerrySeal.Hasher.sha256(Array(directory.standardizedFileURL.path.utf8))).prefix(8)
        let name = scenario.lowercased().unicodeScalars.prefix(40).map { ("a"..."z").contains($0) || ("0"..."9").contains($0) ? String($0) : "_" }
        return "ferry_" + name.joined() + "_" + tag
    }

    deinit {
        // SIGKILL: a child may inherit a signal mask that blocks SIGTERM.
        if let http, http.isRunning {
            kill(http.processIdentifier, SIGKILL)
            http.waitUntilExit()
        }
    }

    /// Starts (or finds running) a test server by its Ops script, and returns the password
    /// its systems log in with: the environment's `password` variable, set to the test
    /// set-up's when it is not, since ferry.yaml names the variable (`password_env`).
    static func start(_ script: String, password variable: String, root: URL) throws -> String? {
        try runScript(root.appendingPathComponent(script))
        setenv(variable, testPassword, 0)
        return ProcessInfo.processInfo.environment[variable]
    }

    /// Runs an Ops script that starts a server, or says why it could not.
    static func runScript(_ script: URL) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [script.path]
        let output = Pipe()
        (process.standardOutput, process.standardError) = (output, output)
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw FerryError(.io, "\(script.lastPathComponent) could not start its server: \(text.suffix(400))",
                hint: "run it by hand to see why; it needs root to install the server with apt-get")
        }
    }

    /// Starts the REST system and returns its port.
    private func startREST(_ script: URL, collections: [String: (key: String, version: String)]) throws -> Int {
        let portFile = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-scenario-http-\(UUID().uuidString)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [script.path, portFile.path] + collections.sorted { $0.key < $1.key }.flatMap {
            ["--collection", "\($0.key)=\($0.value.key),\($0.value.version)"]
        }
        // The system ends when its standard input closes: when this process goes, however.
        let input = Pipe()
        process.standardInput = input
        try process.run()
        (http, httpInput) = (process, input)
        let deadline = Date().addingTimeInterval(15)
        while FileManager.default.contents(atPath: portFile.path) == nil, process.isRunning, Date() < deadline { usleep(20_000) }
        defer { try? FileManager.default.removeItem(at: portFile) }
        guard let text = FileManager.default.contents(atPath: portFile.path), let port = Int(String(decoding: text, as: UTF8.self)) else {
            throw FerryError(.io, "the REST system (\(script.path)) did not start", hint: "run it by hand with python3 to see why")
        }
        return port
    }
}
