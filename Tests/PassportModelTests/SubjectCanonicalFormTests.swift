import Testing
@testable import PassportModel

/// One spelling per GS1 key: lots and serials in canonical GS1 Digital Link percent-encoding.
@Suite("Canonical GS1 Digital Link subjects")
struct SubjectCanonicalFormTests {
    static let item = "01/09506000134352/21/"
    static let batch = "01/09506000134352/10/"

    @Test("canonical spellings are accepted", arguments: [
        item + "AAAA", item + "A%2FB", batch + "LOT-1.2_3", item + "%25", item + "%2541", item + "%21%22%25%26%27%28%29%2A%2B%2C",
        item + "%3A%3B%3C%3D%3E%3F", batch + String(repeating: "%2F", count: 20), item + String(repeating: "z", count: 20),
    ])
    func canonicalAccepted(text: String) throws {
        let s = try Subject(text)
        #expect(s.rawValue == text)
        #expect(try Subject.canonical(text) == s)
        #expect(text.utf8.count <= Subject.maxBytes)
    }

    @Test("other spellings are rejected with the canonical one in the message", arguments: [
        (item + "%41%41%41%41", "serial is not in canonical GS1 Digital Link form; write 01/09506000134352/21/AAAA"),
        (item + "A%2fB", "write 01/09506000134352/21/A%2FB"),
        (item + "A?B", "write 01/09506000134352/21/A%3FB"),
        (item + "A\"B", "write 01/09506000134352/21/A%22B"),
        (batch + "<L>", "lot is not in canonical GS1 Digital Link form; write 01/09506000134352/10/%3CL%3E"),
        (item + "%2D%2e%5F", "write 01/09506000134352/21/-._"),
        (item + "100%25%2a", "write 01/09506000134352/21/100%25%2A"),
    ])
    func nonCanonicalRejected(text: String, message: String) throws {
        let e = #expect(throws: SubjectError.self) { try Subject(text) }
        #expect(e?.reason.contains(message) == true, "\(String(describing: e))")
        // The spelling the message gives is the one canonical(_:) returns, and it is accepted.
        let canonical = try Subject.canonical(text)
        #expect(e?.reason.hasSuffix("write \(canonical.rawValue)") == true)
        #expect(try Subject(canonical.rawValue) == canonical)
    }

    @Test("values no spelling can save are rejected by both init and canonical(_:)", arguments: [
        (item + "A%20B", "outside GS1 character set 82 (' ', byte 0x20)"),
        (item + "A B", "outside GS1 character set 82"),
        (item + "caf%C3%A9", "outside GS1 character set 82 (byte 0xC3)"),
        (item + "café", "outside GS1 character set 82"),
        (item + "A~B", "outside GS1 character set 82 ('~'"),
        (item + "100%", "malformed percent-encoding"),
        (item + "%+1", "malformed percent-encoding"),
        (item + "%4", "malformed percent-encoding"),
        (batch + String(repeating: "A", count: 21), "must be 1–20 characters (counted after percent-decoding), got 21"),
        (batch + String(repeating: "%2F", count: 21), "got 21"),
        (batch + "", "got 0"),
    ])
    func invalidRejected(text: String, reason: String) {
        let e = #expect(throws: SubjectError.self) { try Subject(text) }
        #expect(e?.reason.contains(reason) == true, "\(String(describing: e))")
        let c = #expect(throws: SubjectError.self) { try Subject.canonical(text) }
        #expect(c?.reason.contains(reason) == true, "\(String(describing: c))")
    }

    @Test func twentyCharactersAfterDecodingIsTheLimit() throws {
        let twenty = String(repeating: "%3F", count: 19) + "A"
        #expect(try Subject(Self.batch + twenty).kind == .batch)
        #expect(throws: SubjectError.self) { try Subject(Self.batch + twenty + "B") }
    }

    @Test func canonicalPadsShortGTINsAndLeavesOtherKindsAlone() throws {
        #expect(try Subject.canonical("01/9506000134352/21/%41b%2f").rawValue == "01/09506000134352/21/Ab%2F")
        #expect(try Subject.canonical("supplier/ACME").rawValue == "supplier/ACME")
        #expect(try Subject.canonical("system") == Subject.system)
        #expect(throws: SubjectError.self) { try Subject.canonical("supplier/A%41") }
    }

    @Test func encodingAPrintedLot() throws {
        #expect(try GS1.encodeAttribute(value: "10%/B", name: "lot").get() == "10%25%2FB")
        #expect(throws: GS1.AttributeError.self) { try GS1.encodeAttribute(value: "a b", name: "lot").get() }
    }

    @Test func everySubjectFitsAnIndexKey() {
        // LMDB keys are at most 511 bytes; the longest subject is an item with 20 encoded characters.
        #expect(Subject.maxBytes == (Self.item + String(repeating: "%2F", count: 20)).utf8.count)
        #expect(Subject.maxBytes < 511)
        #expect(("supplier/" + String(repeating: "a", count: 64)).utf8.count <= Subject.maxBytes)
        #expect(throws: SubjectError.self) { try Subject("supplier/" + String(repeating: "a", count: 65)) }
    }

    @Test("a subject-valued field in event data must be canonical, and the violation names the field")
    func subjectFieldsInData() throws {
        let spec = try #require(EventCatalog.spec("batch.transformed"))
        let data: JSONValue = ["inputs": [["subject": .string(Self.batch + "L%2f1"), "quantity": 1]]]
        var violations: [Violation] = []
        spec.data.validate(data, at: "data", into: &violations)
        let v = try #require(violations.first { $0.path == "data.inputs[0].subject" }, "\(violations)")
        #expect(v.message.contains("write 01/09506000134352/10/L%2F1") && v.code == .format && v.pointer == "/data/inputs/0/subject")
        violations = []
        spec.data.validate(["inputs": [["subject": .string(Self.batch + "L%2F1"), "quantity": 1]]], at: "data", into: &violations)
        #expect(violations.isEmpty, "\(violations)")
    }

    @Test("the JSON Schema pattern agrees with the parser", arguments: [
        (item + "A%2FB", true), (item + "A%2fB", false), (item + "%41", false), (item + "A?B", false),
        (item + "%25", true), (batch + String(repeating: "A", count: 21), false),
    ])
    func schemaPattern(text: String, valid: Bool) throws {
        let pattern = try Regex(Formats.pattern(.subject))
        #expect((text.wholeMatch(of: pattern) != nil) == valid)
        #expect(((try? Subject(text)) != nil) == valid)
    }
}
