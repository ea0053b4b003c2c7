import Foundation
import PassportIngest
import PassportDemoData
import PassportKafka
import PassportModel
import PassportTestSupport
import Testing

@testable import PassportLedger

/// EPCIS documents through the Kafka consumer: a document's offset goes with its last slice.
@Suite("Kafka: EPCIS topics")
struct KafkaEPCISTests {
    @Test("a document appended in slices: when a later slice fails, the restart finds the earlier ones as duplicates and completes the document once; tombstones and unreadable documents move on")
    func documentInSlices() async throws {
        let armed = Locked(true)
        var options = Ledger.Options()
        options.storeFault = { event in
            if armed.withLock({ $0 }), event.sourceRef.hasPrefix("urn:uuid:ship-4#") { throw LedgerError(.io, "simulated disk failure") }
        }
        let k = try KafkaFixture(options: options)
        try k.produce("wms.epcis", partitions: 1, [(0, DemoDataSet.shippingDocument(0..<7)), (0, nil), (0, Array("garbage".utf8)), (0, DemoDataSet.shippingDocument(7..<9))])
        let partition = KafkaPartition(topic: "wms.epcis", partition: 0)

        // Slices of 3 submissions: events 0–2 commit, the slice of events 3–5 fails.
        await #expect(throws: LedgerError.self) {
            _ = try await k.consume(k.epcis(), topics: ["wms.epcis"], group: "g") { $0.maxSubmissions = 3 }
        }
        #expect(try k.ledger.eventSet(source: "wms").count == 3)
        #expect(try k.ledger.kafkaOffset(partition) == nil, "the document is not consumed until its last slice is durable")

        armed.withLock { $0 = false }
        let run = try await k.consume(k.epcis(), topics: ["wms.epcis"], group: "g") { $0.maxSubmissions = 3 }
        #expect(run.results == (0..<3).map { "kafka/wms.epcis/0@0[\($0)] duplicate" } + (3..<7).map { "kafka/wms.epcis/0@0[\($0)] appended" } + [
            "kafka/wms.epcis/0@1 skipped: tombstone (a null value, not a document)", "kafka/wms.epcis/0@2 rejected",
            "kafka/wms.epcis/0@3[0] appended", "kafka/wms.epcis/0@3[1] appended",
        ], "\(run.results)")
        #expect(try k.ledger.eventSet(source: "wms").count == 9)
        #expect(try k.ledger.kafkaOffset(partition) == 3)
        let shipment = try k.ledger.values("01/09506000134352/10/LOT-5").first { $0.hasPrefix("logistics.shipments") }
        #expect(shipment?.contains(#""destination":"NO""#) == true, "\(shipment ?? "none")")
        let entries = try k.ledger.quarantineEntries()
        #expect(entries.map(\.origin) == ["kafka/wms.epcis/0@2"] && entries.first?.intake["connector"] == "epcis")

        let again = try await k.consume(k.epcis(), topics: ["wms.epcis"], group: "fresh")
        #expect(again.lines.isEmpty, "\(again.results)")
        #expect(try k.ledger.verify().isIntact)
    }

    @Test("a pallet packed in one message and shipped in the next ships its contents, though the packing may not be durable yet when the shipment is mapped")
    func palletAcrossMessages() async throws {
        let k = try KafkaFixture()
        let context = #""@context":["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],"type":"EPCISDocument","schemaVersion":"2.0""#
        let pack = #"{\#(context),"epcisBody":{"eventList":[{"type":"AggregationEvent","eventID":"urn:uuid:pack-1","eventTime":"2026-11-20T09:00:00Z","eventTimeZoneOffset":"+00:00","action":"ADD","bizStep":"packing","parentID":"urn:epc:id:sscc:9506000.0000000017","childEPCs":["urn:epc:id:sgtin:9506000.013435.SN1"],"childQuantityList":[{"epcClass":"urn:epc:class:lgtin:9506000.013435.LOT-1","quantity":24}]}]}}"#
        let ship = #"{\#(context),"epcisHeader":{"epcisMasterData":{"vocabularyList":[{"type":"urn:epcglobal:epcis:vtype:BusinessLocation","vocabularyElementList":[{"id":"https://id.gs1.org/414/7080003000002","attributes":[{"id":"cbvmda:countryCode","attribute":"NO"}]}]}]}},"epcisBody":{"eventList":[{"type":"ObjectEvent","eventID":"urn:uuid:ship-pallet","eventTime":"2026-11-20T10:00:00Z","eventTimeZoneOffset":"+00:00","action":"OBSERVE","bizStep":"shipping","epcList":["urn:epc:id:sscc:9506000.0000000017"],"bizTransactionList":[{"type":"desadv","bizTransaction":"urn:epcglobal:cbv:bt:9506000000002:DESADV-77"}],"destinationList":[{"type":"location","destination":"https://id.gs1.org/414/7080003000002"}]}]}}"#
        try k.produce("wms.epcis", partitions: 1, [(0, Array(pack.utf8)), (0, Array(ship.utf8))])
        let run = try await k.consume(k.epcis(), topics: ["wms.epcis"], group: "g")
        // The packing (unit.packed), then a shipment of each thing on the pallet.
        #expect(run.results == ["kafka/wms.epcis/0@0[0] appended", "kafka/wms.epcis/0@1[0] appended", "kafka/wms.epcis/0@1[0] appended"], "\(run.results)")
        for subject in ["01/09506000134352/21/SN1", "01/09506000134352/10/LOT-1"] {
            let shipment = try k.ledger.values(subject).first { $0.hasPrefix("logistics.shipments") }
            #expect(shipment?.contains(#""destination":"NO""#) == true, "\(subject): \(shipment ?? "none")")
        }
    }
}
