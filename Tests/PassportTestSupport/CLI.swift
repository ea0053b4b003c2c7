import Foundation

/// Runs the built `dpp` executable, as a user would.
public enum CLI {
    /// The result of one run.
    public struct Result: Sendable {
        /// Exit status.
        public let status: Int32
        /// Standard output.
        public let stdout: String
        /// Standard error.
        public let stderr: String
    }

    /// The package's root folder.
    public static let packageRoot: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url
    }()

    /// The `dpp` executable beside the test bundle (built by `swift build --product dpp`, which `./test.sh` runs first).
    public static let executable: URL = {
        let exe = URL(fileURLWithPath: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
        var dir = exe.deletingLastPathComponent()
        // The test binary may sit inside a bundle folder (….xctest/…); walk up to the build folder.
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("dpp")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir.deleteLastPathComponent()
        }
        return packageRoot.appendingPathComponent(".build/debug/dpp")
    }()

    /// Why the `dpp` executable cannot be trusted to be the code under test (missing, or older
    /// than a file in `Sources/`), or nil. The CLI tests never run a stale binary.
    public static let staleness: String? = {
        let fm = FileManager.default
        guard let built = (try? fm.attributesOfItem(atPath: executable.path))?[.modificationDate] as? Date else {
            return "\(executable.path) does not exist: build it with swift build --product dpp (./test.sh does)"
        }
        let sources = packageRoot.appendingPathComponent("Sources")
        for case let url as URL in fm.enumerator(at: sources, includingPropertiesForKeys: [.contentModificationDateKey]) ?? .init() {
            if let changed = try? url.resourceValues(forKeys: [.contentModificationDateKey]).contentModificationDate, changed > built {
                return "\(executable.path) is older than \(url.path): rebuild it with swift build --product dpp (./test.sh does)"
            }
        }
        return nil
    }()

    /// Thrown instead of running a stale or missing `dpp`.
    public struct StaleExecutable: Error, CustomStringConvertible {
        /// What is wrong and what to do.
        public let description: String
        /// Creates the error.
        public init(description: String) { self.description = description }
    }

    /// Runs `dpp` with arguments, optional standard input, in a working folder.
    /// - Throws: ``StaleExecutable`` if the built `dpp` is missing or older than the sources.
    public static func run(_ arguments: [String], stdin: String? = nil, in directory: URL? = nil) throws -> Result {
        if let staleness { throw StaleExecutable(description: staleness) }
        return try runProcess(executable, arguments, stdin: stdin, in: directory)
    }

    /// Starts `dpp` without waiting (for concurrency tests).
    public static func start(_ arguments: [String], in directory: URL? = nil) throws -> (Process, Pipe, Pipe) {
        if let staleness { throw StaleExecutable(description: staleness) }
        let p = Process()
        p.executableURL = executable
        p.arguments = arguments
        if let directory { p.currentDirectoryURL = directory }
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        return (p, out, err)
    }

    /// Starts `dpp` without waiting, its standard output and error going to `log` (for a
    /// long-running, chatty process such as `dpp serve`, which would block on a full pipe).
    public static func start(_ arguments: [String], log: URL, in directory: URL? = nil) throws -> Process {
        if let staleness { throw StaleExecutable(description: staleness) }
        guard FileManager.default.createFile(atPath: log.path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: log.path])
        }
        let output = try FileHandle(forWritingTo: log)
        let p = Process()
        p.executableURL = executable
        p.arguments = arguments
        if let directory { p.currentDirectoryURL = directory }
        p.standardOutput = output
        p.standardError = output
        p.standardInput = FileHandle.nullDevice
        try p.run()
        try output.close()
        return p
    }

    /// Runs any program and collects its output.
    public static func runProcess(
        _ executable: URL, _ arguments: [String], stdin: String? = nil, in directory: URL? = nil, environment: [String: String]? = nil
    ) throws -> Result {
        let p = Process()
        p.executableURL = executable
        p.arguments = arguments
        if let directory { p.currentDirectoryURL = directory }
        if let environment { p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        let input = Pipe()
        p.standardInput = input
        try p.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        // Read both pipes fully before waiting, so a chatty process cannot block on a full pipe.
        let group = DispatchGroup()
        let box = OutputBox()
        group.enter()
        DispatchQueue.global().async {
            box.setErr(err.fileHandleForReading.readDataToEndOfFile())
            group.leave()
        }
        let o = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: box.err, as: UTF8.self))
    }
}

private final class OutputBox: @unchecked Sendable {
    // @unchecked: written once by one thread before DispatchGroup.wait() returns, read after.
    var err = Data()
    func setErr(_ d: Data) { err = d }
}
