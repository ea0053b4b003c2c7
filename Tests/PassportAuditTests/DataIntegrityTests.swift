import Foundation
import PassportAudit
import PassportModel
import Sodium
import Testing

@Suite("W3C Data Integrity eddsa-jcs-2022")
struct DataIntegrityTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Vectors/eddsa-jcs-2022")

    static func load(_ name: String) throws -> JSONObject {
        try #require(try JSONParser.parse(Array(try Data(contentsOf: folder.appendingPathComponent(name)))).objectValue)
    }

    @Test("the W3C test vector: our signature is the spec's proofValue byte for byte, and verifies")
    func specVector() throws {
        let keys = try Self.load("keyPair.json")
        let secret = try #require(Base58.decode(String(keys["privateKeyMultibase"]!.stringValue!.dropFirst())))
        #expect(Array(secret.prefix(2)) == [0x80, 0x26], "multicodec ed25519-priv")
        let key = try Ed25519.SigningKey(seed: Array(secret.dropFirst(2)))
        #expect(DataIntegrity.multikey(key.publicKey) == keys["publicKeyMultibase"]?.stringValue)

        let signed = try Self.load("signedJCS.json")
        var options = try #require(signed["proof"]?.objectValue)
        let expected = options["proofValue"]
        options["proofValue"] = nil
        var unsigned = signed
        unsigned["proof"] = nil
        let secured = DataIntegrity.secure(unsigned, options: options) { key.sign($0) }
        #expect(secured["proof"]?.objectValue?["proofValue"] == expected)
        try DataIntegrity.verify(signed, publicKey: key.publicKey)
    }

    @Test("a changed document, a changed proof option or another key does not verify")
    func tampering() throws {
        let signed = try Self.load("signedJCS.json")
        let keys = try Self.load("keyPair.json")
        let secret = Base58.decode(String(keys["privateKeyMultibase"]!.stringValue!.dropFirst()))!
        let key = try Ed25519.SigningKey(seed: Array(secret.dropFirst(2)))
        var doc = signed
        doc["name"] = "Alumnus Credential"
        #expect(throws: AuditError.self) { try DataIntegrity.verify(doc, publicKey: key.publicKey) }
        var proof = signed["proof"]!.objectValue!
        proof["created"] = "2023-02-24T23:36:39Z"
        doc = signed
        doc["proof"] = .object(proof)
        #expect(throws: AuditError.self) { try DataIntegrity.verify(doc, publicKey: key.publicKey) }
        #expect(throws: AuditError.self) { try DataIntegrity.verify(signed, publicKey: Ed25519.SigningKey.generate().publicKey) }
    }

    @Test("base58btc round trips, keeps leading zeros, and refuses characters outside its alphabet")
    func base58() {
        #expect(Base58.encode(Array("Hello World!".utf8)) == "2NEpo7TZRRrLZSi2U")
        #expect(Base58.encode([0, 0, 1]) == "112")
        #expect(Base58.decode("112") == [0, 0, 1])
        for n in [0, 1, 31, 64, 200] {
            let bytes = (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            #expect(Base58.decode(Base58.encode(bytes)) == bytes)
        }
        #expect(Base58.decode("0OIl") == nil)
    }
}
