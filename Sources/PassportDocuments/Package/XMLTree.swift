import Foundation

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// An XML element read into memory: its local name (namespace prefixes dropped), its attributes
/// (by local name), its children and its text.
public struct XMLTree: Sendable, Hashable {
    /// The element's local name.
    public var name: String
    /// The attributes, by local name.
    public var attributes: [String: String]
    /// The child elements, in order.
    public var children: [XMLTree]
    /// The element's own character data (not its children's).
    public var text: String

    /// The children named `name`.
    public func all(_ name: String) -> [XMLTree] { children.filter { $0.name == name } }
    /// The first child named `name`.
    public func first(_ name: String) -> XMLTree? { children.first { $0.name == name } }
    /// Every descendant named `name`, depth first.
    public func descendants(_ name: String) -> [XMLTree] {
        children.flatMap { ($0.name == name ? [$0] : []) + $0.descendants(name) }
    }

    /// Parses a document. DTDs and entity declarations are refused before parsing (no external
    /// entity is ever fetched, no entity expanded), and external entity resolution is off.
    /// - Parameters:
    ///   - bytes: the XML.
    ///   - part: how to name the document in errors (a ZIP entry or a file name).
    /// - Throws: ``DocumentReadError`` `unsafe-xml`, or `malformed-xml` (also for bytes that are not UTF-8).
    public static func parse(_ bytes: [UInt8], part: String) throws(DocumentReadError) -> XMLTree {
        if containsDeclaration(bytes) {
            throw DocumentReadError(.unsafeXML, path: part, "has a DTD or entity declaration (<!DOCTYPE or <!ENTITY), which is refused: export the document without one")
        }
        // Foundation's XMLParser traps (it does not throw) on some invalid UTF-8 inside names and
        // attribute values, so undecodable bytes are refused here, before it sees them.
        guard String(validating: bytes, as: UTF8.self) != nil else {
            throw DocumentReadError(.malformedXML, path: part, "is not valid UTF-8 text: re-save the document as UTF-8 (IPC-1752A and Office XML are UTF-8)")
        }
        let builder = Builder()
        let parser = XMLParser(data: Data(bytes))
        parser.shouldProcessNamespaces = true
        parser.shouldResolveExternalEntities = false
        parser.delegate = builder
        guard parser.parse(), let root = builder.root else {
            let e = parser.parserError.map { " (\($0.localizedDescription))" } ?? ""
            throw DocumentReadError(.malformedXML, path: part, "is not well-formed XML at line \(parser.lineNumber)\(e)")
        }
        return root
    }

    /// Whether the bytes contain `<!DOCTYPE` or `<!ENTITY` (ASCII case-insensitive).
    static func containsDeclaration(_ b: [UInt8]) -> Bool {
        let needles: [[UInt8]] = [Array("<!DOCTYPE".utf8), Array("<!ENTITY".utf8)]
        guard b.count >= 8 else { return false }
        for i in 0..<(b.count - 1) where b[i] == UInt8(ascii: "<") && b[i + 1] == UInt8(ascii: "!") {
            for n in needles where i + n.count <= b.count {
                if zip(b[i..<(i + n.count)], n).allSatisfy({ $0 | 0x20 == $1 | 0x20 }) { return true }
            }
        }
        return false
    }

    private final class Builder: NSObject, XMLParserDelegate {
        var stack: [XMLTree] = []
        var root: XMLTree?

        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            var attrs: [String: String] = [:]
            for (k, v) in attributes { attrs[local(k)] = v }
            stack.append(XMLTree(name: local(elementName), attributes: attrs, children: [], text: ""))
        }

        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName: String?) {
            guard let done = stack.popLast() else { return }
            if stack.isEmpty { root = done } else { stack[stack.count - 1].children.append(done) }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if !stack.isEmpty { stack[stack.count - 1].text += string }
        }

        func parser(_ parser: XMLParser, foundCDATA CDATABlock: Data) {
            if !stack.isEmpty { stack[stack.count - 1].text += String(decoding: CDATABlock, as: UTF8.self) }
        }

        func local(_ name: String) -> String {
            name.firstIndex(of: ":").map { String(name[name.index(after: $0)...]) } ?? name
        }
    }
}
