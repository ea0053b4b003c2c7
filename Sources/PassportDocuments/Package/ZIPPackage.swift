import Foundation
import ZIPFoundation

/// A ZIP archive (an Office Open XML package such as an xlsx workbook) read from memory within
/// limits: a zip bomb is refused before anything is inflated, by the entry count and the sum of
/// the entries' declared uncompressed sizes, and again while inflating, should a size lie.
public struct ZIPPackage: @unchecked Sendable {
    // @unchecked: `Archive` is a class over a file stream whose read position moves with
    // each extraction, so two threads must not read one package at once. This type never writes
    // it, and its users (the readers of this module) open, read and drop a package on one thread;
    // it is Sendable only so that a reader's result may carry it across.
    private let archive: Archive
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

    /// Opens a package.
    /// - Parameters:
    ///   - bytes: the archive.
    ///   - what: how to call the document in messages (`the workbook`).
    /// - Throws: ``DocumentReadError`` `not-zip`, or `too-large` naming the limit.
    public init(_ bytes: [UInt8], what: String = "the workbook", limits: Limits = .default) throws(DocumentReadError) {
        guard bytes.count >= 4, bytes[0] == 0x50, bytes[1] == 0x4B else {
            throw DocumentReadError(.notZIP, "\(what) is not a ZIP archive (an .xlsx workbook is one): save it as Excel Workbook (.xlsx)")
        }
        let archive: Archive
        do { archive = try Self.openArchive(bytes) } catch {
            throw DocumentReadError(.notZIP, "\(what) is not a readable ZIP archive (\(error)): save it again as Excel Workbook (.xlsx)")
        }
        var paths: [String] = []
        var total: UInt64 = 0
        for entry in archive {
            paths.append(entry.path)
            if paths.count > limits.maxEntries {
                throw DocumentReadError(.tooLarge, "\(what) has more than \(limits.maxEntries) ZIP entries; a workbook has a few dozen: it is refused")
            }
            let (sum, overflow) = total.addingReportingOverflow(entry.uncompressedSize)
            total = overflow ? .max : sum
            if total > limits.maxTotalUncompressed {
                throw DocumentReadError(
                    .tooLarge, "\(what) inflates to more than \(limits.maxTotalUncompressed >> 20) MiB (a zip bomb, or a workbook too large to read): it is refused")
            }
        }
        if paths.isEmpty {
            throw DocumentReadError(.notZIP, "\(what) has no readable ZIP entries (its central directory is missing or points past the end): save it again as Excel Workbook (.xlsx)")
        }
        self.archive = archive
        self.paths = paths
        self.limits = limits
    }

    /// Whether the package has an entry.
    public func contains(_ path: String) -> Bool { archive[path] != nil }

    /// The bytes of an entry, or nil if there is none.
    /// - Throws: ``DocumentReadError`` `too-large` if the entry inflates beyond the limit, `not-zip` if it is corrupt.
    public func read(_ path: String) throws(DocumentReadError) -> [UInt8]? {
        guard let entry = archive[path] else { return nil }
        var out: [UInt8] = []
        let cap = limits.maxTotalUncompressed
        do {
            _ = try archive.extract(entry, skipCRC32: false) { chunk in
                if UInt64(out.count + chunk.count) > cap { throw Inflated() }
                out += chunk
            }
        } catch is Inflated {
            throw DocumentReadError(.tooLarge, path: path, "inflates to more than \(cap >> 20) MiB: the workbook is refused")
        } catch {
            throw DocumentReadError(.notZIP, path: path, "cannot be inflated (\(error)): the archive is corrupt")
        }
        return out
    }

    private struct Inflated: Error {}

    /// Opens the bytes as an archive backed by an unlinked private temporary file.
    ///
    /// ZIPFoundation's in-memory backing (`Archive(data:)`) traps when a corrupt directory points
    /// past the end of the data, where a file backing gets a short read and a thrown error. The
    /// file is created 0600 and unlinked as soon as the archive holds it open, so nothing is left
    /// behind, even if the process dies.
    private static func openArchive(_ bytes: [UInt8]) throws -> Archive {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("passport-zip-\(UUID().uuidString)")
        guard FileManager.default.createFile(
            atPath: url.path, contents: Data(bytes), attributes: [.posixPermissions: 0o600])
        else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path]) }
        defer { try? FileManager.default.removeItem(at: url) }
        return try Archive(url: url, accessMode: .read)
    }
}
