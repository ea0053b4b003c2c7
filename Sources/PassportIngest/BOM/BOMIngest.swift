import Foundation
import PassportLedger
import PassportModel

/// BoM exports in, signed submissions out: one per assembly revision, each carrying the export
/// file as its attachment (its bytes stored as a blob with the record) and, for quarantine, the
/// export's bytes with an intake (`connector: bom`) naming the source, format, file and assembly,
/// so that `Ledger.retryQuarantine` reads it again.
public struct BOMIngest: Sendable {
    /// The ingestor that signs the events.
    public let ingestor: Ingestor
    /// The source whose key signs.
    public let source: String

    /// Prepares to sign with `source`'s key.
    /// - Throws: ``LedgerError`` if the source has no active key.
    public init(ledger: Ledger, source: String) throws {
        ingestor = try Ingestor(ledger: ledger, mode: .unsigned(source: source, baseDirectory: nil))
        self.source = source
    }

    /// The intake of an item of an export.
    public func intake(format: BOMExport.Format, fileName: String, item: String?) -> JSONObject {
        var o: JSONObject = ["connector": "bom", "source": .string(source), "format": .string(format.rawValue), "file": .string(fileName)]
        if let item { o["item"] = .string(item) }
        return o
    }

    /// The submissions of one export file: one per assembly revision, or one rejection for the
    /// whole file when it cannot be read or is larger than ``FileInputs/maxQuarantinedInput``.
    /// - Parameters:
    ///   - bytes: the export.
    ///   - format: its layout.
    ///   - fileName: its name (the attachment's name; results are `<name>#<GTIN>/<revision>`).
    ///   - only: when retrying, the one item to submit.
    ///   - quarantineID: when retrying, the entry.
    public func submissions(_ bytes: [UInt8], format: BOMExport.Format, fileName: String, only: String? = nil, quarantineID: UInt64? = nil) -> [Submission] {
        let whole = intake(format: format, fileName: fileName, item: nil)
        guard bytes.count <= FileInputs.maxQuarantinedInput else {
            return [FileInputs.tooLarge(bytes, what: "the BoM export", origin: fileName, intake: whole)]
        }
        switch BOMExport.read(bytes, format: format, fileName: fileName) {
        case .failure(let e):
            return [ingestor.submission(mapped: .failure(LedgerError.validation(e)), raw: bytes, origin: fileName, intake: whole, quarantineID: quarantineID)]
        case .success(let releases):
            var out: [Submission] = []
            for rel in releases where only == nil || only == rel.key {
                var s = ingestor.submission(
                    mapped: rel.event.mapError(LedgerError.validation), raw: bytes, origin: "\(fileName)#\(rel.key)",
                    intake: intake(format: format, fileName: fileName, item: rel.key), quarantineID: quarantineID)
                // The export itself is the event's attachment: its bytes go to the blob store with the record.
                if case .success = rel.event { s.blobs = [bytes] }
                out.append(s)
            }
            return out
        }
    }

    /// The submission that retries a quarantined item of an export (its entry keeps the export's bytes).
    /// - Throws: ``LedgerError`` if the export no longer holds the item.
    public func retry(raw: [UInt8], intake: JSONObject, quarantineID: UInt64) throws -> Submission {
        let format = BOMExport.Format(rawValue: intake["format"]?.stringValue ?? "") ?? .json
        let file = intake["file"]?.stringValue ?? "bom"
        let item = intake["item"]?.stringValue
        let subs = submissions(raw, format: format, fileName: file, only: item, quarantineID: quarantineID)
        guard subs.count == 1 else {
            throw LedgerError(
                .invalidArgument,
                subs.isEmpty ? "the export no longer yields \(item ?? "an assembly"); discard the entry"
                    : "the export now yields \(subs.count) assembly revisions; ingest the file again with dpp ingest bom, then discard the entry")
        }
        return subs[0]
    }
}
