import Foundation
import Hummingbird
import PassportAudit
import PassportLedger
import PassportModel

extension PassportServer {
    /// The issuer's DID (`did:web`) for the public URL: `https://id.example.com` is
    /// `did:web:id.example.com`, `http://localhost:8080` is `did:web:localhost%3A8080`.
    var issuerDID: String {
        let url = URL(string: configuration.baseURL)
        var host = url?.host ?? "localhost"
        if let port = url?.port { host += "%3A\(port)" }
        return "did:web:" + host
    }

    /// `/.well-known/did.json`: the issuer's DID document, with the ledger key as a Multikey.
    func addCredentialRoutes(to router: Router<ServerContext>) {
        route(router, .get, "/.well-known/did.json") { request, _ in
            _ = try Query(request, allowed: [])
            let did = self.issuerDID
            let method: JSONValue = ["id": .string(did + "#ledger"), "type": "Multikey", "controller": .string(did),
                "publicKeyMultibase": .string(DataIntegrity.multikey(self.ledger.vkey.publicKey))]
            return Reply.json([
                "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
                "id": .string(did), "verificationMethod": [method], "assertionMethod": [.string(did + "#ledger")],
            ], headers: [.cacheControl: "public, max-age=3600"], type: "application/did+json")
        }
    }

    /// The passport as a W3C Verifiable Credential (VC Data Model 2.0), issued by the ledger's
    /// `did:web` and secured with an `eddsa-jcs-2022` Data Integrity proof by the ledger key.
    func credential(_ id: Subject, _ request: Request, _ caller: Caller) async throws -> Response {
        let (view, asOf, validAt) = try passportQuery(request, caller)
        let passport = try await passportValue(id, asOf: asOf, validAt: validAt, view: view)
        let tag = PassportCache.render(passport).tag
        let base = configuration.baseURL
        let did = issuerDID
        let json = passport.json.objectValue ?? [:]
        let context: JSONValue = ["https://www.w3.org/ns/credentials/v2", "https://test.uncefact.org/vocabulary/untp/dpp/0.5.0/"]
        let subject: JSONObject = [
            "id": .string("\(base)/\(id.rawValue)"), "type": ["Product"], "granularity": .string(id.kind.rawValue),
            "view": .string(view.rawValue), "validAt": .string(passport.validAt.description),
            "passport": json["passport"] ?? [:], "provenance": json["provenance"] ?? [:],
            "checkpoint": .string("\(base)/checkpoint"),
        ]
        let document: JSONObject = [
            "@context": context, "type": ["VerifiableCredential", "DigitalProductPassport"],
            "id": .string("\(base)/passports/\(id.rawValue)/credential#\(tag.trimmingCharacters(in: CharacterSet(charactersIn: "\"")))"),
            "issuer": ["id": .string(did), "name": .string(ledger.origin)],
            "validFrom": .string(passport.asOf.description), "credentialSubject": .object(subject),
        ]
        let options: JSONObject = ["type": "DataIntegrityProof", "cryptosuite": .string(DataIntegrity.cryptosuite),
            "created": .string(Timestamp.now().description), "verificationMethod": .string(did + "#ledger"), "proofPurpose": "assertionMethod",
            "@context": context]
        let ledger = self.ledger
        let secured = try await blocking { try DataIntegrity.secure(document, options: options) { try ledger.signCredential(hashData: $0) } }
        return Reply.json(.object(secured), headers: [.vary: "Authorization", .eTag: tag], type: "application/vc")
    }
}
