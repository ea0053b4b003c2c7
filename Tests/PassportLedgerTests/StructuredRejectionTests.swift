import Foundation
import PassportIngest
import PassportModel
import PassportTestSupport
import Testing
@testable import PassportLedger

/// Rejections a program can act on: every one is a list of violations with a stable code, the
/// field as a JSON Pointer, the rule, the offending value and a message — kept so in quarantine.
@Suite("Structured rejections")
struct StructuredRejectionTests {
    @Test("JSON Pointers from paths (RFC 6901 escaping), and back")
    func pointers() {
        #expect(Violation.pointer("data.lines[0].quantity") == "/data/lines/0/quantity")
        #expect(Violation.pointer("") == "")
        #expect(Violation.pointer("signature.key") == "/signature/key")
        #expect(Violation.pointer("attachments[2].sha256") == "/attachments/2/sha256")
        #expect(Violation.pointer("data.a/b~c") == "/data/a~1b~0c")
        let v = Violation(code: .maximum, path: "data.materials[1].sharePercent", rule: "maximum 100", message: "must be at most 100", value: "140")
        #expect(Violation(json: v.json) == v)
    }

    @Test("schema, rule, key and ownership violations carry codes, pointers, rules and values; quarantine keeps them")
    func violationsAreStructured() throws {
        let dir = TemporaryDirectory()
        let (ledger, signers) = try Fixtures.store(in: dir, sources: ["plm"])
        let ingestor = try Ingestor(ledger: ledger, mode: .unsigned(source: "plm", baseDirectory: nil))
        let line = #"{"type":"composition.declared","subject":"01/09506000134352","sourceRef":"C-1","createdAt":"2026-11-20T09:15:00Z","data":{"materials":[{"name":"steel","sharePercent":140},{"sharePercent":"x"}]}}"#
        let outcome = try ledger.appendSync([ingestor.submission(line: Array(line.utf8), origin: "in:1")])[0]
        guard case .rejected(let e, let qid?) = outcome else {
            Issue.record("expected a quarantined rejection, got \(outcome)")
            return
        }
        #expect(e.code == .invalidEvent)
        let byPointer = Dictionary(e.violations.map { ($0.pointer, $0) }, uniquingKeysWith: { a, _ in a })
        #expect(byPointer["/data/materials/0/sharePercent"]?.code == .maximum)
        #expect(byPointer["/data/materials/0/sharePercent"]?.rule == "maximum 100")
        #expect(byPointer["/data/materials/0/sharePercent"]?.value == "140")
        #expect(byPointer["/data/materials/0/sharePercent"]?.message == "must be at most 100")
        #expect(byPointer["/data/materials/1/name"]?.code == .required)
        #expect(byPointer["/data/materials/1/sharePercent"]?.code == .type)
        // The envelope is checked first: an unknown member is named by its pointer.
        let envelope = ingestor.submission(line: Array(#"{"type":"bom.released","subject":"01/09506000134352","sourceRef":"X","createdAt":"2026-11-20T09:15:00Z","data":{},"colour":"red"}"#.utf8), origin: "in:2")
        guard case .failure(let env) = envelope.content else {
            Issue.record("expected an invalid envelope")
            return
        }
        #expect(env.violations.contains { $0.pointer == "/colour" && $0.code == .unknownField && $0.rule == "unknown field" })
        let entry = try ledger.quarantineEntry(id: qid)
        #expect(entry.violations == e.violations)
        #expect(entry.json.objectValue?["violations"]?.arrayValue?.count == e.violations.count)

        // A key problem points at the signature; an ownership problem names the rule and the field.
        try ledger.revokeKey("plm", reason: "rotation")
        let revoked = try ledger.appendSync([Fixtures.submission(try Fixtures.sign(Fixtures.eventJSON(sourceRef: "B-1"), with: signers["plm"]!))])[0]
        guard case .rejected(let r, _) = revoked else {
            Issue.record("expected a rejection")
            return
        }
        #expect(r.code == .revokedKey && r.violations.first?.pointer == "/signature/key" && r.violations.first?.code.rawValue == "revoked-key")
        try ledger.addKey(name: "erp", kind: "erp")
        let erp = try ledger.sourceSigner("erp")
        let owned = try ledger.appendSync([Fixtures.submission(try Fixtures.sign(Fixtures.eventJSON(source: "erp", sourceRef: "B-2"), with: erp))])[0]
        guard case .rejected(let o, _) = owned else {
            Issue.record("expected a rejection")
            return
        }
        #expect(o.code == .notPermitted)
        #expect(o.violations.contains { $0.rule == "owner plm" && $0.value == "composition.billOfMaterials" })
    }

    @Test("a failure of the store keeps its underlying error")
    func underlyingErrorIsKept() throws {
        let e = LedgerError(.io, "the store could not commit", underlying: CocoaError(.fileWriteOutOfSpace))
        #expect(e.underlying is CocoaError)
        #expect(e.json.objectValue?["underlying"] != nil)
        let parse = LedgerError(.malformedJSON, "not valid JSON", underlying: JSONError(offset: 3, reason: "unexpected end of input"))
        #expect((parse.underlying as? JSONError)?.offset == 3)
    }
}
