import ArgumentParser
import Foundation
import PassportLedger
import PassportModel

/// Text from input never reaches the terminal raw: control characters (C0 but line feed, DEL,
/// C1) and bidirectional-override characters are written as `\uXXXX`. In JSON output that is the
/// same string (a JSON escape); in text output it is a visible, inert escape, so an ESC sequence
/// hidden in a field, a rejection reason or a quarantined line cannot move the cursor, recolour
/// the screen or reorder what an operator reads.
enum Terminal {
    /// `s` with every character that could control a terminal escaped; with `keepNewlines`, line
    /// feeds (which dpp itself writes between lines) stay.
    static func safe(_ s: String, keepNewlines: Bool = false) -> String {
        guard s.unicodeScalars.contains(where: { isControl($0, keepNewlines: keepNewlines) }) else { return s }
        var out = String.UnicodeScalarView()
        for c in s.unicodeScalars {
            if isControl(c, keepNewlines: keepNewlines) {
                out.append(contentsOf: String(format: "\\u%04x", c.value).unicodeScalars)
            } else {
                out.append(c)
            }
        }
        return String(out)
    }

    static func isControl(_ c: Unicode.Scalar, keepNewlines: Bool) -> Bool {
        switch c.value {
        case 0x0A: !keepNewlines
        case 0x00..<0x20, 0x7F..<0xA0, 0x202A...0x202E, 0x2066...0x2069, 0x200E, 0x200F, 0x061C: true
        default: false
        }
    }
}

/// Every line dpp prints goes through here (it shadows `Swift.print` in this module): text built
/// from input is escaped by ``Terminal/safe(_:keepNewlines:)``, keeping dpp's own line breaks.
func print(_ items: Any..., separator: String = " ", terminator: String = "\n") {
    let text = items.map { "\($0)" }.joined(separator: separator)
    FileHandle.standardOutput.write(Data((Terminal.safe(text, keepNewlines: true) + terminator).utf8))
}

/// Writes text to standard output as it is, but escaped like ``print(_:separator:terminator:)``.
func writeOut(_ s: String) {
    FileHandle.standardOutput.write(Data(Terminal.safe(s, keepNewlines: true).utf8))
}

/// Writes a record's canonical bytes and a line feed exactly (a contract: `dpp record --format json`
/// and `dpp history --format json` feed offline verifiers; canonical JSON already escapes C0 controls).
func writeExact(_ bytes: [UInt8]) {
    FileHandle.standardOutput.write(Data(bytes + [0x0A]))
}

/// Writes an error message to standard error, every control character escaped.
func printError(_ message: String) {
    FileHandle.standardError.write(Data(("dpp: " + Terminal.safe(message) + "\n").utf8))
}

/// Creates a new file with `bytes`; never replaces an existing one.
/// - Throws: ``LedgerError`` `already-exists` if the file exists, `io` if it cannot be written.
func writeNewFile(_ path: String, _ bytes: [UInt8]) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
    guard fd >= 0 else {
        if errno == EEXIST { throw LedgerError(.alreadyExists, "\(path) already exists; it was not overwritten") }
        throw LedgerError(.io, "cannot create \(path): \(String(cString: strerror(errno)))")
    }
    defer { close(fd) }
    var done = 0
    while done < bytes.count {
        let n = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress! + done, $0.count - done) }
        if n < 0 && errno == EINTR { continue }
        guard n > 0 else { throw LedgerError(.io, "cannot write \(path): \(String(cString: strerror(errno)))") }
        done += n
    }
}

extension AccessTier: ExpressibleByArgument {}
