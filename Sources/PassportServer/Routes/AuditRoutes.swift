import Foundation
import Hummingbird
import PassportAudit
import PassportLedger
import PassportModel
import Sodium

extension PassportServer {
    /// Records, proofs, checkpoints and C2SP tlog-tiles.
    ///
    /// Public: checkpoints, inclusion and consistency proofs (hashes only), hash tiles. A record or
    /// an entry tile reveals content: only a caller whose tier may see every field in it gets it.
    func addAuditRoutes(to router: Router<ServerContext>) {
        route(router, .get, "/checkpoint") { request, _ in
            _ = try Query(request, allowed: [])
            let ledger = self.ledger
            let note = try await self.blocking { try ledger.latestCheckpoint() }
            return Reply.text(note, headers: [.cacheControl: "no-cache"])
        }
        route(router, .get, "/vkey") { request, _ in
            _ = try Query(request, allowed: [])
            return Reply.text(self.ledger.vkey.description + "\n", headers: [.cacheControl: "public, max-age=3600"])
        }
        route(router, .get, "/records/:index") { request, context in
            let caller = try self.caller(request)
            _ = try Query(request, allowed: [])
            let index = try recordIndex(context)
            let ledger = self.ledger
            let policies = self.policies
            let (bytes, needed) = try await self.blocking { () -> ([UInt8], AccessTier) in
                let bytes = try ledger.recordBytes(index)
                return (bytes, try policies.current().tier(toDisclose: try Record(bytes: bytes).event))
            }
            try caller.require(needed, for: "record \(index), which carries fields of tier \(needed.rawValue),")
            return Reply.bytes(bytes, headers: [.cacheControl: needed == .public ? "public, max-age=31536000, immutable" : "private, max-age=31536000, immutable"],
                type: "application/json")
        }
        route(router, .get, "/records/:index/proof") { request, context in
            let q = try Query(request, allowed: ["size"])
            let index = try recordIndex(context)
            let size = try q.count("size")
            let ledger = self.ledger
            let bundle = try await self.blocking { try ledger.proofBundle(index: index, size: size) }
            return Reply.text(bundle.text, headers: [.cacheControl: size == nil ? "no-cache" : "public, max-age=31536000, immutable"])
        }
        route(router, .get, "/proof/inclusion") { request, _ in
            let q = try Query(request, allowed: ["index", "size"])
            guard let index = try q.count("index") else { throw Problem(.badRequest, "bad-query", "index is required: the record's position in the log") }
            let size = try q.count("size")
            let ledger = self.ledger
            let bundle = try await self.blocking { try ledger.proofBundle(index: index, size: size) }
            let checkpoint = try Checkpoint(text: try SignedNote(parsing: bundle.checkpointNote).text)
            return Reply.json([
                "index": .number(JSONNumber(Int(index))), "size": .number(JSONNumber(Int(checkpoint.size))),
                "rootHash": .string(base64(checkpoint.rootHash)), "hashes": .array(bundle.proof.map { .string(base64($0)) }),
                "checkpoint": .string(bundle.checkpointNote),
            ])
        }
        route(router, .get, "/proof/consistency") { request, _ in
            let q = try Query(request, allowed: ["from", "to"])
            guard let from = try q.count("from") else { throw Problem(.badRequest, "bad-query", "from is required: the tree size the caller already holds") }
            let to = try q.count("to")
            let ledger = self.ledger
            let (proof, size) = try await self.blocking { () -> ([[UInt8]], UInt64) in
                let size = try to ?? ledger.size()
                return (try ledger.consistencyProof(from: from, to: size), size)
            }
            return Reply.json(["from": .number(JSONNumber(Int(from))), "to": .number(JSONNumber(Int(size))), "hashes": .array(proof.map { .string(base64($0)) })])
        }
        route(router, .get, "/tile/**") { request, _ in
            let caller = try self.caller(request)
            _ = try Query(request, allowed: [])
            guard let parts = segments(request, after: "/tile/") else { throw Problem(.notFound, "no-route", "no such tile") }
            let tile = try TilePath(parts)
            let ledger = self.ledger
            let policies = self.policies
            let cache: HTTPFields = [.cacheControl: tile.width == 256 ? "public, max-age=31536000, immutable" : "no-cache"]
            guard let level = tile.level else {
                let (bundle, needed) = try await self.blocking { () -> ([UInt8], AccessTier) in
                    let size = try ledger.size()
                    let first = tile.index * 256
                    guard first + UInt64(tile.width) <= size else {
                        throw LedgerError(.notFound, "no entry tile \(tile.index) of width \(tile.width): the log has \(size) records")
                    }
                    let policy = try policies.current()
                    var out: [UInt8] = []
                    var needed = AccessTier.public
                    for i in first..<(first + UInt64(tile.width)) {
                        let bytes = try ledger.recordBytes(i)
                        needed = max(needed, policy.tier(toDisclose: try Record(bytes: bytes).event))
                        out += [UInt8(bytes.count >> 8), UInt8(bytes.count & 0xFF)] + bytes
                    }
                    return (out, needed)
                }
                try caller.require(needed, for: "entry tile \(tile.index), which holds records with fields of tier \(needed.rawValue),")
                var h = cache
                if needed != .public { h[.cacheControl] = h[.cacheControl]!.replacingOccurrences(of: "public", with: "private") }
                return Reply.bytes(bundle, headers: h, type: "application/octet-stream")
            }
            let hashes = try await self.blocking { try ledger.tileHashes(level: level, index: tile.index, width: tile.width) }
            return Reply.bytes(hashes, headers: cache, type: "application/octet-stream")
        }
    }
}

func recordIndex(_ context: ServerContext) throws -> UInt64 {
    let text = context.parameters.get("index") ?? ""
    guard let n = UInt64(text), text.utf8.first != UInt8(ascii: "+"), n <= UInt64(Int64.max) else {
        throw Problem(.badRequest, "bad-index", "a record index is a whole number ≥ 0, got \(text)")
    }
    // One spelling per record, so that caches and links agree.
    guard String(n) == text else { throw Problem(.badRequest, "bad-index", "write the record index as \(n), without leading zeros (got \(text))") }
    return n
}

func base64(_ bytes: [UInt8]) -> String { String(decoding: Sodium.base64(bytes), as: UTF8.self) }

/// A C2SP tlog-tiles path after `/tile/`: `<L>/<N>[.p/<W>]` or `entries/<N>[.p/<W>]`, with `<N>`
/// in groups of three digits, all but the last prefixed `x` (`x001/x234/067`).
struct TilePath: Equatable {
    /// The hash tile level, or nil for an entry tile.
    let level: Int?
    let index: UInt64
    let width: Int

    init(_ parts: [Substring]) throws {
        func bad(_ why: String) -> Problem {
            Problem(.badRequest, "bad-tile", "\(why); a tile path is tile/<L>/<N>[.p/<W>] or tile/entries/<N>[.p/<W>], <N> in 3-digit groups such as x001/x234/067 (C2SP tlog-tiles)")
        }
        guard let first = parts.first else { throw bad("no tile level") }
        if first == "entries" {
            level = nil
        } else {
            guard let l = Int(first), first.utf8.count == 1, (0...7).contains(l) else { throw bad("the level must be one digit 0–7 or entries, got \(first)") }
            level = l
        }
        var rest = Array(parts.dropFirst())
        var width = 256
        if rest.count >= 2, rest[rest.count - 2].hasSuffix(".p") {
            let w = rest.removeLast()
            guard let n = Int(w), w.utf8.count <= 3, w.utf8.first != UInt8(ascii: "0"), (1...255).contains(n) else {
                throw bad("a partial tile's width must be 1–255 without leading zeros, got \(w)")
            }
            width = n
            rest[rest.count - 1] = rest[rest.count - 1].dropLast(2)
        }
        guard !rest.isEmpty, rest.count <= 7 else { throw bad("no tile index") }
        var index: UInt64 = 0
        for (i, group) in rest.enumerated() {
            var g = group
            if i < rest.count - 1 {
                guard g.first == "x" else { throw bad("every group of the index but the last starts with x, got \(group)") }
                g = g.dropFirst()
            }
            guard g.utf8.count == 3, let n = UInt64(g) else { throw bad("each group of the index is three digits, got \(group)") }
            let (m, o1) = index.multipliedReportingOverflow(by: 1000)
            let (s, o2) = m.addingReportingOverflow(n)
            guard !o1, !o2 else { throw bad("the tile index is too large") }
            index = s
        }
        self.index = index
        self.width = width
    }
}
