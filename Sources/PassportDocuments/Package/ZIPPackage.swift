import CZlibSystem

/// A ZIP archive (an Office Open XML package such as an xlsx workbook) read from memory within
/// limits: a zip bomb is refused before anything is inflated, by the entry count and the sum of
/// the entries' declared uncompressed sizes, and again while inflating, should a size lie.
///
/// The reader is our own, over zlib: it reads the central directory (ZIP64 included), checks that
/// every entry's data lies inside the archive, and inflates exactly the entry's compressed bytes,
/// so a truncated or crafted stream ends in an error rather than a wait for input that never comes.
/// (ZIPFoundation 0.9.20's Linux inflater looped forever on such a stream; it still writes the
/// demo's workbooks.) Stored and deflated entries are read; encrypted entries, other methods and
/// archives split over several disks are refused with the reason.
public struct ZIPPackage: Sendable {
    private let bytes: [UInt8]
    private let entries: [String: Entry]
    /// The entries' paths, in archive order.
    public let paths: [String]
    /// The limits applied.
    public let limits: Limits

    /// The limits of a package.
    public struct Limits: Sendable, Hashable {
        /// The most entries.
        public var maxEntries: Int
        /// The largest sum of uncompressed sizes, in bytes.
        public var maxTotalUncompressed: UInt64
        /// The defaults: 4,096 entries and 64 MiB uncompressed.
        public static let `default` = Limits(maxEntries: 4096, maxTotalUncompressed: 64 << 20)
        /// Creates limits.
        public init(maxEntries: Int, maxTotalUncompressed: UInt64) {
            self.maxEntries = maxEntries
            self.maxTotalUncompressed = maxTotalUncompressed
        }
    }

    /// An entry as the central directory describes it.
    private struct Entry: Sendable {
        var flags: UInt16
        var method: UInt16
        var crc: UInt32
        var compressedSize: UInt64
        var uncompressedSize: UInt64
        var localHeader: UInt64
    }

    /// Opens a package.
    /// - Parameters:
    ///   - bytes: the archive.
    ///   - what: how to call the document in messages (`the workbook`).
    /// - Throws: ``DocumentReadError`` `not-zip`, or `too-large` naming the limit.
    public init(_ bytes: [UInt8], what: String = "the workbook", limits: Limits = .default) throws(DocumentReadError) {
        guard bytes.count >= 4, bytes[0] == 0x50, bytes[1] == 0x4B else {
            throw DocumentReadError(.notZIP, "\(what) is not a ZIP archive (an .xlsx workbook is one): save it as Excel Workbook (.xlsx)")
        }
        func corrupt(_ why: String) -> DocumentReadError {
            DocumentReadError(.notZIP, "\(what) is not a readable ZIP archive (\(why)): save it again as Excel Workbook (.xlsx)")
        }
        let le = LittleEndian(bytes)
        let directory = try Self.directory(le, corrupt: corrupt)
        if directory.count > UInt64(limits.maxEntries) {
            throw DocumentReadError(.tooLarge, "\(what) has more than \(limits.maxEntries) ZIP entries; a workbook has a few dozen: it is refused")
        }
        if directory.count == 0 {
            throw DocumentReadError(.notZIP, "\(what) has no ZIP entries: save it again as Excel Workbook (.xlsx)")
        }
        var paths: [String] = []
        var entries: [String: Entry] = [:]
        var total: UInt64 = 0
        var at = directory.offset
        for n in 0..<directory.count {
            guard le.u32(at) == 0x0201_4B50, let method = le.u16(at + 10), let flags = le.u16(at + 8),
                let crc = le.u32(at + 16), let compressed32 = le.u32(at + 20), let uncompressed32 = le.u32(at + 24),
                let nameLength = le.u16(at + 28), let extraLength = le.u16(at + 30), let commentLength = le.u16(at + 32),
                let local32 = le.u32(at + 42),
                let name = le.bytes(at + 46, UInt64(nameLength)),
                let extra = le.bytes(at + 46 + UInt64(nameLength), UInt64(extraLength))
            else { throw corrupt("central directory entry \(n + 1) is cut short or misplaced") }
            var entry = Entry(
                flags: flags, method: method, crc: crc, compressedSize: UInt64(compressed32),
                uncompressedSize: UInt64(uncompressed32), localHeader: UInt64(local32))
            guard Self.applyZIP64(extra, to: &entry) else {
                throw corrupt("central directory entry \(n + 1) lacks the ZIP64 sizes it announces")
            }
            let path = String(decoding: name, as: UTF8.self)
            guard entries.updateValue(entry, forKey: path) == nil else {
                throw corrupt("two entries are named \(path)")
            }
            paths.append(path)
            let (sum, overflow) = total.addingReportingOverflow(entry.uncompressedSize)
            total = overflow ? .max : sum
            if total > limits.maxTotalUncompressed {
                throw DocumentReadError(
                    .tooLarge, "\(what) inflates to more than \(limits.maxTotalUncompressed >> 20) MiB (a zip bomb, or a workbook too large to read): it is refused")
            }
            at += 46 + UInt64(nameLength) + UInt64(extraLength) + UInt64(commentLength)
        }
        self.bytes = bytes
        self.entries = entries
        self.paths = paths
        self.limits = limits
    }

    /// Whether the package has an entry.
    public func contains(_ path: String) -> Bool { entries[path] != nil }

    /// The bytes of an entry, or nil if there is none.
    /// - Throws: ``DocumentReadError`` `too-large` if the entry inflates beyond the limit, `not-zip` if it is corrupt.
    public func read(_ path: String) throws(DocumentReadError) -> [UInt8]? {
        guard let entry = entries[path] else { return nil }
        func corrupt(_ why: String) -> DocumentReadError {
            DocumentReadError(.notZIP, path: path, "cannot be read (\(why)): the archive is corrupt")
        }
        if entry.flags & 1 != 0 {
            throw DocumentReadError(.notZIP, path: path, "is encrypted: save the workbook again without a password to open it")
        }
        let le = LittleEndian(bytes)
        guard le.u32(entry.localHeader) == 0x0403_4B50, let nameLength = le.u16(entry.localHeader + 26),
            let extraLength = le.u16(entry.localHeader + 28)
        else { throw corrupt("its local header is missing or lies past the end") }
        let start = entry.localHeader + 30 + UInt64(nameLength) + UInt64(extraLength)
        guard let data = le.range(start, entry.compressedSize) else {
            throw corrupt("its \(entry.compressedSize) compressed bytes run past the end of the archive")
        }
        if entry.uncompressedSize > limits.maxTotalUncompressed {
            throw DocumentReadError(.tooLarge, path: path, "inflates to more than \(limits.maxTotalUncompressed >> 20) MiB: the workbook is refused")
        }
        let out: [UInt8]
        switch entry.method {
        case 0:
            guard entry.compressedSize == entry.uncompressedSize else {
                throw corrupt("it is stored uncompressed, yet its two sizes differ")
            }
            out = Array(bytes[data])
        case 8:
            // Deflate cannot shrink data more than about 1,032 to 1: a larger declared size is a lie,
            // refused before a buffer of that size is made.
            guard entry.uncompressedSize / 1032 <= entry.compressedSize else {
                throw corrupt("\(entry.compressedSize) compressed bytes cannot inflate to the \(entry.uncompressedSize) the directory says")
            }
            out = try Self.inflate(bytes[data], size: Int(entry.uncompressedSize), corrupt: corrupt)
        default:
            throw DocumentReadError(.notZIP, path: path, "uses compression method \(entry.method); only stored (0) and deflated (8) entries are read")
        }
        let crc = out.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, UInt32($0.count))) }
        guard crc == entry.crc else {
            throw corrupt("its CRC-32 is \(Self.hex(crc)) where the directory says \(Self.hex(entry.crc))")
        }
        return out
    }

    /// The central directory's place: where it starts and how many entries it has.
    private static func directory(
        _ le: LittleEndian, corrupt: (String) -> DocumentReadError
    ) throws(DocumentReadError) -> (offset: UInt64, count: UInt64) {
        // The end record (22 bytes and a comment of at most 65,535) is the last signature whose
        // comment ends at or before the end of the archive.
        let count = UInt64(le.bytes.count)
        guard count >= 22 else { throw corrupt("it is too short to hold a directory") }
        let lowest = count >= 22 + 0xFFFF ? count - 22 - 0xFFFF : 0
        var found: UInt64?
        var i = count - 22
        while true {
            if le.u32(i) == 0x0605_4B50, let comment = le.u16(i + 20), i + 22 + UInt64(comment) <= count {
                found = i
                break
            }
            if i == lowest { break }
            i -= 1
        }
        guard let end = found, let disk = le.u16(end + 4), let directoryDisk = le.u16(end + 6),
            let entries16 = le.u16(end + 10), let size32 = le.u32(end + 12), let offset32 = le.u32(end + 16)
        else { throw corrupt("its end-of-directory record is missing") }
        var (entries, size, offset) = (UInt64(entries16), UInt64(size32), UInt64(offset32))
        var directoryEnd = end
        if entries16 == 0xFFFF || size32 == 0xFFFF_FFFF || offset32 == 0xFFFF_FFFF {
            // ZIP64: a locator just before the end record points to the ZIP64 end record.
            guard end >= 20, le.u32(end - 20) == 0x0706_4B50, let at = le.u64(end - 20 + 8),
                le.u32(at) == 0x0606_4B50, let e = le.u64(at + 32), let s = le.u64(at + 40), let o = le.u64(at + 48)
            else { throw corrupt("its ZIP64 end-of-directory record is missing") }
            (entries, size, offset, directoryEnd) = (e, s, o, at)
        } else if disk != 0 || directoryDisk != 0 {
            throw corrupt("it is split over several disks")
        }
        guard offset <= directoryEnd, size <= directoryEnd - offset, entries <= size / 46 else {
            throw corrupt("its directory points past the end")
        }
        return (offset, entries)
    }

    /// Replaces the 32-bit fields marked 0xFFFFFFFF by the ZIP64 extra field's values, in the order
    /// the format lists them. False if a marked field has no value there.
    private static func applyZIP64(_ extra: ArraySlice<UInt8>, to entry: inout Entry) -> Bool {
        let wants = (entry.uncompressedSize == 0xFFFF_FFFF, entry.compressedSize == 0xFFFF_FFFF, entry.localHeader == 0xFFFF_FFFF)
        guard wants.0 || wants.1 || wants.2 else { return true }
        let le = LittleEndian(Array(extra))
        var at: UInt64 = 0
        while let id = le.u16(at), let size = le.u16(at + 2) {
            if id == 1 {
                var field = at + 4
                func next() -> UInt64? {
                    defer { field += 8 }
                    return field + 8 <= at + 4 + UInt64(size) ? le.u64(field) : nil
                }
                if wants.0 { guard let v = next() else { return false }; entry.uncompressedSize = v }
                if wants.1 { guard let v = next() else { return false }; entry.compressedSize = v }
                if wants.2 { guard let v = next() else { return false }; entry.localHeader = v }
                return true
            }
            at += 4 + UInt64(size)
        }
        return false
    }

    /// Inflates a raw deflate stream that must produce exactly `size` bytes. Every call to zlib
    /// either makes progress or ends the loop, so a stream cut short is an error, never a wait.
    private static func inflate(
        _ input: ArraySlice<UInt8>, size: Int, corrupt: (String) -> DocumentReadError
    ) throws(DocumentReadError) -> [UInt8] {
        guard input.count <= Int(UInt32.max) else { throw corrupt("it is too large to inflate") }
        var stream = z_stream()
        guard inflateInit2_(&stream, -MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw corrupt("zlib could not start")
        }
        defer { inflateEnd(&stream) }
        // One byte more than declared, so that a stream longer than its declared size shows.
        var out = [UInt8](repeating: 0, count: size + 1)
        let result: Int32 = input.withUnsafeBufferPointer { inBuffer in
            out.withUnsafeMutableBufferPointer { outBuffer in
                stream.next_in = UnsafeMutablePointer(mutating: inBuffer.baseAddress)
                stream.avail_in = UInt32(inBuffer.count)
                stream.next_out = outBuffer.baseAddress
                stream.avail_out = UInt32(clamping: outBuffer.count)
                var result: Int32
                repeat {
                    result = CZlibSystem.inflate(&stream, Z_NO_FLUSH)
                } while result == Z_OK && stream.avail_out > 0
                return result
            }
        }
        switch result {
        case Z_STREAM_END where Int(stream.total_out) == size:
            out.removeLast()
            return out
        case Z_STREAM_END:
            throw corrupt("it inflates to \(stream.total_out) bytes where the directory says \(size)")
        case Z_OK:  // the output is full: one byte more than declared
            throw corrupt("it inflates to more than the \(size) bytes the directory says")
        case Z_BUF_ERROR:
            throw corrupt("its compressed data ends before its deflate stream does")
        default:
            let reason = stream.msg.map { String(cString: $0) } ?? "zlib error \(result)"
            throw corrupt("its deflate stream is invalid: \(reason)")
        }
    }

    private static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16, uppercase: false)
        return String(repeating: "0", count: 8 - digits.count) + digits
    }

    /// Bounds-checked little-endian reads; nil past the end.
    private struct LittleEndian {
        let bytes: [UInt8]
        init(_ bytes: [UInt8]) { self.bytes = bytes }

        func range(_ at: UInt64, _ length: UInt64) -> Range<Int>? {
            let count = UInt64(bytes.count)
            guard at <= count, length <= count - at else { return nil }
            return Int(at)..<Int(at + length)
        }
        func bytes(_ at: UInt64, _ length: UInt64) -> ArraySlice<UInt8>? { range(at, length).map { bytes[$0] } }
        func value(_ at: UInt64, _ width: UInt64) -> UInt64? {
            guard let r = range(at, width) else { return nil }
            return r.reversed().reduce(0) { $0 << 8 | UInt64(bytes[$1]) }
        }
        func u16(_ at: UInt64) -> UInt16? { value(at, 2).map { UInt16($0) } }
        func u32(_ at: UInt64) -> UInt32? { value(at, 4).map { UInt32($0) } }
        func u64(_ at: UInt64) -> UInt64? { value(at, 8) }
    }
}
