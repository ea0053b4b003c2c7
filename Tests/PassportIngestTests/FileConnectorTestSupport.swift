import Foundation
import PassportIngest
import PassportLedger
import PassportModel
import PassportTestSupport

/// Fixtures of the file connectors (`Fixtures/files`) and a store with their sources' keys.
enum Files {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/files")

    static func bytes(_ name: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: folder.appendingPathComponent(name))) }
    static func text(_ name: String) throws -> String { String(decoding: try bytes(name), as: UTF8.self) }
    static func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    static let pack = "01/09506000134352"
    static let module = "01/09506000134369"

    /// A store with the keys of a PLM system, a supplier portal and a test lab.
    static func store(_ dir: TemporaryDirectory) throws -> Ledger {
        try Fixtures.store(in: dir, sources: ["plm-tc", "supplier-portal", "qa-lab"]).0
    }

    /// The paths of a rejection's violations.
    static func paths(_ e: ValidationError) -> [String] { e.violations.map(\.path) }
}

extension Result {
    /// The failure, if any.
    var failure: Failure? {
        if case .failure(let f) = self { return f }
        return nil
    }
}
