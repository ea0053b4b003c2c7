import Foundation
import Sodium

/// Reading files named by input or by an operator: regular files only, bounded, never through a
/// final symlink; what a failed read had read is wiped (key files are read here too).
public enum RegularFile {
    /// Why a file was refused.
    public struct Refusal: Error, Sendable, Hashable {
        /// The rule the file breaks, in words.
        public let rule: String
    }

    /// Reads a regular file without following a final symlink, refusing devices, FIFOs, sockets,
    /// folders and files larger than `maxSize` before reading any of their data.
    public static func read(_ path: String, maxSize: Int) -> Result<[UInt8], Refusal> {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return .failure(.init(rule: "no such file, or it cannot be opened")) }
        // close is unchecked: the file was only read, so a failing close loses nothing.
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG else {
            return .failure(.init(rule: "is not a regular file (devices, FIFOs, sockets and folders are refused)"))
        }
        guard st.st_size <= maxSize else {
            return .failure(.init(rule: "the file is \(st.st_size) bytes; the attachment limit is \(maxSize)"))
        }
        var out = [UInt8](repeating: 0, count: Int(st.st_size) + 1)
        var filled = 0
        while filled < out.count {
            let n = out.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress! + filled, $0.count - filled) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else {
                let reason = String(cString: strerror(errno))
                Sodium.wipe(&out)  // it may be a secret (key files are read here too)
                return .failure(.init(rule: "the file cannot be read: \(reason)"))
            }
            if n == 0 { break }
            filled += n
        }
        guard filled <= maxSize, filled <= Int(st.st_size) else {
            Sodium.wipe(&out)
            return .failure(.init(rule: "the file grew while it was read; the attachment limit is \(maxSize) bytes"))
        }
        out.removeLast(out.count - filled)
        return .success(out)
    }

    /// The path with every symlink resolved, or nil if it does not resolve.
    public static func resolve(_ path: String) -> String? {
        guard let p = realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }

    /// True if `path` resolves (symlinks included) to `folder` or something inside it.
    public static func isInside(_ folder: URL, _ path: String) -> Bool {
        guard let resolved = resolve(path) else { return false }
        let root = resolve(folder.path) ?? folder.standardizedFileURL.path
        return resolved == root || resolved.hasPrefix(root + "/")
    }
}
