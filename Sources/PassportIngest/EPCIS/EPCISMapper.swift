import PassportLedger
import PassportModel
import Sodium

/// Turns GS1 EPCIS 2.0 JSON / JSON-LD documents (`EPCISDocument`, `EPCISQueryDocument`) into
/// unsigned passport events, one ``EPCISResult`` per EPCIS event (`Specs/connectors/epcis.md`).
/// Pure: it reads nothing but its input and writes nothing.
public struct EPCISMapper: Sendable {
    /// Country (ISO 3166-1 alpha-2) of locations and parties by 13-digit GLN, as the operator's
    /// master data knows them; the document's own master data (`cbvmda:countryCode`) comes first.
    public var locationCountries: [String: String]
    /// Whether each mapped event is checked against its type (``EventCatalog``) before it is
    /// returned (default true).
    public var validatesEvents = true
    /// What a logistic unit (an SSCC, 18 digits) holds when the document itself does not pack it,
    /// or nil when unknown: the ingest layer answers from earlier documents and the ledger's
    /// `unit.packed` records (``EPCISIngest``), so that a pallet packed in one document and shipped,
    /// received or unpacked in another stands for its contents. Nil (the default): each document alone.
    /// If it throws (the ledger cannot be read), the event naming the unit is rejected with the
    /// error, and so kept in quarantine to retry, rather than kept as a unit nobody describes.
    public var unitContents: (@Sendable (_ sscc: String) throws -> [UnitContent]?)?

    /// A batch or an item a logistic unit holds, as `unit.packed` states it.
    public struct UnitContent: Sendable, Hashable {
        /// The batch (`01/<GTIN>/10/<lot>`) or item (`01/<GTIN>/21/<serial>`).
        public let subject: String
        /// Pieces of a batch, when stated.
        public let quantity: Double?

        /// Creates a content.
        public init(subject: String, quantity: Double?) { (self.subject, self.quantity) = (subject, quantity) }

        /// The contents a `unit.packed` event states (its `data.contents`).
        public static func of(_ data: JSONObject) -> [UnitContent] {
            (data["contents"]?.arrayValue ?? []).compactMap { c in
                c.objectValue?["subject"]?.stringValue.map { UnitContent(subject: $0, quantity: c.objectValue?["quantity"]?.numberValue?.double) }
            }
        }
    }

    /// The `source` the check puts in an event (the appender puts its own).
    static let checkSource = "epcis"

    /// Creates a mapper.
    /// - Parameter locationCountries: GLN → country, for shipping destinations.
    public init(locationCountries: [String: String] = [:]) { self.locationCountries = locationCountries }

    /// Maps a document given as JSON text.
    /// - Parameters:
    ///   - bytes: the document (UTF-8 JSON).
    ///   - input: its name, repeated in every result.
    /// - Returns: one result per EPCIS event in document order, or one rejection for a document
    ///   that is not valid JSON or not an EPCIS document.
    public func map(_ bytes: some Collection<UInt8>, input: String) -> [EPCISResult] {
        var prepared = prepare(bytes, input: input)
        return map(&prepared, range: 0..<prepared.count)
    }

    /// Maps a parsed document.
    public func map(document: JSONValue, input: String) -> [EPCISResult] {
        var prepared = prepare(document: document, input: input)
        return map(&prepared, range: 0..<prepared.count)
    }

    /// A document read and checked, its events not yet mapped: ``map(_:range:)`` maps them a
    /// slice at a time, so that a pipeline can sign and commit the first slice while it maps the next.
    public struct Prepared: Sendable {
        let input: String
        /// The result for a document that cannot be mapped at all (not JSON, not EPCIS, no event list).
        let rejection: EPCISResult?
        let list: [JSONValue]
        let listPath: String
        /// Whether events can be mapped on all cores (no AggregationEvent changes what the others see).
        let independent: Bool
        var doc: DocumentContext

        /// How many results mapping the whole document gives: one per EPCIS event, or one rejection.
        public var count: Int { rejection == nil ? list.count : 1 }
    }

    /// Reads a document given as JSON text (its event list parsed on all cores).
    /// - Parameters:
    ///   - bytes: the document (UTF-8 JSON).
    ///   - input: its name, repeated in every result.
    public func prepare(_ bytes: some Collection<UInt8>, input: String) -> Prepared {
        let value: JSONValue
        do {
            // The event list's elements are parsed on all cores (the list sits at depth 3 of a
            // capture document, 5 of a query document).
            value = try JSONParser.parse(Array(bytes), splitting: JSONParser.ArraySplitting(maxDepth: 5, minimumCount: 256) { parallelMap($0, $1) })
        } catch {
            return Prepared(rejecting: EPCISResult(input: input, index: nil, eventID: nil, kept: nil, outcome: .reject([Violation(
                code: Violation.Code(rawValue: "malformed-json"), path: "", rule: "I-JSON text (RFC 8259, RFC 7493)",
                message: "not valid JSON: \(error.description)")])))
        }
        return prepare(document: value, input: input)
    }

    /// Reads a parsed document.
    public func prepare(document: JSONValue, input: String) -> Prepared {
        func reject(_ v: Violation) -> Prepared { Prepared(rejecting: EPCISResult(input: input, index: nil, eventID: nil, kept: nil, outcome: .reject([v]))) }
        guard case .object(let root) = document else {
            return reject(Violation(code: .type, path: "", rule: "an EPCIS document", message: "not an EPCIS document: the JSON is \(document.typeName), not an object"))
        }
        let type = root["type"]?.stringValue ?? root["isA"]?.stringValue
        let listPath: [String]
        switch type {
        case "EPCISDocument": listPath = ["epcisBody", "eventList"]
        case "EPCISQueryDocument": listPath = ["epcisBody", "queryResults", "resultsBody", "eventList"]
        default:
            return reject(Violation(code: .oneOf, path: "type", rule: "EPCISDocument or EPCISQueryDocument",
                message: "not an EPCIS document: type must be EPCISDocument or EPCISQueryDocument", value: type.map { "\"\($0)\"" } ?? root["type"].map(Violation.show)))
        }
        var node: JSONValue = document
        var path = ""
        for key in listPath {
            path += path.isEmpty ? key : ".\(key)"
            guard let next = node.objectValue?[key] else {
                return reject(Violation(code: .required, path: path, rule: "required", message: "is required: an \(type!) carries its events in \(listPath.joined(separator: "."))"))
            }
            node = next
        }
        guard case .array(let list) = node else {
            return reject(Violation(code: .type, path: path, rule: "array", message: "must be an array of EPCIS events, not \(node.typeName)"))
        }
        return Prepared(
            input: input, rejection: nil, list: list, listPath: path,
            independent: !list.contains(where: { $0.objectValue?["type"]?.stringValue == "AggregationEvent" }),
            doc: DocumentContext(context: root["@context"], countries: EPCISMapper.masterDataCountries(root), known: unitContents))
    }

    /// Maps the events of a prepared document at `range` (in order: a document with
    /// AggregationEvents must be mapped in consecutive slices from its start).
    /// - Parameters:
    ///   - prepared: the document; it keeps what its AggregationEvents packed for the next slices.
    ///   - range: positions in `0..<prepared.count`.
    /// - Returns: one result per EPCIS event in `range`, or the document's rejection.
    public func map(_ prepared: inout Prepared, range: Range<Int>) -> [EPCISResult] {
        if let rejection = prepared.rejection { return range.isEmpty ? [] : [rejection] }
        let input = prepared.input
        let listPath = prepared.listPath
        // Without AggregationEvents no event changes what the others see: map them on all cores.
        if prepared.independent {
            let shared = prepared.doc
            let list = prepared.list
            return parallelMap(Array(range)) { i in
                var d = shared
                return self.mapEvent(list[i], index: i, path: "\(listPath)[\(i)]", input: input, doc: &d)
            }
        }
        var out: [EPCISResult] = []
        out.reserveCapacity(range.count)
        for i in range {
            out.append(mapEvent(prepared.list[i], index: i, path: "\(listPath)[\(i)]", input: input, doc: &prepared.doc))
        }
        return out
    }

    /// What one document's events share: its `@context`, its master data, and which SSCCs hold
    /// which products (from its AggregationEvents, in document order).
    struct DocumentContext: Sendable {
        let context: JSONValue?
        let countries: [String: String]
        /// What earlier documents and the ledger say an SSCC holds (``EPCISMapper/unitContents``).
        let known: (@Sendable (String) throws -> [UnitContent]?)?
        var containment: [String: [Contained]] = [:]
        /// What ``learn(_:depth:)`` found in ``known`` for the event being mapped.
        var learned: [String: [Contained]] = [:]

        /// What `sscc` holds: as this document packed it, else as learned before it.
        func contents(_ sscc: String) -> [Contained]? { containment[sscc] ?? learned[sscc] }

        /// Asks ``known`` what `sscc` holds, unless this document packed it, and so for the units
        /// inside it (8 levels at most).
        /// - Throws: what ``known`` throws.
        mutating func learn(_ sscc: String, depth: Int = 0) throws {
            guard depth < 8 else { return }
            let inside: [Contained]
            if let c = contents(sscc) {
                inside = c
            } else {
                guard let known, let found = try known(sscc) else { return }
                inside = found.compactMap { c in
                    switch (try? Subject(c.subject))?.kind {
                    case .item: Contained(id: .item(subject: c.subject, lot: nil), quantity: nil, uom: nil)
                    case .batch: Contained(id: .batch(subject: c.subject), quantity: c.quantity, uom: nil)
                    default: nil
                    }
                }
                learned[sscc] = inside
            }
            for child in inside { if case .sscc(let unit) = child.id { try learn(unit, depth: depth + 1) } }
        }
    }

    /// A product packed in an SSCC, with the quantity the packing stated.
    struct Contained: Equatable, Sendable {
        let id: EPCISIdentifier
        let quantity: Double?
        let uom: String?
    }

    /// `cbvmda:countryCode` of the locations and parties in the header's master data, by GLN.
    static func masterDataCountries(_ root: JSONObject) -> [String: String] {
        guard let vocabularies = root["epcisHeader"]?.objectValue?["epcisMasterData"]?.objectValue?["vocabularyList"]?.arrayValue else { return [:] }
        var out: [String: String] = [:]
        for vocabulary in vocabularies {
            for element in vocabulary.objectValue?["vocabularyElementList"]?.arrayValue ?? [] {
                guard let o = element.objectValue, let id = o["id"]?.stringValue, case .success(let ident) = EPCISIdentifier.parse(id),
                    let gln = ident.gln else { continue }
                for attribute in o["attributes"]?.arrayValue ?? [] {
                    guard let a = attribute.objectValue, let name = a["id"]?.stringValue,
                        name == "cbvmda:countryCode" || name == "urn:epcglobal:cbv:mda#countryCode" || name == "https://ref.gs1.org/cbv/mda-countryCode" || name == "countryCode",
                        let code = a["attribute"]?.stringValue else { continue }
                    out[gln] = code
                }
            }
        }
        return out
    }

    // MARK: One event

    static let eventTypes: Set<String> = ["ObjectEvent", "AggregationEvent", "TransactionEvent", "TransformationEvent", "AssociationEvent"]

    func mapEvent(_ value: JSONValue, index: Int, path: String, input: String, doc: inout DocumentContext) -> EPCISResult {
        guard case .object(let event) = value else {
            let kept = KeptEPCISEvent(bytes: CanonicalJSON.encode(value))
            return EPCISResult(input: input, index: index, eventID: "ni:///sha-256;" + kept.sha256, kept: kept, outcome: .reject([Violation(
                code: .type, path: path, rule: "object", message: "an EPCIS event must be an object, not \(value.typeName)")]))
        }
        let eventID = event["eventID"]?.stringValue ?? "ni:///sha-256;" + Hex.encode(SHA256.hash(CanonicalJSON.encode(value)))
        let kept = EPCISMapper.keep(event, context: doc.context)
        var reader = EventReader(event: event, path: path, eventID: eventID)
        let outcome = reader.outcome(mapper: self, doc: &doc, kept: kept)
        return EPCISResult(input: input, index: index, eventID: eventID, kept: kept, outcome: outcome)
    }

    /// The event's canonical bytes, with the document's `@context` in front when it has none.
    static func keep(_ event: JSONObject, context: JSONValue?) -> KeptEPCISEvent {
        guard let context, event["@context"] == nil else { return KeptEPCISEvent(bytes: CanonicalJSON.encode(.object(event))) }
        var withContext = event
        withContext["@context"] = context
        return KeptEPCISEvent(bytes: CanonicalJSON.encode(.object(withContext)))
    }

    /// The violations of a mapped event against its type.
    static func check(_ event: JSONObject) -> [Violation] { MappedEvents.violations(event, source: checkSource) }
}

/// A CBV value without its vocabulary prefix: `urn:epcglobal:cbv:bizstep:shipping` and
/// `https://ref.gs1.org/cbv/BizStep-shipping` are `shipping`.
func cbvWord(_ s: String, urn: String, web: String) -> String {
    let u = s.utf8
    if u.allSatisfy({ $0 < 0x80 }) {
        // ASCII: the same prefixes compared as bytes, without building them.
        func after(_ parts: String...) -> String? {
            var rest = Substring(s).utf8
            for p in parts {
                guard rest.starts(with: p.utf8) else { return nil }
                rest = rest.dropFirst(p.utf8.count)
            }
            return String(Substring(rest))
        }
        return after("urn:epcglobal:cbv:", urn, ":") ?? after("https://ref.gs1.org/cbv/", web, "-") ?? s
    }
    if s.hasPrefix("urn:epcglobal:cbv:\(urn):") { return String(s.dropFirst(19 + urn.utf8.count)) }
    if s.hasPrefix("https://ref.gs1.org/cbv/\(web)-") { return String(s.dropFirst(25 + web.utf8.count)) }
    return s
}

/// A product an event is about, with the quantity the event states for it.
struct Product {
    let subject: String
    let kind: Subject.Kind
    /// Pieces for an item (1) or a lot's quantity without a measuring unit; nil otherwise.
    var count: Double?
    /// The quantity and unit as sent, for messages.
    var measured: (quantity: Double, uom: String)?
    /// The lot of an item when the event says it (Digital Link `/10/…/21/…`, or ilmd).
    var lot: String?
    /// Where the product was named (`….epcList[2]`).
    let path: String
}

/// A source or destination: its type word and its identifier.
struct Party {
    let type: String
    let id: String
    let parsed: EPCISIdentifier?

    /// The text for people: the 13-digit GLN of a GS1 location or party, else the identifier as sent.
    var text: String { parsed?.gln ?? id }
}

/// Reads one EPCIS event and decides its passport events.
struct EventReader {
    let event: JSONObject
    let path: String
    let eventID: String
    var violations: [Violation] = []

    init(event: JSONObject, path: String, eventID: String) {
        self.event = event
        self.path = path
        self.eventID = eventID
    }

    mutating func fail(_ code: Violation.Code, _ field: String, _ rule: String, _ message: String, _ value: JSONValue?) {
        violations.append(Violation(code: code, path: "\(path).\(field)", rule: rule, message: message, value: value.map(Violation.show)))
    }

    func string(_ key: String) -> String? { event[key]?.stringValue }

    /// The identifiers of a list of EPCs (strings).
    mutating func identifiers(_ key: String) -> [(EPCISIdentifier, String)] {
        guard let value = event[key] else { return [] }
        guard case .array(let items) = value else {
            fail(.type, key, "array", "must be an array of EPCs, not \(value.typeName)", nil)
            return []
        }
        var out: [(EPCISIdentifier, String)] = []
        for (j, item) in items.enumerated() {
            guard let text = item.stringValue else {
                fail(.type, "\(key)[\(j)]", "string", "an EPC must be a string (URN or Digital Link URI)", item)
                continue
            }
            switch EPCISIdentifier.parse(text) {
            case .success(let id): out.append((id, "\(path).\(key)[\(j)]"))
            case .failure(let p): fail(.format, "\(key)[\(j)]", "EPC URN or GS1 Digital Link URI", p.reason, item)
            }
        }
        return out
    }

    /// The classes and quantities of a quantity list.
    mutating func quantities(_ key: String) -> [(EPCISIdentifier, Double?, String?, String)] {
        guard let value = event[key] else { return [] }
        guard case .array(let items) = value else {
            fail(.type, key, "array", "must be an array of {epcClass, quantity, uom}, not \(value.typeName)", nil)
            return []
        }
        var out: [(EPCISIdentifier, Double?, String?, String)] = []
        for (j, item) in items.enumerated() {
            guard let o = item.objectValue, let text = o["epcClass"]?.stringValue else {
                fail(.required, "\(key)[\(j)].epcClass", "required", "a quantity element needs an epcClass (string)", item.objectValue == nil ? item : nil)
                continue
            }
            var quantity: Double?
            if let q = o["quantity"] {
                guard let n = q.numberValue?.double, n >= 0 else {
                    fail(.type, "\(key)[\(j)].quantity", "non-negative number", "must be a non-negative number", q)
                    continue
                }
                quantity = n
            }
            switch EPCISIdentifier.parse(text) {
            case .success(let id): out.append((id, quantity, o["uom"]?.stringValue, "\(path).\(key)[\(j)]"))
            case .failure(let p): fail(.format, "\(key)[\(j)].epcClass", "EPC class URN or GS1 Digital Link URI", p.reason, .string(text))
            }
        }
        return out
    }

    /// A source or destination list.
    mutating func parties(_ key: String, member: String) -> [Party] {
        guard let value = event[key] else { return [] }
        guard case .array(let items) = value else {
            fail(.type, key, "array", "must be an array of {type, \(member)}, not \(value.typeName)", nil)
            return []
        }
        var out: [Party] = []
        for (j, item) in items.enumerated() {
            guard let o = item.objectValue, let type = o["type"]?.stringValue, let id = o[member]?.stringValue else {
                fail(.required, "\(key)[\(j)]", "{type, \(member)}", "a \(member) needs a type and a \(member) (strings)", item)
                continue
            }
            let parsed = try? EPCISIdentifier.parse(id).get()
            out.append(Party(type: cbvWord(type, urn: "sdt", web: "SDT"), id: id, parsed: parsed))
        }
        return out
    }

    /// `readPoint.id` or `bizLocation.id`.
    func place(_ key: String) -> Party? {
        guard let id = event[key]?.objectValue?["id"]?.stringValue else { return nil }
        return Party(type: key, id: id, parsed: try? EPCISIdentifier.parse(id).get())
    }

    /// A member of `ilmd` under its CBV master-data names.
    func ilmd(_ name: String) -> String? {
        guard let ilmd = event["ilmd"]?.objectValue else { return nil }
        for key in ["cbvmda:\(name)", name, "urn:epcglobal:cbv:mda#\(name)", "https://ref.gs1.org/cbv/mda-\(name)"] {
            if let s = ilmd[key]?.stringValue { return s }
        }
        return nil
    }

    /// Products named by EPCs and quantity elements; SSCCs expand to the products the document
    /// packed into them. Model classes, locations and other keys are not passport subjects here.
    func products(_ epcs: [(EPCISIdentifier, String)], _ classes: [(EPCISIdentifier, Double?, String?, String)], doc: EPCISMapper.DocumentContext) -> [Product] {
        var out: [Product] = []
        var seen: [String: Int] = [:]
        func add(_ p: Product) {
            if let i = seen[p.subject] {
                if let c = p.count { out[i].count = (out[i].count ?? 0) + c }
                return
            }
            seen[p.subject] = out.count
            out.append(p)
        }
        func addClass(_ id: EPCISIdentifier, _ quantity: Double?, _ uom: String?, _ at: String) {
            guard case .batch(let s) = id else { return }
            let pieces = uom == nil || uom == "EA" || uom == "H87"
            add(Product(subject: s, kind: .batch, count: pieces ? quantity : nil, measured: quantity.map { ($0, uom ?? "") }, path: at))
        }
        func addEPC(_ id: EPCISIdentifier, _ at: String, depth: Int = 0) {
            switch id {
            case .item(let s, let lot): add(Product(subject: s, kind: .item, count: 1, lot: lot, path: at))
            case .batch(let s): add(Product(subject: s, kind: .batch, count: nil, path: at))
            case .sscc(let sscc) where depth < 8:
                for child in doc.contents(sscc) ?? [] {
                    if case .sscc = child.id { addEPC(child.id, at, depth: depth + 1) } else if child.quantity == nil { addEPC(child.id, at, depth: depth + 1) } else { addClass(child.id, child.quantity, child.uom, at) }
                }
            default: break
            }
        }
        for (id, at) in epcs { addEPC(id, at) }
        for (id, quantity, uom, at) in classes { addClass(id, quantity, uom, at) }
        return out
    }

    // MARK: Decision

    mutating func outcome(mapper: EPCISMapper, doc: inout EPCISMapper.DocumentContext, kept: KeptEPCISEvent) -> EPCISResult.Outcome {
        let type = string("type") ?? string("isA")
        guard let type, EPCISMapper.eventTypes.contains(type) else {
            fail(.oneOf, "type", "an EPCIS 2.0 event type", "must be one of \(EPCISMapper.eventTypes.sorted().joined(separator: ", "))", event["type"])
            return .reject(violations)
        }
        var createdAt: Timestamp?
        if let t = string("eventTime") {
            do { createdAt = try Timestamp(rfc3339: t) } catch { fail(.format, "eventTime", "RFC 3339 date-time", error.reason, .string(t)) }
        } else {
            fail(.required, "eventTime", "required", "is required: when the event happened (the passport event's createdAt)", nil)
        }
        let action = string("action")
        if type != "TransformationEvent", !["ADD", "OBSERVE", "DELETE"].contains(action ?? "") {
            fail(.oneOf, "action", "ADD, OBSERVE or DELETE", "must be ADD, OBSERVE or DELETE", event["action"])
        }
        let bizStep = string("bizStep").map { cbvWord($0, urn: "bizstep", web: "BizStep") }
        // Read everything, so that every bad EPC is named at once.
        var epcs: [(EPCISIdentifier, String)] = []
        var classes: [(EPCISIdentifier, Double?, String?, String)] = []
        var inputs: [(EPCISIdentifier, String)] = []
        var inputClasses: [(EPCISIdentifier, Double?, String?, String)] = []
        var parent: (EPCISIdentifier, String)?
        switch type {
        case "ObjectEvent", "TransactionEvent":
            epcs = identifiers("epcList")
            classes = quantities("quantityList")
        case "AggregationEvent", "AssociationEvent":
            epcs = identifiers("childEPCs")
            classes = quantities("childQuantityList")
        default:
            inputs = identifiers("inputEPCList")
            inputClasses = quantities("inputQuantityList")
            epcs = identifiers("outputEPCList")
            classes = quantities("outputQuantityList")
        }
        if let p = event["parentID"] {
            if let text = p.stringValue {
                switch EPCISIdentifier.parse(text) {
                case .success(let id): parent = (id, "\(path).parentID")
                case .failure(let e): fail(.format, "parentID", "EPC URN or GS1 Digital Link URI", e.reason, p)
                }
            } else {
                fail(.type, "parentID", "string", "must be a string", p)
            }
        }
        // A TransactionEvent's parent (a pallet in a transaction) stands for what it holds, like its EPCs.
        if type == "TransactionEvent", let p = parent, case .sscc = p.0 { epcs.insert(p, at: 0) }
        let sources = parties("sourceList", member: "source")
        let destinations = parties("destinationList", member: "destination")
        guard violations.isEmpty, let createdAt else { return .reject(violations) }
        // What the logistic units named hold (a parent too: an AggregationEvent adds to or takes
        // from what it held), when another document packed them.
        for case (.sscc(let unit), let at) in epcs + inputs + (parent.map { [$0] } ?? []) {
            do { try doc.learn(unit) } catch {
                return .reject([Violation(
                    code: Violation.Code(rawValue: LedgerError.Code.io.rawValue), path: at, rule: "the ledger readable",
                    message: "what logistic unit 00/\(unit) holds could not be read from the ledger (\(error)); the event is kept in quarantine: retry it once the store reads again",
                    value: "00/\(unit)")])
            }
        }
        let step = bizStep ?? ""

        // Packing: an AggregationEvent with an SSCC parent records (ADD, OBSERVE) or clears (DELETE) its content.
        if type == "AggregationEvent", let (id, _) = parent, case .sscc(let sscc) = id {
            // A unit packed before this document: start from what it held then.
            if doc.containment[sscc] == nil, let before = doc.contents(sscc) { doc.containment[sscc] = before }
            if action == "DELETE" {
                if epcs.isEmpty && classes.isEmpty { doc.containment[sscc] = nil } else {
                    let removed = Set(epcs.map(\.0) + classes.map(\.0))
                    doc.containment[sscc]?.removeAll { removed.contains($0.id) }
                }
            } else {
                doc.containment[sscc, default: []] += epcs.map { EPCISMapper.Contained(id: $0.0, quantity: nil, uom: nil) }
                    + classes.map { EPCISMapper.Contained(id: $0.0, quantity: $0.1, uom: $0.2) }
            }
        }
        if let declaration = event["errorDeclaration"]?.objectValue {
            let reason = declaration["reason"]?.stringValue.map { cbvWord($0, urn: "er", web: "ER") } ?? "no reason given"
            let corrective = declaration["correctiveEventIDs"]?.arrayValue?.compactMap(\.stringValue) ?? []
            return .skip("kept: error declaration of \(eventID) (\(reason))"
                + (corrective.isEmpty ? "" : "; corrected by \(corrective.joined(separator: ", "))")
                + "; the passport keeps what the original event stated, the corrective events are mapped as they come")
        }
        var out: [JSONObject] = []
        let context = MappingContext(eventID: eventID, createdAt: createdAt, kept: kept, bizStep: step)
        if type == "TransformationEvent" {
            let outputs = products(epcs, classes, doc: doc)
            let ins = products(inputs, inputClasses, doc: doc)
            out += genealogy(outputs: outputs, inputs: ins, context: context)
        } else {
            let things = products(epcs, classes, doc: doc)
            if things.isEmpty {
                let unknown = epcs.compactMap { e -> String? in if case .sscc(let u) = e.0, doc.contents(u) == nil { return u } else { return nil } }
                if !unknown.isEmpty {
                    return .skip("kept: \(type) (\(step.isEmpty ? "no bizStep" : step)) names logistic unit \(unknown.map { "00/\($0)" }.joined(separator: ", ")) "
                        + "whose contents neither this document nor the ledger states (no AggregationEvent, no unit.packed)")
                }
                return .skip("kept: \(type) names no trade item or lot with a passport (\(step.isEmpty ? "no bizStep" : step))")
            }
            if action == "DELETE" && type != "AggregationEvent" {
                return .skip("kept: \(type) with action DELETE (\(step.isEmpty ? "no bizStep" : step)) changes nothing the passport shows")
            }
            // Packing into a pallet or case: what the logistic unit holds, for recalls across documents.
            if type == "AggregationEvent", action != "DELETE", let (id, _) = parent, case .sscc(let sscc) = id {
                out.append(context.event("unit.packed", "00/\(sscc)", ["contents": .array(things.map { p in
                    var o: JSONObject = ["subject": .string(p.subject)]
                    if let n = p.count { o["quantity"] = .number(JSONNumber(n)) }
                    return .object(o)
                })]))
            }
            if step == "commissioning", action == "ADD", type == "ObjectEvent" {
                out += registrations(things, context: context)
            }
            if step == "shipping" || step == "departing" {
                switch shipments(things, destinations: destinations, doc: doc, mapper: mapper, context: context) {
                case .success(let events): out += events
                case .failure(let gap):
                    if violations.isEmpty { return .skip("kept: \(gap.reason)") }
                    return .reject(violations)
                }
            } else if ["receiving", "arriving", "accepting"].contains(step) || EventReader.changesHands(sources, destinations) {
                switch custody(things, sources: sources, destinations: destinations, context: context) {
                case .success(let events): out += events
                case .failure(let gap): return .skip("kept: \(gap.reason)")
                }
            }
        }
        guard violations.isEmpty else { return .reject(violations) }
        if out.isEmpty {
            return .skip("kept: \(type)\(step.isEmpty ? "" : " \(step)") states nothing the passport shows (an observation)")
        }
        for e in out where e["sourceRef"]?.stringValue.map({ $0.utf8.count > 256 || $0.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F } }) ?? false {
            fail(.length, "eventID", "sourceRef 1–256 bytes", "the passport event's sourceRef <eventID>#<type>/<subject> would be over 256 bytes or hold a control character; shorten the eventID", .string(e["sourceRef"]?.stringValue ?? ""))
            return .reject(violations)
        }
        if mapper.validatesEvents {
            for e in out {
                let problems = EPCISMapper.check(e)
                for p in problems {
                    violations.append(Violation(code: p.code, path: path, rule: p.rule,
                        message: "the mapped \(e["type"]?.stringValue ?? "") of \(e["subject"]?.stringValue ?? ""): \(p.path): \(p.message)", value: p.value))
                }
            }
            if !violations.isEmpty { return .reject(violations) }
        }
        return .events(out)
    }

    /// Whether the destination names a possessing party or a location other than the source's.
    static func changesHands(_ sources: [Party], _ destinations: [Party]) -> Bool {
        for type in ["possessing_party", "location"] {
            if let d = destinations.first(where: { $0.type == type }), sources.first(where: { $0.type == type })?.text != d.text { return true }
        }
        return false
    }

    struct MappingContext {
        let eventID: String
        let createdAt: Timestamp
        let kept: KeptEPCISEvent
        let bizStep: String

        /// One per EPCIS event, shared by its subjects: the eventID when it fits 64 bytes, else
        /// `epcis-` and the first 32 hex digits of its SHA-256.
        var transferId: String {
            eventID.utf8.count <= 64 ? eventID : "epcis-" + String(Hex.encode(SHA256.hash(Array(eventID.utf8))).prefix(32))
        }

        func event(_ type: String, _ subject: String, _ data: JSONObject, validFrom: Bool = false) -> JSONObject {
            var o: JSONObject = ["type": .string(type), "subject": .string(subject), "sourceRef": .string("\(eventID)#\(type)/\(subject)"),
                "createdAt": .string(createdAt.description)]
            if validFrom { o["validFrom"] = .string(createdAt.description) }
            o["data"] = .object(data)
            o["attachments"] = [kept.attachment]
            return o
        }
    }

    /// A business transaction of a shipping type (`desadv`, then `bol`), as an identifier of at most 64 bytes.
    func shipmentId() -> String? {
        let list = event["bizTransactionList"]?.arrayValue ?? []
        for wanted in ["desadv", "bol"] {
            for t in list {
                guard let o = t.objectValue, let type = o["type"]?.stringValue, cbvWord(type, urn: "btt", web: "BTT") == wanted,
                    let id = o["bizTransaction"]?.stringValue, !id.isEmpty else { continue }
                return id.utf8.count <= 64 ? id : "epcis-" + String(Hex.encode(SHA256.hash(Array(id.utf8))).prefix(32))
            }
        }
        return nil
    }

    func registrations(_ things: [Product], context: MappingContext) -> [JSONObject] {
        let lot = ilmd("lotNumber")
        return things.compactMap { p in
            guard p.kind == .item, let lot = lot ?? p.lot.flatMap({ EPCISIdentifier.decodeURNEscapes($0) }) else { return nil }
            return context.event("item.registered", p.subject, ["lot": .string(lot)])
        }
    }

    mutating func shipments(_ things: [Product], destinations: [Party], doc: EPCISMapper.DocumentContext, mapper: EPCISMapper, context: MappingContext) -> Result<[JSONObject], Gap> {
        var country: String?
        for type in ["location", "possessing_party", "owning_party"] {
            for d in destinations where d.type == type {
                if let gln = d.parsed?.gln, let c = doc.countries[gln] ?? mapper.locationCountries[gln] {
                    country = c
                    break
                }
            }
            if country != nil { break }
        }
        guard let country else {
            return .failure(Gap(reason: "\(context.bizStep) to no known country: no destination in destinationList has a country in the document's master data (cbvmda:countryCode) or the connector's locations"))
        }
        let id = shipmentId() ?? context.transferId
        var out: [JSONObject] = []
        for p in things {
            guard let count = p.count, count >= 1, count.rounded() == count, count <= 9_007_199_254_740_992 else {
                let shown = p.measured.map { "\(CanonicalJSON.formatNumber($0.quantity))\($0.uom.isEmpty ? "" : " \($0.uom)")" } ?? "no quantity"
                violations.append(Violation(code: .rule, path: p.path, rule: "a whole number of pieces",
                    message: "a shipment's quantity is a whole number of pieces (at least 1, no uom or EA); \(p.subject) has \(shown)", value: shown))
                continue
            }
            out.append(context.event("shipment.dispatched", p.subject, ["shipmentId": .string(id), "destination": .string(country),
                "quantity": .number(JSONNumber(Int(count)))]))
        }
        return violations.isEmpty ? .success(out) : .failure(Gap(reason: "quantities"))
    }

    struct Gap: Error { let reason: String }

    func custody(_ things: [Product], sources: [Party], destinations: [Party], context: MappingContext) -> Result<[JSONObject], Gap> {
        let location = destinations.first { $0.type == "location" } ?? place("bizLocation") ?? place("readPoint")
        let custodian = destinations.first { $0.type == "possessing_party" } ?? location
        guard let location, let custodian else {
            return .failure(Gap(reason: "\(context.bizStep) names neither a possessing party, a location, a bizLocation nor a readPoint: no custodian"))
        }
        var data: JSONObject = ["transferId": .string(context.transferId), "custodian": .string(custodian.text)]
        if let previous = sources.first(where: { $0.type == "possessing_party" }) { data["previousCustodian"] = .string(previous.text) }
        data["location"] = .string(location.id)
        if let gln = location.parsed?.gln { data["locationGLN"] = .string(gln) }
        if let shipment = shipmentId() { data["shipmentId"] = .string(shipment) }
        return .success(things.map { context.event("custody.transferred", $0.subject, data, validFrom: true) })
    }

    func genealogy(outputs: [Product], inputs: [Product], context: MappingContext) -> [JSONObject] {
        let lot = ilmd("lotNumber")
        var out: [JSONObject] = []
        var batches: [String] = []
        for p in outputs {
            switch p.kind {
            case .batch: if !batches.contains(p.subject) { batches.append(p.subject) }
            case .item:
                guard let l = lot ?? p.lot.flatMap({ EPCISIdentifier.decodeURNEscapes($0) }),
                    case .success(let encoded) = GS1.encodeAttribute(value: l, name: "lot"),
                    let gtin = (try? Subject(p.subject))?.gtin else { continue }
                out.append(context.event("item.registered", p.subject, ["lot": .string(l)]))
                let batch = "01/\(gtin)/10/\(encoded)"
                if !batches.contains(batch) { batches.append(batch) }
            default: break
            }
        }
        let list: [JSONValue] = inputs.map { p in
            var o: JSONObject = ["subject": .string(p.subject)]
            if p.kind == .batch, let c = p.count { o["quantity"] = .number(JSONNumber(c)) }
            return .object(o)
        }
        guard !list.isEmpty else { return out }
        var data: JSONObject = ["inputs": .array(list)]
        if !context.bizStep.isEmpty { data["process"] = .string(context.bizStep) }
        for b in batches { out.append(context.event("batch.transformed", b, data)) }
        return out
    }
}

extension EPCISMapper.Prepared {
    init(rejecting result: EPCISResult) {
        self.init(input: result.input, rejection: result, list: [], listPath: "", independent: true,
            doc: EPCISMapper.DocumentContext(context: nil, countries: [:], known: nil))
    }
}
