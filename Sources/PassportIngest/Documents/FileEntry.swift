import Foundation
import PassportLedger
import PassportModel

/// What the file connectors (documents, CMRT, IPC-1752A) keep in quarantine instead of a file's
/// bytes — which may be larger than a quarantine entry should be: the file's absolute path, the
/// options given, and, for a file that yields several events, which one. A retry reads the file again.
struct FileEntry {
    /// The file's absolute path.
    let file: String
    /// The options given (command line), in a stable order.
    let options: JSONObject
    /// The one event of the file the entry stands for, if it yields several.
    var item: String?

    init(path: String, options: JSONObject, item: String? = nil) {
        file = URL(fileURLWithPath: path).standardizedFileURL.path
        var sorted = JSONObject()
        for m in options.members.sorted(by: { $0.key < $1.key }) { sorted[m.key] = m.value }
        self.options = sorted
        self.item = item
    }

    init(path: String, stringOptions: [String: String], item: String? = nil) {
        var o = JSONObject()
        for (k, v) in stringOptions { o[k] = .string(v) }
        self.init(path: path, options: o, item: item)
    }

    /// Reads an entry back from its quarantined bytes; nil if they are not one.
    init?(raw: [UInt8]) {
        guard case .object(let o)? = try? JSONParser.parse(raw), let file = o["file"]?.stringValue else { return nil }
        self.file = file
        self.options = o["options"]?.objectValue ?? JSONObject()
        self.item = o["item"]?.stringValue
    }

    /// The bytes quarantine keeps: `{"file", "options"[, "item"]}`.
    var raw: [UInt8] {
        var o: JSONObject = ["file": .string(file), "options": .object(options)]
        if let item { o["item"] = .string(item) }
        return CanonicalJSON.encode(.object(o))
    }

    /// The file's name (results and attachments name it so).
    var name: String { (file as NSString).lastPathComponent }

    /// The options that are strings.
    var stringOptions: [String: String] {
        var out: [String: String] = [:]
        for (k, v) in options { if let s = v.stringValue { out[k] = s } }
        return out
    }

    /// The file's bytes, or the rejection naming it.
    func read(maxSize: Int) -> Result<[UInt8], LedgerError> {
        RegularFile.read(file, maxSize: maxSize).mapError { LedgerError(.notFound, "\(name): \($0.rule)", rule: "a readable regular file") }
    }
}
