/// Indented JSON for documents people read (members in canonical order, two-space indent).
public enum PrettyJSON {
    /// The value as indented text.
    public static func string(_ value: JSONValue) -> String {
        var out = ""
        write(value, indent: 0, into: &out)
        return out
    }

    static func write(_ value: JSONValue, indent: Int, into out: inout String) {
        let pad = String(repeating: "  ", count: indent + 1)
        let end = String(repeating: "  ", count: indent)
        switch value {
        case .array(let items) where !items.isEmpty:
            out += "[\n"
            for (i, item) in items.enumerated() {
                out += pad
                write(item, indent: indent + 1, into: &out)
                out += i == items.count - 1 ? "\n" : ",\n"
            }
            out += end + "]"
        case .object(let o) where o.count > 0:
            out += "{\n"
            let members = o.members.sorted { CanonicalJSON.utf16Less($0.key, $1.key) }
            for (i, m) in members.enumerated() {
                out += pad + CanonicalJSON.string(.string(m.key)) + ": "
                write(m.value, indent: indent + 1, into: &out)
                out += i == members.count - 1 ? "\n" : ",\n"
            }
            out += end + "}"
        default:
            out += CanonicalJSON.string(value)
        }
    }
}
