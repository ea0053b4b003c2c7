import Foundation
import PassportIngest
import PassportModel
import Testing

/// Fixtures and document builders shared by the EPCIS tests.
enum EPCISFixtures {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/epcis")

    static func fixture(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: folder.appendingPathComponent(name)))
    }

    /// An `EPCISDocument` around `events`, with optional header master data (GLN → country).
    static func document(_ events: [JSONValue], countries: [String: String] = [:]) -> [UInt8] {
        var root: JSONObject = ["@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"], "type": "EPCISDocument",
            "schemaVersion": "2.0", "creationDate": "2026-11-20T09:00:00Z"]
        if !countries.isEmpty {
            let elements: [JSONValue] = countries.sorted { $0.key < $1.key }.map { gln, code in
                ["id": .string("https://id.gs1.org/414/\(gln)"), "attributes": [["id": "cbvmda:countryCode", "attribute": .string(code)]]]
            }
            root["epcisHeader"] = ["epcisMasterData": ["vocabularyList": [["type": "urn:epcglobal:epcis:vtype:BusinessLocation", "vocabularyElementList": .array(elements)]]]]
        }
        root["epcisBody"] = ["eventList": .array(events)]
        return CanonicalJSON.encode(.object(root))
    }

    /// Every mapped event is a valid passport event once a source is added.
    static func expectValid(_ results: [EPCISResult], sourceLocation: SourceLocation = #_sourceLocation) {
        for r in results {
            for e in r.events {
                var o = e
                o["source"] = "wms"
                do {
                    let event = try Event(json: .object(o))
                    #expect(EventCatalog.validate(event).isEmpty, "\(EventCatalog.validate(event))", sourceLocation: sourceLocation)
                    #expect(event.attachments.map(\.sha256) == [r.kept!.sha256], sourceLocation: sourceLocation)
                } catch {
                    Issue.record("\(r): \(error)", sourceLocation: sourceLocation)
                }
            }
        }
    }

    static let mapper = EPCISMapper()
}

extension JSONObject {
    func string(_ key: String) -> String? { self[key]?.stringValue }
    func data(_ key: String) -> JSONValue? { self["data"]?.objectValue?[key] }
}
