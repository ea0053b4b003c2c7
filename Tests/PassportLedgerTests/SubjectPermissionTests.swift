import LMDB
import PassportAudit
import PassportModel
import PassportTestSupport
import Testing
@testable import PassportLedger

/// Source keys bound to the subjects they may write (`permissions.subjects`).
@Suite("Subject permissions")
struct SubjectPermissionTests {
    static func declaration(_ subject: String, _ ref: String) -> JSONObject {
        Fixtures.eventJSON(
            type: "declaration.recorded", subject: subject, source: "supplier-acme", sourceRef: ref,
            data: ["kind": "conflict-minerals", "scope": "tin"],
            extra: ["validFrom": "2026-01-01T00:00:00.000000Z", "validUntil": "2027-01-01T00:00:00.000000Z"])
    }

    func append(_ ledger: Ledger, _ event: JSONObject, _ signer: NoteSigner) throws -> AppendOutcome {
        try ledger.appendSync([Fixtures.submission(try Fixtures.sign(event, with: signer))])[0]
    }

    @Test func aSupplierKeyWritesOnlyItsOwnSubjectUntilPermitted() throws {
        let dir = TemporaryDirectory()
        let (ledger, _) = try Fixtures.store(in: dir, sources: [])
        try ledger.addKey(name: "supplier-acme", permissions: Permissions(eventTypes: ["*"], fields: ["*"], override: false, subjects: ["supplier/ACME"]))
        let signer = try ledger.sourceSigner("supplier-acme")
        #expect(try ledger.key("supplier-acme").permissions.subjects == ["supplier/ACME"])

        guard case .appended = try append(ledger, Self.declaration("supplier/ACME", "CMRT-1"), signer) else {
            Issue.record("its own subject was refused")
            return
        }
        let size = try ledger.size()
        let outcome = try append(ledger, Self.declaration("supplier/OTHER", "CMRT-2"), signer)
        guard case .rejected(let e, let qid) = outcome else {
            Issue.record("a write to another supplier was accepted: \(outcome)")
            return
        }
        #expect(e.code == .notPermitted)
        #expect(e.message.contains("may not write subject supplier/OTHER (permitted subjects: supplier/ACME)"), "\(e.message)")
        #expect(try ledger.size() == size)
        #expect(qid != nil)

        // Widening the binding with a prefix pattern lets it write the other subject.
        try ledger.changePermissions(
            "supplier-acme", to: Permissions(eventTypes: ["*"], fields: ["*"], override: false, subjects: ["supplier/ACME", "supplier/OTH*"]),
            reason: "ACME took over OTHER")
        guard case .appended = try append(ledger, Self.declaration("supplier/OTHER", "CMRT-3"), signer) else {
            Issue.record("the permitted subject was refused")
            return
        }
        #expect(try ledger.verify().isIntact)
    }

    @Test func verifyRejudgesTheBindingFromTheSystemSubject() throws {
        let dir = TemporaryDirectory()
        do {
            let (ledger, _) = try Fixtures.store(in: dir, sources: [])
            try ledger.addKey(name: "supplier-acme", permissions: Permissions(eventTypes: ["*"], fields: ["*"], override: false, subjects: ["supplier/ACME"]))
        }
        // An attacker with file access widens the derived key table, so append lets the write in…
        do {
            let env = try Environment(path: dir.path("store/ledger").path)
            try env.write { txn in
                let db = try txn.openDatabase("keys", create: false)
                var k: (key: [UInt8], value: [UInt8])?
                try txn.withCursor(db) { c in
                    var pos: Cursor.Position = .first
                    while let e = try c.move(pos, { k, v in ([UInt8](k), [UInt8](v)) }) {
                        if String(decoding: e.0, as: UTF8.self).hasPrefix("supplier-acme+") { k = e }
                        pos = .next
                    }
                }
                var entry = try KeyEntry(bytes: try #require(k).value)
                entry.permissions.subjects = ["*"]
                try txn.put(k!.key, CanonicalJSON.encode(entry.json), in: db)
            }
        }
        let ledger = try Ledger.open(at: dir.path("store"))
        let signer = try ledger.sourceSigner("supplier-acme")
        guard case .appended(let r) = try append(ledger, Self.declaration("supplier/OTHER", "CMRT-9"), signer) else {
            Issue.record("the doctored key table should have let the write in")
            return
        }
        // …but verify replays the system subject and judges the record by the real binding.
        let report = try ledger.verify()
        #expect(report.problem?.index == r.index)
        #expect(report.problem?.reason.contains("may not write subject supplier/OTHER") == true, "\(String(describing: report.problem))")
    }

    @Test("permissions without subjects (keys registered before the binding existed) allow any subject")
    func olderPermissionsMeanAnySubject() throws {
        let old = try Permissions(json: ["eventTypes": ["*"], "fields": ["*"], "override": false])
        #expect(old.subjects == ["*"])
        #expect(old.allows(subject: try Subject("supplier/ANY")))
        #expect(old.allows(subject: try Subject("01/09506000134352/21/X")))
    }

    @Test(arguments: [
        ("supplier/ACME", "supplier/ACME", true), ("supplier/ACME", "supplier/ACMEX", false),
        ("01/09506000134352*", "01/09506000134352/10/L1", true), ("01/09506000134352*", "01/09506000134352", true),
        ("01/09506000134352*", "01/00000000000000", false), ("*", "facility/X", true),
    ])
    func patterns(pattern: String, subject: String, allowed: Bool) throws {
        let p = Permissions(eventTypes: ["*"], fields: ["*"], override: false, subjects: [pattern])
        #expect(p.allows(subject: try Subject(subject)) == allowed)
    }

    @Test func invalidPatternsAreRejected() {
        for bad: JSONValue in [[], ["system"], ["supplier/A%41"], ["01/095*06*"], ["01/09506000134353"], ["a b*"], [7]] {
            let e = #expect(throws: PassportModel.ValidationError.self) { try Permissions(json: ["subjects": bad]) }
            #expect(e?.violations.first?.path == "data.permissions.subjects", "\(bad)")
        }
    }
}
