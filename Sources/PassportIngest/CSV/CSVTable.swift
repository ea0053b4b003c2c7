/// A CSV file with a header line: the column names, then one row per record.
public struct CSVTable: Sendable {
    /// The column names of the header line, as written.
    public let columns: [String]
    /// The header line's bytes (kept with each quarantined row, so that the row can be read again).
    public let headerBytes: [UInt8]
    /// The rows after the header.
    public let rows: [Row]

    /// One data row.
    public struct Row: Sendable, Hashable {
        /// The line (1-based) the row starts on.
        public let line: Int
        /// The row's exact bytes, without its line ending.
        public let bytes: [UInt8]
        /// Values by column name; nil when the row's field count differs from the header's.
        public let values: [String: String]?
        /// The number of fields the row has.
        public let fieldCount: Int
    }

    /// Reads a CSV file whose first record is its header.
    /// - Parameters:
    ///   - bytes: the file's bytes.
    ///   - delimiter: the field separator.
    /// - Throws: ``CSVReader/Failure`` if the text is not CSV, has no header, or names a column twice or not at all.
    public init(_ bytes: [UInt8], delimiter: UInt8 = UInt8(ascii: ",")) throws(CSVReader.Failure) {
        let records = try CSVReader(delimiter: delimiter).records(bytes)
        guard let header = records.first else { throw CSVReader.Failure(line: 1, reason: "the file is empty: it needs a header line naming its columns") }
        let names = header.fields.map { $0.trimmingWhitespace }
        var seen: Set<String> = []
        for (i, n) in names.enumerated() {
            if n.isEmpty { throw CSVReader.Failure(line: header.line, reason: "column \(i + 1) of the header has no name") }
            if !seen.insert(n).inserted { throw CSVReader.Failure(line: header.line, reason: "the header names column \(n) twice") }
        }
        columns = names
        headerBytes = Array(bytes[header.bytes])
        rows = records.dropFirst().map { r in
            let values = r.fields.count == names.count ? Dictionary(uniqueKeysWithValues: zip(names, r.fields)) : nil
            return Row(line: r.line, bytes: Array(bytes[r.bytes]), values: values, fieldCount: r.fields.count)
        }
    }
}

extension String {
    /// The text without leading and trailing spaces and tabs.
    var trimmingWhitespace: String {
        var s = Substring(self)
        while let c = s.first, c == " " || c == "\t" { s.removeFirst() }
        while let c = s.last, c == " " || c == "\t" { s.removeLast() }
        return String(s)
    }
}
