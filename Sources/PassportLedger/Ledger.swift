import Foundation
import LMDB
import PassportAudit
import PassportModel
import Sodium

/// A Passport Ledger store: an append-only, signed event log in LMDB with a Merkle audit index
/// and signed checkpoints (DESIGN §3–§7).
///
/// A store is a folder holding `ledger/` (the LMDB environment) and `keys/` (private keys, 0600).
/// Appends from any number of tasks are group-committed by one writer thread; several processes
/// may append to one store at once (LMDB serialises their write transactions).
public final class Ledger: Sendable {
    /// Tuning and limits.
    public struct Options: Sendable {
        /// Map size when a store is created or opened (grown on demand).
        public var initialMapSize: Int
        /// The largest the map may grow to; past this, appends fail with `store-full`.
        public var maxMapSize: Int
        /// The most events one write transaction takes.
        public var maxBatchEvents: Int
        /// Largest attachment accepted, in bytes.
        public var maxAttachmentSize: Int
        /// Enforce source permissions and data ownership on append (on by default; off only to
        /// measure what they cost).
        public var governance: Bool
        /// Maintain the recall trace index on append (on by default; off only to measure what it
        /// costs: a store appended to with it off fails `verify` until `reindex`).
        public var traceIndex: Bool
        /// The ownership policy a new store starts with (recorded as record 1); nil for none.
        public var initialPolicy: OwnershipPolicy?
        /// Where the ledger reads the system time: records' `recordedAt` (never decreasing along the
        /// log, whatever the clock says), system events' `createdAt`, quarantine updates, and the
        /// default `asOf` of reads. The system clock unless a test sets a clock it advances itself.
        public var clock: @Sendable () -> Timestamp
        /// Fault injection for tests (`@testable`): called inside the write transaction just before
        /// an event's record is stored; a throw stands for a failure of that event's own writes.
        var storeFault: (@Sendable (Event) throws -> Void)?

        /// Defaults: 64 MiB initial map, 1 TiB maximum, 4096 events a batch, 256 MiB attachments,
        /// governance and the trace index on, the default ownership policy, and the system clock.
        public init(
            initialMapSize: Int = 64 << 20, maxMapSize: Int = 1 << 40, maxBatchEvents: Int = 4096,
            maxAttachmentSize: Int = 256 << 20, governance: Bool = true, traceIndex: Bool = true,
            initialPolicy: OwnershipPolicy? = .default, clock: @escaping @Sendable () -> Timestamp = Timestamp.now
        ) {
            self.initialMapSize = initialMapSize
            self.maxMapSize = maxMapSize
            self.maxBatchEvents = maxBatchEvents
            self.maxAttachmentSize = maxAttachmentSize
            self.governance = governance
            self.traceIndex = traceIndex
            self.initialPolicy = initialPolicy
            self.clock = clock
        }
    }

    /// The current on-disk format version.
    public static let formatVersion = "1"

    /// The store folder.
    public let directory: URL
    /// The log's origin (first line of every checkpoint, and the ledger key's name).
    public let origin: String
    /// The ledger's verifier key.
    public let vkey: NoteVerifierKey
    /// Private key files of this store.
    public let keyFiles: KeyFiles
    /// Options in force.
    public let options: Options

    let env: Environment
    let dbs: Databases
    /// The ledger signer, once read.
    private let signerCache = Locked<NoteSigner?>(nil)
    /// The group-commit writer, started on first use.
    private let committerBox = Locked<Committer?>(nil)
    let factCache = FactValueCache()
    let policyCache = PolicyCache()

    private init(directory: URL, env: Environment, dbs: Databases, origin: String, vkey: NoteVerifierKey, options: Options) {
        self.directory = directory
        self.env = env
        self.dbs = dbs
        self.origin = origin
        self.vkey = vkey
        self.options = options
        self.keyFiles = KeyFiles(directory: directory.appendingPathComponent("keys"))
    }

    deinit {
        committerBox.withLock { $0?.stop() }
    }

    /// Initialises libsodium where its failure can be reported as an error rather than stop the
    /// process at the first hash or signature.
    private static func initializeSodium() throws {
        do { try Sodium.initialize() } catch { throw LedgerError(.io, error.message, underlying: error) }
    }

    static func environmentPath(_ directory: URL) -> URL { directory.appendingPathComponent("ledger") }

    /// Creates a new store in `directory` (created if missing; must not already hold a store),
    /// with a new ledger key named `origin`, and records the key's registration as record 0.
    /// - Throws: ``LedgerError`` if the folder already holds a store or the origin is not usable.
    public static func create(at directory: URL, origin: String, options: Options = Options()) throws -> Ledger {
        try initializeSodium()
        guard !origin.isEmpty, origin.utf8.count <= 255, !origin.contains("+"),
            !origin.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 })
        else {
            throw LedgerError(.invalidArgument, "origin \"\(origin)\" must be 1–255 characters with no spaces or '+', e.g. example.com/passports")
        }
        let fm = FileManager.default
        let envURL = environmentPath(directory)
        if fm.fileExists(atPath: envURL.appendingPathComponent("data.mdb").path) {
            throw LedgerError(.alreadyExists, "\(directory.path) already holds a store; open it instead of creating one")
        }
        try fm.createDirectory(at: envURL, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let signer = try NoteSigner.generate(name: origin)
        let keyFiles = KeyFiles(directory: directory.appendingPathComponent("keys"))
        try keyFiles.write(signer)
        do {
            let env = try Environment(path: envURL.path, options: .init(mapSize: options.initialMapSize))
            let dbs = try env.write { txn in
                let dbs = try Databases(txn, create: true)
                try txn.put(Keys.metaFormat, Array(formatVersion.utf8), in: dbs.meta)
                try txn.put(Keys.metaOrigin, Array(origin.utf8), in: dbs.meta)
                try txn.put(Keys.metaVKey, Array(signer.verifier.description.utf8), in: dbs.meta)
                try txn.put(Keys.metaSize, Keys.u64(0), in: dbs.meta)
                try txn.put(Keys.metaFactsVersion, Array(FactIndex.version.utf8), in: dbs.meta)
                return dbs
            }
            let ledger = Ledger(directory: directory, env: env, dbs: dbs, origin: origin, vkey: signer.verifier, options: options)
            ledger.signerCache.withLock { $0 = signer }
            try ledger.appendSystemEvent(
                type: "key.registered", sourceRef: "key.registered/\(signer.verifier.reference)",
                data: ["vkey": .string(signer.verifier.description), "role": "ledger", "description": "ledger key"])
            if let policy = options.initialPolicy { try ledger.setPolicy(policy, reason: "initial policy") }
            return ledger
        } catch {
            // Leave nothing half-made behind: a later init must be able to start afresh.
            keyFiles.remove(reference: signer.verifier.reference)
            try? fm.removeItem(at: envURL)
            throw error
        }
    }

    /// Opens an existing store.
    /// - Throws: ``LedgerError`` with code `not-a-store` if the folder does not hold one.
    public static func open(at directory: URL, options: Options = Options(), readOnly: Bool = false) throws -> Ledger {
        try initializeSodium()
        let envURL = environmentPath(directory)
        guard FileManager.default.fileExists(atPath: envURL.appendingPathComponent("data.mdb").path) else {
            throw LedgerError(
                .notAStore, "\(directory.path) is not a Passport Ledger store (no ledger/data.mdb); create one with dpp init --origin NAME")
        }
        let env: Environment
        do {
            env = try Environment(path: envURL.path, options: .init(mapSize: options.initialMapSize, readOnly: readOnly))
        } catch {
            throw LedgerError(.notAStore, "cannot open the store at \(directory.path): \(error)")
        }
        // The trace index came after the first stores: a writable store gets its database here
        // (and its content from the reindex below).
        if !readOnly {
            do { try env.write { txn in _ = try txn.openDatabase("trace", create: true) } } catch {
                throw LedgerError(.notAStore, "cannot prepare the store at \(directory.path): \(error)")
            }
        }
        let opened: (Databases, String, String) = try env.read { txn in
            let dbs: Databases
            do { dbs = try Databases(txn, create: false) } catch {
                throw LedgerError(.notAStore, "\(directory.path) is not a Passport Ledger store (its databases are missing)")
            }
            guard let format = try txn.get(Keys.metaFormat, in: dbs.meta).map({ String(decoding: $0, as: UTF8.self) }),
                let origin = try txn.get(Keys.metaOrigin, in: dbs.meta).map({ String(decoding: $0, as: UTF8.self) }),
                let vkey = try txn.get(Keys.metaVKey, in: dbs.meta).map({ String(decoding: $0, as: UTF8.self) })
            else { throw LedgerError(.notAStore, "\(directory.path): store metadata is missing") }
            guard format == formatVersion else {
                throw LedgerError(.notAStore, "\(directory.path) has store format \(format); this dpp reads format \(formatVersion)")
            }
            return (dbs, origin, vkey)
        }
        let vkey: NoteVerifierKey
        do { vkey = try NoteVerifierKey(parsing: opened.2) } catch {
            throw LedgerError(.notAStore, "the store's ledger key is damaged: \(error.message)")
        }
        let ledger = Ledger(directory: directory, env: env, dbs: opened.0, origin: opened.1, vkey: vkey, options: options)
        // The passport index is derived data: rebuild it when it was written by another version.
        if !readOnly, try env.read({ txn in try txn.get(Keys.metaFactsVersion, in: opened.0.meta) }) != Array(FactIndex.version.utf8) {
            try ledger.reindex()
        }
        return ledger
    }

    /// Signs the hash data of a W3C Data Integrity proof (``DataIntegrity/hashData(document:options:)``:
    /// two SHA-256 hashes, 64 bytes) with the ledger key, for credentials the ledger issues (a
    /// passport credential). Nothing else can be signed this way: 64 bytes of hashes are neither
    /// a signed note's text nor an event's signature input.
    /// - Throws: ``LedgerError`` if the input is not 64 bytes or the key cannot be read.
    public func signCredential(hashData: [UInt8]) throws -> [UInt8] {
        guard hashData.count == 64 else { throw LedgerError(.invalidArgument, "Data Integrity hash data is 64 bytes, got \(hashData.count)") }
        return try ledgerSigner().key.sign(hashData)
    }

    /// The ledger's signing key, read from its 0600 file on first use.
    func ledgerSigner() throws -> NoteSigner {
        if let s = signerCache.withLock({ $0 }) { return s }
        let s = try keyFiles.read(reference: vkey.reference)
        guard s.verifier == vkey else { throw LedgerError(.key, "the ledger key file does not match the store's ledger key") }
        signerCache.withLock { $0 = s }
        return s
    }

    /// Appends one `system` event signed by the ledger key and returns its record index.
    ///
    /// The one way the ledger writes its own governance events (keys, permissions, policies,
    /// quarantine decisions). A `sourceRef` names the decision; when it was already recorded by an
    /// earlier run that stopped before finishing (an idempotency conflict: same decision, other
    /// `createdAt`), the earlier record is returned, so a decision interrupted half-way can be
    /// finished by running it again.
    /// - Throws: ``LedgerError`` if the event is rejected.
    @discardableResult
    func appendSystemEvent(
        type: String, sourceRef: String, data: JSONObject, validFrom: Timestamp? = nil, validUntil: Timestamp? = nil
    ) throws -> UInt64 {
        let event = try systemEvent(type: type, sourceRef: sourceRef, data: data, validFrom: validFrom, validUntil: validUntil)
        switch try appendSync([event])[0] {
        case .appended(let r), .duplicate(let r): return r.index
        case .rejected(let e, _) where e.code == .idempotencyConflict:
            guard let earlier = try history(.system).last(where: { $0.event.sourceRef == sourceRef }) else {
                throw LedgerError(.notAStore, "the idempotency index names \(sourceRef), which the system stream does not hold; run dpp verify")
            }
            return earlier.index
        case .rejected(let e, _): throw e
        }
    }

    /// Builds a `system` event signed by the ledger key.
    func systemEvent(
        type: String, sourceRef: String, data: JSONObject, validFrom: Timestamp? = nil, validUntil: Timestamp? = nil,
        attachments: [Attachment] = [], createdAt: Timestamp? = nil
    ) throws -> Submission {
        var o = JSONObject()
        o["type"] = .string(type)
        o["subject"] = "system"
        o["source"] = .string(KeyRules.systemSource)
        o["sourceRef"] = .string(sourceRef)
        o["createdAt"] = .string((createdAt ?? options.clock()).description)
        if !attachments.isEmpty { o["attachments"] = .array(attachments.map(\.json)) }
        if let validFrom { o["validFrom"] = .string(validFrom.description) }
        if let validUntil { o["validUntil"] = .string(validUntil.description) }
        o["data"] = .object(data)
        let event: Event
        do { event = try Event(json: .object(o)) } catch { throw LedgerError.validation(error) }
        let signer = try ledgerSigner()
        let signed = SignedEvent(event: event, signature: EventSignature(key: signer.verifier.reference, sig: signer.key.sign(event.signatureInput)))
        return Submission(raw: CanonicalJSON.encode(signed.json), origin: "dpp", intake: ["connector": "ledger", "signed": true], content: .success(signed))
    }

    var committer: Committer {
        committerBox.withLock { committer in
            if let c = committer { return c }
            let c = Committer(ledger: self)
            committer = c
            return c
        }
    }
}
