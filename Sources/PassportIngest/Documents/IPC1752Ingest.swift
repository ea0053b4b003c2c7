import Foundation
import PassportDocuments
import PassportLedger
import PassportModel
import Sodium

/// IPC-1752A material declarations (class C or D, XML) in; out, per file, a `composition.declared`
/// for the product model and a `declaration.recorded` (kind `substances`) for the supplier, both
/// with the document as their attachment (`Specs/connectors/ipc1752.md`).
public struct IPC1752Ingest: Sendable {
    /// The two events of a declaration.
    public enum Item: String, Sendable, CaseIterable {
        /// `composition.declared` for the product.
        case composition
        /// `declaration.recorded` for the supplier.
        case declaration
    }

    /// The ingestor that signs.
    public let ingestor: Ingestor
    /// The source whose key signs.
    public let source: String
    /// The largest document accepted (the ledger's attachment limit).
    public let maxSize: Int

    /// Prepares to sign with `source`'s key.
    /// - Throws: ``LedgerError`` if the source has no active key.
    public init(ledger: Ledger, source: String) throws {
        ingestor = try Ingestor(ledger: ledger, mode: .unsigned(source: source, baseDirectory: nil))
        self.source = source
        maxSize = ledger.options.maxAttachmentSize
    }

    /// The unsigned events of a declaration (a pure function): the composition first, then the
    /// supplier's declaration when a supplier is known (`supplier`, else the document's company unique ID).
    /// - Parameters:
    ///   - subject: `01/<GTIN>` of the product; else `items` maps the document's item number.
    ///   - validFrom: when the document gives no response date.
    public static func events(
        _ bytes: [UInt8], name: String, subject: String?, items: [String: String] = [:], supplier: String? = nil, validFrom: String? = nil
    ) -> Result<[(Item, JSONObject)], ValidationError> {
        let doc: MaterialDeclaration
        do { doc = try IPC1752Reader.read(bytes, name: name) } catch {
            return .failure(ValidationError([Violation(code: Violation.Code(rawValue: error.code.rawValue), path: error.path.isEmpty ? name : error.path, rule: "IPC-1752A", message: error.message)]))
        }
        func fail(_ code: Violation.Code, _ path: String, _ message: String) -> Result<[(Item, JSONObject)], ValidationError> {
            .failure(ValidationError([Violation(code: code, path: path, rule: "IPC-1752A", message: message)]))
        }
        var product = doc.products.count == 1 ? doc.products[0] : nil
        var model = subject
        if model == nil {
            guard let p = doc.products.first(where: { $0.itemNumber.map { items[$0] != nil } ?? false }), let n = p.itemNumber else {
                return fail(.required, "subject", "no --subject, and no item number of the document (\(doc.products.compactMap(\.itemNumber).joined(separator: ", "))) is in the items file: give --subject 01/<GTIN>")
            }
            product = p
            model = items[n]
        }
        guard let product else {
            return fail(.rule, "/MainDeclaration/Product", "the document declares \(doc.products.count) products: map their item numbers with an items file to say which is which")
        }
        guard let model, case .success(let modelSubject) = FileInputs.model(model) else {
            return fail(.format, "subject", "\(model ?? "") is not a product model: write 01/<GTIN>")
        }
        guard let dateText = validFrom ?? doc.date, case .success(let from) = FileInputs.time(dateText) else {
            return fail(.required, "/MainDeclaration/BusinessInfo/Response/@responseDate", "the declaration has no (valid) date: give --valid-from")
        }
        let total = product.materials.reduce(0) { $0 + $1.massKg }
        guard total > 0 else { return fail(.rule, "/MainDeclaration/Product", "the homogeneous materials weigh 0 kg, so no share can be computed") }
        func round(_ d: Double) -> Double { (d * 10_000).rounded() / 10_000 }
        var materials: [JSONValue] = []
        var concern: [JSONValue] = []
        for m in product.materials {
            materials.append(["name": .string(m.name), "massKg": FileInputs.json(m.massKg), "sharePercent": FileInputs.json(round(m.massKg / total * 100))])
            for s in m.substances where s.declarable {
                guard let cas = s.casNumber, let mass = s.massKg else { continue }
                let pct = m.massKg > 0 ? round(mass / m.massKg * 100) : 0
                concern.append(["name": .string(s.name), "casNumber": .string(cas), "concentrationPercent": FileInputs.json(pct), "location": .string(m.name)])
            }
        }
        let sha = Hex.encode(SHA256.hash(bytes))
        let attachment: JSONValue = ["sha256": .string(sha), "mediaType": "application/xml", "name": .string(name)]
        var out: [(Item, JSONObject)] = []
        out.append((.composition, [
            "type": "composition.declared", "subject": .string(modelSubject), "sourceRef": .string("\(modelSubject)/ipc1752/\(sha.prefix(16))"),
            "createdAt": .string(from.description), "validFrom": .string(from.description),
            "data": ["materials": .array(materials), "substancesOfConcern": .array(concern)], "attachments": [attachment],
        ]))
        if let s = supplier ?? doc.supplierID {
            guard case .success(let supplierSubject) = FileInputs.supplier(s) else {
                return fail(.format, supplier == nil ? "/MainDeclaration/BusinessInfo/Supplier/@companyUniqueID" : "supplier", "\(s) is not a supplier: write supplier/<id>")
            }
            let until = Timestamp(microsecondsSinceEpoch: from.microseconds + 365 * 86_400_000_000)
            var data: JSONObject = [
                "kind": "substances", "scope": .string("IPC-1752A class \(doc.declarationClass): \([product.itemNumber, product.itemName].compactMap { $0 }.joined(separator: " ")) (\(modelSubject))"),
                "template": .string("IPC-1752A \(doc.version)"), "documentSha256": .string(sha),
            ]
            if let n = doc.supplierName { data["supplierName"] = .string(n) }
            out.append((.declaration, [
                "type": "declaration.recorded", "subject": .string(supplierSubject), "sourceRef": .string("\(supplierSubject)/substances/\(sha.prefix(16))"),
                "createdAt": .string(from.description), "validFrom": .string(from.description), "validUntil": .string(until.description),
                "data": .object(data), "attachments": [attachment],
            ]))
        }
        var problems: [Violation] = []
        for (_, e) in out {
            var event = e
            event["source"] = "ipc1752"
            do { problems += EventCatalog.validate(try Event(json: .object(event))) } catch { problems += error.violations }
        }
        return problems.isEmpty ? .success(out) : .failure(ValidationError(problems))
    }

    /// A JSON object of item number → `01/<GTIN>` (an items file).
    /// - Throws: ``ValidationError`` naming the file, and the member whose value is not a product model.
    public static func items(file: String) throws(ValidationError) -> [String: String] {
        let name = (file as NSString).lastPathComponent
        guard case .success(let bytes) = RegularFile.read(file, maxSize: 1 << 20), let json = try? JSONParser.parse(bytes), case .object(let o) = json else {
            throw ValidationError([Violation(code: .type, path: name, rule: "a JSON object",
                message: "the items file \(file) must be a readable JSON object of item number → 01/<GTIN>")])
        }
        var out: [String: String] = [:]
        for (k, v) in o {
            switch v.stringValue.map(FileInputs.model) {
            case .success(let model)?: out[k] = model
            case .failure(let rule)?:
                throw ValidationError([Violation(code: .format, path: "\(name): \(k)", rule: rule.text, message: "must map to a product model 01/<GTIN>", value: v.stringValue)])
            case nil:
                throw ValidationError([Violation(code: .type, path: "\(name): \(k)", rule: "01/<GTIN>", message: "must map to a product model 01/<GTIN> (text)")])
            }
        }
        return out
    }

    /// The submissions of one document: the composition and, with a supplier, the declaration
    /// (`<file>#composition`, `<file>#declaration`); one rejection (`<file>`) if it cannot be read.
    /// Quarantine keeps `{"file", "item", "options"}`; `dpp quarantine retry` reads the file again.
    /// - Parameters:
    ///   - options: `subject`, `items` (a file path), `supplier`, `validFrom`.
    ///   - only: when retrying, the one item to submit.
    public func submissions(path: String, options: [String: String], only: Item? = nil, quarantineID: UInt64? = nil) -> [Submission] {
        let entry = FileEntry(path: path, stringOptions: options)
        let name = entry.name
        func raw(_ item: Item?) -> [UInt8] {
            var e = entry
            e.item = item?.rawValue
            return e.raw
        }
        let intake: JSONObject = ["connector": "ipc1752", "source": .string(source), "file": .string(entry.file)]
        let result: Result<[(Item, JSONObject)], LedgerError>
        var bytes: [UInt8] = []
        switch entry.read(maxSize: maxSize) {
        case .failure(let e):
            result = .failure(e)
        case .success(let b):
            bytes = b
            do {
                let items = try options["items"].map { f throws(ValidationError) in try Self.items(file: f) } ?? [:]
                result = Self.events(b, name: name, subject: options["subject"], items: items, supplier: options["supplier"], validFrom: options["validFrom"])
                    .mapError(LedgerError.validation)
            } catch {
                result = .failure(LedgerError.validation(error))
            }
        }
        switch result {
        case .failure(let e):
            return [ingestor.submission(mapped: .failure(e), raw: raw(only), origin: name, intake: intake, quarantineID: quarantineID)]
        case .success(let events):
            return events.filter { only == nil || $0.0 == only }.map { item, event in
                ingestor.submission(mapped: .success(event), raw: raw(item), origin: "\(name)#\(item.rawValue)", intake: intake, blobs: [bytes], quarantineID: quarantineID)
            }
        }
    }

    /// The submissions that retry a quarantined entry: the file is read again; an entry of one
    /// event yields that event, an entry of a whole document all of its events.
    /// - Throws: ``LedgerError`` if the entry does not name a document, or its event is no longer made.
    public func retry(raw: [UInt8], quarantineID: UInt64) throws -> [Submission] {
        guard let entry = FileEntry(raw: raw) else { throw LedgerError(.invalidArgument, "the entry does not name an IPC-1752A document") }
        let only = entry.item.flatMap(Item.init)
        let subs = submissions(path: entry.file, options: entry.stringOptions, only: only, quarantineID: quarantineID)
        guard !subs.isEmpty else {
            throw LedgerError(.invalidArgument, "the document no longer yields its \(only?.rawValue ?? "events"); ingest it again with dpp ingest ipc1752, then discard the entry")
        }
        return subs
    }
}
