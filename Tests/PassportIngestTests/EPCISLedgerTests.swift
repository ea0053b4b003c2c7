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

    static let pallet = "urn:epc:id:sscc:9506000.0000000017"
    /// ``pallet`` as an SSCC, with its check digit.
    static let palletSSCC = "095060000000000176"

    static func pack(_ id: String = "urn:uuid:pack-1") -> [UInt8] {
        EPCISFixtures.document([["type": "AggregationEvent", "eventID": .string(id), "eventTime": "2026-11-20T09:00:00Z", "eventTimeZoneOffset": "+00:00",
            "parentID": .string(pallet), "childEPCs": ["urn:epc:id:sgtin:9506000.013435.SN1"],
            "childQuantityList": [["epcClass": "urn:epc:class:lgtin:9506000.013435.LOT-1", "quantity": 24]], "action": "ADD", "bizStep": "packing"]])
    }

    static func ship(_ sscc: String = pallet) -> [UInt8] {
        var o = EPCISMappingTests.shipping(epcs: [sscc])
        o["eventID"] = "urn:uuid:ship-pallet"
        return EPCISFixtures.document([.object(o)], countries: ["7080003000002": "NO"])
    }

    /// Appends every submission of `items`, expecting each appended.
    static func append(_ items: [EPCISIngest.Item], to ledger: Ledger, sourceLocation: SourceLocation = #_sourceLocation) throws {
        for o in try ledger.startAppend(items.flatMap(\.submissions)).wait() where o.record == nil { Issue.record("\(o)", sourceLocation: sourceLocation) }
    }

    /// When what a pallet holds cannot be read from the ledger, the shipment naming it is rejected
    /// with the reason (so kept in quarantine and retried), not kept for good as a unit nobody
    /// describes; once the lookup answers, the same event ships the pallet's contents.
    @Test func aPalletWhoseContentsCannotBeReadIsRejectedNotKept() throws {
        struct Unreadable: Error, CustomStringConvertible { var description: String { "MDB_PANIC: simulated" } }
        var mapper = EPCISMapper()
        mapper.unitContents = { _ in throw Unreadable() }
        let results = mapper.map(Self.ship(), input: "ship.jsonld")
        #expect(results.count == 1)
        guard case .reject(let violations) = try #require(results.first).outcome else {
            Issue.record("not rejected: \(results)")
            return
        }
        #expect(violations.count == 1)
        #expect(violations.first?.code.rawValue == "io", "\(violations)")
        #expect(violations.first?.path.hasSuffix(".epcList[0]") == true, "\(violations)")
        #expect(violations.first?.message.contains("00/\(Self.palletSSCC) holds could not be read from the ledger (MDB_PANIC: simulated)") == true, "\(violations)")

        mapper.unitContents = { sscc in
            sscc == Self.palletSSCC ? [EPCISMapper.UnitContent(subject: "01/09506000134352/21/SN1", quantity: nil)] : nil
        }
        let retried = mapper.map(Self.ship(), input: "ship.jsonld").flatMap(\.events)
        #expect(retried.map { $0["subject"]?.stringValue } == ["01/09506000134352/21/SN1"], "\(retried)")
    }

    /// A pallet packed in one document and shipped in a later one (a later run: the ledger's
    /// `unit.packed` says what it holds) ships its contents, as when one document does both.
    @Test func palletShippedInALaterDocumentShipsItsContents() throws {
        let dir = TemporaryDirectory()
        let (ledger, _) = try Fixtures.store(in: dir, sources: ["wms"])
        try Self.append(try EPCISIngest(ledger: ledger, source: "wms").items(Self.pack(), input: "pack.jsonld"), to: ledger)
        let later = try EPCISIngest(ledger: ledger, source: "wms")
        let shipped = later.items(Self.ship(), input: "ship.jsonld")
        #expect(shipped.map(\.skipReason) == [nil], "\(shipped)")
        try Self.append(shipped, to: ledger)
        for (subject, quantity) in [("01/09506000134352/21/SN1", 1), ("01/09506000134352/10/LOT-1", 24)] {
            let passport = try ledger.passport(try Subject(subject))
            let s = try #require(passport.entry("logistics.shipments[urn:epcglobal:cbv:bt:9506000000002:DESADV-77]"), "\(subject): \(passport.entries.map(\.path))")
            #expect(s.value.objectValue?["destination"] == "NO")
            #expect(s.value.objectValue?["quantity"] == .number(JSONNumber(quantity)))
        }
        // A unit no document and no record packed is kept, naming it.
        let unknown = later.items(Self.ship("urn:epc:id:sscc:9506000.0000000024"), input: "other.jsonld")
        #expect(unknown.first?.skipReason?.contains("00/095060000000000244") == true, "\(unknown)")
        #expect(unknown.first?.skipReason?.contains("neither this document nor the ledger") == true)
    }

    /// An EPCIS event the passport does not show, sent in two documents that one ingest maps before
    /// the first is in the log (a Kafka batch, `dpp ingest epcis a.json b.json`), or twice in one
    /// document, is kept once; the other answers "(already kept)", not an idempotency conflict.
    @Test func anEventSentTwiceIsKeptOnceThoughTheFirstIsNotInTheLogYet() throws {
        let dir = TemporaryDirectory()
        let (ledger, _) = try Fixtures.store(in: dir, sources: ["wms"])
        let ingest = try EPCISIngest(ledger: ledger, source: "wms")
        let unit = "urn:epc:id:sscc:9506000.0000000024"  // packed by nobody: the shipment is kept
        let first = ingest.items(Self.ship(unit), input: "a.jsonld")
        let second = ingest.items(Self.ship(unit), input: "b.jsonld")
        #expect(first.map(\.submissions.count) == [1] && second.map(\.submissions.count) == [0], "\(first) \(second)")
        #expect(second.first?.skipReason?.hasSuffix("(already kept)") == true, "\(second)")

        var o = EPCISMappingTests.shipping(epcs: ["urn:epc:id:sscc:9506000.0000000031"])
        o["eventID"] = "urn:uuid:ship-twice"
        let twice = ingest.items(EPCISFixtures.document([.object(o), .object(o)], countries: ["7080003000002": "NO"]), input: "twice.jsonld")
        #expect(twice.map(\.submissions.count).sorted() == [0, 1], "\(twice)")
        let outcomes = try ledger.startAppend((first + second + twice).flatMap(\.submissions)).wait()
        #expect(outcomes.count == 2 && outcomes.allSatisfy { if case .appended = $0 { true } else { false } }, "\(outcomes)")

        // A consumer tells the ingest when what it made is durable; the memory goes, the ledger answers.
        ingest.earlierSubmissionsDurable()
        ingest.earlierSubmissionsDurable()
        #expect(ingest.items(Self.ship(unit), input: "c.jsonld").first?.skipReason?.hasSuffix("(already kept)") == true)
        // A claim whose submission never reached the log lasts two generations, then the event is kept again.
        let lost = "urn:epc:id:sscc:9506000.0000000048"
        #expect(ingest.items(Self.ship(lost), input: "lost.jsonld").first?.submissions.count == 1)
        #expect(ingest.items(Self.ship(lost), input: "again.jsonld").first?.submissions.count == 0)
        ingest.earlierSubmissionsDurable()
        #expect(ingest.items(Self.ship(lost), input: "again.jsonld").first?.submissions.count == 0)
        ingest.earlierSubmissionsDurable()
        #expect(ingest.items(Self.ship(lost), input: "again.jsonld").first?.submissions.count == 1)
    }

    /// Within one ingest the packing need not be committed yet: the next document, mapped while
    /// the first one's events are still on their way to the log, knows the pallet.
    @Test func palletPackedByAnEarlierDocumentOfTheSameIngest() throws {
        let dir = TemporaryDirectory()
        let (ledger, _) = try Fixtures.store(in: dir, sources: ["wms"])
        let ingest = try EPCISIngest(ledger: ledger, source: "wms")
        let size = try ledger.size()
        let packed = ingest.items(Self.pack(), input: "pack.jsonld")
        let shipped = ingest.items(Self.ship(), input: "ship.jsonld")
        #expect(try ledger.size() == size, "nothing committed yet")
        let subjects = shipped.flatMap(\.submissions).compactMap { try? $0.content.get().event.subject.rawValue }
        #expect(subjects == ["01/09506000134352/21/SN1", "01/09506000134352/10/LOT-1"])
        // The packing is remembered until two calls say it is durable (a consumer's jobs).
        ingest.earlierSubmissionsDurable()
        #expect(ingest.items(Self.ship(), input: "ship.jsonld").flatMap(\.submissions).count == 2)
        ingest.earlierSubmissionsDurable()
        #expect(ingest.items(Self.ship(), input: "ship.jsonld").first?.skipReason?.contains("neither this document nor the ledger") == true,
            "forgotten, and not in the log: a unit nobody describes")
        try Self.append(packed + shipped, to: ledger)
        #expect(ingest.items(Self.ship(), input: "ship.jsonld").flatMap(\.submissions).count == 2, "the ledger answers now")
        // Packed twice (the same packing in the ledger and in memory) counts once.
        let again = try EPCISIngest(ledger: ledger, source: "wms")
        _ = again.items(Self.pack(), input: "pack.jsonld")
        let quantities = again.items(Self.ship(), input: "ship.jsonld").flatMap(\.submissions).compactMap { try? $0.content.get().event.data["quantity"] }
        #expect(quantities == [1, 24])
    }
}
