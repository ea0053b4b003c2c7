#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import CQRencode
import CZlibSystem

// The one place C results are checked: libqrencode answers NULL and sets errno, zlib answers a
// `Z_*` code. (QRcode_free, compressBound and crc32 return nothing that can fail.)

/// Checks what `QRcode_encodeData` returned, turning NULL and its `errno` into a ``QRError``.
/// - Parameters:
///   - symbol: The C result.
///   - error: `errno`, read right after the call.
///   - byteCount: How many bytes were encoded (for the message).
///   - level: The error correction asked for (for the message).
/// - Returns: The symbol, which the caller must release with `QRcode_free`.
/// - Throws: ``QRError`` with `.textTooLong` (`ERANGE`), `.outOfMemory` (`ENOMEM`) or
///   `.libraryFailure` (`EINVAL`, anything else).
@inline(__always)
func check(
    _ symbol: UnsafeMutablePointer<QRcode>?, errno error: Int32, encoding byteCount: Int, at level: QRCode.ErrorCorrection
) throws(QRError) -> UnsafeMutablePointer<QRcode> {
    if let symbol { return symbol }
    switch error {
    case ERANGE:
        throw QRError(
            .textTooLong,
            "the text is too long for a QR code at error correction \(level.rawValue): \(byteCount) bytes; at most \(level.capacity) bytes fit at \(level.rawValue) — use a lower error correction level or a shorter text",
            underlyingCode: error)
    case ENOMEM:
        throw QRError(.outOfMemory, "libqrencode could not allocate memory to encode \(byteCount) bytes (ENOMEM); retry when the process has memory to spare", underlyingCode: error)
    case EINVAL:
        throw QRError(.libraryFailure, "libqrencode refused the input as invalid (EINVAL) for \(byteCount) bytes at error correction \(level.rawValue); this is a bug in PassportQR, please report it", underlyingCode: error)
    default:
        throw QRError(.libraryFailure, "libqrencode failed to encode \(byteCount) bytes at error correction \(level.rawValue) (errno \(error))", underlyingCode: error)
    }
}

/// Checks a zlib return code, turning anything but `Z_OK` into a ``QRError``.
/// - Parameters:
///   - rc: The zlib return code.
///   - operation: The zlib function called (for the message).
/// - Throws: ``QRError`` with `.outOfMemory` (`Z_MEM_ERROR`) or `.libraryFailure` (anything else:
///   `Z_BUF_ERROR` cannot happen with a `compressBound`-sized buffer, so it is a bug here).
@inline(__always)
func check(zlib rc: Int32, _ operation: @autoclosure () -> String) throws(QRError) {
    switch rc {
    case Z_OK: return
    case Z_MEM_ERROR:
        throw QRError(.outOfMemory, "zlib \(operation()) could not allocate memory (Z_MEM_ERROR); retry when the process has memory to spare", underlyingCode: rc)
    default:
        throw QRError(.libraryFailure, "zlib \(operation()) failed (return code \(rc)); this is a bug in PassportQR, please report it", underlyingCode: rc)
    }
}
