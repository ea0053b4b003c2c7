import Testing
@testable import PassportModel

@Suite("RFC 8785 canonical JSON")
struct CanonicalJSONTests {
    /// RFC 8785 Appendix B: IEEE 754 bit patterns and their canonical text.
    @Test(arguments: [
        ("0000000000000000", "0"),
        ("8000000000000000", "0"),
        ("0000000000000001", "5e-324"),
        ("8000000000000001", "-5e-324"),
        ("7fefffffffffffff", "1.7976931348623157e+308"),
        ("ffefffffffffffff", "-1.7976931348623157e+308"),
        ("4340000000000000", "9007199254740992"),
        ("c340000000000000", "-9007199254740992"),
        ("4430000000000000", "295147905179352830000"),
        ("44b52d02c7e14af5", "9.999999999999997e+22"),
        ("44b52d02c7e14af6", "1e+23"),
        ("44b52d02c7e14af7", "1.0000000000000001e+23"),
        ("444b1ae4d6e2ef4e", "999999999999999700000"),
        ("444b1ae4d6e2ef4f", "999999999999999900000"),
        ("444b1ae4d6e2ef50", "1e+21"),
        ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
        ("3eb0c6f7a0b5ed8d", "0.000001"),
        ("41b3de4355555553", "333333333.3333332"),
        ("41b3de4355555554", "333333333.33333325"),
        ("41b3de4355555555", "333333333.3333333"),
        ("41b3de4355555556", "333333333.3333334"),
        ("41b3de4355555557", "333333333.33333343"),
        ("becbf647612f3696", "-0.0000033333333333333333"),
        ("43143ff3c1cb0959", "1424953923781206.2"),
    ])
    func rfcNumberTable(hex: String, expected: String) {
        let value = Double(bitPattern: UInt64(hex, radix: 16)!)
        #expect(CanonicalJSON.formatNumber(value) == expected)
    }

    @Test("NaN and Infinity bit patterns from RFC 8785 Appendix B are not JSON numbers")
    func nonFiniteRejected() {
        #expect(throws: JSONError.self) { try JSONParser.parse("1e400") }
        #expect(throws: JSONError.self) { try JSONParser.parse("-1e400") }
        #expect(throws: JSONError.self) { try JSONParser.parse("NaN") }
        #expect(throws: JSONError.self) { try JSONParser.parse("Infinity") }
    }

    /// RFC 8785 §3.2.2: the main example.
    @Test func rfcMainExample() throws {
        let input = #"""
            {
              "numbers": [333333333.33333329, 1E30, 4.50,
                          2e-3, 0.000000000000000000000000001],
              "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
              "literals": [null, true, false]
            }
            """#
        let out = String(decoding: try CanonicalJSON.canonicalize(Array(input.utf8)), as: UTF8.self)
        #expect(out == #"{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}"#)
    }

    /// RFC 8785 §3.2.3: property sorting by UTF-16 code units.
    @Test func rfcSortingExample() throws {
        let input = #"""
            {
              "\u20ac": "Euro Sign",
              "\r": "Carriage Return",
              "\ufb33": "Hebrew Letter Dalet With Dagesh",
              "1": "One",
              "\ud83d\ude00": "Emoji: Grinning Face",
              "\u0080": "Control",
              "\u00f6": "Latin Small Letter O With Diaeresis"
            }
            """#
        let value = try JSONParser.parse(input)
        let canonical = CanonicalJSON.string(value)
        let reparsed = try JSONParser.parse(canonical)
        let values = reparsed.objectValue!.members.map { $0.value.stringValue! }
        #expect(values == [
            "Carriage Return", "One", "Control", "Latin Small Letter O With Diaeresis", "Euro Sign",
            "Emoji: Grinning Face", "Hebrew Letter Dalet With Dagesh",
        ])
        #expect(canonical.hasPrefix(#"{"\r":"Carriage Return","1":"One","\#u{80}":"Control""#))
    }

    @Test func stringEscapesAndUnicode() throws {
        let input = #"["\u0000\u001f\b\f\n\r\t\u007f", "\u2028\u2029", "\ud834\udd1e", "é", "\/"]"#
        let out = CanonicalJSON.string(try JSONParser.parse(input))
        #expect(out == "[\"\\u0000\\u001f\\b\\f\\n\\r\\t\u{7f}\",\"\u{2028}\u{2029}\",\"𝄞\",\"é\",\"/\"]")
    }

    @Test func integersAtTheIJSONLimits() throws {
        #expect(CanonicalJSON.string(try JSONParser.parse("[9007199254740992,-9007199254740992]"))
            == "[9007199254740992,-9007199254740992]")
        #expect(CanonicalJSON.string(try JSONParser.parse("[9007199254740991, 1.0, -0, 0.0, 1e2]"))
            == "[9007199254740991,1,0,0,100]")
        let err = #expect(throws: JSONError.self) { try JSONParser.parse("9007199254740993") }
        #expect(err?.reason.contains("±2^53") == true)
        #expect(err?.reason.contains("it would become 9007199254740992") == true)
        #expect(throws: JSONError.self) { try JSONParser.parse("-9007199254740993") }
        // A large integer that is exactly a double's canonical text (RFC 8785 Appendix B) round-trips.
        #expect(CanonicalJSON.string(try JSONParser.parse("295147905179352830000")) == "295147905179352830000")
        #expect(throws: JSONError.self) { try JSONParser.parse("295147905179352830001") }
    }

    @Test(arguments: [
        (#"{"a":1,"a":2}"#, "duplicate member name \"a\""),
        // Past 16 members the parser looks names up by hash: a duplicate early or late is found.
        ("{" + (0..<20).map { "\"k\($0)\":\($0)" }.joined(separator: ",") + #","k3":0}"#, "duplicate member name \"k3\""),
        ("{" + (0..<20).map { "\"k\($0)\":\($0)" }.joined(separator: ",") + #","k19":0}"#, "duplicate member name \"k19\""),
        (#"["\ud800"]"#, "lone high surrogate"),
        (#"["\udc00x"]"#, "lone low surrogate"),
        ("[1,]", "unexpected character"),
        ("{\"a\" 1}", "expected ':'"),
        ("[01]", "leading zeros"),
        ("\"abc", "unterminated string"),
        ("[1] x", "unexpected data after"),
        ("\"a\u{01}\"", "unescaped control character"),
        (#""\x""#, "invalid escape"),
        ("", "unexpected end of input"),
    ])
    func rejectsWithReason(input: String, reason: String) {
        let err = #expect(throws: JSONError.self) { try JSONParser.parse(input) }
        #expect(err?.reason.contains(reason) == true, "\(String(describing: err))")
    }

    @Test func rejectsInvalidUTF8AndDeepNesting() {
        let bad: [UInt8] = [0x22, 0xC3, 0x28, 0x22]
        let err = #expect(throws: JSONError.self) { try JSONParser.parse(bad) }
        #expect(err?.reason.contains("UTF-8") == true)
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        let err2 = #expect(throws: JSONError.self) { try JSONParser.parse(deep) }
        #expect(err2?.reason.contains("nesting") == true)
    }

    @Test func keepsNumberLiteralsAndMemberOrder() throws {
        let v = try JSONParser.parse(#"{"z": 4.50, "a": 1E3}"#)
        let o = v.objectValue!
        #expect(o.keys == ["z", "a"])
        #expect(o["z"]?.numberValue?.literal == "4.50")
        #expect(CanonicalJSON.string(v) == #"{"a":1000,"z":4.5}"#)
    }
}
