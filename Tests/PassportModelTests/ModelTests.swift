import PassportDemoData
import Testing
@testable import PassportModel

@Suite("Timestamps, subjects, events and records")
struct ModelTests {
    @Test(arguments: [
        ("2026-11-20T09:15:00Z", "2026-11-20T09:15:00.000000Z"),
        ("2026-11-20T10:15:00+01:00", "2026-11-20T09:15:00.000000Z"),
        ("2026-11-20 09:15:00.5Z", "2026-11-20T09:15:00.500000Z"),
        ("2024-02-29T23:59:59.123456000-00:30", "2024-03-01T00:29:59.123456Z"),
        ("1970-01-01T00:00:00.000000Z", "1970-01-01T00:00:00.000000Z"),
        ("1969-12-31T23:59:59.999999Z", "1969-12-31T23:59:59.999999Z"),
    ])
    func rfc3339Normalised(input: String, canonical: String) throws {
        let t = try Timestamp(rfc3339: input)
        #expect(t.description == canonical)
        #expect(try Timestamp(canonical: canonical) == t)
    }

    @Test(arguments: [
        ("2026-13-01T00:00:00Z", "month 13"), ("2025-02-29T00:00:00Z", "day 29 does not exist"),
        ("2026-01-01T24:00:00Z", "hour 24"), ("2026-01-01T00:00:60Z", "leap seconds"),
        ("2026-01-01T00:00:00", "missing time zone"), ("2026-01-01T00:00:00.1234567Z", "more precision than microseconds"),
        ("26-01-01T00:00:00Z", "expected"),
    ])
    func rfc3339Rejected(input: String, reason: String) {
        let e = #expect(throws: TimestampError.self) { try Timestamp(rfc3339: input) }
        #expect(e?.reason.contains(reason) == true, "\(String(describing: e))")
    }

    @Test func canonicalTimestampIsStrict() {
        #expect(throws: TimestampError.self) { try Timestamp(canonical: "2026-11-20T09:15:00Z") }
        #expect(throws: TimestampError.self) { try Timestamp(canonical: "2026-11-20T09:15:00.000000+00:00") }
    }

    @Test(arguments: [
        ("01/09506000134352", Subject.Kind.model), ("01/09506000134352/10/LOT-1", .batch), ("01/09506000134352/21/SN%2F9", .item),
        ("supplier/ACME", .supplier), ("facility/PLANT-DE-01", .facility), ("system", .system),
    ])
    func validSubjects(text: String, kind: Subject.Kind) throws {
        #expect(try Subject(text).kind == kind)
    }

    @Test(arguments: [
        ("01/09506000134353", "check digit 3, expected 2"), ("01/0950600013435", "14 digits"), ("01/09506000134352/22/X", "application identifier"),
        ("01/09506000134352/10/" + String(repeating: "A", count: 21), "1–20 characters"), ("01/09506000134352/10/a%ZZ", "percent-encoding"),
        ("01/09506000134352/21/caf%C3%A9", "character set 82"), ("supplier/", "the id must be"), ("vendor/x", "unknown subject kind"),
    ])
    func invalidSubjects(text: String, reason: String) {
        let e = #expect(throws: SubjectError.self) { try Subject(text) }
        #expect(e?.reason.contains(reason) == true, "\(String(describing: e))")
    }

    static let eventText = #"""
        {"type":"bom.released","subject":"01/09506000134352","source":"plm","sourceRef":"ECN-1","createdAt":"2026-11-20T09:15:00.000000Z",
         "validFrom":"2026-12-01T00:00:00.000000Z","data":{"é":1},"attachments":[{"sha256":"\#(String(repeating: "ab", count: 32))","mediaType":"application/pdf","name":"a.pdf"}],
         "refs":[{"rel":"declaration","subject":"supplier/ACME","sourceRef":"CMRT"}],"expectedSeq":3}
        """#

    @Test func eventParsesAndSignsItsCanonicalBytes() throws {
        let e = try Event(json: try JSONParser.parse(Self.eventText))
        #expect(e.expectedSeq == 3)
        #expect(e.attachments.first?.name == "a.pdf")
        #expect(e.refs.first?.subject.kind == .supplier)
        #expect(e.canonicalBytes == CanonicalJSON.encode(try JSONParser.parse(Self.eventText)))
        #expect(e.signatureInput == Array("dpp/event/v1\n".utf8) + e.canonicalBytes)
    }

    @Test func recordCanonicalBytesEqualTheGenericEncoding() throws {
        let e = try Event(json: try JSONParser.parse(Self.eventText))
        let sig = EventSignature(key: "plm+01020304", sig: Array(repeating: 9, count: 64))
        for prev in [nil, Array(repeating: UInt8(7), count: 32)] {
            let r = Record(index: 41, seq: prev == nil ? 1 : 3, recordedAt: try Timestamp(canonical: "2026-11-25T14:00:00.123456Z"), prev: prev, event: e, signature: sig)
            #expect(r.canonicalBytes == CanonicalJSON.encode(r.json))
            let back = try Record(bytes: r.canonicalBytes)
            #expect(back == r)
        }
    }

    @Test func recordRejectsBrokenFields() throws {
        let e = try Event(json: try JSONParser.parse(Self.eventText))
        let r = Record(index: 1, seq: 2, recordedAt: try Timestamp(canonical: "2026-11-25T14:00:00.123456Z"), prev: nil, event: e,
            signature: EventSignature(key: "plm+01020304", sig: Array(repeating: 9, count: 64)))
        let err = #expect(throws: ValidationError.self) { try Record(bytes: r.canonicalBytes) }
        #expect(err?.description.contains("prev: is required when seq > 1") == true)
        #expect(throws: (any Error).self) { try Record(bytes: Array(#"{"index":1}"#.utf8)) }
    }

    @Test("every microsecond from year 1 to 9999 formats and parses back to itself")
    func timestampRoundTrip() throws {
        let low: Int64 = -62_135_596_800_000_000  // 0001-01-01T00:00:00Z
        let high: Int64 = 253_402_300_799_999_999  // 9999-12-31T23:59:59.999999Z
        let seed = SplitMix64.testSeed()
        var g = SplitMix64(seed: seed)
        for micros in [low, high, 0, -1, 951_782_400_000_000] + (0..<5000).map({ _ in Int64.random(in: low...high, using: &g) }) {
            let t = Timestamp(microsecondsSinceEpoch: micros)
            #expect(try Timestamp(canonical: t.description) == t, "seed \(seed) (DPP_TEST_SEED): \(micros) → \(t)")
        }
        #expect(Timestamp(microsecondsSinceEpoch: low).description == "0001-01-01T00:00:00.000000Z")
        #expect(Timestamp(microsecondsSinceEpoch: high).description == "9999-12-31T23:59:59.999999Z")
        #expect(Timestamp(microsecondsSinceEpoch: 951_782_400_000_000).description == "2000-02-29T00:00:00.000000Z")
    }
}
