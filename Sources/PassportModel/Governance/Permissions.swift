/// What a source key may write (`key.registered` / `key.permissions-changed`).
public struct Permissions: Sendable, Hashable, CustomStringConvertible {
    /// Event types, or `*`.
    public var eventTypes: [String]
    /// Field patterns (`path`, `section.*`, `*`).
    public var fields: [String]
    /// May write `field.overridden` / `field.override-withdrawn` for fields it does not own.
    public var override: Bool
    /// Subject patterns the key may write: a subject (`supplier/ACME`), a prefix ending in `*`
    /// (`01/09506000134352*`: the model, its batches and items), or `*` (any subject).
    public var subjects: [String]

    /// Everything but overrides (the default for a new source key).
    public static let all = Permissions(eventTypes: ["*"], fields: ["*"], override: false)

    /// Creates permissions.
    public init(eventTypes: [String], fields: [String], override: Bool, subjects: [String] = ["*"]) {
        self.eventTypes = eventTypes
        self.fields = fields
        self.override = override
        self.subjects = subjects
    }

    /// Whether the key may write events of a type.
    public func allows(type: String) -> Bool { eventTypes.contains("*") || eventTypes.contains(type) }

    /// Whether the key may write a field.
    public func allows(field: String) -> Bool {
        fields.contains { p in
            p == "*" || p == field || (p.hasSuffix(".*") && field.hasPrefix(p.dropLast(1)))
        }
    }

    /// Whether the key may write events about a subject.
    public func allows(subject: Subject) -> Bool {
        subjects.contains { p in
            p == subject.rawValue || (p.hasSuffix("*") && subject.rawValue.hasPrefix(p.dropLast(1)))
        }
    }

    /// Whether `p` is a subject pattern: `*`, a canonical subject other than `system`, or a
    /// non-empty prefix of at most ``Subject/maxBytes`` bytes followed by `*` (no other `*`, no
    /// white space or control characters).
    public static func isValidSubjectPattern(_ p: String) -> Bool {
        if p == "*" { return true }
        if p.hasSuffix("*") {
            let prefix = p.dropLast()
            return !prefix.isEmpty && prefix.utf8.count <= Subject.maxBytes
                && prefix.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "*") }
        }
        guard let s = try? Subject(p) else { return false }
        return s.kind != .system
    }

    /// As JSON.
    public var json: JSONValue {
        ["eventTypes": .array(eventTypes.map { .string($0) }), "fields": .array(fields.map { .string($0) }), "override": .bool(override),
            "subjects": .array(subjects.map { .string($0) })]
    }

    /// Parses and checks `{"eventTypes": […], "fields": […], "override": bool, "subjects": […]}`;
    /// a list left out means `*` (so keys registered before `subjects` existed may write any subject).
    public init(json: JSONValue, path: String = "data.permissions") throws(ValidationError) {
        var v: [Violation] = []
        guard case .object(let o) = json else { throw ValidationError([Violation(path: path, rule: "must be an object")]) }
        for k in o.keys where !["eventTypes", "fields", "override", "subjects"].contains(k) {
            v.append(Violation(path: "\(path).\(k)", rule: "unknown field (allowed: eventTypes, fields, override, subjects)"))
        }
        func strings(_ k: String, valid: (String) -> Bool, rule: String) -> [String] {
            guard let a = o[k] else { return ["*"] }
            guard case .array(let items) = a, !items.isEmpty, items.allSatisfy({ $0.stringValue.map(valid) ?? false }) else {
                v.append(Violation(path: "\(path).\(k)", rule: rule, value: Violation.show(a)))
                return []
            }
            return items.compactMap(\.stringValue)
        }
        let types = strings("eventTypes", valid: { $0 == "*" || EventCatalog.spec($0) != nil }, rule: "must be a non-empty array of known event types or *")
        let fields = strings("fields", valid: { OwnershipPolicy.isValidPattern($0) }, rule: "must be a non-empty array of field paths, section.* or *")
        let subjects = strings(
            "subjects", valid: Permissions.isValidSubjectPattern,
            rule: "must be a non-empty array of subjects in canonical form (not system), subject prefixes ending in *, or *")
        var override = false
        if let ov = o["override"] {
            if case .bool(let b) = ov { override = b } else { v.append(Violation(path: "\(path).override", rule: "must be true or false")) }
        }
        if !v.isEmpty { throw ValidationError(v) }
        self.init(eventTypes: types, fields: fields, override: override, subjects: subjects)
    }

    public var description: String {
        "event types \(eventTypes.joined(separator: ", ")); fields \(fields.joined(separator: ", "))"
            + (subjects == ["*"] ? "" : "; subjects \(subjects.joined(separator: ", "))") + (override ? "; may override" : "")
    }
}
