import Foundation
import LMDB
import PassportAudit
import PassportModel
import Sodium

/// The first thing `verify` found wrong.
public struct VerifyProblem: Error, Sendable, Hashable, CustomStringConvertible {
    /// The record index where the problem is, if it is tied to one.
    public let index: UInt64?
    /// What is wrong.
    public let reason: String

    public var description: String {
        if let index { return "record \(index): \(reason)" }
        return reason
    }
}

/// The result of ``Ledger/verify(trustedKey:progress:)``.
public struct VerifyReport: Sendable {
    /// Records checked.
    public var records: UInt64 = 0
    /// Checkpoints checked.
    public var checkpoints = 0
    /// Distinct attachments checked.
    public var attachments = 0
    /// The first problem, or nil if the store is intact.
    public var problem: VerifyProblem?
    /// True if the store is intact.
    public var isIntact: Bool { problem == nil }
}

private struct Checked: Sendable {
    let index: UInt64
    let bytes: [UInt8]
    var record: Result<Record, VerifyProblem>
    var leafHash: [UInt8] = []
    var signatureValid: Bool?
}

extension Ledger {
    /// Recomputes everything from the stored bytes: canonical form, record fields, per-subject hash
    /// chains, signatures with the keys in force at each record, the indexes, every Merkle node,
    /// every checkpoint's signature and root, and every attachment's hash. Stops at the first problem.
    /// - Parameters:
    ///   - trustedKey: the ledger vkey to trust (default: the one in the store).
    ///   - progress: called now and then with (records checked, total).
    public func verify(trustedKey: NoteVerifierKey? = nil, progress: ((UInt64, UInt64) -> Void)? = nil) throws -> VerifyReport {
        try env.read { txn in try verify(txn, trusted: trustedKey ?? vkey, progress: progress) }
    }

    private func verify(_ txn: Transaction, trusted: NoteVerifierKey, progress: ((UInt64, UInt64) -> Void)?) throws -> VerifyReport {
        var report = VerifyReport()
        func fail(_ index: UInt64?, _ reason: String) -> VerifyReport {
            report.problem = VerifyProblem(index: index, reason: reason)
            return report
        }
        guard trusted == vkey else {
            return fail(nil, "the store's ledger key \(vkey.reference) is not the trusted key \(trusted.reference)")
        }
        let total = try txn.get(Keys.metaSize, in: dbs.meta).map(Keys.readU64) ?? 0
        var governance = GovernanceState()
        var policies: [UInt64: JSONValue] = [:]
        var expectedFacts = 0
        var expectedEdges = 0
        var relations: Set<[UInt8]> = []
        var publicKeys: [String: Ed25519.PublicKey] = [:]
        var heads: [String: (seq: UInt64, leaf: [UInt8])] = [:]
        var frontier = MerkleFrontier()
        var lastRecordedAt = Timestamp(microsecondsSinceEpoch: .min)
        var verifiedBlobs = Set<String>()
        var checkpoints: [(UInt64, [UInt8])] = []
        try txn.withCursor(dbs.checkpoints) { c in
            var pos: Cursor.Position = .first
            while let e = try c.move(pos, { k, v in (Keys.readU64(k), [UInt8](v)) }) {
                checkpoints.append(e)
                pos = .next
            }
        }
        var nextCheckpoint = 0
        var expected: UInt64 = 0

        func checkCheckpoints() -> VerifyProblem? {
            while nextCheckpoint < checkpoints.count, checkpoints[nextCheckpoint].0 <= frontier.size {
                let (size, note) = checkpoints[nextCheckpoint]
                nextCheckpoint += 1
                guard size == frontier.size else {
                    return VerifyProblem(index: nil, reason: "checkpoint stored under size \(size) was skipped by the records")
                }
                do {
                    let cp = try Checkpoint.open(String(decoding: note, as: UTF8.self), logKey: trusted, origin: origin)
                    guard cp.size == size else {
                        return VerifyProblem(index: nil, reason: "checkpoint stored under size \(size) says size \(cp.size)")
                    }
                    guard cp.rootHash == frontier.root else {
                        return VerifyProblem(
                            index: nil, reason: "checkpoint at size \(size) has root \(Base64.encode(cp.rootHash)) but the records give \(Base64.encode(frontier.root))")
                    }
                } catch {
                    return VerifyProblem(index: nil, reason: "checkpoint at size \(size) does not verify: \(error)")
                }
                report.checkpoints += 1
            }
            return nil
        }

        let chunkSize = 2048
        var done = false
        var position: Cursor.Position = .first
        while !done {
            // Read a chunk of records.
            var chunk: [Checked] = []
            try txn.withCursor(dbs.records) { c in
                var pos = position
                while chunk.count < chunkSize, let item = try c.move(pos, { k, v in (k.count == 8 ? Keys.readU64(k) : UInt64.max, [UInt8](v)) }) {
                    chunk.append(Checked(index: item.0, bytes: item.1, record: .failure(VerifyProblem(index: item.0, reason: "unchecked"))))
                    pos = .next
                }
            }
            if chunk.count < chunkSize { done = true }
            guard let lastIndex = chunk.last?.index else { break }
            position = .atOrAfter(Keys.u64(lastIndex &+ 1))
            if lastIndex == UInt64.max { done = true }
            // Parallel: parse, canonical check, leaf hash, signature with keys known so far.
            let keysSnapshot = publicKeys
            let checked = parallelMap(chunk) { item -> Checked in
                var item = item
                do {
                    let r = try Record(bytes: item.bytes, requireCanonical: true)
                    item.record = .success(r)
                    if let pk = keysSnapshot[r.signature.key] {
                        item.signatureValid = pk.isValidSignature(r.signature.sig, for: r.event.signatureInput)
                    }
                } catch {
                    item.record = .failure(VerifyProblem(index: item.index, reason: "record is malformed: \(error)"))
                }
                item.leafHash = Merkle.leafHash(item.bytes)
                return item
            }
            // Sequential: everything that depends on order.
            for item in checked {
                guard item.index == expected else {
                    return fail(expected, item.index == UInt64.max ? "a record key is malformed" : "record \(expected) is missing (next stored is \(item.index))")
                }
                let record: Record
                switch item.record {
                case .success(let r): record = r
                case .failure(let p): report.problem = p
                    return report
                }
                let i = item.index
                guard record.index == i else { return fail(i, "record says index \(record.index)") }
                guard record.recordedAt >= lastRecordedAt else {
                    return fail(i, "recordedAt \(record.recordedAt) is earlier than the previous record's \(lastRecordedAt)")
                }
                lastRecordedAt = record.recordedAt
                let subject = record.subject.rawValue
                let head = heads[subject]
                guard record.seq == (head?.seq ?? 0) + 1 else {
                    return fail(i, "seq \(record.seq) breaks \(subject)'s stream (expected \((head?.seq ?? 0) + 1))")
                }
                guard record.prev == head?.leaf else { return fail(i, "prev does not match \(subject)'s previous record (hash chain broken)") }
                heads[subject] = (record.seq, item.leafHash)
                guard try txn.get(Keys.subject(subject, record.seq), in: dbs.subjects).map(Keys.readU64) == i else {
                    return fail(i, "the subject index does not point to this record")
                }
                guard try txn.get(Keys.idempotency(record.event.source, record.event.sourceRef), in: dbs.idempotency).map(Keys.readU64) == i else {
                    return fail(i, "the idempotency index does not point to this record")
                }
                // The derived passport index must say exactly what this record states; a doctored
                // index could otherwise make a passport show another (signed) record's value.
                for fact in Fact.of(record, sourceKind: governance.keys[record.signature.key]?.kind) {
                    guard try txn.get(FactIndex.key(record.subject.rawValue, fact), in: dbs.facts) == FactIndex.value(fact) else {
                        return fail(i, "the passport index entry for \(fact.field)\(fact.key.map { "[\($0)]" } ?? "") does not match the record; rebuild it with dpp reindex")
                    }
                    expectedFacts += 1
                }
                // And the trace index every edge this record states.
                if let trace = dbs.trace {
                    for (k, v) in TraceIndex.entries(record) {
                        guard let stored = try txn.get(k, in: trace) else {
                            return fail(i, "the trace index lacks an edge this record states; rebuild it with dpp reindex")
                        }
                        guard stored == v else {
                            return fail(i, "the trace index's edge from this record does not say what the record states; rebuild it with dpp reindex")
                        }
                        expectedEdges += 1
                    }
                    // A relation is stored once, with the first record that states it.
                    for k in TraceIndex.relations(record) where relations.insert(k).inserted {
                        guard try txn.get(k, in: trace) == Keys.u64(i) else {
                            return fail(i, "the trace index lacks a relation this record is the first to state, or names another record; rebuild it with dpp reindex")
                        }
                        expectedEdges += 1
                    }
                }
                if i == 0, record.event.data["vkey"]?.stringValue != trusted.description {
                    return fail(0, "record 0 registers a ledger key other than the trusted one")
                }
                // Judged by the keys, permissions and ownership policy in force when it was recorded.
                switch governance.admit(record, signatureVerified: item.signatureValid == true) {
                case .failure(let problem): return fail(i, problem.description)
                case .success(.register(let e)?): publicKeys[e.vkey.reference] = e.vkey.publicKey
                case .success(.policy(let p)?): policies[i] = Ledger.policyEntry(p, recordedAt: record.recordedAt)
                case .success: break
                }
                for a in record.event.attachments where !verifiedBlobs.contains(a.sha256) {
                    guard let blob = try txn.get(Hex.decode(a.sha256)!, in: dbs.blobs) else {
                        return fail(i, "attachment \(a.sha256) (\(a.name)) is missing from the blob store")
                    }
                    guard Hex.encode(SHA256.hash(blob)) == a.sha256 else {
                        return fail(i, "attachment \(a.name) does not match its SHA-256 \(a.sha256): its bytes were altered")
                    }
                    verifiedBlobs.insert(a.sha256)
                    report.attachments += 1
                }
                for node in frontier.append(leafHash: item.leafHash) {
                    guard try txn.get(Keys.node(level: node.level, index: node.index), in: dbs.nodes) == node.hash else {
                        return fail(i, "Merkle node at level \(node.level), index \(node.index) does not match the records")
                    }
                }
                if let p = checkCheckpoints() {
                    report.problem = p
                    return report
                }
                expected += 1
                report.records += 1
                if expected % 16384 == 0 { progress?(expected, total) }
            }
        }
        progress?(expected, total)
        guard expected == total else { return fail(nil, "the store says it holds \(total) records but \(expected) were found") }
        if nextCheckpoint < checkpoints.count {
            return fail(nil, "a checkpoint claims size \(checkpoints[nextCheckpoint].0), beyond the \(total) records")
        }
        if total > 0, checkpoints.last?.0 != total { return fail(nil, "there is no checkpoint for the latest tree size \(total)") }
        let storedFacts = try txn.count(dbs.facts)
        if storedFacts != expectedFacts {
            return fail(nil, "the passport index has \(storedFacts) entries but the records state \(expectedFacts); rebuild it with dpp reindex")
        }
        if let trace = dbs.trace, try txn.count(trace) != expectedEdges {
            return fail(nil, "the trace index has \(try txn.count(trace)) edges but the records state \(expectedEdges); rebuild it with dpp reindex")
        }
        // The derived key table must equal the replay of the system subject.
        var stored = 0
        try txn.withCursor(dbs.keys) { c in
            var pos: Cursor.Position = .first
            while let e = try c.move(pos, { k, v in (String(decoding: k, as: UTF8.self), [UInt8](v)) }) {
                stored += 1
                if report.problem == nil, governance.keys[e.0].map({ CanonicalJSON.encode($0.json) }) != e.1 {
                    report.problem = VerifyProblem(index: nil, reason: "the key table entry for \(e.0) does not match the system subject's history")
                }
                pos = .next
            }
        }
        if report.problem == nil, stored != governance.keys.count {
            return fail(nil, "the key table has \(stored) keys but the system subject registers \(governance.keys.count)")
        }
        // So must the policy table.
        var storedPolicies = 0
        try txn.withCursor(dbs.policies) { c in
            var pos: Cursor.Position = .first
            while let e = try c.move(pos, { k, v in (Keys.readU64(k), [UInt8](v)) }) {
                storedPolicies += 1
                if report.problem == nil, policies[e.0].map({ CanonicalJSON.encode($0) }) != e.1 {
                    report.problem = VerifyProblem(index: e.0, reason: "the policy table entry does not match the system subject's history")
                }
                pos = .next
            }
        }
        if report.problem == nil, storedPolicies != policies.count {
            return fail(nil, "the policy table has \(storedPolicies) policies but the system subject records \(policies.count)")
        }
        return report
    }
}
