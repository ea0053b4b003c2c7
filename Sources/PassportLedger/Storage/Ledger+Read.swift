import Foundation
import LMDB
import PassportAudit
import PassportModel
import Sodium

extension Ledger {
    /// Number of records (the Merkle tree size).
    public func size() throws -> UInt64 {
        try env.read { txn in try txn.get(Keys.metaSize, in: dbs.meta).map(Keys.readU64) ?? 0 }
    }

    /// A number that changes with every write committed to the store, by this process or another
    /// (LMDB's last transaction ID). Reading it takes no transaction and never waits, so a server
    /// may check it on an event loop to know whether anything it derived from the store still holds.
    public func commitID() throws -> Int {
        do { return try env.lastTransactionID } catch {
            throw LedgerError(.io, "the store cannot report its last commit: \(error)", underlying: error)
        }
    }

    /// The canonical bytes of record `index`.
    /// - Throws: ``LedgerError`` `not-found` if there is no such record.
    public func recordBytes(_ index: UInt64) throws -> [UInt8] {
        guard let b = try env.read({ txn in try txn.get(Keys.u64(index), in: dbs.records) }) else {
            throw LedgerError(.notFound, "no record \(index); the log has \(try size()) records (0–\(max(0, Int(try size()) - 1)))")
        }
        return b
    }

    /// Record `index`, parsed.
    public func record(_ index: UInt64) throws -> Record {
        try Record(bytes: try recordBytes(index))
    }

    /// A subject's records in seq order.
    /// - Throws: ``LedgerError`` `not-found` if the subject has none.
    public func history(_ subject: Subject) throws -> [Record] {
        let prefix = Array(subject.rawValue.utf8) + [0]
        let records: [Record] = try env.read { txn in
            var out: [Record] = []
            try txn.forEach(under: prefix, in: dbs.subjects) { seq, v in
                guard seq.count == 8 else { return }
                let index = Keys.readU64(v)
                guard let b = try txn.get(Keys.u64(index), in: dbs.records) else {
                    throw LedgerError(.notAStore, "record \(index) of \(subject) is missing; run dpp verify")
                }
                out.append(try Record(bytes: b))
            }
            return out
        }
        if records.isEmpty { throw LedgerError(.notFound, "subject \(subject) has no records") }
        return records
    }

    /// Whether `subject` has a record: one index lookup, no record read (cheaper than
    /// ``history(_:)`` for an existence check).
    /// - Complexity: O(log n) in the number of records.
    public func hasRecords(_ subject: Subject) throws -> Bool {
        try env.read { txn in try txn.get(Keys.subject(subject.rawValue, 1), in: dbs.subjects) != nil }
    }

    /// The latest signed checkpoint note.
    public func latestCheckpoint() throws -> String {
        try env.read { txn in
            try txn.withCursor(dbs.checkpoints) { c in
                try c.move(.last) { _, v in String(decoding: v, as: UTF8.self) }
            }
        } ?? { throw LedgerError(.notFound, "the store has no checkpoint yet") }()
    }

    /// The signed checkpoint stored for tree size `size`, if one was signed at that size.
    public func checkpoint(size: UInt64) throws -> String? {
        try env.read { txn in try txn.get(Keys.u64(size), in: dbs.checkpoints).map { String(decoding: $0, as: UTF8.self) } }
    }

    /// The tlog-proof bundle of record `index` against the checkpoint at `size` (default: latest).
    /// If no checkpoint was stored at `size`, the ledger signs one for that size (it needs the ledger key).
    public func proofBundle(index: UInt64, size requested: UInt64? = nil) throws -> ProofBundle {
        let current = try size()
        let size = requested ?? current
        guard size <= current else { throw LedgerError(.invalidArgument, "tree size \(size) is larger than the log (\(current) records)") }
        guard index < size else { throw LedgerError(.invalidArgument, "record \(index) is not in the tree of size \(size)") }
        return try env.read { txn in
            let prover = MerkleProver(source: StoredNodes(txn: txn, db: dbs.nodes))
            let proof = try prover.inclusionProof(index: index, size: size)
            let note: String
            if let stored = try txn.get(Keys.u64(size), in: dbs.checkpoints) {
                note = String(decoding: stored, as: UTF8.self)
            } else {
                note = try ledgerSigner().sign(text: Checkpoint(origin: origin, size: size, rootHash: try prover.root(size: size)).text)
            }
            return ProofBundle(index: index, proof: proof, checkpointNote: note)
        }
    }

    /// The consistency proof between two tree sizes (default `to`: latest).
    public func consistencyProof(from old: UInt64, to new: UInt64? = nil) throws -> [[UInt8]] {
        let current = try size()
        let new = new ?? current
        guard old <= new, new <= current else {
            throw LedgerError(.invalidArgument, "need 0 ≤ from ≤ to ≤ \(current) (the log's size); got from \(old), to \(new)")
        }
        return try env.read { txn in
            try MerkleProver(source: StoredNodes(txn: txn, db: dbs.nodes)).consistencyProof(old: old, new: new)
        }
    }

    /// The hashes of a C2SP tlog-tiles hash tile: the `width` subtree hashes at Merkle height
    /// 8·`level`, positions 256·`index` ..< 256·`index` + `width`, concatenated (32 bytes each).
    /// - Parameters:
    ///   - level: the tile level (0 holds leaf hashes), 0–7.
    ///   - index: the tile's position in its level.
    ///   - width: 1–256; a tile narrower than 256 is a partial tile.
    /// - Throws: ``LedgerError`` `not-found` if the log does not yet have that many hashes there.
    public func tileHashes(level: Int, index: UInt64, width: Int) throws -> [UInt8] {
        guard (0...7).contains(level), (1...256).contains(width), index <= UInt64.max / 256 else {
            throw LedgerError(.invalidArgument, "a tile is at level 0–7 with width 1–256")
        }
        return try env.read { txn in
            let size = try txn.get(Keys.metaSize, in: dbs.meta).map(Keys.readU64) ?? 0
            let available = size >> UInt64(8 * level)
            let first = index * 256
            guard first + UInt64(width) <= available else {
                throw LedgerError(.notFound, "no tile \(level)/\(index) of width \(width): the log of \(size) records has \(available) hashes at level \(level)")
            }
            var out: [UInt8] = []
            out.reserveCapacity(32 * width)
            let nodes = StoredNodes(txn: txn, db: dbs.nodes)
            for i in 0..<UInt64(width) { out += try nodes.subtreeHash(level: 8 * level, index: first + i) }
            return out
        }
    }

    /// The Merkle root at a tree size.
    public func rootHash(size: UInt64) throws -> [UInt8] {
        try env.read { txn in try MerkleProver(source: StoredNodes(txn: txn, db: dbs.nodes)).root(size: size) }
    }

    /// Calls `body` with every record's canonical bytes in index order.
    public func forEachRecord(_ body: (UInt64, UnsafeRawBufferPointer) throws -> Void) throws {
        try env.read { txn in try forEachRecord(in: txn, body) }
    }

    /// ``forEachRecord(_:)`` inside a transaction the caller holds.
    func forEachRecord(in txn: Transaction, _ body: (UInt64, UnsafeRawBufferPointer) throws -> Void) throws {
        try txn.withCursor(dbs.records) { c in
            var pos: Cursor.Position = .first
            while try c.move(pos, { k, v in try body(Keys.readU64(k), v) }) != nil { pos = .next }
        }
    }

    /// The bytes of an attachment.
    /// - Throws: ``LedgerError`` `not-found` if no blob has that hash.
    public func blob(sha256 hex: String) throws -> [UInt8] {
        guard Hex.isLowercaseHex(hex, bytes: 32), let key = Hex.decode(hex) else {
            throw LedgerError(.invalidArgument, "\"\(hex)\" is not a SHA-256 (64 lowercase hex digits)")
        }
        guard let b = try env.read({ txn in try txn.get(key, in: dbs.blobs) }) else {
            throw LedgerError(.notFound, "no attachment with SHA-256 \(hex) in this store")
        }
        return b
    }

    /// Stores several blobs in one transaction (input kept whole that no record attaches, such as
    /// EPCIS events the passport does not show); returns their hex SHA-256s.
    @discardableResult
    public func putBlobs(_ blobs: [[UInt8]]) throws -> [String] {
        for b in blobs where b.count > options.maxAttachmentSize {
            throw LedgerError(.tooLarge, "a blob is \(b.count) bytes; the attachment limit is \(options.maxAttachmentSize)")
        }
        let hashes = blobs.map { SHA256.hash($0) }
        try writeGrowingMap(what: "no blob was stored", minimumGrowth: blobs.reduce(64 << 20) { $0 + $1.count }) { txn in
            for (h, b) in zip(hashes, blobs) { try txn.put(h, b, in: dbs.blobs) }
        }
        return hashes.map(Hex.encode)
    }

    /// Stores bytes in the blob store (for pre-signed events that attach them by hash); returns the hex SHA-256.
    @discardableResult
    public func putBlob(_ bytes: [UInt8]) throws -> String {
        guard bytes.count <= options.maxAttachmentSize else {
            throw LedgerError(.tooLarge, "the file is \(bytes.count) bytes; the attachment limit is \(options.maxAttachmentSize)")
        }
        let hash = SHA256.hash(bytes)
        try writeGrowingMap(what: "the blob was not stored", minimumGrowth: bytes.count + (64 << 20)) { txn in
            try txn.put(hash, bytes, in: dbs.blobs)
        }
        return Hex.encode(hash)
    }

    /// The last position consumed from a source stream (written with the outcome of the
    /// submission that carried it, in the same transaction), or nil if none. A consumer resumes
    /// after it: whatever it redelivers from before is already in the log or in quarantine.
    public func sourcePosition(_ stream: String) throws -> [UInt8]? {
        try env.read { txn in try txn.get(Keys.metaPosition(stream), in: dbs.meta) }
    }

    /// Every source stream whose name starts with `prefix`, with its last position, in stream
    /// order: where each Kafka partition (`kafka/…`) or change-stream row (`debezium/…`) stands
    /// (what `dpp positions` lists).
    public func sourcePositions(prefix: String = "") throws -> [(stream: String, value: [UInt8])] {
        try env.read { txn in
            var out: [(stream: String, value: [UInt8])] = []
            try txn.forEach(under: Keys.metaPosition(prefix), in: dbs.meta) { rest, value in
                out.append((prefix + String(decoding: rest, as: UTF8.self), [UInt8](value)))
            }
            return out
        }
    }

    /// The record a source's `sourceRef` names (its idempotency key), if it is in the log.
    public func recordIndex(source: String, sourceRef: String) throws -> UInt64? {
        try env.read { txn in try txn.get(Keys.idempotency(source, sourceRef), in: dbs.idempotency).map(Keys.readU64) }
    }

    /// The submission that commits input a connector received but that states no passport fact
    /// (an EPCIS observation): an `input.kept` event signed by the ledger, attaching the bytes, so
    /// that they are in the hash chain. Its `sourceRef` is `input.kept/<sha256>`: the same input kept
    /// again is a duplicate (check ``recordIndex(source:sourceRef:)`` first to skip the work).
    /// - Parameters:
    ///   - bytes: the input, stored as the attachment.
    ///   - connector: the connector that received it; `source`: for whom; `origin`: where from.
    ///   - reason: why no passport event came of it.
    ///   - at: when it was received (the event's createdAt).
    public func keptInput(
        _ bytes: [UInt8], connector: String, source: String, origin: String, reason: String, mediaType: String, name: String, at: Timestamp
    ) throws -> Submission {
        let sha = Hex.encode(SHA256.hash(bytes))
        var s = try systemEvent(
            type: "input.kept", sourceRef: Ledger.keptInputRef(sha),
            data: ["connector": .string(connector), "source": .string(source), "origin": .string(origin), "sha256": .string(sha),
                "reason": .string(String(reason.prefix(1000)))],
            attachments: [Attachment(sha256: sha, mediaType: mediaType, name: name)], createdAt: at)
        s.blobs = [bytes]
        s.origin = origin
        return s
    }

    /// The `sourceRef` of kept input with this SHA-256.
    public static func keptInputRef(_ sha256: String) -> String { "input.kept/\(sha256)" }
}
