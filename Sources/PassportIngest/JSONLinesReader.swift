import Foundation
import PassportLedger
import Sodium

/// Splits a byte stream into JSON Lines in linear time and bounded memory.
///
/// Lines end at LF (a CR before it is dropped); blank lines are skipped but counted. A line longer
/// than ``Ingestor/maxLineSize`` is not accumulated: the reader keeps its first
/// ``JSONLinesReader/keptPrefix`` bytes, hashes and counts the rest as it streams past, and hands
/// the line over as ``Line/oversized``.
public final class JSONLinesReader {
    /// One non-blank line.
    public struct Line: Sendable {
        /// 1-based line number in the input.
        public let number: Int
        /// The line without its line ending (for an oversized line, its first bytes only).
        public let bytes: [UInt8]
        /// Set when the line was longer than the limit: its true length and SHA-256.
        public let oversized: TruncatedInput?
    }

    /// How many bytes of an oversized line are kept (for quarantine).
    public static let keptPrefix = 4096

    private let read: () throws -> [UInt8]
    private let maxLineSize: Int
    private var buffer: [UInt8] = []
    private var start = 0
    private var scanned = 0
    private var lineNumber = 0
    private var eof = false
    private var skipping: (prefix: [UInt8], length: Int)?
    private var hasher: SHA256.Hasher?

    /// Reads from a source that returns the next chunk of bytes, or an empty array at the end.
    public init(maxLineSize: Int = Ingestor.maxLineSize, read: @escaping () throws -> [UInt8]) {
        self.maxLineSize = maxLineSize
        self.read = read
    }

    /// Reads from a file handle, 4 MiB at a time.
    public convenience init(handle: FileHandle, maxLineSize: Int = Ingestor.maxLineSize) {
        self.init(maxLineSize: maxLineSize) { [UInt8](try handle.read(upToCount: 4 << 20) ?? Data()) }
    }

    /// Reads bytes already in memory.
    public convenience init(bytes: [UInt8], maxLineSize: Int = Ingestor.maxLineSize) {
        var rest: [UInt8]? = bytes
        self.init(maxLineSize: maxLineSize) {
            defer { rest = nil }
            return rest ?? []
        }
    }

    /// Up to `count` non-blank lines; empty at the end of input.
    /// - Throws: whatever the byte source throws (a read error).
    /// - Complexity: O(n) in the bytes read; memory O(chunk + ``Ingestor/maxLineSize``).
    public func next(count: Int) throws -> [Line] {
        var lines: [Line] = []
        while lines.count < count {
            if skipping != nil {
                if let nl = buffer[start...].firstIndex(of: 0x0A) {
                    finishOversized(upTo: nl, into: &lines)
                    start = nl + 1
                    scanned = start
                    continue
                }
                hasher!.update(buffer[start...])
                skipping!.length += buffer.count - start
                buffer.removeAll(keepingCapacity: true)
                (start, scanned) = (0, 0)
                if eof {
                    finishOversized(upTo: 0, into: &lines)
                    break
                }
                try fill()
                continue
            }
            if let nl = buffer[scanned...].firstIndex(of: 0x0A) {
                if nl - start > maxLineSize {
                    beginOversized(end: nl)
                    finishOversized(upTo: nl, into: &lines)
                } else {
                    emit(buffer[start..<nl], into: &lines)
                }
                start = nl + 1
                scanned = start
                continue
            }
            scanned = buffer.count
            if buffer.count - start > maxLineSize {
                beginOversized(end: buffer.count)
                buffer.removeAll(keepingCapacity: true)
                (start, scanned) = (0, 0)
                continue
            }
            if eof {
                if start < buffer.count { emit(buffer[start...], into: &lines) }
                start = buffer.count
                scanned = start
                break
            }
            buffer.removeFirst(start)
            scanned -= start
            start = 0
            try fill()
        }
        return lines
    }

    /// One JSON Lines line without its line ending, or nil if it is blank (blank lines are skipped,
    /// but still counted for line numbers).
    public static func line(_ bytes: ArraySlice<UInt8>) -> [UInt8]? {
        var line = Array(bytes)
        if line.last == 0x0D { line.removeLast() }
        return line.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) ? nil : line
    }

    private func fill() throws {
        let chunk = try read()
        if chunk.isEmpty { eof = true } else { buffer.append(contentsOf: chunk) }
    }

    /// Starts skipping a line found too long: keeps its prefix and hashes `buffer[start..<end]`.
    private func beginOversized(end: Int) {
        lineNumber += 1
        var h = SHA256.Hasher()
        h.update(buffer[start..<end])
        hasher = consume h
        skipping = (Array(buffer[start..<min(end, start + JSONLinesReader.keptPrefix)]), end - start)
        start = end
    }

    /// Ends an oversized line: hashes `buffer[start..<end]` and emits it.
    private func finishOversized(upTo end: Int, into lines: inout [Line]) {
        guard var h = hasher.take(), let s = skipping else { return }
        if end > start {
            h.update(buffer[start..<end])
        }
        let length = s.length + max(0, end - start)
        skipping = nil
        lines.append(Line(number: lineNumber, bytes: s.prefix, oversized: TruncatedInput(length: length, sha256: h.finalize())))
    }

    private func emit(_ slice: ArraySlice<UInt8>, into lines: inout [Line]) {
        lineNumber += 1
        if let bytes = JSONLinesReader.line(slice) { lines.append(Line(number: lineNumber, bytes: bytes, oversized: nil)) }
    }
}
