import Foundation
import PassportAudit
import PassportModel
import Sodium

/// Private key files in `<store>/keys/`: one skey line each, mode 0600, folder 0700.
public struct KeyFiles: Sendable {
    /// The `keys` folder.
    public let directory: URL

    /// The file of a key: `<name>+<hex id>.key`, with characters other than `A–Z a–z 0–9 . _ + -`
    /// percent-encoded (a ledger key named after an origin like `example.com/log` has a `/`).
    public func url(for reference: String) -> URL {
        let name = PercentEncoding.encode(reference) { PercentEncoding.isAlphanumeric($0) || "._+-".utf8.contains($0) }
        return directory.appendingPathComponent(name + ".key")
    }

    /// Creates the folder (0700) if needed.
    func ensureDirectory() throws {
        let fm = FileManager.default
        if !fm.fileExists(atPath: directory.path) {
            try fm.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        try fm.setAttributes([.posixPermissions: 0o700], ofItemAtPath: directory.path)
    }

    /// Writes a signer's secret to a new file with mode 0600 (created with that mode, never wider).
    /// - Throws: ``LedgerError`` if the file exists or cannot be written.
    public func write(_ signer: NoteSigner) throws {
        try ensureDirectory()
        let path = url(for: signer.verifier.reference).path
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw LedgerError(.key, "cannot create key file \(path): \(String(cString: strerror(errno)))")
        }
        // close is unchecked: the data is fsynced (or the file removed) before it runs, so a
        // failing close cannot lose the key.
        defer { close(fd) }
        var bytes = signer.secretBytes() + [0x0A]
        defer { Sodium.wipe(&bytes) }
        let written = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(fd) == 0 else {
            // Read errno before unlink can change it; a short write sets none.
            let reason = written >= 0 && written < bytes.count ? "short write" : String(cString: strerror(errno))
            // Best effort: the write failure is what gets reported, and a file left behind
            // makes the next attempt fail with "exists", naming the path.
            unlink(path)
            throw LedgerError(.key, "cannot write key file \(path): \(reason)")
        }
    }

    /// Reads a signer from its file, refusing files readable by group or others.
    public func read(reference: String) throws -> NoteSigner {
        let path = url(for: reference).path
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw LedgerError(.key, "no private key file for \(reference) at \(path)")
        }
        guard st.st_mode & 0o077 == 0 else {
            throw LedgerError(
                .key, "key file \(path) is readable by other users (mode \(String(st.st_mode & 0o777, radix: 8))); run chmod 600 on it")
        }
        guard var bytes = KeyFiles.readSecret(path) else {
            throw LedgerError(.key, "cannot read key file \(path)")
        }
        defer { Sodium.wipe(&bytes) }
        do {
            return try NoteSigner(parsingSecret: bytes)
        } catch {
            throw LedgerError(.key, "key file \(path) is malformed: \(error.message)")
        }
    }

    /// Reads a small secret file (a regular file, not through a final symlink) into a buffer the
    /// caller wipes, without Foundation's copies.
    static func readSecret(_ path: String) -> [UInt8]? {
        try? RegularFile.read(path, maxSize: 4096).get()
    }

    /// Deletes a key file (used when registering the key failed).
    func remove(reference: String) {
        // Best effort cleanup after another error, which is the one reported.
        unlink(url(for: reference).path)
    }
}
