import PassportModel
import Sodium
import Testing
@testable import PassportAudit

@Suite("C2SP signed notes and checkpoints")
struct SignedNoteTests {
    // The worked example of the signed-note format (Go's golang.org/x/mod/sumdb/note).
    static let vkey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
    static let skey = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
    static let text = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
    static let signature = "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"

    @Test func workedExampleRoundTrip() throws {
        let verifier = try NoteVerifierKey(parsing: Self.vkey)
        #expect(verifier.name == "PeterNeumann")
        #expect(verifier.keyID == 0xc74f20a3)
        #expect(verifier.description == Self.vkey)
        let signer = try NoteSigner(parsingSecret: Self.skey)
        #expect(signer.verifier == verifier)
        #expect(signer.secretText == Self.skey)
        // Ed25519 is deterministic: our signature is the published one, byte for byte.
        let note = try signer.sign(text: Self.text)
        #expect(note == Self.text + "\n" + Self.signature)
        let opened = try SignedNote.open(note, verifiers: [verifier])
        #expect(opened.text == Self.text)
    }

    @Test("skeys parse from bytes with surrounding white space; malformed ones are refused, not trapped on")
    func secretKeyBytes() throws {
        let signer = try NoteSigner(parsingSecret: Array(("\n " + Self.skey + " \r\n").utf8))
        #expect(signer.secretBytes() == Array(Self.skey.utf8))
        for bad in ["PRIVATE+KEY+PeterNeumann+c74f20a3+", "PRIVATE+KEY+PeterNeumann+c74f20a3+!!!!", "PRIVATE+KEY+PeterNeumann",
            "PRIVATE+KEY+PeterNeumann+c74f20a4+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz", "PUBLIC+KEY+x+y+z",
            "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFzAA=="]
        {
            #expect(throws: AuditError.self, "\(bad)") { try NoteSigner(parsingSecret: Array(bad.utf8)) }
        }
    }

    /// RFC 4648 §10 test vectors for the byte-buffer base64 used for secrets.
    @Test(arguments: [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy")])
    func base64Vectors(plain: String, encoded: String) {
        #expect(Sodium.base64(Array(plain.utf8)) == Array(encoded.utf8))
        #expect(Sodium.base64Decode(Array(encoded.utf8)[...]) == Array(plain.utf8))
    }

    @Test func base64RefusesWhatIsNotExactlyBase64() {
        for bad in ["Zg", "Zg=", "Zm9v!", "Zm9vYg==x", "Zm 9v", "Zm9vYg==="] {
            #expect(Sodium.base64Decode(Array(bad.utf8)[...]) == nil, "\(bad)")
        }
    }

    /// The C2SP signed-note specification's own example: its text contains a blank line, and the
    /// text ends at the *last* blank line. (The spec does not publish the key, so only parsing is checked.)
    @Test func specificationExampleParses() throws {
        let note = "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n\n"
            + "— quasimodo.example/salvatore NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n"
        let parsed = try SignedNote(parsing: note)
        #expect(parsed.text == "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n")
        #expect(parsed.signatures.count == 1)
        #expect(parsed.signatures[0].name == "quasimodo.example/salvatore")
        #expect(parsed.signatures[0].keyID == 0x367ba04b)
        #expect(parsed.signatures[0].signature.count == 64)
        // Without the signer's key the note must be rejected, never trusted.
        #expect(throws: AuditError.self) { try SignedNote.open(note, verifiers: [try NoteSigner.generate(name: "quasimodo.example/salvatore").verifier]) }
    }

    @Test func rejectsAlteredNotesAndWrongKeys() throws {
        let verifier = try NoteVerifierKey(parsing: Self.vkey)
        let altered = Self.text.replacingOccurrences(of: "problem,", with: "problem;") + "\n" + Self.signature
        let e1 = #expect(throws: AuditError.self) { try SignedNote.open(altered, verifiers: [verifier]) }
        #expect(e1?.message.contains("does not verify") == true)
        let other = try NoteSigner.generate(name: "Other").verifier
        let e2 = #expect(throws: AuditError.self) { try SignedNote.open(Self.text + "\n" + Self.signature, verifiers: [other]) }
        #expect(e2?.message.contains("no signature from a trusted key") == true)
        #expect(throws: AuditError.self) { try SignedNote.open(Self.text + Self.signature, verifiers: [verifier]) }
    }

    @Test(arguments: [
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3",
        "PeterNeumann+c74f20a3+!!!!",
    ])
    func rejectsMalformedVerifierKeys(vkey: String) {
        #expect(throws: AuditError.self) { try NoteVerifierKey(parsing: vkey) }
    }

    @Test func checkpointRoundTrip() throws {
        let signer = try NoteSigner.generate(name: "example.com/passports")
        let cp = Checkpoint(origin: "example.com/passports", size: 42, rootHash: Array(repeating: 7, count: 32))
        #expect(cp.text == "example.com/passports\n42\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n")
        let note = try signer.sign(text: cp.text)
        #expect(note.hasPrefix(cp.text + "\n— example.com/passports "))
        let opened = try Checkpoint.open(note, logKey: signer.verifier, origin: "example.com/passports")
        #expect(opened == cp)
        #expect(throws: AuditError.self) {
            try Checkpoint.open(note, logKey: signer.verifier, origin: "other.example")
        }
        #expect(throws: AuditError.self) { try Checkpoint(text: "o\n042\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\n") }
    }

    @Test func proofBundleRoundTripAndFormat() throws {
        let bundle = ProofBundle(index: 3, proof: [Array(repeating: 1, count: 32)], checkpointNote: "o\n1\nx\n\n— o sig\n")
        #expect(bundle.text == "c2sp.org/tlog-proof@v1\nindex 3\nAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n\no\n1\nx\n\n— o sig\n")
        #expect(try ProofBundle(parsing: bundle.text) == bundle)
        #expect(throws: AuditError.self) { try ProofBundle(parsing: "c2sp.org/tlog-proof@v1\nindex 03\n\nx\n") }
        #expect(throws: AuditError.self) { try ProofBundle(parsing: "hello\n") }
    }
}
