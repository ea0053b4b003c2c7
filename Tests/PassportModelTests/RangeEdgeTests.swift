import Testing
@testable import PassportModel

/// Values at the edges of what a timestamp or a double can hold are refused in the user's own words.
@Suite("Timestamp and number range edges")
struct RangeEdgeTests {
    @Test("an offset that carries a time past year 9999 (or before year 1) is out of range, quoting the input", arguments: [
        ("9999-12-31T23:00:00-05:00", "falls after year 9999"),
        ("9999-12-31T23:59:59.999999-00:01", "falls after year 9999"),
        ("0001-01-01T00:30:00+01:00", "falls before year 0001"),
    ])
    func offsetPastTheRange(input: String, reason: String) {
        let e = #expect(throws: TimestampError.self) { try Timestamp(rfc3339: input) }
        #expect(e?.text == input)
        #expect(e?.reason.contains(reason) == true, "\(String(describing: e))")
        #expect(e?.description.contains("10000") == false)
        #expect(e?.description.hasPrefix("invalid timestamp \"\(input)\": out of range") == true, "\(String(describing: e))")
    }

    @Test("the edges themselves are accepted", arguments: [
        ("9999-12-31T23:59:59.999999Z", "9999-12-31T23:59:59.999999Z"),
        ("9999-12-31T23:00:00+05:00", "9999-12-31T18:00:00.000000Z"),
        ("0001-01-01T00:30:00-01:00", "0001-01-01T01:30:00.000000Z"),
        ("0001-01-01T00:00:00Z", "0001-01-01T00:00:00.000000Z"),
    ])
    func edgesAccepted(input: String, canonical: String) throws {
        #expect(try Timestamp(rfc3339: input).description == canonical)
        #expect(Timestamp.max.description == "9999-12-31T23:59:59.999999Z")
        #expect(Timestamp.min.description == "0001-01-01T00:00:00.000000Z")
    }

    @Test("a non-zero number that underflows to 0 is rejected like an overflow", arguments: ["1e-999999", "1e-400", "-2.5e-330", "0.0001e-320", "[1E-400]"])
    func underflowRejected(input: String) {
        let e = #expect(throws: JSONError.self) { try JSONParser.parse(input) }
        #expect(e?.description.contains("too small for an IEEE 754 double") == true, "\(String(describing: e))")
        #expect(e?.description.contains("would become 0") == true)
    }

    @Test("zero literals and non-zero subnormals are kept", arguments: ["0e-400", "0.0e5", "-0.000e-999999", "0", "5e-324", "2.2250738585072014e-308"])
    func zerosAndSubnormalsAccepted(input: String) throws {
        let v = try JSONParser.parse(input)
        let d = try #require(v.numberValue?.double)
        let literalIsZero = !input.prefix { $0 != "e" && $0 != "E" }.contains { ("1"..."9").contains($0) }
        #expect((d == 0) == literalIsZero)
    }
}
