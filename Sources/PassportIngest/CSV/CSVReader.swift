/// A reader of comma-separated values as RFC 4180 defines them, with the line and bytes of every
/// record so that a connector can name the line of a bad row and keep the row's exact bytes.
///
/// Rules (RFC 4180 §2): records end at CRLF (a bare LF is accepted too, as most tools write it);
/// fields are separated by the delimiter; a field that contains the delimiter, a quote, CR or LF is
/// enclosed in double quotes, and a quote inside it is doubled (`"say ""hi"""`). A quoted field may
/// span lines. A quote inside an unquoted field, text after a closing quote, or a quoted field that
/// never closes is refused, naming the line. A UTF-8 byte order mark at the start (Excel writes one)
/// is skipped; blank lines are skipped but counted; the text must be UTF-8.
public struct CSVReader: Sendable {
    /// The field separator: `,` by default; `;` for spreadsheets of locales that write decimal commas.
    public let delimiter: UInt8

    /// Creates a reader.
    /// - Parameter delimiter: the field separator (an ASCII character other than a quote, CR or LF).
    public init(delimiter: UInt8 = UInt8(ascii: ",")) { self.delimiter = delimiter }

    /// One record of the input.
    public struct Record: Sendable, Hashable {
        /// The fields, unquoted.
        public let fields: [String]
        /// The line (1-based) the record starts on.
        public let line: Int
        /// The record's bytes in the input, without its line ending.
        public let bytes: Range<Int>
    }

    /// Why the input cannot be read as CSV.
    public struct Failure: Error, Sendable, Hashable, CustomStringConvertible {
        /// The line (1-based) where the problem is.
        public let line: Int
        /// What is wrong.
        public let reason: String
        public var description: String { "line \(line): \(reason)" }
    }

    /// Reads every record.
    /// - Parameter input: the CSV text's bytes.
    /// - Throws: ``Failure`` naming the line of a quote out of place, an unclosed quoted field or invalid UTF-8.
    /// - Complexity: O(n) in the input's length.
    public func records(_ input: [UInt8]) throws(Failure) -> [Record] {
        let quote = UInt8(ascii: "\""), cr = UInt8(ascii: "\r"), lf = UInt8(ascii: "\n")
        var i = input.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
        var line = 1
        var out: [Record] = []
        while i < input.count {
            // A blank line (LF or CRLF alone) is no record.
            if input[i] == lf { line += 1; i += 1; continue }
            if input[i] == cr, i + 1 < input.count, input[i + 1] == lf { line += 1; i += 2; continue }
            let start = i, startLine = line
            var fields: [String] = []
            var field: [UInt8] = []
            var ended = false
            while !ended {
                if i < input.count, input[i] == quote {
                    let fieldLine = line
                    i += 1
                    while true {
                        guard i < input.count else {
                            throw Failure(line: fieldLine, reason: "a quoted field that starts here is never closed (a quote inside a quoted field must be doubled)")
                        }
                        let c = input[i]
                        if c == quote {
                            if i + 1 < input.count, input[i + 1] == quote { field.append(quote); i += 2; continue }
                            i += 1
                            break
                        }
                        if c == lf { line += 1 }
                        field.append(c)
                        i += 1
                    }
                    // After the closing quote: a delimiter, a line end or the end of the input.
                    if i < input.count, input[i] != delimiter, input[i] != lf, !(input[i] == cr && i + 1 < input.count && input[i + 1] == lf), !(input[i] == cr && i + 1 == input.count) {
                        throw Failure(line: line, reason: "text after the closing quote of a quoted field (a quote inside a quoted field must be doubled)")
                    }
                } else {
                    while i < input.count, input[i] != delimiter, input[i] != lf {
                        if input[i] == cr, i + 1 == input.count || input[i + 1] == lf { break }
                        if input[i] == quote {
                            throw Failure(line: line, reason: "a quote inside an unquoted field (enclose the field in quotes and double the quote)")
                        }
                        field.append(input[i])
                        i += 1
                    }
                }
                let text = String(decoding: field, as: UTF8.self)
                guard text.utf8.elementsEqual(field) else {
                    throw Failure(line: line, reason: "not UTF-8 text (save the file as UTF-8)")
                }
                fields.append(text)
                field = []
                if i < input.count, input[i] == delimiter {
                    i += 1
                    continue
                }
                ended = true
            }
            let end = i
            if i < input.count, input[i] == cr { i += 1 }
            if i < input.count, input[i] == lf { i += 1; line += 1 }
            out.append(Record(fields: fields, line: startLine, bytes: start..<end))
        }
        return out
    }
}
