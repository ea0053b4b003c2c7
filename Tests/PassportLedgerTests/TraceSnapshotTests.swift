import Foundation
import PassportAudit
import PassportDemoData
import PassportModel
import PassportTestSupport
import Testing
@testable import PassportLedger

/// The recall scope reads a model's items on two cores, in two read transactions; they must see
/// the same snapshot even when a write commits between them.
@Suite("Recall trace snapshot")
struct TraceSnapshotTests {
    @Test("a write between the two read transactions of a scope is not seen: the second half is read again in the first snapshot")
    func splitReadKeepsOneSnapshot() throws {
        let dir = TemporaryDirectory()
        let clock = TestClock()
        let ledger = try Ledger.create(at: dir.path("store"), origin: "trace.example/log", options: clock.options)
        try ledger.addKey(name: "erp", kind: "erp")
        let models = (0..<4).map { "01/" + DemoDataSet.gtin(950 + $0) }
        func register(_ model: String, lot: Int, serial: String) -> JSONObject {
            ["type": "item.registered", "subject": .string("\(model)/21/\(serial)"), "sourceRef": .string("I-\(model)-\(serial)"),
                "createdAt": "2026-01-01T00:00:00Z", "data": ["lot": .string("L\(lot)")]]
        }
        var events: [JSONObject] = []
        for m in models {
            for lot in 0..<3 { events.append(register(m, lot: lot, serial: "S\(lot)")) }
        }
        #expect(try ledger.append(unsigned: events, source: "erp").allSatisfy { $0.record != nil })
        // Every model with its three lots: 12 batches, so the read is split in two halves.
        let affected = models.map { m in (key: String(m.dropFirst(3)), value: (0..<3).map { "\(m)/10/L\($0)" }) }
        let db = try #require(ledger.dbs.trace)
        let (split, serial, later) = try ledger.env.read { txn in
            // A write commits while this read transaction is open: more items in every lot.
            #expect(try ledger.append(unsigned: models.map { register($0, lot: 2, serial: "LATE") }, source: "erp").allSatisfy { $0.record != nil })
            let later = try ledger.env.read { newer in try TraceIndex.below(affected[...], asOf: nil, txn: newer, db: db) }
            return (try TraceIndex.split(affected, asOf: nil, txn: txn, db: db), try TraceIndex.below(affected[...], asOf: nil, txn: txn, db: db), later)
        }
        #expect(split.flatMap(\.items.items) == serial.items.items, "the split read sees the first transaction's snapshot")
        #expect(split.flatMap(\.items.records) == serial.items.records)
        #expect(serial.items.records.count == 12 && later.items.records.count == 16, "the write is visible only to a later transaction")
    }
}
