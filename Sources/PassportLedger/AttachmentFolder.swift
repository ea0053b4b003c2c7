import Foundation
import Sodium

/// The one folder that attachment paths in unsigned input may name (DESIGN §3, issue 7).
///
/// A path is relative, has no `..` component, and must resolve — symlinks included — to a regular
/// file inside the folder that is not inside the store. Anything else is refused with one message
/// that does not say whether the path exists; devices, FIFOs, sockets and folders are refused
/// without being opened for reading data, and files above the size limit are not read.
public struct AttachmentFolder: Sendable {
    /// The folder as the operator named it.
    public let path: String
    /// Files resolving inside these folders are never read (the store, and with it its private keys).
    let forbidden: [String]
    /// The largest file accepted, in bytes.
    let maxSize: Int

    /// Confines attachment paths to `path`.
    /// - Parameters:
    ///   - path: the folder (the input file's folder, or `--attachments-dir`).
    ///   - store: the store folder, which is never readable through input.
    ///   - maxSize: the attachment size limit.
    public init(path: String, store: URL, maxSize: Int) {
        self.path = path
        self.forbidden = [AttachmentFolder.resolve(store.path) ?? store.standardizedFileURL.path]
        self.maxSize = maxSize
    }

    /// The rule broken by a path the folder refuses (one wording whether or not the file exists).
    static let notInside = "no such file inside the attachments folder (a path is relative, without '..', and may not lead out through a symlink)"

    /// Reads the attachment `relative` names.
    /// - Returns: the file's bytes and its resolved name, or the rule the path breaks.
    public func read(_ relative: String) -> Result<(bytes: [UInt8], name: String), AttachmentPathError> {
        guard !relative.isEmpty, !relative.utf8.contains(0) else { return .failure(.init(rule: AttachmentFolder.notInside)) }
        guard !relative.hasPrefix("/") else {
            return .failure(.init(rule: "absolute paths are not allowed; give a path relative to the attachments folder"))
        }
        guard !relative.split(separator: "/").contains("..") else {
            return .failure(.init(rule: "'..' is not allowed in attachment paths"))
        }
        guard let root = AttachmentFolder.resolve(path) else {
            return .failure(.init(rule: "the attachments folder \(path) cannot be opened"))
        }
        guard let resolved = AttachmentFolder.resolve(root + "/" + relative), resolved.hasPrefix(root == "/" ? "/" : root + "/") else {
            return .failure(.init(rule: AttachmentFolder.notInside))
        }
        if forbidden.contains(where: { resolved == $0 || resolved.hasPrefix($0 + "/") }) {
            return .failure(.init(rule: "files inside the store's folder are never read as attachments"))
        }
        return AttachmentFolder.readRegularFile(resolved, maxSize: maxSize).map { ($0, (resolved as NSString).lastPathComponent) }
    }

    /// Reads a regular file without following a final symlink, refusing devices, FIFOs, sockets,
    /// folders and files larger than `maxSize` before reading any of their data. (Also how key
    /// files are read: a failed read wipes what it had read.)
    public static func readRegularFile(_ path: String, maxSize: Int) -> Result<[UInt8], AttachmentPathError> {
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return .failure(.init(rule: notInside)) }
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

    /// True if `path` resolves (symlinks included) to the store folder or something inside it.
    public static func isInside(store: URL, _ path: String) -> Bool {
        guard let resolved = resolve(path) else { return false }
        let root = resolve(store.path) ?? store.standardizedFileURL.path
        return resolved == root || resolved.hasPrefix(root + "/")
    }

    /// The path with every symlink resolved, or nil if it does not resolve.
    static func resolve(_ path: String) -> String? {
        guard let p = realpath(path, nil) else { return nil }
        defer { free(p) }
        return String(cString: p)
    }
}

/// Why an attachment path was refused.
public struct AttachmentPathError: Error, Sendable, Hashable {
    /// The rule the path breaks, in words.
    public let rule: String
}
