import Foundation
import PassportModel

extension Conversion {
    /// Converts one value; the error is the reason, for a violation.
    func apply(_ value: JSONValue) -> Result<JSONValue, ConversionFailure> {
        switch self {
        case .integer:
            switch value {
            case .number(let n):
                if let i = Conversion.exactInteger(n), Double(i.magnitude) <= JSONNumber.maxExactInteger { return .success(.number(JSONNumber(Int(i)))) }
                return .failure(ConversionFailure("must be an integer within ±2^53"))
            case .string(let s):
                if let i = Int64(s.trimmingCharacters(in: .whitespaces)), Double(i.magnitude) <= JSONNumber.maxExactInteger {
                    return .success(.number(JSONNumber(Int(i))))
                }
                return .failure(ConversionFailure("is not an integer"))
            default: return .failure(ConversionFailure("must be an integer, not \(value.typeName)"))
            }
        case .number:
            return Conversion.double(value).map { .number(JSONNumber($0)) }
        case .string:
            switch value {
            case .string: return .success(value)
            case .number(let n): return .success(.string(n.literal))
            case .bool(let b): return .success(.string(b ? "true" : "false"))
            default: return .failure(ConversionFailure("cannot be text: it is \(value.typeName)"))
            }
        case .multiply(let f):
            return Conversion.double(value).flatMap { Conversion.finite($0 * f) }
        case .divide(let d):
            return Conversion.double(value).flatMap { Conversion.finite($0 / d) }
        case .date(let encoding):
            return Conversion.instant(value, encoding).map { .string(String($0.description.prefix(10))) }
        case .timestamp(let encoding):
            return Conversion.instant(value, encoding).map { .string($0.description) }
        case .codes(let table):
            let code: String
            switch value {
            case .string(let s): code = s
            case .number(let n): code = n.literal
            case .bool(let b): code = b ? "true" : "false"
            default: return .failure(ConversionFailure("a code must be text or a number, not \(value.typeName)"))
            }
            if let mapped = table[code] { return .success(mapped) }
            return .failure(ConversionFailure("code \"\(code)\" is not in the code list (known: \(table.keys.sorted().joined(separator: ", ")))"))
        case .prefix(let p):
            switch value {
            case .string(let s): return .success(.string(p + s))
            case .number(let n): return .success(.string(p + n.literal))
            default: return .failure(ConversionFailure("must be text or a number to take the prefix \(p), not \(value.typeName)"))
            }
        case .decimal(let scale):
            return Conversion.decimal(value, scale: scale)
        }
    }

    /// An integer exactly as written (big ones from their literal), or nil.
    static func exactInteger(_ n: JSONNumber) -> Int64? {
        if let i = Int64(n.literal) { return i }
        // `1e3`, `1000.0`: exact when the double is an integer within ±2^53.
        return n.intValue.map { Int64($0) }
    }

    /// Whether a number is an integer literal beyond ±2^53 that a double would round.
    static func isInexact(_ n: JSONNumber) -> Bool {
        !n.literal.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) && n.double.magnitude > JSONNumber.maxExactInteger
            && CanonicalJSON.formatNumber(n.double) != n.literal
    }

    static func double(_ value: JSONValue) -> Result<Double, ConversionFailure> {
        switch value {
        case .number(let n):
            if isInexact(n) { return .failure(ConversionFailure("integer beyond ±2^53 cannot be a number exactly")) }
            return .success(n.double)
        case .string(let s):
            if let d = Double(s.trimmingCharacters(in: .whitespaces)), d.isFinite { return .success(d) }
            return .failure(ConversionFailure("is not a number"))
        default: return .failure(ConversionFailure("must be a number, not \(value.typeName)"))
        }
    }

    static func finite(_ d: Double) -> Result<JSONValue, ConversionFailure> {
        d.isFinite ? .success(.number(JSONNumber(d))) : .failure(ConversionFailure("the result is not a finite number"))
    }

    /// The instant an encoded time column stands for.
    static func instant(_ value: JSONValue, _ encoding: TimeEncoding) -> Result<Timestamp, ConversionFailure> {
        let perUnit: Int64
        switch encoding {
        case .iso:
            guard case .string(let s) = value else { return .failure(ConversionFailure("must be ISO 8601 text, not \(value.typeName)")) }
            do {
                if s.utf8.count == 10 { return .success(try Timestamp(rfc3339: s + "T00:00:00Z")) }
                return .success(try Timestamp(rfc3339: s))
            } catch { return .failure(ConversionFailure("is not an ISO 8601 date or date-time: \(error.reason)")) }
        case .epochDays: perUnit = 86_400_000_000
        case .epochMillis: perUnit = 1000
        case .epochMicros: perUnit = 1
        case .epochNanos: perUnit = 0
        }
        guard case .number(let n) = value, let units = exactInteger(n) else {
            return .failure(ConversionFailure("must be an integer count of \(encoding.rawValue.dropFirst(6)) since 1970-01-01 (\(encoding.rawValue))"))
        }
        let micros: Int64
        if perUnit == 0 {
            micros = units >= 0 ? units / 1000 : -((-units + 999) / 1000)
        } else {
            let (m, overflow) = units.multipliedReportingOverflow(by: perUnit)
            guard !overflow else { return .failure(ConversionFailure("is out of range for a date")) }
            micros = m
        }
        guard micros >= Timestamp.min.microseconds, micros <= Timestamp.max.microseconds else {
            return .failure(ConversionFailure("is out of range (years 0001–9999)"))
        }
        return .success(Timestamp(microsecondsSinceEpoch: micros))
    }

    /// A Debezium precise decimal: base64 of the unscaled big-endian two's complement integer.
    static func decimal(_ value: JSONValue, scale: Int) -> Result<JSONValue, ConversionFailure> {
        guard case .string(let s) = value, Double(s) == nil else { return double(value).flatMap(finite) }
        guard let data = Data(base64Encoded: s), !data.isEmpty else {
            return .failure(ConversionFailure("is neither a number nor a base64 Debezium decimal"))
        }
        guard data.count <= 8 else { return .failure(ConversionFailure("decimal has more than 18 digits; use decimal.handling.mode=string")) }
        var unscaled: Int64 = data.first! & 0x80 != 0 ? -1 : 0
        for byte in data { unscaled = unscaled << 8 | Int64(byte) }
        var divisor = 1.0
        for _ in 0..<scale { divisor *= 10 }
        return finite(Double(unscaled) / divisor)
    }
}

/// Why a value could not be converted.
struct ConversionFailure: Error {
    let reason: String
    init(_ reason: String) { self.reason = reason }
}
