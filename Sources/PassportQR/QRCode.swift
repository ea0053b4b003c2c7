#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import CQRencode

/// A QR code symbol (ISO/IEC 18004, model 2), encoded by libqrencode and rendered as SVG or PNG.
///
/// The text is encoded as UTF-8 bytes in 8-bit (byte) mode, case preserved, in the smallest
/// version that fits. The module matrix is copied out of libqrencode at once, so a `QRCode` is a
/// plain value that holds no C memory.
///
/// ```swift
/// let code = try QRCode(encoding: "https://id.example.com/01/09506000134352/21/SN-1")
/// let svg = try code.svg()          // a standalone SVG document
/// let png = try code.png(moduleSize: 4)
/// ```
public struct QRCode: Sendable {
    /// How much of the symbol may be damaged and still be read; higher levels hold less text.
    public enum ErrorCorrection: String, Sendable, CaseIterable {
        /// About 7 % of the codewords can be restored.
        case low = "L"
        /// About 15 % of the codewords can be restored; the usual choice.
        case medium = "M"
        /// About 25 % of the codewords can be restored.
        case quartile = "Q"
        /// About 30 % of the codewords can be restored.
        case high = "H"
    }

    /// The longest text accepted, in UTF-8 bytes; longer text is refused before it reaches C.
    /// (A version 40 symbol holds at most 2,953 bytes at level L and 1,273 at level H.)
    public static let maxTextBytes = 2048

    /// The modules per side of the symbol, without the quiet zone: 21 for version 1, up to 177
    /// for version 40.
    public let size: Int
    /// The symbol's version, 1...40 (the smallest that holds the text at the chosen level).
    public let version: Int
    /// The error correction level the symbol was encoded with.
    public let correction: ErrorCorrection
    /// `size * size` modules, row by row from the top left; `true` is dark.
    let modules: [Bool]

    /// Encodes text as a QR code.
    /// - Parameters:
    ///   - text: The text to encode, such as a GS1 Digital Link URI; encoded as its UTF-8 bytes.
    ///   - correction: The error correction level.
    /// - Throws: ``QRError`` with `.emptyText` when the text is empty, `.textTooLong` when it is
    ///   longer than ``maxTextBytes`` or than a version 40 symbol holds at `correction`,
    ///   `.outOfMemory` or `.libraryFailure` when libqrencode fails.
    /// - Complexity: O(`size`²): libqrencode lays out the symbol and scores its eight masks.
    public init(encoding text: String, correction: ErrorCorrection = .medium) throws(QRError) {
        let byteCount = text.utf8.count
        guard byteCount > 0 else {
            throw QRError(.emptyText, "the text to encode is empty; a QR code needs at least one byte")
        }
        guard byteCount <= Self.maxTextBytes else {
            throw QRError(
                .textTooLong,
                "the text to encode is \(byteCount) bytes of UTF-8; at most \(Self.maxTextBytes) bytes are accepted")
        }
        var text = text
        // QRcode_encodeData takes a length, so a NUL byte in the text is encoded, not a terminator.
        let (result, error) = text.withUTF8 { bytes in
            let symbol = QRcode_encodeData(Int32(bytes.count), bytes.baseAddress, 0, correction.level)
            return (symbol, errno)
        }
        let symbol = try check(result, errno: error, encoding: byteCount, at: correction)
        defer { QRcode_free(symbol) }
        let width = Int(symbol.pointee.width)
        self.size = width
        self.version = Int(symbol.pointee.version)
        self.correction = correction
        let data = symbol.pointee.data!
        self.modules = [Bool](unsafeUninitializedCapacity: width * width) { buffer, initialized in
            for i in 0..<(width * width) {
                buffer.initializeElement(at: i, to: data[i] & 1 == 1)  // bit 0: dark
            }
            initialized = width * width
        }
    }

    /// Whether the module at column `x`, row `y` is dark. Coordinates outside the symbol are in
    /// the quiet zone, which is light.
    /// - Parameters:
    ///   - x: The column, 0 at the left.
    ///   - y: The row, 0 at the top.
    public func isDark(x: Int, y: Int) -> Bool {
        guard x >= 0, y >= 0, x < size, y < size else { return false }
        return modules[y * size + x]
    }
}

extension QRCode.ErrorCorrection {
    /// libqrencode's level.
    var level: QRecLevel {
        switch self {
        case .low: QR_ECLEVEL_L
        case .medium: QR_ECLEVEL_M
        case .quartile: QR_ECLEVEL_Q
        case .high: QR_ECLEVEL_H
        }
    }

    /// The most bytes a version 40 symbol holds in 8-bit mode at this level (ISO/IEC 18004 table 7).
    var capacity: Int {
        switch self {
        case .low: 2953
        case .medium: 2331
        case .quartile: 1663
        case .high: 1273
        }
    }
}
