import Foundation
import PassportLedger
import PassportModel
import Sodium

/// Supplier attestations as CSV (recycled content, sustainability…) in, one `declaration.recorded`
/// event per row out (`Specs/connectors/csv.md`). A pure mapper: a bad row is rejected naming its
/// line and column while the other rows are mapped.
public struct AttestationCSV: Sendable {
    /// The column mapping.
    public let mapping: AttestationMapping
    /// The supplier of every row (`--supplier`), when the mapping has no supplier column.
    public let supplier: String?

    /// Creates a mapper.
    /// - Parameters:
    ///   - mapping: the column mapping.
    ///   - supplier: a `supplier/<id>` subject for every row; the mapping's column, if any, wins.
    public init(mapping: AttestationMapping, supplier: String? = nil) {
        self.mapping = mapping
        self.supplier = supplier
    }

    /// One row's outcome.
    public struct Row: Sendable {
        /// The line the row starts on.
        public let line: Int
        /// The row's bytes (kept in quarantine with the header line).
        public let bytes: [UInt8]
        /// The unsigned event, or why the row cannot be one.
        public let event: Result<JSONObject, ValidationError>
    }

    /// Maps a CSV file.
    /// - Parameters:
    ///   - bytes: the file.
    ///   - lineOffset: added to line numbers (a retried row is read from its header and itself).
    /// - Returns: the header line's bytes and one outcome per row, or the violations that stop the
    ///   whole file (not CSV; a column the mapping names is not in the header).
    public func map(_ bytes: [UInt8], lineOffset: Int = 0) -> Result<(header: [UInt8], rows: [Row]), ValidationError> {
        let table: CSVTable
        do { table = try CSVTable(bytes, delimiter: mapping.delimiter) } catch {
            return .failure(ValidationError([Violation(code: .format, path: "line \(error.line + lineOffset)", rule: "CSV (RFC 4180)", message: error.reason)]))
        }
        let missing = mapping.columnNames.filter { !table.columns.contains($0) }
        if !missing.isEmpty {
            return .failure(ValidationError(missing.map { c in
                Violation(code: .required, path: "line 1: \(c)", rule: "a mapped column is in the header",
                    message: "the mapping reads column \(c), which the file does not have (its columns: \(table.columns.joined(separator: ", ")))")
            }))
        }
        if mapping.columns["supplier"] == nil && supplier == nil {
            return .failure(ValidationError([Violation(code: .required, path: "supplier", rule: "required",
                message: "the mapping has no supplier column: name the supplier with --supplier supplier/<id>")]))
        }
        return .success((table.headerBytes, table.rows.map { row in
            let line = row.line + lineOffset
            guard let values = row.values else {
                return Row(line: line, bytes: row.bytes, event: .failure(ValidationError([Violation(
                    code: .format, path: "line \(line)", rule: "\(table.columns.count) fields",
                    message: "has \(row.fieldCount) fields; the header has \(table.columns.count)")])))
            }
            return Row(line: line, bytes: row.bytes, event: event(values, line: line))
        }))
    }

    /// The event of one row.
    func event(_ row: [String: String], line: Int) -> Result<JSONObject, ValidationError> {
        var values: [String: JSONValue] = [:]
        var names: [String: String] = [:]  // field → what to call it in a violation
        for (field, source) in mapping.columns {
            switch source {
            case .column(let c):
                values[field] = row[c].map(JSONValue.string)
                names[field] = "line \(line): \(c)"
            case .constant(let v):
                values[field] = .string(v)
                names[field] = "mapping columns.\(field)"
            }
        }
        var f = FieldSet(values: values, path: { names[$0] ?? "line \(line): \($0)" }, textual: true)
        f.decimalComma = mapping.decimalComma
        var r = FieldReader()
        let subject = mapping.columns["supplier"] == nil ? supplier : r.subject(f, "supplier", required: "the declaring supplier", FileInputs.supplier)
        let kind = r.text(f, "kind", required: "the declaration's kind")
        let scope = r.text(f, "scope", required: "the materials, parts or sites covered")
        let from = r.time(f, "validFrom", required: "when the declaration starts to hold")
        let until = r.time(f, "validUntil", required: "when it stops holding")
        let issued = r.time(f, "issuedAt")
        let id = r.text(f, "id")
        var data: JSONObject = [:]
        if let kind { data["kind"] = .string(kind) }
        if let scope { data["scope"] = .string(scope) }
        for k in ["template", "supplierName", "documentSha256"] {
            if let v = r.text(f, k) { data[k] = .string(k == "documentSha256" ? v.lowercased() : v) }
        }
        if let p = r.number(f, "recycledContentPercent", percent: true) { data["recycledContentPercent"] = FileInputs.json(p) }
        guard r.violations.isEmpty, let subject, let kind, let from, let until else { return .failure(ValidationError(r.violations)) }
        let ref = "\(subject)/\(kind)/\(id ?? String(from.prefix(10)))"
        var event: JSONObject = [
            "type": "declaration.recorded", "subject": .string(subject), "sourceRef": .string(ref), "createdAt": .string(issued ?? from),
            "validFrom": .string(from), "validUntil": .string(until), "data": .object(data),
        ]
        // The catalog's rules (kind, percent range, validity order), named by the row's column.
        event["source"] = "csv"
        let problems: [Violation]
        do { problems = EventCatalog.validate(try Event(json: .object(event))) } catch { problems = error.violations }
        event["source"] = nil
        if problems.isEmpty { return .success(event) }
        return .failure(ValidationError(problems.map { p in
            let field = p.path.hasPrefix("data.") ? String(p.path.dropFirst(5)) : p.path
            let at = names[field] ?? (field == "sourceRef" ? names["id"] : nil) ?? "line \(line)"
            return Violation(code: p.code, path: at, rule: p.rule, message: "\(p.path): \(p.message)", value: p.value)
        }))
    }
}

/// Attestation CSV files in, signed submissions out: one per row, each keeping (for quarantine)
/// the header line and the row's bytes with an intake (`connector: csv`) that names the mapping
/// file, so that `dpp quarantine retry` maps the row again with the mapping as it is then.
public struct AttestationIngest: Sendable {
    /// The mapper.
    public let mapper: AttestationCSV
    /// The ingestor that signs.
    public let ingestor: Ingestor
    /// The intake every submission carries (a row's adds `file` and `line`).
    public let intake: JSONObject

    /// Reads a mapping file and prepares to sign with `source`'s key.
    /// - Parameters:
    ///   - supplier: `supplier/<id>` for every row when the mapping has no supplier column.
    /// - Throws: ``LedgerError`` naming every problem of the mapping file, or the source's key.
    public init(ledger: Ledger, source: String, mappingFile: String, supplier: String? = nil) throws {
        guard case .success(let bytes) = RegularFile.read(mappingFile, maxSize: 1 << 20) else {
            throw LedgerError(.notFound, "cannot read the mapping file \(mappingFile)")
        }
        let mapping: AttestationMapping
        do { mapping = try AttestationMapping(yaml: String(decoding: bytes, as: UTF8.self)) } catch {
            throw LedgerError(.invalidArgument, violations: error.violations.map {
                Violation(code: $0.code, path: $0.path, rule: $0.rule, message: "\(mappingFile): \($0.message)", value: $0.value)
            })
        }
        mapper = AttestationCSV(mapping: mapping, supplier: supplier)
        ingestor = try Ingestor(ledger: ledger, mode: .unsigned(source: source, baseDirectory: nil))
        var o: JSONObject = ["connector": "csv", "source": .string(source), "mapping": .string(URL(fileURLWithPath: mappingFile).standardizedFileURL.path),
            "mappingSha256": .string(Hex.encode(SHA256.hash(bytes)))]
        if let supplier { o["supplier"] = .string(supplier) }
        intake = o
    }

    /// The submissions of one CSV file: one per row (`<name>:<line>`), or one rejection for the
    /// whole file (`<name>`) when it cannot be read or lacks a mapped column.
    /// - Parameters:
    ///   - lineOffset: when retrying a row, its line minus 2.
    ///   - quarantineID: when retrying, the entry.
    public func submissions(_ bytes: [UInt8], fileName: String, lineOffset: Int = 0, quarantineID: UInt64? = nil) -> [Submission] {
        var whole = intake
        whole["file"] = .string(fileName)
        switch mapper.map(bytes, lineOffset: lineOffset) {
        case .failure(let e):
            if bytes.count > FileInputs.maxQuarantinedInput {
                var s = FileInputs.tooLarge(bytes, what: "the CSV file", origin: fileName, intake: whole)
                s.content = .failure(LedgerError(.invalidEvent, violations: e.violations))
                return [s]
            }
            return [ingestor.submission(mapped: .failure(LedgerError.validation(e)), raw: bytes, origin: fileName, intake: whole, quarantineID: quarantineID)]
        case .success(let (header, rows)):
            return rows.map { row in
                var rowIntake = whole
                rowIntake["line"] = .number(JSONNumber(row.line))
                let origin = "\(fileName):\(row.line)"
                let raw = header + [UInt8(ascii: "\n")] + row.bytes
                if raw.count > FileInputs.maxQuarantinedInput {
                    return FileInputs.tooLarge(raw, what: "the row", origin: origin, intake: rowIntake)
                }
                return ingestor.submission(mapped: row.event.mapError(LedgerError.validation), raw: raw, origin: origin, intake: rowIntake, quarantineID: quarantineID)
            }
        }
    }

    /// The submission that retries a quarantined row (or whole file) with the mapping as it is now.
    /// - Throws: ``LedgerError`` if the entry now yields more or fewer than one row.
    public func retry(raw: [UInt8], intake: JSONObject, quarantineID: UInt64) throws -> Submission {
        let file = intake["file"]?.stringValue ?? "csv"
        let line = intake["line"]?.numberValue.map { Int($0.double) }
        let subs = submissions(raw, fileName: file, lineOffset: line.map { $0 - 2 } ?? 0, quarantineID: quarantineID)
        guard subs.count == 1 else {
            throw LedgerError(.invalidArgument, "the file now yields \(subs.count) rows; ingest it again with dpp ingest csv, then discard the entry")
        }
        return subs[0]
    }
}
