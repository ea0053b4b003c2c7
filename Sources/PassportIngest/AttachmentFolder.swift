import Foundation
import PassportLedger

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
        self.forbidden = [RegularFile.resolve(store.path) ?? store.standardizedFileURL.path]
        self.maxSize = maxSize
    }

    /// The rule broken by a path the folder refuses (one wording whether or not the file exists).
    public static let notInside = "no such file inside the attachments folder (a path is relative, without '..', and may not lead out through a symlink)"

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
        guard let root = RegularFile.resolve(path) else {
            return .failure(.init(rule: "the attachments folder \(path) cannot be opened"))
        }
        guard let resolved = RegularFile.resolve(root + "/" + relative), resolved.hasPrefix(root == "/" ? "/" : root + "/") else {
            return .failure(.init(rule: AttachmentFolder.notInside))
        }
        if forbidden.contains(where: { resolved == $0 || resolved.hasPrefix($0 + "/") }) {
            return .failure(.init(rule: "files inside the store's folder are never read as attachments"))
        }
        return RegularFile.read(resolved, maxSize: maxSize).mapError { AttachmentPathError(rule: $0.rule) }.map { ($0, (resolved as NSString).lastPathComponent) }
    }
}

/// Why an attachment path was refused.
public struct AttachmentPathError: Error, Sendable, Hashable {
    /// The rule the path breaks, in words.
    public let rule: String
}
