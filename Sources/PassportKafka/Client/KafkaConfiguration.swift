import Foundation

/// librdkafka configuration properties (`bootstrap.servers`, `security.protocol`, `sasl.*`, `ssl.*`…),
/// in the order they are set. Values may be credentials: no error message ever shows one.
public struct KafkaConfiguration: Sendable {
    /// One property.
    public struct Property: Sendable {
        /// The property's name.
        public let key: String
        /// Its value.
        public let value: String
        /// Where it was set, for error messages (`kafka.properties line 3`); nil when set in code.
        public let origin: String?
    }

    /// The properties, in the order set (a later one of the same name replaces the earlier).
    public private(set) var properties: [Property] = []

    /// An empty configuration (librdkafka's defaults).
    public init() {}

    /// The value of a property, if set.
    public subscript(key: String) -> String? {
        properties.last { $0.key == key }?.value
    }

    /// Sets a property (replacing an earlier value).
    /// - Parameters:
    ///   - key: the property's name.
    ///   - value: its value.
    ///   - origin: where it was set, for error messages.
    public mutating func set(_ key: String, _ value: String, origin: String? = nil) {
        properties.removeAll { $0.key == key }
        properties.append(Property(key: key, value: value, origin: origin))
    }

    /// Reads a librdkafka properties file: `key=value` lines, `#` or `!` starting a comment line,
    /// blank lines ignored, white space around keys and values dropped.
    ///
    /// The file holds credentials (SASL passwords, key passphrases), so, as for key files, it must
    /// be a regular file readable and writable by its owner only (mode 0600 or 0400).
    /// - Parameter file: the file's path.
    /// - Throws: ``KafkaError`` (`configuration`) if the file cannot be read, is open to the group
    ///   or others, or a line is not `key=value`; the message names the line, never its value.
    public static func load(file: String) throws(KafkaError) -> KafkaConfiguration {
        let name = (file as NSString).lastPathComponent
        var info = stat()
        guard stat(file, &info) == 0 else {
            throw KafkaError(.configuration, "cannot read the Kafka configuration file \(file): \(String(cString: strerror(errno)))")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw KafkaError(.configuration, "the Kafka configuration file \(file) is not a regular file")
        }
        let mode = info.st_mode & 0o777
        guard mode & 0o077 == 0 else {
            throw KafkaError(
                .configuration,
                "the Kafka configuration file \(file) is open to \(mode & 0o070 != 0 ? "its group" : "others") (mode \(String(mode, radix: 8))); it may hold credentials: make it readable by its owner only (chmod 600 \(file))")
        }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw KafkaError(.configuration, "cannot read the Kafka configuration file \(file)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw KafkaError(.configuration, "the Kafka configuration file \(file) is not UTF-8 text")
        }
        var configuration = KafkaConfiguration()
        // "\r\n" is one Character in Swift: split on both line endings.
        for (n, rawLine) in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix("!") { continue }
            guard let eq = line.firstIndex(of: "="), case let key = line[..<eq].trimmingCharacters(in: .whitespaces), !key.isEmpty,
                key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "_" || $0 == "-") })
            else {
                throw KafkaError(.configuration, "\(name) line \(n + 1): expected key=value (the line is not shown: it may hold a credential)")
            }
            let value = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            configuration.set(key, value, origin: "\(name) line \(n + 1)")
        }
        return configuration
    }
}
