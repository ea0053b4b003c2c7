import Foundation
import LMDB
import PassportAudit
import PassportModel
import Sodium

extension Ledger {
    /// Appends submissions; waits until they are durable. Outcomes are in input order.
    ///
    /// Signatures are checked in parallel before the write; everything else (keys in force,
    /// idempotency, `expectedSeq`, attachments, size) inside the single write transaction that
    /// also updates the Merkle index, signs a checkpoint and keeps rejected input in quarantine.
    /// - Parameters:
    ///   - submissions: the inputs, each with the source positions it carries.
    ///   - positions: source positions of input that yielded no submission (a tombstone, a skipped
    ///     change), written in the same transaction after the submissions' own, whatever their
    ///     outcomes (their ``SourcePosition/condition`` does not apply).
    /// - Throws: ``LedgerError`` only if the batch could not be committed at all (e.g. `store-full`);
    ///   rejections of single events are outcomes, not errors. Then no position was written either.
    public func append(_ submissions: [Submission], positions: [SourcePosition] = []) async throws -> [AppendOutcome] {
        let verified = try precheck(submissions)
        let committer = self.committer
        return try await withCheckedThrowingContinuation { cont in
            committer.submit(submissions, verifiedKeys: verified, positions: positions) { cont.resume(with: $0) }
        }
    }

    /// Blocking form of ``append(_:positions:)`` for synchronous callers (command-line tools, tests).
    public func appendSync(_ submissions: [Submission], positions: [SourcePosition] = []) throws -> [AppendOutcome] {
        try startAppend(submissions, positions: positions).wait()
    }

    /// Checks signatures and hands the submissions to the writer without waiting for the commit,
    /// so a bulk loader can prepare the next batch while this one is written. The writer commits
    /// in the order it is handed work: what is started later is never durable before this.
    /// - Parameters:
    ///   - submissions: the inputs, each with the source positions it carries.
    ///   - positions: positions written after the submissions' own, whatever their outcomes (see
    ///     ``append(_:positions:)``).
    /// - Returns: a handle whose ``PendingAppend/wait()`` returns the outcomes once durable.
    public func startAppend(_ submissions: [Submission], positions: [SourcePosition] = []) throws -> PendingAppend {
        let verified = try precheck(submissions)
        let pending = PendingAppend()
        committer.submit(submissions, verifiedKeys: verified, positions: positions) { pending.set($0) }
        return pending
    }

    /// Writes source positions alone, in one durable write transaction: for a consumer whose input
    /// yielded nothing to append (a Kafka tombstone, a change of no mapped column), so that it
    /// resumes after that input. Ordered after every append already handed to the writer.
    /// - Parameter positions: the positions, written in order (a later one of the same stream wins).
    /// - Throws: ``LedgerError`` if the store could not commit; then none was written.
    public func recordPositions(_ positions: [SourcePosition]) throws {
        _ = try appendSync([], positions: positions)
    }

    /// The order-independent checks, run in parallel on all cores before the write: each
    /// signature against the currently registered key, and the event's data against its type.
    func precheck(_ submissions: [Submission]) throws -> [Precheck] {
        if submissions.allSatisfy({ $0.prechecked != nil }) { return submissions.map { $0.prechecked! } }
        var refs = Set<String>()
        for s in submissions { if case .success(let e) = s.content { refs.insert(e.signature.key) } }
        let keys = try registeredKeys(refs)
        let governance = options.governance
        return parallelMap(submissions) { s in s.prechecked ?? Ledger.precheck(s, keys: keys, governance: governance) }
    }

    /// The public keys of the registered keys among `refs`.
    func registeredKeys(_ refs: Set<String>) throws -> [String: NoteVerifierKey] {
        try env.read { txn in
            var out: [String: NoteVerifierKey] = [:]
            for r in refs {
                if let b = try txn.get(Array(r.utf8), in: dbs.keys) { out[r] = try KeyEntry(bytes: b).vkey }
            }
            return out
        }
    }

    /// The order-independent checks of one submission.
    /// - Parameter hashedBlobs: the SHA-256 of the submission's first blobs, from ``HashedBlob``s.
    static func precheck(
        _ s: Submission, keys: [String: NoteVerifierKey], governance: Bool, signedHereBy: NoteVerifierKey? = nil, hashedBlobs: [String] = []
    ) -> Precheck {
        guard case .success(let e) = s.content else { return Precheck(verifiedKey: nil, violations: [], facts: [], blobHashes: []) }
        var verified: [UInt8]?
        if let here = signedHereBy, here.reference == e.signature.key {
            verified = here.publicKey.bytes  // signed a moment ago by the ledger itself, with this registered key
        } else if let k = keys[e.signature.key], k.publicKey.isValidSignature(e.signature.sig, for: e.event.signatureInput) {
            verified = k.publicKey.bytes
        }
        let violations = governance ? EventCatalog.validate(e.event) : []
        return Precheck(verifiedKey: verified, violations: violations, facts: violations.isEmpty ? FactIndex.prepare(e.event) : [],
            blobHashes: hashedBlobs + s.blobs.dropFirst(hashedBlobs.count).map { Hex.encode(SHA256.hash($0)) })
    }

    /// Commits a group of jobs in one write transaction, growing the map when it fills.
    ///
    /// One bad event never fails its batch: if storing one event fails for a reason of its own
    /// (an index key LMDB refuses, say), the transaction is rolled back, that event alone is
    /// rejected as `unstorable` and quarantined, and the batch runs again without it. Only what
    /// concerns the whole store (a full map past its limit, a full disk, I/O errors, damage) fails
    /// the batch, having written nothing.
    func commit(_ jobs: [CommitJob]) throws -> [[AppendOutcome]] {
        var jobs = jobs
        while true {
            do {
                return try writeGrowingMap(what: "nothing from this batch was written") { txn in
                    try self.appendInTransaction(txn, jobs)
                }
            } catch let poisoned as PoisonedSubmission {
                jobs[poisoned.job].submissions[poisoned.item].content = .failure(poisoned.error)
            }
        }
    }

    /// Runs a write transaction; when the LMDB map is full, grows it (doubling, up to
    /// ``Options/maxMapSize``) and runs the transaction again. Past the limit it fails with
    /// `store-full`, having written nothing.
    func writeGrowingMap<T>(what: String, minimumGrowth: Int = 64 << 20, _ body: (Transaction) throws -> T) throws -> T {
        while true {
            do {
                return try env.write(body)
            } catch let e as LMDBError where e.isMapFull {
                let current = try env.mapSize
                guard current < options.maxMapSize else {
                    throw LedgerError(
                        .storeFull,
                        "the store is full: its map reached the limit of \(current >> 20) MiB; \(what). Raise the limit (--max-map-size) or free disk space, then retry")
                }
                try env.resize(to: min(options.maxMapSize, max(current * 2, current + minimumGrowth)))
            } catch let e as LMDBError {
                var hint = ""
                // statvfs only adds a hint to the error being thrown; if it fails there is no hint.
                var fs = statvfs()
                if statvfs(directory.path, &fs) == 0 {
                    let free = UInt64(fs.f_bavail) * UInt64(fs.f_frsize)
                    if free < 16 << 20 { hint = " — the disk holding \(directory.path) is full (\(free >> 10) KiB free); free space, then retry" }
                }
                throw LedgerError(.io, "the store could not commit: \(e)\(hint); \(what)", underlying: e)
            }
        }
    }

    private func appendInTransaction(_ txn: Transaction, _ jobs: [CommitJob]) throws -> [[AppendOutcome]] {
        var size = try txn.get(Keys.metaSize, in: dbs.meta).map(Keys.readU64) ?? 0
        let startSize = size
        var frontier = try MerkleFrontier(size: size, source: StoredNodes(txn: txn, db: dbs.nodes))
        let last = try txn.get(Keys.metaLastRecordedAt, in: dbs.meta).map { Int64(bitPattern: Keys.readU64($0)) } ?? 0
        let recordedAt = Timestamp(microsecondsSinceEpoch: max(options.clock().microseconds, last))
        var results: [[AppendOutcome]] = []
        var keyCache = GovernanceCache()
        for (j, job) in jobs.enumerated() {
            let (submissions, verified) = (job.submissions, job.prechecks)
            var outcomes: [AppendOutcome] = []
            for (i, s) in submissions.enumerated() {
                let outcome: AppendOutcome
                let result: Result<AppendOutcome, LedgerError>
                do {
                    result = try appendOne(txn, s, precheck: verified[i], size: &size, frontier: &frontier, recordedAt: recordedAt, keys: &keyCache)
                } catch {
                    guard let reason = PoisonedSubmission.reason(error) else { throw error }
                    throw PoisonedSubmission(job: j, item: i, error: LedgerError(
                        .unstorable, "the event passed its checks but could not be stored (\(reason)); the rest of its batch was committed"))
                }
                switch result {
                case .success(let o): outcome = o
                case .failure(let error):
                    outcome = .rejected(error, quarantineID: try quarantine(txn, s, error: error, at: recordedAt))
                }
                if let qid = s.quarantineID, let ref = outcome.record {
                    try resolveQuarantine(txn, id: qid, index: ref.index, at: recordedAt)
                }
                // The input is consumed (appended, duplicate, or rejected and kept): its source
                // positions are durable exactly when its outcome is.
                for p in s.positions where p.condition == .consumed || outcome.record != nil {
                    try txn.put(Keys.metaPosition(p.stream), p.value, in: dbs.meta)
                }
                outcomes.append(outcome)
            }
            // Input that yielded no submission, consumed with this job.
            for p in job.positions { try txn.put(Keys.metaPosition(p.stream), p.value, in: dbs.meta) }
            results.append(outcomes)
        }
        if size != startSize {
            let checkpoint = Checkpoint(origin: origin, size: size, rootHash: frontier.root)
            let note = try ledgerSigner().sign(text: checkpoint.text)
            try txn.put(Keys.u64(size), Array(note.utf8), in: dbs.checkpoints, flags: .append)
            try txn.put(Keys.metaSize, Keys.u64(size), in: dbs.meta)
            try txn.put(Keys.metaLastRecordedAt, Keys.u64(UInt64(bitPattern: recordedAt.microseconds)), in: dbs.meta)
        }
        return results
    }

    private func appendOne(
        _ txn: Transaction, _ s: Submission, precheck: Precheck, size: inout UInt64, frontier: inout MerkleFrontier,
        recordedAt: Timestamp, keys: inout GovernanceCache
    ) throws -> Result<AppendOutcome, LedgerError> {
        let signed: SignedEvent
        switch s.content {
        case .success(let e): signed = e
        case .failure(let e): return .failure(e)
        }
        let event = signed.event
        let key = try keys.entry(signed.signature.key) { ref in
            try txn.get(Array(ref.utf8), in: dbs.keys).map(KeyEntry.init(bytes:))
        }
        let signatureVerified = precheck.verifiedKey != nil && precheck.verifiedKey == key?.vkey.publicKey.bytes
        // Idempotency comes right after the signature: the same event again, validly signed by a
        // registered key (even one revoked since), returns the existing record.
        let idem = Keys.idempotency(event.source, event.sourceRef)
        var existing: Record?
        if let index = try txn.get(idem, in: dbs.idempotency).map(Keys.readU64) {
            guard let bytes = try txn.get(Keys.u64(index), in: dbs.records) else {
                throw LedgerError(.notAStore, "record \(index) named by the idempotency index is missing; run dpp verify")
            }
            existing = try Record(bytes: bytes)
        }
        if signatureVerified, let record = existing, record.event.canonicalBytes == event.canonicalBytes {
            return .success(.duplicate(RecordRef(index: record.index, subject: record.subject.rawValue, seq: record.seq)))
        }
        if let error = KeyRules.authorize(
            event: event, signature: signed.signature, key: key, index: size, recordedAt: recordedAt, signatureVerified: signatureVerified)
        {
            return .failure(LedgerError(error))
        }
        if let record = existing {
            let existing = record.index
            return .failure(LedgerError(
                .idempotencyConflict,
                "source \(event.source) already used sourceRef \"\(event.sourceRef)\" for a different event (record \(existing)); use a new sourceRef for new content",
                path: "sourceRef", rule: "unique per source", value: "\"\(event.sourceRef)\""))
        }
        // Data rules and governance come after idempotency, so a redelivered event that was
        // accepted before still answers "duplicate" after the rules or the policy changed.
        if !precheck.violations.isEmpty {
            return .failure(LedgerError(.invalidEvent, violations: precheck.violations))
        }
        if options.governance, let key,
            let error = KeyRules.checkWrite(event, fields: precheck.facts.map(\.field), key: key, policy: try keys.policy { try currentPolicy(txn) })
        {
            return .failure(LedgerError(error))
        }
        let head = try lastSeq(txn, subject: event.subject.rawValue)
        let seq = (head?.seq ?? 0) + 1
        if let expected = event.expectedSeq, expected != seq {
            return .failure(LedgerError(
                .seqConflict,
                "expectedSeq is \(expected) but \(event.subject)'s next seq is \(seq): another write came first; re-read the subject and retry",
                path: "expectedSeq", rule: "next seq \(seq)", value: String(expected)))
        }
        var supplied: [String: [UInt8]] = [:]
        // Hashed ahead of the commit, on all cores (the precheck), unless a submission came without one.
        let hashes = precheck.blobHashes.count == s.blobs.count ? precheck.blobHashes : s.blobs.map { Hex.encode(SHA256.hash($0)) }
        for (b, h) in zip(s.blobs, hashes) { supplied[h] = b }
        var missing: [Violation] = []
        for (i, a) in event.attachments.enumerated() where supplied[a.sha256] == nil {
            if try txn.withValue(forKey: Hex.decode(a.sha256)!, in: dbs.blobs, { _ in true }) == nil {
                missing.append(Violation(
                    code: Violation.Code(rawValue: LedgerError.Code.missingAttachment.rawValue), path: "attachments[\(i)].sha256", rule: "in the blob store",
                    message: "attachment \(a.sha256) is not in the blob store; upload it with dpp blob put FILE first"))
            }
        }
        if !missing.isEmpty { return .failure(LedgerError(.missingAttachment, violations: missing)) }
        let effect: KeyRules.Effect?
        do {
            effect = try KeyRules.effect(of: event, index: size) { ref in
                try txn.get(Array(ref.utf8), in: dbs.keys).map(KeyEntry.init(bytes:))
            }
        } catch let e as GovernanceRejection {
            return .failure(LedgerError(e))
        }
        let prev = try head.map { try StoredNodes(txn: txn, db: dbs.nodes).subtreeHash(level: 0, index: $0.index) }
        let record = Record(index: size, seq: seq, recordedAt: recordedAt, prev: prev, event: event, signature: signed.signature)
        let bytes = record.canonicalBytes
        guard bytes.count <= Record.maxCanonicalSize else {
            return .failure(LedgerError(
                .tooLarge,
                "the record would be \(bytes.count) bytes; the limit is \(Record.maxCanonicalSize). Move large content (a big BoM, a document) into an attachment",
                rule: "maxBytes \(Record.maxCanonicalSize)", value: String(bytes.count)))
        }
        try options.storeFault?(event)
        try txn.put(Keys.u64(size), bytes, in: dbs.records, flags: .append)
        try txn.put(Keys.subject(event.subject.rawValue, seq), Keys.u64(size), in: dbs.subjects)
        try txn.put(idem, Keys.u64(size), in: dbs.idempotency)
        for a in event.attachments {
            if let b = supplied[a.sha256] { try txn.put(Hex.decode(a.sha256)!, b, in: dbs.blobs) }
        }
        for node in frontier.append(leafHash: Merkle.leafHash(bytes)) {
            try txn.put(Keys.node(level: node.level, index: node.index), node.hash, in: dbs.nodes)
        }
        try FactIndex.add(precheck.facts, of: record, sourceKind: key?.kind, txn: txn, db: dbs.facts)
        if options.traceIndex, let trace = dbs.trace { try TraceIndex.add(record, txn: txn, db: trace) }
        if effect != nil { keys.removeAll() }
        try apply(effect, at: size, recordedAt: recordedAt, txn: txn)
        let ref = RecordRef(index: size, subject: event.subject.rawValue, seq: seq)
        size += 1
        return .success(.appended(ref))
    }

    /// Writes a `system` event's effect to the derived governance tables (keys, policies).
    func apply(_ effect: KeyRules.Effect?, at index: UInt64, recordedAt: Timestamp, txn: Transaction) throws {
        func update(_ ref: String, _ change: (inout KeyEntry) -> Void) throws {
            guard let bytes = try txn.get(Array(ref.utf8), in: dbs.keys) else {
                throw LedgerError(.notAStore, "key \(ref) is missing from the key table; run dpp verify")
            }
            var entry = try KeyEntry(bytes: bytes)
            change(&entry)
            try txn.put(Array(ref.utf8), CanonicalJSON.encode(entry.json), in: dbs.keys)
        }
        switch effect {
        case .register(let entry)?:
            try txn.put(Array(entry.vkey.reference.utf8), CanonicalJSON.encode(entry.json), in: dbs.keys)
        case .revoke(let ref)?:
            try update(ref) { $0.revokedIndex = index }
        case .permissions(let ref, let permissions)?:
            try update(ref) { $0.permissions = permissions }
        case .policy(let policy)?:
            try txn.put(Keys.u64(index), CanonicalJSON.encode(Ledger.policyEntry(policy, recordedAt: recordedAt)), in: dbs.policies)
        case .noted?, nil:
            break
        }
    }

    static func policyEntry(_ policy: OwnershipPolicy, recordedAt: Timestamp) -> JSONValue {
        ["recordedAt": .string(recordedAt.description), "policy": policy.json]
    }

    /// The ownership policy in force now (the open policy if none was ever set).
    func currentPolicy(_ txn: Transaction) throws -> OwnershipPolicy {
        try policy(txn, asOf: nil)
    }

    /// The ownership policy in force at a system time (nil: the latest).
    func policy(_ txn: Transaction, asOf: Timestamp?) throws -> OwnershipPolicy {
        var found: (UInt64, [UInt8])?
        try txn.withCursor(dbs.policies) { c in
            var pos: Cursor.Position = .last
            while let (index, bytes) = try c.move(pos, { k, v in (Keys.readU64(k), [UInt8](v)) }) {
                let entry = try policyCache.entry(index: index, bytes: bytes)
                if asOf == nil || entry.recordedAt <= asOf! {
                    found = (index, bytes)
                    return
                }
                pos = .previous
            }
        }
        guard let found else { return .open }
        return try policyCache.entry(index: found.0, bytes: found.1).policy
    }

    /// The last (seq, index) of a subject, if it has records.
    func lastSeq(_ txn: Transaction, subject: String) throws -> (seq: UInt64, index: UInt64)? {
        let prefix = Array(subject.utf8) + [0]
        return try txn.withCursor(dbs.subjects) { cursor in
            let found = try cursor.move(.atOrAfter(Array(subject.utf8) + [1])) { _, _ in true }
            let move: Cursor.Position = found == nil ? .last : .previous
            return try cursor.move(move) { k, v -> (UInt64, UInt64)? in
                guard k.count == prefix.count + 8, k.starts(with: prefix) else { return nil }
                return (Keys.readU64(UnsafeRawBufferPointer(rebasing: k[prefix.count...])), Keys.readU64(v))
            } ?? nil
        }
    }
}

/// Thrown inside a write transaction when one submission cannot be stored for a reason of its
/// own: the transaction is rolled back and the batch runs again with that submission rejected.
struct PoisonedSubmission: Error {
    let job: Int
    let item: Int
    let error: LedgerError

    /// Why storing one event failed, if the failure is that event's own; nil when it concerns the
    /// whole store (map full, disk full, I/O, damage) and must fail the batch.
    static func reason(_ error: Error) -> String? {
        switch error {
        case let e as LMDBError: e.isEventSpecific ? e.description : nil
        case let e as LedgerError: [.notAStore, .io, .storeFull].contains(e.code) ? nil : e.message
        case is PoisonedSubmission: nil
        case is AuditError: nil  // a stored key entry that cannot be read: damage, not this event
        default: "\(error)"
        }
    }
}

/// One append handed to the writer: its submissions, their checks, and the positions written after them.
struct CommitJob {
    var submissions: [Submission]
    let prechecks: [Precheck]
    let positions: [SourcePosition]
}

/// Results of the parallel checks of one submission.
struct Precheck: Sendable {
    /// The public key the signature verified with, if it did.
    let verifiedKey: [UInt8]?
    /// Violations of the event type's schema and rules.
    let violations: [Violation]
    /// The passport facts the event states, encoded but for what only the commit knows.
    let facts: [FactIndex.Prepared]
    /// The SHA-256 (lowercase hex) of each blob supplied with the submission, in order.
    let blobHashes: [String]
}

/// Keys and the policy read during one write transaction (cleared whenever a system event changes them).
struct GovernanceCache {
    private var entries: [String: KeyEntry?] = [:]
    private var currentPolicy: OwnershipPolicy?

    mutating func entry(_ ref: String, load: (String) throws -> KeyEntry?) rethrows -> KeyEntry? {
        if let cached = entries[ref] { return cached }
        let e = try load(ref)
        entries[ref] = e
        return e
    }

    mutating func policy(load: () throws -> OwnershipPolicy) rethrows -> OwnershipPolicy {
        if let p = currentPolicy { return p }
        let p = try load()
        currentPolicy = p
        return p
    }

    mutating func removeAll() {
        entries.removeAll()
        currentPolicy = nil
    }
}
