import Foundation

/// A throwaway deployment directory with a valid two-zone topology and the files it names,
/// which each test then breaks in one specific way.
struct TopologyFixture {
    let directory: URL

    static let valid = """
        zones:
          extranet: { title: 政务外网 }
          jinhong:  { title: 金宏网 }
        nodes:
          ext-gw: { zone: extranet, store: sqlite:state/ext.db, key: keys/ext.key }
          jh-gw:  { zone: jinhong,  store: sqlite:state/jh.db,  key: keys/jh.key }
        trust:
          ext-gw: keys/ext.pub
          jh-gw:  keys/jh.pub
        channels:
          - { from: extranet, to: jinhong, via: { dir: gap/out }, return: gap/back }
        entities:
          Thing: entities/thing.yaml
        systems:
          source: { zone: extranet, level: municipal, adapter: sqlite, options: { path: a.db, table: t }, maps: { Thing: maps/source.yaml } }
          target: { zone: jinhong, level: provincial, adapter: sqlite, options: { path: b.db, table: t }, maps: { Thing: maps/target.yaml } }
        flows:
          - { name: things, entity: Thing, from: source, to: [target], schedule: "*/5 * * * *" }
        """

    init() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-topology-\(UUID().uuidString)")
        for path in ["keys/ext.key", "keys/jh.key", "keys/ext.pub", "keys/jh.pub", "entities/thing.yaml", "maps/source.yaml",
            "maps/target.yaml", "Mappings/codes/gender.csv"]
        {
            let url = directory.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data("x".utf8).write(to: url)
        }
    }

    /// Writes `text` as ferry.yaml and returns its path.
    func write(_ text: String) throws -> String {
        let url = directory.appendingPathComponent("ferry.yaml")
        try Data(text.utf8).write(to: url)
        return url.path
    }

    /// The 1-based line of the first line containing `needle`.
    static func line(of needle: String, in text: String) -> Int {
        (text.components(separatedBy: "\n").firstIndex { $0.contains(needle) } ?? -1) + 1
    }
}
