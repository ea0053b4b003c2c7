import Foundation
import PassportAudit
import PassportLedger
import PassportModel
import Sodium
import Synchronization

/// EPCIS documents in, signed submissions out: every EPCIS event is mapped (``EPCISMapper``); each
/// passport event it yields attaches the EPCIS event kept whole (its bytes travel with the
/// submission and are stored in the same transaction); an EPCIS event the passport does not show
/// is committed all the same, as the attachment of an `input.kept` event the ledger signs; one
/// that cannot be read is kept in quarantine with its bytes.
public struct EPCISIngest: Sendable {
    /// The mapper.
    public let mapper: EPCISMapper
    /// The ingestor that signs the mapped events.
    public let ingestor: Ingestor
    /// The intake every submission carries.
    public let intake: JSONObject
    /// What the logistic units packed by the documents mapped so far hold (their events may still
    /// be on the way to the log when the next document ships a unit).
    let packed: PackedUnits
    /// The SHA-256 of each EPCIS event this ingest made an `input.kept` submission of, so that
    /// the same event in two documents (or twice in one) is kept once, while the first may still
    /// be on the way to the log; the ledger is asked too, for what earlier runs kept.
    let keptInputs = KeptInputs()

    /// Prepares to sign with `source`'s key; `locationCountries` gives a GLN's country where the
    /// document's master data does not.
    /// - Throws: ``LedgerError`` if the source has no usable key.
    public init(ledger: Ledger, source: String, locationCountries: [String: String] = [:]) throws {
        var mapper = EPCISMapper(locationCountries: locationCountries)
        // The ledger checks every event against its type (in the same parallel step as signing);
        // its violations name the field, and quarantine keeps the EPCIS event whole.
        mapper.validatesEvents = false
        // A unit shipped in a later document than the one that packed it ships what it holds.
        let packed = PackedUnits()
        mapper.unitContents = { sscc in try packed.contents(sscc, ledger: ledger) }
        self.packed = packed
        self.mapper = mapper
        ingestor = try Ingestor(ledger: ledger, mode: .unsigned(source: source, baseDirectory: nil))
        var intake: JSONObject = ["connector": "epcis", "source": .string(source)]
        if !locationCountries.isEmpty {
            var o = JSONObject()
            for (gln, country) in locationCountries.sorted(by: { $0.key < $1.key }) { o[gln] = .string(country) }
            intake["locationCountries"] = .object(o)
        }
        self.intake = intake
    }

    /// What one EPCIS event (or an unreadable document) became.
    public struct Item: Sendable {
        /// Where: `<input>[<index>]`, or the input for the document as a whole.
        public let origin: String
        /// The submissions to append (one per passport event, or one rejection).
        public let submissions: [Submission]
        /// Why no passport event came of it, for an EPCIS event kept as `input.kept`.
        public let skipReason: String?
    }

    /// Maps a document (capture or query document).
    /// - Parameters:
    ///   - bytes: the document as received.
    ///   - input: its name in results (`shipments.jsonld`).
    public func items(_ bytes: [UInt8], input: String) -> [Item] {
        items(mapper.map(bytes, input: input), document: bytes, input: input)
    }

    /// How many EPCIS events ``slices(_:input:size:_:)`` maps at a time by default.
    public static let sliceSize = 2048

    /// Maps a document `size` EPCIS events at a time, each slice signed and checked
    /// (``items(_:document:input:)``) before the next is mapped — so that a pipeline commits one
    /// slice while it maps the next, and a logistic unit packed in one slice is known to the next.
    /// - Parameters:
    ///   - bytes: the document as received.
    ///   - input: its name in results.
    ///   - body: each slice's items, in document order, and whether it is the document's last slice.
    public func slices(_ bytes: [UInt8], input: String, size: Int = sliceSize, _ body: (_ items: [Item], _ last: Bool) throws -> Void) rethrows {
        var document = mapper.prepare(bytes, input: input)
        for start in stride(from: 0, to: document.count, by: size) {
            let end = min(document.count, start + size)
            try body(items(mapper.map(&document, range: start..<end), document: bytes, input: input), end == document.count)
        }
    }

    /// Tells the ingest that every submission it made before the previous call is durable (or
    /// failed): what it remembered of them — packings and kept events on their way to the log —
    /// is forgotten, as the ledger now answers for them. A long-running consumer calls it each
    /// time it hands a job to the writer after waiting for the jobs before; without it, that memory
    /// grows with everything the ingest maps (a command run over a few files needs no call).
    public func earlierSubmissionsDurable() {
        packed.rotate()
        keptInputs.rotate()
    }

    /// Signs and checks mapped EPCIS events (a document's, or a slice of them, so that a pipeline
    /// signs the next slice while the previous one commits), on all cores.
    public func items(_ results: some Collection<EPCISResult>, document bytes: [UInt8], input: String) -> [Item] {
        parallelMap(Array(results)) { r in
            let origin = r.index.map { "\(input)[\($0)]" } ?? input
            // What quarantine keeps: the EPCIS event whole, or a bounded document that could not be read.
            let raw = r.kept?.bytes ?? Array(bytes.prefix(Ingestor.maxLineSize))
            switch r.outcome {
            case .events(let events):
                for e in events where e["type"]?.stringValue == "unit.packed" { packed.remember(e) }
                let subs = events.map { e in
                    ingestor.submission(mapped: .success(e), raw: raw, origin: origin, intake: intake, hashed: r.kept.map { [$0.blob] } ?? [])
                }
                return Item(origin: origin, submissions: subs, skipReason: nil)
            case .skip(let reason):
                guard let kept = r.kept else { return Item(origin: origin, submissions: [], skipReason: reason) }
                let ledger = ingestor.ledger
                if (try? ledger.recordIndex(source: KeyRules.systemSource, sourceRef: Ledger.keptInputRef(kept.sha256))) ?? nil != nil
                    || !keptInputs.claim(kept.sha256)
                {
                    return Item(origin: origin, submissions: [], skipReason: reason + " (already kept)")
                }
                do {
                    let s = try ledger.keptInput(
                        kept.bytes, connector: "epcis", source: intake["source"]?.stringValue ?? "", origin: origin, reason: reason,
                        mediaType: KeptEPCISEvent.mediaType, name: KeptEPCISEvent.name, at: ledger.options.clock())
                    return Item(origin: origin, submissions: [s], skipReason: reason)
                } catch {
                    let e = error as? LedgerError ?? LedgerError(.io, "the EPCIS event could not be kept: \(error)")
                    return Item(origin: origin, submissions: [ingestor.submission(mapped: .failure(e), raw: kept.bytes, origin: origin, intake: intake)], skipReason: nil)
                }
            case .reject(let violations):
                var s = ingestor.submission(
                    mapped: .failure(LedgerError(.invalidEvent, violations: violations)), raw: raw, origin: origin, intake: intake)
                if r.kept == nil && bytes.count > Ingestor.maxLineSize {
                    s.truncated = TruncatedInput(length: bytes.count, sha256: SHA256.hash(bytes))
                }
                return Item(origin: origin, submissions: [s], skipReason: nil)
            }
        }
    }

    /// The intake's location table.
    static func locationCountries(_ intake: JSONObject) -> [String: String] {
        var out: [String: String] = [:]
        for (k, v) in intake["locationCountries"]?.objectValue ?? JSONObject() { out[k] = v.stringValue }
        return out
    }

    /// Maps a quarantined entry again: an EPCIS event kept whole is wrapped in a document of its own.
    /// - Returns: its submissions, the first carrying `quarantineID`.
    public func retry(raw: [UInt8], origin: String, quarantineID: UInt64) -> [Submission] {
        var bytes = raw
        if let o = try? JSONParser.parse(raw).objectValue, o["epcisBody"] == nil {
            var doc: JSONObject = ["type": "EPCISDocument", "schemaVersion": "2.0", "epcisBody": ["eventList": [.object(o)]]]
            if let context = o["@context"] { doc["@context"] = context }
            bytes = CanonicalJSON.encode(.object(doc))
        }
        var subs = items(bytes, input: origin).flatMap(\.submissions)
        guard !subs.isEmpty else {
            return [Submission(
                raw: raw, origin: origin, intake: intake,
                content: .failure(LedgerError(.invalidArgument, "the EPCIS event now maps to nothing for the passport; discard the entry")), quarantineID: quarantineID)]
        }
        subs[0].quarantineID = quarantineID
        return subs
    }
}

/// The EPCIS events an ingest made `input.kept` submissions of, by SHA-256, in two generations
/// (see ``EPCISIngest/earlierSubmissionsDurable()``).
final class KeptInputs: Sendable {
    private let hashes = Mutex<(current: Set<String>, previous: Set<String>)>(([], []))

    /// True the first time `sha256` is claimed, false after (while remembered).
    func claim(_ sha256: String) -> Bool {
        hashes.withLock { h in !h.previous.contains(sha256) && h.current.insert(sha256).inserted }
    }

    /// Forgets the older generation; the newer one becomes the older.
    func rotate() { hashes.withLock { $0 = (current: [], previous: $0.current) } }
}

/// The contents of logistic units as an EPCIS ingest knows them: what the documents it mapped
/// packed, and the ledger's `unit.packed` records (one packing per `sourceRef`, wherever it was
/// seen). What this ingest mapped is kept in two generations (see
/// ``EPCISIngest/earlierSubmissionsDurable()``).
final class PackedUnits: Sendable {
    /// SSCC → sourceRef of the packing → what it packed.
    typealias Packings = [String: [String: [EPCISMapper.UnitContent]]]
    private let units = Mutex<(current: Packings, previous: Packings)>(([:], [:]))

    /// Remembers a mapped `unit.packed` event (`subject` `00/<SSCC>`).
    func remember(_ event: JSONObject) {
        guard let unit = event["subject"]?.stringValue, unit.hasPrefix("00/"), let ref = event["sourceRef"]?.stringValue,
            let data = event["data"]?.objectValue else { return }
        let contents = EPCISMapper.UnitContent.of(data)
        units.withLock { $0.current[String(unit.dropFirst(3)), default: [:]][ref] = contents }
    }

    /// Forgets the older generation; the newer one becomes the older.
    func rotate() { units.withLock { $0 = (current: [:], previous: $0.current) } }

    /// Everything `sscc` was packed with, in this ingest or in the ledger (nil: nothing known).
    /// - Throws: ``LedgerError`` if the ledger cannot be read.
    func contents(_ sscc: String, ledger: Ledger) throws -> [EPCISMapper.UnitContent]? {
        var packings = units.withLock { u in (u.previous[sscc] ?? [:]).merging(u.current[sscc] ?? [:]) { $1 } }
        if let subject = try? Subject("00/\(sscc)") {
            let history: [Record]
            do { history = try ledger.history(subject) } catch let e as LedgerError where e.code == .notFound { history = [] }
            for r in history where r.event.type == "unit.packed" {
                packings[r.event.sourceRef] = EPCISMapper.UnitContent.of(r.event.data)
            }
        }
        let out = packings.sorted { $0.key < $1.key }.flatMap(\.value)
        return out.isEmpty ? nil : out
    }
}
