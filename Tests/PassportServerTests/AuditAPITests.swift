import Foundation
import HTTPTypes
import PassportAudit
import PassportLedger
import PassportModel
@testable import PassportServer
import Sodium
import Testing

@Suite("HTTP API: checkpoints, proofs, records and C2SP tlog-tiles")
struct AuditAPITests {
    @Test("the checkpoint, inclusion and consistency proofs verify against the ledger's key with PassportAudit")
    func proofs() async throws {
        let h = try ServerHarness()
        let note = try await h.request("/checkpoint").text
        #expect(note == (try h.ledger.latestCheckpoint()))
        let checkpoint = try Checkpoint.open(note, logKey: h.ledger.vkey)
        #expect(checkpoint.size == (try h.ledger.size()))
        #expect(try await h.request("/vkey").text == h.ledger.vkey.description + "\n")
        for index in [0, 7, Int(checkpoint.size) - 1] {
            let r = try await h.request("/proof/inclusion?index=\(index)")
            let o = try #require(r.json.objectValue)
            let hashes = o["hashes"]!.arrayValue!.map { Sodium.base64Decode(ArraySlice($0.stringValue!.utf8))! }
            try Merkle.verifyInclusion(leafHash: Merkle.leafHash(try h.ledger.recordBytes(UInt64(index))), index: UInt64(index),
                treeSize: checkpoint.size, proof: hashes, root: checkpoint.rootHash)
            // The record's own proof bundle is the same proof.
            let bundle = try await h.request("/records/\(index)/proof").text
            #expect(bundle == (try h.ledger.proofBundle(index: UInt64(index))).text)
        }
        let old = try h.ledger.rootHash(size: 50)
        let c = try await h.request("/proof/consistency?from=50")
        let proof = c.json.objectValue!["hashes"]!.arrayValue!.map { Sodium.base64Decode(ArraySlice($0.stringValue!.utf8))! }
        try Merkle.verifyConsistency(oldSize: 50, newSize: checkpoint.size, oldRoot: old, newRoot: checkpoint.rootHash, proof: proof)
        for (uri, code) in [("/proof/inclusion", "bad-query"), ("/proof/inclusion?index=-1", "bad-query"), ("/proof/inclusion?index=99999", "invalid-argument"),
            ("/proof/consistency?from=99999", "invalid-argument"), ("/proof/consistency?from=2&to=1", "invalid-argument"), ("/checkpoint?x=1", "bad-query")]
        {
            let r = try await h.request(uri)
            #expect(r.status == .badRequest, "\(uri) \(r.text)")
            #expect(r.problem?.code == code, "\(uri) \(r.text)")
        }
    }

    @Test("a record goes only to a caller whose tier may see every field in it")
    func recordTiers() async throws {
        let h = try ServerHarness()
        let policy = try h.ledger.accessPolicy()
        var seen: Set<AccessTier> = []
        for index in 0..<(try h.ledger.size()) {
            let bytes = try h.ledger.recordBytes(index)
            let needed = policy.tier(toDisclose: try Record(bytes: bytes).event)
            seen.insert(needed)
            for (token, tier) in [(nil, AccessTier.public), ("legitimate-interest", .legitimateInterest), ("authority", .authority)] where index % 9 == 0 || needed > .public {
                let r = try await h.request("/records/\(index)", token: token)
                if needed <= tier {
                    #expect(r.status == .ok)
                    #expect(r.bytes == bytes)
                } else {
                    #expect(r.status == (token == nil ? .unauthorized : .forbidden), "record \(index) of tier \(needed) to \(tier)")
                    #expect(r.problem?.code == "tier-required")
                    #expect(!r.text.contains("\"event\""))
                }
            }
        }
        #expect(seen.count == 3, "the demo has records of every tier")
    }

    @Test("hash tiles hold the Merkle subtree hashes of the log; entry tiles the records, for a caller who may see them all")
    func tiles() async throws {
        let h = try ServerHarness()
        // Grow the log past 512 records so that a full level-0 tile and a level-1 tile exist.
        var events: [JSONObject] = []
        for i in 0..<420 {
            events.append(["type": "certification.recorded", "subject": "facility/PLANT-T", "sourceRef": .string("T-\(i)"), "createdAt": "2026-11-20T09:00:00Z",
                "validUntil": "2029-09-01T00:00:00Z", "data": ["id": .string("C-\(i)"), "issuer": "Lab", "scheme": "ISO 9001"]])
        }
        let outcomes = try h.ledger.append(unsigned: events, source: "qa-lab")
        #expect(outcomes.allSatisfy { $0.record != nil }, "\(outcomes.first { $0.record == nil }.map { "\($0)" } ?? "")")
        let size = try h.ledger.size()
        #expect(size >= 512)
        let leaves = try (0..<size).map { Merkle.leafHash(try h.ledger.recordBytes($0)) }

        let full = try await h.request("/tile/0/000")
        #expect(full.status == .ok)
        #expect(full.headers[.contentType] == "application/octet-stream")
        #expect(full.headers[.cacheControl]?.contains("immutable") == true)
        #expect(full.bytes == Array(leaves[0..<256].joined()))
        let partialWidth = Int(size % 256)
        let partial = try await h.request("/tile/0/002.p/\(partialWidth)")
        #expect(partial.bytes == Array(leaves[512..<Int(size)].joined()))
        // Level 1: the roots of the first two complete 256-leaf subtrees.
        func root(_ l: ArraySlice<[UInt8]>) -> [UInt8] {
            if l.count == 1 { return l.first! }
            let k = l.count / 2
            return Merkle.nodeHash(root(l.prefix(k)), root(l.suffix(from: l.startIndex + k)))
        }
        let level1 = try await h.request("/tile/1/000.p/2")
        #expect(level1.bytes == root(leaves[0..<256]) + root(leaves[256..<512]))
        // Not there yet: a full tile beyond the log, a wider partial tile.
        #expect(try await h.request("/tile/0/002").status == .notFound)
        #expect(try await h.request("/tile/0/002.p/\(partialWidth + 1)").status == .notFound)
        #expect(try await h.request("/tile/1/000").status == .notFound)

        // The entry tile of the first 256 records holds authority-tier records.
        let anonymous = try await h.request("/tile/entries/000")
        #expect(anonymous.status == .unauthorized)
        #expect(try await h.request("/tile/entries/000", token: "legitimate-interest").status == .forbidden)
        let entries = try await h.request("/tile/entries/000", token: "authority")
        #expect(entries.status == .ok)
        var at = 0
        var records: [[UInt8]] = []
        let b = entries.bytes
        while at < b.count {
            let n = Int(b[at]) << 8 | Int(b[at + 1])
            records.append(Array(b[(at + 2)..<(at + 2 + n)]))
            at += 2 + n
        }
        #expect(records.count == 256)
        #expect(records.map(Merkle.leafHash) == Array(leaves[0..<256]))
        // The facility certifications alone are public: their entry tile is for anyone.
        let last = try await h.request("/tile/entries/002.p/\(partialWidth)")
        #expect(last.status == .ok)
    }

    @Test("tile paths follow C2SP tlog-tiles: 3-digit groups with x prefixes, .p/<W> for partial tiles; anything else is 400")
    func tilePaths() throws {
        func parse(_ p: [Substring]) throws -> (Int?, UInt64, Int) {
            let t = try TilePath(p)
            return (t.level, t.index, t.width)
        }
        #expect(try parse(["0", "000"]) == (0, 0, 256))
        #expect(try parse(["3", "x001", "x234", "067.p", "8"]) == (3, 1_234_067, 8))
        #expect(try parse(["entries", "x123", "456"]) == (nil, 123_456, 256))
        for bad in [["8", "000"], ["0", "0"], ["0", "1234"], ["0", "001", "234"], ["0", "000.p", "0"], ["0", "000.p", "256"], ["0", "000.p", "07"], ["x", "000"], ["0"], ["entries"]] {
            #expect(throws: Problem.self, "\(bad)") { try TilePath(bad.map { Substring($0) }) }
        }
    }
}

