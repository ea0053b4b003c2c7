import PassportDemoData
import PassportIngest
import PassportLedger
import PassportModel
import PassportTestSupport
import Testing

/// A random history of CDC changes to a few rows, mapped and appended to a real ledger, gives the
/// same passports as appending each row's final values once.
@Suite struct DebeziumLedgerPropertyTests {
    struct Values: Equatable {
        var qty: Int
        var plant: String
        var day: Int
    }

    /// The generator's model of one row.
    struct RowModel {
        var exists = false
        var values: Values?
        /// The values and position of the row's last change that should have written an event.
        var applied: (values: Values, lsn: Int)?
    }

    static let gtins = (1...3).map { DemoDataSet.gtin($0) }

    static func row(_ id: Int, _ v: Values) -> JSONObject {
        DBZ.order(id: id, gtin: gtins[id - 1], lot: "LOT-\(id)", qty: v.qty, plant: v.plant, finishDay: v.day)
    }

    static func subject(_ id: Int) -> Subject { try! Subject("01/\(gtins[id - 1])/10/LOT-\(id)") }

    /// A passport's entries without provenance, in a stable order.
    static func facts(_ ledger: Ledger, _ subject: Subject) throws -> [String] {
        try ledger.passport(subject).entries.map { "\($0.path)=\(CanonicalJSON.string($0.value))" }.sorted()
    }

    @Test(arguments: 0..<3)
    func randomHistoriesGiveTheFinalRowsPassports(round: Int) throws {
        let seed = SplitMix64.testSeed() &+ UInt64(round)
        var rng = SplitMix64(seed: seed)
        func pick<T>(_ xs: [T]) -> T { xs[rng.next(upTo: xs.count)] }
        var rows = Array(repeating: RowModel(), count: 4)  // ids 1…3
        var sent: [(id: Int, bytes: [UInt8], lsn: Int)] = []
        var lsn = 1000
        var state = InMemoryCDCState()
        var events: [JSONObject] = []
        var log: [String] = []
        for step in 0..<60 {
            let id = 1 + rng.next(upTo: 3)
            let roll = rng.next(upTo: 10)
            var expectEvent: Bool?  // nil: no expectation beyond "no event" for redeliveries
            let bytes: [UInt8]
            if roll < 2, !sent.isEmpty {
                // Redelivery of an earlier envelope, bytes unchanged: never an event.
                let old = pick(sent)
                bytes = old.bytes
                expectEvent = false
                log.append("\(step): redeliver lsn \(old.lsn) of row \(old.id)")
            } else {
                lsn += 1 + rng.next(upTo: 50)
                var r = rows[id]
                let op: String
                if !r.exists {
                    op = "c"  // an insert, or a re-insert after a delete
                } else if roll == 3 {
                    op = "d"
                } else if roll == 4 {
                    op = "r"  // re-snapshot of the row as it is
                } else {
                    op = "u"
                }
                switch op {
                case "d":
                    bytes = DBZ.pg("d", before: ["order_id": .number(JSONNumber(id))], lsn: lsn)
                    r.exists = false
                    expectEvent = false
                case "r":
                    bytes = DBZ.pg("r", after: Self.row(id, r.values!), lsn: lsn, snapshot: true)
                    expectEvent = r.applied?.values != r.values
                default:
                    let v = Values(qty: pick([100, 200, 300]), plant: pick(["PLANT-1", "PLANT-2"]), day: pick([20775, 20776]))
                    bytes = DBZ.pg(op, after: Self.row(id, v), lsn: lsn)
                    r.exists = true
                    r.values = v
                    expectEvent = r.applied?.values != v
                }
                if expectEvent == true { r.applied = (r.values!, lsn) }
                rows[id] = r
                sent.append((id, bytes, lsn))
                log.append("\(step): \(op) row \(id) lsn \(lsn) \(r.values.map { "\($0)" } ?? "")")
            }
            let result = try DBZ.mapper.apply(bytes, input: "step \(step)", state: &state)
            if case .reject = result.outcome { Issue.record("seed \(seed): \(result)\n\(log.joined(separator: "\n"))") }
            if let expectEvent {
                #expect((result.event != nil) == expectEvent, "seed \(seed): \(result)\n\(log.joined(separator: "\n"))")
            }
            if let e = result.event { events.append(e) }
        }
        #expect(events.count >= rows.filter { $0.applied != nil }.count, "seed \(seed)")
        // Every applied change and nothing else reached the log.
        let dir = TemporaryDirectory()
        let (ledger, _) = try Fixtures.store(in: dir, sources: ["erp-sap"])
        for outcome in try ledger.append(unsigned: events, source: "erp-sap") {
            guard case .appended = outcome else {
                Issue.record("seed \(seed): \(outcome)")
                continue
            }
        }
        // The reference: each row's final values once, through a fresh mapper state and ledger.
        let refDir = TemporaryDirectory()
        let (reference, _) = try Fixtures.store(in: refDir, sources: ["erp-sap"])
        var fresh = InMemoryCDCState()
        var once: [JSONObject] = []
        for id in 1...3 {
            guard let final = rows[id].applied?.values else { continue }
            #expect(final == rows[id].values, "seed \(seed): row \(id)'s last values were never applied")
            let r = try DBZ.mapper.apply(DBZ.pg("c", after: Self.row(id, final), lsn: 1), input: "final \(id)", state: &fresh)
            once.append(try #require(r.event, "seed \(seed): \(r)"))
        }
        _ = try reference.append(unsigned: once, source: "erp-sap")
        for id in 1...3 {
            let subject = Self.subject(id)
            if rows[id].applied == nil {
                #expect(throws: (any Error).self, "seed \(seed): row \(id) never existed") { try ledger.passport(subject) }
                continue
            }
            let got = try Self.facts(ledger, subject)
            #expect(!got.isEmpty)
            #expect(got == (try Self.facts(reference, subject)), "seed \(seed): row \(id)\n\(log.joined(separator: "\n"))")
        }
        // Running the same input again through the final state writes nothing.
        for (i, s) in sent.enumerated() {
            let again = try DBZ.mapper.map(s.bytes, input: "again \(i)", state: state)
            #expect(again.event == nil, "seed \(seed): \(again)")
        }
    }
}
