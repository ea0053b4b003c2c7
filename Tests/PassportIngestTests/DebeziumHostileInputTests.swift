import PassportDemoData
import PassportIngest
import PassportModel
import Testing

/// Mangled change events never crash the mapper: each gets a result, and every rejection says why.
@Suite struct DebeziumHostileInputTests {
    @Test func mangledDocumentedEventsAreAnsweredNotCrashedOn() throws {
        let seed = SplitMix64.testSeed()
        var rng = SplitMix64(seed: seed)
        let originals = try ["postgresql-create.json", "postgresql-update.json", "mysql-update.json", "mysql-delete.json"].map(DBZ.fixture)
        var state = InMemoryCDCState()
        var rejected = 0
        for i in 0..<400 {
            var bytes = originals[rng.next(upTo: originals.count)]
            for _ in 0..<(1 + rng.next(upTo: 3)) {
                let at = rng.next(upTo: bytes.count)
                switch rng.next(upTo: 3) {
                case 0: bytes[at] = UInt8(truncatingIfNeeded: rng.next())
                case 1: bytes.remove(at: at)
                default: bytes.insert(Array("\"{}[],:0-9e\\".utf8)[rng.next(upTo: 12)], at: at)
                }
            }
            let result = try DBZ.mapper.apply(bytes, input: "mangled \(i)", state: &state)
            if case .reject(let v) = result.outcome {
                rejected += 1
                #expect(!v.isEmpty && v.allSatisfy { !$0.message.isEmpty }, "seed \(seed): \(result)")
            }
            if let e = result.event {
                // Whatever got through is a valid event once it has a source.
                var o = e
                o["source"] = "erp-sap"
                let event = try Event(json: .object(o))
                #expect(EventCatalog.validate(event) == [], "seed \(seed): \(result)")
            }
        }
        #expect(rejected > 0, "seed \(seed): no mangled input was rejected")
    }
}
