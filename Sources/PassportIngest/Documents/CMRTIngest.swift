import Foundation
import PassportDocuments
import PassportLedger
import PassportModel
import Sodium

/// RMI Conflict Minerals Reporting Templates (CMRT 6.x workbooks) in, one `declaration.recorded`
/// (kind `conflict-minerals`) per workbook out, the workbook as its attachment
/// (`Specs/connectors/cmrt.md`). The supplier is `--supplier`, or the workbook's company unique ID
/// looked up in a suppliers file (`{"<company id>": "supplier/<id>"}`).
public struct CMRTIngest: Sendable {
    /// The options a workbook is read with (kept in quarantine, so a retry reads it the same way).
    public static let optionFields = ["supplier", "suppliers", "validFrom", "validUntil"]

    /// The ingestor that signs.
    public let ingestor: Ingestor
    /// The source whose key signs.
    public let source: String
    /// The largest workbook accepted (the ledger's attachment limit).
    public let maxSize: Int

    /// Prepares to sign with `source`'s key.
    /// - Throws: ``LedgerError`` if the source has no active key.
    public init(ledger: Ledger, source: String) throws {
        ingestor = try Ingestor(ledger: ledger, mode: .unsigned(source: source, baseDirectory: nil))
        self.source = source
        maxSize = ledger.options.maxAttachmentSize
    }

    /// The unsigned event of a workbook, or why there is none (a pure function).
    /// - Parameters:
    ///   - bytes: the workbook.
    ///   - name: its file name (the attachment's name).
    ///   - supplier: `supplier/<id>` (`--supplier`), which wins over `suppliers`.
    ///   - suppliers: company unique ID → `supplier/<id>`.
    ///   - validFrom: overrides the date of completion.
    ///   - validUntil: overrides a year after `validFrom`.
    public static func event(
        _ bytes: [UInt8], name: String, supplier: String?, suppliers: [String: String] = [:], validFrom: String? = nil, validUntil: String? = nil
    ) -> Result<JSONObject, ValidationError> {
        let cmrt: CMRTDeclaration
        do { cmrt = try CMRTReader.read(bytes) } catch {
            return .failure(ValidationError([Violation(code: Violation.Code(rawValue: error.code.rawValue), path: error.path.isEmpty ? name : error.path, rule: "RMI CMRT 6.x", message: error.message)]))
        }
        var subject = supplier
        if subject == nil {
            guard let id = cmrt.companyUniqueID else {
                return .failure(ValidationError([Violation(code: .required, path: "Declaration!D11", rule: "a supplier",
                    message: "the workbook has no company unique ID to look up: name the supplier with --supplier supplier/<id>")]))
            }
            guard let s = suppliers[id] else {
                return .failure(ValidationError([Violation(code: .required, path: "Declaration!D11", rule: "a supplier",
                    message: "company unique ID \"\(id)\" is not in the suppliers file: add it, or name the supplier with --supplier supplier/<id>", value: id)]))
            }
            subject = s
        }
        guard let subject, case .success(let supplierSubject) = FileInputs.supplier(subject) else {
            return .failure(ValidationError([Violation(code: .format, path: "supplier", rule: "supplier/<id>", message: "\(subject ?? "") is not a supplier: write supplier/<id>")]))
        }
        let metals = cmrt.metalsAnswered
        guard !metals.isEmpty else {
            return .failure(ValidationError([Violation(code: .required, path: "Declaration!D24", rule: "an answer per metal",
                message: "no metal is answered (questions 1 and 2, D24:D27 and D30:D33): the supplier must answer for tantalum, tin, gold and tungsten")]))
        }
        guard let fromText = validFrom ?? cmrt.completionDate.map({ $0 + "T00:00:00Z" }) else {
            return .failure(ValidationError([Violation(code: .required, path: "Declaration!D21", rule: "validFrom",
                message: "the date of completion is empty: the supplier must fill it in, or give --valid-from")]))
        }
        let from: Timestamp, until: Timestamp
        switch FileInputs.time(fromText) {
        case .success(let t): from = t
        case .failure(let r): return .failure(ValidationError([Violation(code: .format, path: "validFrom", rule: "a time", message: r.text)]))
        }
        if let validUntil {
            switch FileInputs.time(validUntil) {
            case .success(let t): until = t
            case .failure(let r): return .failure(ValidationError([Violation(code: .format, path: "validUntil", rule: "a time", message: r.text)]))
            }
        } else {
            until = Timestamp(microsecondsSinceEpoch: from.microseconds + 365 * 86_400_000_000)
        }
        let sha = Hex.encode(SHA256.hash(bytes))
        var scope = cmrt.declarationScope
        if let d = cmrt.scopeDescription { scope += " (\(d))" }
        scope += ": " + metals.map(\.rawValue).joined(separator: ", ")
        var data: JSONObject = [
            "kind": "conflict-minerals", "scope": .string(scope), "template": .string("RMI CMRT \(cmrt.version)"),
            "supplierName": .string(cmrt.companyName), "documentSha256": .string(sha),
        ]
        if !cmrt.smelters.isEmpty { data["smelters"] = Self.smelters(cmrt.smelters) }
        var event: JSONObject = [
            "type": "declaration.recorded", "subject": .string(supplierSubject), "sourceRef": .string("\(supplierSubject)/conflict-minerals/\(sha.prefix(16))"),
            "createdAt": .string(from.description), "validFrom": .string(from.description), "validUntil": .string(until.description), "data": .object(data),
            "attachments": [["sha256": .string(sha), "mediaType": .string(MediaTypes.guess("x.xlsx")), "name": .string(name)]],
        ]
        event["source"] = "cmrt"
        let problems: [Violation]
        do { problems = EventCatalog.validate(try Event(json: .object(event))) } catch { problems = error.violations }
        event["source"] = nil
        return problems.isEmpty ? .success(event) : .failure(ValidationError(problems))
    }

    /// The Smelter List per metal (lower-cased, sorted): how many rows, and their distinct smelter
    /// IDs, sorted. Names and countries stay in the attached workbook: IDs are what a recall team
    /// matches across suppliers, and a long list of IDs still fits in one record.
    static func smelters(_ rows: [CMRTDeclaration.Smelter]) -> JSONValue {
        let byMetal = Dictionary(grouping: rows) { $0.metal.trimmingWhitespace.lowercased() }
        return .array(byMetal.keys.sorted().map { metal in
            let ids = Set(byMetal[metal]!.compactMap { $0.smelterID?.trimmingWhitespace }.filter { !$0.isEmpty }).sorted()
            return ["metal": .string(metal), "rows": .number(JSONNumber(byMetal[metal]!.count)), "smelterIds": .array(ids.map(JSONValue.string))]
        })
    }

    /// A suppliers file: a JSON object of company unique ID → `supplier/<id>`.
    /// - Throws: ``ValidationError`` naming the file and the member.
    public static func suppliers(file: String) throws(ValidationError) -> [String: String] {
        let name = (file as NSString).lastPathComponent
        guard case .success(let bytes) = RegularFile.read(file, maxSize: 1 << 20) else {
            throw ValidationError([Violation(code: .required, path: name, rule: "a readable file", message: "cannot read the suppliers file \(file)")])
        }
        guard let json = try? JSONParser.parse(bytes), case .object(let o) = json else {
            throw ValidationError([Violation(code: .type, path: name, rule: "a JSON object", message: "the suppliers file must be a JSON object of company unique ID → supplier/<id>")])
        }
        var out: [String: String] = [:]
        for (k, v) in o {
            guard let s = v.stringValue, case .success(let subject) = FileInputs.supplier(s) else {
                throw ValidationError([Violation(code: .format, path: "\(name): \(k)", rule: "supplier/<id>", message: "must map to supplier/<id>")])
            }
            out[k] = subject
        }
        return out
    }

    /// The submission of one workbook. Quarantine keeps `{"file", "options"}` (the file's absolute
    /// path and the options), not the workbook: `dpp quarantine retry` reads the file (and the
    /// suppliers file) again.
    /// - Parameters:
    ///   - path: the workbook.
    ///   - options: `supplier`, `suppliers` (a file path), `validFrom`, `validUntil`.
    public func submission(path: String, options: [String: String], quarantineID: UInt64? = nil) -> Submission {
        let entry = FileEntry(path: path, stringOptions: options)
        let name = entry.name
        let intake: JSONObject = ["connector": "cmrt", "source": .string(source), "file": .string(entry.file)]
        let mapped: Result<JSONObject, LedgerError>
        var bytes: [UInt8] = []
        switch entry.read(maxSize: maxSize) {
        case .failure(let e):
            mapped = .failure(e)
        case .success(let b):
            bytes = b
            do {
                let suppliers = try options["suppliers"].map { f throws(ValidationError) in try Self.suppliers(file: f) } ?? [:]
                mapped = Self.event(b, name: name, supplier: options["supplier"], suppliers: suppliers, validFrom: options["validFrom"], validUntil: options["validUntil"])
                    .mapError(LedgerError.validation)
            } catch {
                mapped = .failure(LedgerError.validation(error))
            }
        }
        return ingestor.submission(mapped: mapped, raw: entry.raw, origin: name, intake: intake, blobs: bytes.isEmpty ? [] : [bytes], quarantineID: quarantineID)
    }

    /// The submission that retries a quarantined workbook: the file is read again.
    /// - Throws: ``LedgerError`` if the entry's bytes do not name a workbook.
    public func retry(raw: [UInt8], quarantineID: UInt64) throws -> Submission {
        guard let entry = FileEntry(raw: raw) else { throw LedgerError(.invalidArgument, "the entry does not name a CMRT workbook") }
        return submission(path: entry.file, options: entry.stringOptions, quarantineID: quarantineID)
    }
}
