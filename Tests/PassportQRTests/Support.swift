import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

/// zbarimg (zbar-tools), an independent QR decoder; a test that needs it fails when it is missing.
enum Zbar {
    static let missing = "zbarimg (Debian package zbar-tools) is not installed: run scripts/install-deps.sh --test"

    /// The zbarimg executable on PATH, if any.
    static let path: String? = {
        let dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        return dirs.map { "\($0)/zbarimg" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    /// Writes `png` to a temporary file and returns what `zbarimg --raw -q` reads from it.
    static func decode(_ png: [UInt8]) throws -> String {
        let zbarimg = try #require(path, Comment(rawValue: missing))
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("qr-\(UUID().uuidString).png")
        try Data(png).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: zbarimg)
        process.arguments = ["--raw", "-q", file.path]
        let output = Pipe()
        let errors = Pipe()  // zbarimg complains on stderr when there is no D-Bus; shown only on failure
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let messages = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        try #require(
            process.terminationStatus == 0,
            "zbarimg found no QR code (exit status \(process.terminationStatus)): \(messages)")
        var text = String(decoding: data, as: UTF8.self)
        if text.hasSuffix("\n") { text.removeLast() }  // --raw ends each symbol with a newline
        return text
    }
}

/// CRC-32 (ISO 3309, as PNG uses it), computed here independently of zlib.
enum CRC32 {
    static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 == 1 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func checksum<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes { c = table[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }
}

/// One chunk of a PNG file.
struct PNGChunk {
    var type: String
    var data: [UInt8]
    var crc: UInt32
    /// The CRC as computed over type and data.
    var expectedCRC: UInt32 { CRC32.checksum(Array(type.utf8) + data) }
}

func bigEndian32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
    bytes.reduce(0) { $0 << 8 | UInt32($1) }
}

/// Splits a PNG file after its signature into chunks; nil if the lengths do not add up.
func pngChunks(_ png: [UInt8]) -> [PNGChunk]? {
    var chunks: [PNGChunk] = []
    var i = 8
    while i < png.count {
        guard i + 12 <= png.count else { return nil }
        let length = Int(bigEndian32(png[i..<(i + 4)]))
        guard i + 12 + length <= png.count else { return nil }
        let type = String(decoding: png[(i + 4)..<(i + 8)], as: UTF8.self)
        let data = Array(png[(i + 8)..<(i + 8 + length)])
        chunks.append(PNGChunk(type: type, data: data, crc: bigEndian32(png[(i + 8 + length)..<(i + 12 + length)])))
        i += 12 + length
    }
    return chunks
}

/// What an SVG document holds: its elements' names and attributes, in document order.
final class SVGElements: NSObject, XMLParserDelegate {
    var elements: [(name: String, attributes: [String: String])] = []

    /// Parses `svg`; nil if it is not well-formed XML.
    static func parse(_ svg: String) -> [(name: String, attributes: [String: String])]? {
        let parser = XMLParser(data: Data(svg.utf8))
        let reader = SVGElements()
        parser.delegate = reader
        parser.shouldProcessNamespaces = false
        return parser.parse() ? reader.elements : nil
    }

    func parser(
        _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        elements.append((elementName, attributes))
    }
}

/// One horizontal run of the path: `M x y h width v height h -width z`.
struct PathRun: Equatable {
    var x, y, width, height: Int
}

/// Reads path data made only of `M x y h n v m h -n z` runs (integers); nil on anything else.
func pathRuns(_ d: String) -> [PathRun]? {
    var bytes = Array(d.utf8)[...]
    func expect(_ s: String) -> Bool {
        guard bytes.starts(with: s.utf8) else { return false }
        bytes.removeFirst(s.utf8.count)
        return true
    }
    func number() -> Int? {
        let digits = bytes.prefix { $0 >= 0x30 && $0 <= 0x39 }
        guard !digits.isEmpty else { return nil }
        bytes.removeFirst(digits.count)
        return Int(String(decoding: digits, as: UTF8.self))
    }
    var runs: [PathRun] = []
    while !bytes.isEmpty {
        guard expect("M"), let x = number(), expect(" "), let y = number(), expect("h"), let w = number(),
            expect("v"), let h = number(), expect("h-"), let back = number(), back == w, expect("z")
        else { return nil }
        runs.append(PathRun(x: x, y: y, width: w, height: h))
    }
    return runs
}

/// A 300-byte ASCII text: a Digital Link URI with a long serial.
let text300: String = {
    let base = "https://id.example.com/01/09506000134352/21/"
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
    let serial = String((0..<(300 - base.utf8.count)).map { alphabet[($0 * 7) % alphabet.count] })
    return base + serial
}()
