import PassportIngest
import PassportLedger
import PassportModel
import PassportTestSupport
import Testing

/// End to end: an EPCIS document from a WMS, mapped, its events kept as blobs, signed and
/// appended; the batch's passport shows its genealogy, shipment and chain of custody.
@Suite struct EPCISLedgerTests {
    static let batch = "01/09506000134352/10/LOT-2026-001"

    static let document = EPCISFixtures.document([
        ["type": "TransformationEvent", "eventID": "urn:uuid:6f0c1b1e-0001-4000-8000-000000000001", "eventTime": "2026-11-18T06:00:00+01:00",
            "eventTimeZoneOffset": "+01:00", "bizStep": "commissioning",
            "inputQuantityList": [["epcClass": "urn:epc:class:lgtin:9506000.013434.CELLS-77", "quantity": 48000]],
            "outputQuantityList": [["epcClass": "urn:epc:class:lgtin:9506000.013435.LOT-2026-001", "quantity": 500]],
            "readPoint": ["id": "urn:epc:id:sgln:9506000.00000.0"]],
        ["type": "ObjectEvent", "eventID": "urn:uuid:6f0c1b1e-0002-4000-8000-000000000002", "eventTime": "2026-11-20T09:00:00Z",
            "eventTimeZoneOffset": "+00:00", "action": "OBSERVE", "bizStep": "shipping", "disposition": "in_transit",
            "quantityList": [["epcClass": "https://id.gs1.org/01/09506000134352/10/LOT-2026-001", "quantity": 120]],
            "bizTransactionList": [["type": "desadv", "bizTransaction": "urn:epcglobal:cbv:bt:9506000000008:SHP-2026-0001"]],
            "sourceList": [["type": "possessing_party", "source": "urn:epc:id:pgln:9506000.00000"]],
            "destinationList": [["type": "location", "destination": "urn:epc:id:sgln:7080003.00000.0"]]],
        ["type": "ObjectEvent", "eventID": "urn:uuid:6f0c1b1e-0003-4000-8000-000000000003", "eventTime": "2026-11-22T08:00:00Z",
            "eventTimeZoneOffset": "+00:00", "action": "OBSERVE", "bizStep": "receiving", "disposition": "in_progress",
            "quantityList": [["epcClass": "urn:epc:class:lgtin:9506000.013435.LOT-2026-001", "quantity": 120]],
            "bizLocation": ["id": "urn:epc:id:sgln:7080003.00000.0"],
            "bizTransactionList": [["type": "desadv", "bizTransaction": "urn:epcglobal:cbv:bt:9506000000008:SHP-2026-0001"]],
            "sourceList": [["type": "possessing_party", "source": "urn:epc:id:pgln:9506000.00000"]],
            "destinationList": [["type": "possessing_party", "destination": "urn:epc:id:pgln:7080003.00000"]]],
        ["type": "ObjectEvent", "eventID": "urn:uuid:6f0c1b1e-0004-4000-8000-000000000004", "eventTime": "2026-11-22T09:00:00Z",
            "eventTimeZoneOffset": "+00:00", "action": "OBSERVE", "bizStep": "inspecting",
            "quantityList": [["epcClass": "urn:epc:class:lgtin:9506000.013435.LOT-2026-001", "quantity": 5]]],
    ], countries: ["7080003000002": "NO"])

    @Test func mappedEventsShapeTheBatchPassport() throws {
        let results = EPCISMapper().map(Self.document, input: "wms.jsonld")
        #expect(results.map(\.events.count) == [1, 1, 1, 0], "\(results)")
        #expect(results[3].skipReason?.hasPrefix("kept: ObjectEvent inspecting") == true, "\(results[3])")
        let dir = TemporaryDirectory()
        let (ledger, _) = try Fixtures.store(in: dir, sources: ["wms"])
        // Every EPCIS event is kept, also the one that maps to nothing.
        for r in results { try ledger.putBlob(try #require(r.kept).bytes) }
        let outcomes = try ledger.append(unsigned: results.flatMap(\.events), source: "wms")
        for o in outcomes {
            guard case .appended = o else {
                Issue.record("\(o)")
                continue
            }
        }
        #expect(try ledger.blob(sha256: results[3].kept!.sha256) == results[3].kept!.bytes)
        let passport = try ledger.passport(try Subject(Self.batch))
        let genealogy = try #require(passport.entries.first { $0.field == "manufacturing.genealogy" })
        #expect(genealogy.value.objectValue?["inputs"] == [["subject": "01/09506000134345/10/CELLS-77", "quantity": 48000]])
        let shipment = try #require(passport.entry("logistics.shipments[urn:epcglobal:cbv:bt:9506000000008:SHP-2026-0001]"), "\(passport.entries.map(\.path))")
        #expect(shipment.value.objectValue?["destination"] == "NO")
        #expect(shipment.value.objectValue?["quantity"] == 120)
        let custody = try #require(passport.entry("logistics.chainOfCustody[urn:uuid:6f0c1b1e-0003-4000-8000-000000000003]"))
        let c = try #require(custody.value.objectValue)
        #expect(c["custodian"] == "7080003000002")
        #expect(c["previousCustodian"] == "9506000000008")
        #expect(c["locationGLN"] == "7080003000002")
        #expect(c["since"] == "2026-11-22T08:00:00.000000Z")
        #expect(custody.provenance.source == "wms")
        // Mapping and appending the same document again writes nothing new.
        let again = try ledger.append(unsigned: EPCISMapper().map(Self.document, input: "wms.jsonld").flatMap(\.events), source: "wms")
        for o in again {
            guard case .duplicate = o else {
                Issue.record("not a duplicate: \(o)")
                continue
            }
        }
    }
}
