import Foundation
import PassportAudit
import PassportLedger
import PassportIngest
import PassportModel

/// A temporary folder removed when the value is released.
public final class TemporaryDirectory: @unchecked Sendable {
    // @unchecked: immutable after init.
    /// The folder.
    public let url: URL

    /// Creates a new empty folder under the system temp folder.
    public init() {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("dpp-test-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// A path inside the folder.
    public func path(_ name: String) -> URL { url.appendingPathComponent(name) }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// Builders of realistic events for tests.
public enum Fixtures {
    /// A valid GTIN-14 used across tests.
    public static let gtin = "09506000134352"
    /// A model subject.
    public static let model = "01/\(gtin)"

    /// A valid released BoM (`data` of `bom.released`).
    public static let bom: JSONObject = [
        "revision": "A", "lifecycle": "released",
        "lines": [["part": "CELL-NMC811", "quantity": 14, "massKg": 0.07, "material": "NMC811", "supplier": "supplier/ACME"]],
    ]

    /// A released BoM whose canonical form is at least `bytes` long (for size limits).
    public static func bigBom(bytes: Int, tag: String = "") -> JSONObject {
        let line: JSONValue = ["part": .string("P-\(tag)"), "description": .string(String(repeating: "d", count: 1000)),
            "quantity": 1, "massKg": 0.1, "material": "steel"]
        return ["revision": .string("BIG\(tag)"), "lifecycle": "released", "lines": .array(Array(repeating: line, count: bytes / 1000 + 1))]
    }

    /// An unsigned event line as JSON.
    public static func eventJSON(
        type: String = "bom.released", subject: String = model, source: String = "plm", sourceRef: String,
        createdAt: String = "2026-11-20T09:15:00.000000Z", data: JSONObject = Fixtures.bom,
        extra: JSONObject = [:]
    ) -> JSONObject {
        var o: JSONObject = [
            "type": .string(type), "subject": .string(subject), "source": .string(source), "sourceRef": .string(sourceRef),
            "createdAt": .string(createdAt), "data": .object(data),
        ]
        for (k, v) in extra { o[k] = v }
        return o
    }

    /// Signs an event with a signer, as a source would.
    public static func sign(_ json: JSONObject, with signer: NoteSigner) throws -> SignedEvent {
        let event = try Event(json: .object(json))
        return SignedEvent(event: event, signature: EventSignature(key: signer.verifier.reference, sig: signer.key.sign(event.signatureInput)))
    }

    /// A pre-signed submission.
    public static func submission(_ signed: SignedEvent, origin: String = "test") -> Submission {
        Submission(raw: CanonicalJSON.encode(signed.json), origin: origin, intake: Ingestor.Mode.signed.intake, content: .success(signed))
    }

    /// A store with an origin and the given source keys registered; returns the ledger and the sources' signers.
    public static func store(in dir: TemporaryDirectory, sources: [String] = ["plm"], options: Ledger.Options = .init())
        throws -> (Ledger, [String: NoteSigner])
    {
        let ledger = try Ledger.create(at: dir.path("store"), origin: "test.example/passports", options: options)
        var signers: [String: NoteSigner] = [:]
        for s in sources {
            try ledger.addKey(name: s)
            signers[s] = try ledger.sourceSigner(s)
        }
        return (ledger, signers)
    }
}

import PassportDemoData

extension Fixtures {
    /// A store holding the whole demo data set, every event appended.
    public static func demoStore(in dir: TemporaryDirectory, options: DemoDataSet.Options = .init()) throws -> (Ledger, DemoDataSet) {
        let ledger = try Ledger.create(at: dir.path("store"), origin: "demo.example/passports")
        let data = DemoDataSet(options)
        for source in DemoDataSet.sources { try ledger.addKey(name: source) }
        for (source, events) in data.events {
            for (i, o) in try ledger.append(unsigned: events, source: source).enumerated() {
                if case .rejected(let e, _) = o { throw LedgerError(.invalidEvent, "demo event \(source):\(i + 1) rejected: \(e.message)") }
            }
        }
        return (ledger, data)
    }
}
