/// A UTC instant with microsecond precision, written as RFC 3339 `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
public struct Timestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Microseconds since 1970-01-01T00:00:00Z.
    public let microseconds: Int64

    /// Creates a timestamp from microseconds since the Unix epoch.
    public init(microsecondsSinceEpoch: Int64) { self.microseconds = microsecondsSinceEpoch }

    /// The current system time.
    public static func now() -> Timestamp {
        var ts = timespec()
        // Unchecked: clock_gettime fails only for an unknown clock or a bad pointer (EINVAL, EFAULT).
        clock_gettime(CLOCK_REALTIME, &ts)
        return Timestamp(microsecondsSinceEpoch: Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000)
    }

    public static func < (a: Timestamp, b: Timestamp) -> Bool { a.microseconds < b.microseconds }

    /// The canonical text: `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
    public var description: String {
        let micros = Int64(((microseconds % 1_000_000) + 1_000_000) % 1_000_000)
        let secs = (microseconds - micros) / 1_000_000
        let days = floorDiv(secs, 86_400)
        let secOfDay = secs - days * 86_400
        let (y, m, d) = civil(fromDays: days)
        if (0...9999).contains(y) {
            // The usual case, written into 27 bytes: YYYY-MM-DDTHH:MM:SS.ffffffZ.
            return String(unsafeUninitializedCapacity: 27) { out in
                func put(_ v: Int64, _ width: Int, at start: Int) {
                    var v = v
                    for i in stride(from: start + width - 1, through: start, by: -1) {
                        out[i] = UInt8(truncatingIfNeeded: v % 10) + 0x30
                        v /= 10
                    }
                }
                put(y, 4, at: 0)
                out[4] = UInt8(ascii: "-")
                put(m, 2, at: 5)
                out[7] = UInt8(ascii: "-")
                put(d, 2, at: 8)
                out[10] = UInt8(ascii: "T")
                put(secOfDay / 3600, 2, at: 11)
                out[13] = UInt8(ascii: ":")
                put(secOfDay / 60 % 60, 2, at: 14)
                out[16] = UInt8(ascii: ":")
                put(secOfDay % 60, 2, at: 17)
                out[19] = UInt8(ascii: ".")
                put(micros, 6, at: 20)
                out[26] = UInt8(ascii: "Z")
                return 27
            }
        }
        var s = pad(y, 4) + "-" + pad(m, 2) + "-" + pad(d, 2) + "T"
        s += pad(secOfDay / 3600, 2) + ":" + pad(secOfDay / 60 % 60, 2) + ":" + pad(secOfDay % 60, 2)
        return s + "." + pad(micros, 6) + "Z"
    }

    /// Parses the canonical form exactly (`YYYY-MM-DDTHH:MM:SS.ffffffZ`).
    /// - Throws: ``TimestampError`` naming what is wrong.
    public init(canonical text: String) throws(TimestampError) {
        let b = Array(text.utf8)
        guard b.count == 27, b[26] == UInt8(ascii: "Z"), b[19] == UInt8(ascii: ".") else {
            throw TimestampError(text: text, reason: "expected exactly YYYY-MM-DDTHH:MM:SS.ffffffZ (UTC, 6 fraction digits)")
        }
        try self.init(rfc3339: text)
    }

    /// The forms ``init(dateOrDateTime:)`` accepts, for messages.
    public static let queryForms = "an RFC 3339 date-time such as 2026-11-20T09:15:00Z or 2026-11-20T10:15:00.5+01:00, or a date 2026-11-20 (its midnight UTC)"

    /// A time as people and query strings give it: any RFC 3339 date-time, or a date `YYYY-MM-DD`
    /// meaning its midnight UTC.
    /// - Throws: ``TimestampError`` naming what is wrong.
    public init(dateOrDateTime text: String) throws(TimestampError) {
        let isDate = text.utf8.count == 10 && text.utf8.enumerated().allSatisfy { i, c in (i == 4 || i == 7) ? c == UInt8(ascii: "-") : (0x30...0x39).contains(c) }
        try self.init(rfc3339: isDate ? text + "T00:00:00Z" : text)
    }

    /// Parses any RFC 3339 date-time (`T` or space separator, 0–9 fraction digits, `Z` or a
    /// numeric offset), normalising to UTC.
    /// - Throws: ``TimestampError`` for malformed text, impossible dates, or sub-microsecond precision.
    public init(rfc3339 text: String) throws(TimestampError) {
        let b = Array(text.utf8)
        func fail(_ reason: String) -> TimestampError { TimestampError(text: text, reason: reason) }
        func num(_ from: Int, _ len: Int) throws(TimestampError) -> Int64 {
            guard from + len <= b.count else { throw fail("too short for an RFC 3339 date-time") }
            var v: Int64 = 0
            for i in from..<(from + len) {
                guard b[i] >= 0x30 && b[i] <= 0x39 else { throw fail("expected a digit at position \(i + 1)") }
                v = v * 10 + Int64(b[i] - 0x30)
            }
            return v
        }
        func sep(_ i: Int, _ chars: String) throws(TimestampError) {
            guard i < b.count, chars.utf8.contains(b[i]) else {
                throw fail("expected '\(chars.prefix(1))' at position \(i + 1)")
            }
        }
        let year = try num(0, 4)
        try sep(4, "-")
        let month = try num(5, 2)
        try sep(7, "-")
        let day = try num(8, 2)
        try sep(10, "Tt ")
        let hour = try num(11, 2)
        try sep(13, ":")
        let minute = try num(14, 2)
        try sep(16, ":")
        let second = try num(17, 2)
        var i = 19
        var micros: Int64 = 0
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            var digits = 0
            while i < b.count, b[i] >= 0x30 && b[i] <= 0x39 {
                if digits < 6 {
                    micros = micros * 10 + Int64(b[i] - 0x30)
                } else if b[i] != 0x30 {
                    throw fail("more precision than microseconds is not supported")
                }
                digits += 1
                i += 1
            }
            guard digits > 0 else { throw fail("a '.' must be followed by fraction digits") }
            for _ in digits..<Swift.max(digits, 6) { micros *= 10 }
        }
        guard i < b.count else { throw fail("missing time zone: end with 'Z' or an offset like +01:00") }
        var offsetSeconds: Int64 = 0
        if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") {
            i += 1
        } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            let sign: Int64 = b[i] == UInt8(ascii: "-") ? -1 : 1
            let oh = try num(i + 1, 2)
            try sep(i + 3, ":")
            let om = try num(i + 4, 2)
            guard oh < 24, om < 60 else { throw fail("time zone offset out of range") }
            offsetSeconds = sign * (oh * 3600 + om * 60)
            i += 6
        } else {
            throw fail("missing time zone: end with 'Z' or an offset like +01:00")
        }
        guard i == b.count else { throw fail("unexpected characters after the time zone") }
        guard (1...9999).contains(year) else { throw fail("year out of range 0001–9999") }
        guard (1...12).contains(month) else { throw fail("month \(month) out of range 1–12") }
        guard day >= 1, day <= daysInMonth(year, month) else {
            throw fail("day \(day) does not exist in \(pad(year, 4))-\(pad(month, 2))")
        }
        guard hour < 24 else { throw fail("hour \(hour) out of range 0–23") }
        guard minute < 60 else { throw fail("minute \(minute) out of range 0–59") }
        guard second < 60 else { throw fail("second \(second) out of range 0–59 (leap seconds are not supported)") }
        let days = daysFromCivil(year, month, day)
        let secs = days * 86_400 + hour * 3600 + minute * 60 + second - offsetSeconds
        let microseconds = secs * 1_000_000 + micros
        // The offset can carry a date at the edge of the range past it (9999-12-31T23:00:00-05:00).
        if microseconds > Timestamp.max.microseconds {
            throw fail("out of range: in UTC it falls after year 9999 (the latest time is \(Timestamp.max))")
        }
        if microseconds < Timestamp.min.microseconds {
            throw fail("out of range: in UTC it falls before year 0001 (the earliest time is \(Timestamp.min))")
        }
        self.microseconds = microseconds
    }

    /// The earliest representable time, `0001-01-01T00:00:00.000000Z`.
    public static let min = Timestamp(microsecondsSinceEpoch: daysFromCivil(1, 1, 1) * 86_400_000_000)
    /// The latest representable time, `9999-12-31T23:59:59.999999Z`.
    public static let max = Timestamp(microsecondsSinceEpoch: (daysFromCivil(9999, 12, 31) + 1) * 86_400_000_000 - 1)
}

/// A timestamp that could not be parsed.
public struct TimestampError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The text that was given.
    public let text: String
    /// What is wrong with it.
    public let reason: String
    public var description: String { "invalid timestamp \"\(text)\": \(reason)" }
}

private func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : -((-a + b - 1) / b) }

private func pad(_ v: Int64, _ width: Int) -> String { String(v).leftPadded(toWidth: width) }

private func isLeap(_ y: Int64) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

private func daysInMonth(_ y: Int64, _ m: Int64) -> Int64 {
    switch m {
    case 2: isLeap(y) ? 29 : 28
    case 4, 6, 9, 11: 30
    default: 31
    }
}

// Howard Hinnant's days_from_civil / civil_from_days.
private func daysFromCivil(_ y0: Int64, _ m: Int64, _ d: Int64) -> Int64 {
    let y = m <= 2 ? y0 - 1 : y0
    let era = floorDiv(y, 400)
    let yoe = y - era * 400
    let mp = (m + 9) % 12
    let doy = (153 * mp + 2) / 5 + d - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    return era * 146_097 + doe - 719_468
}

private func civil(fromDays z0: Int64) -> (Int64, Int64, Int64) {
    let z = z0 + 719_468
    let era = floorDiv(z, 146_097)
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let d = doy - (153 * mp + 2) / 5 + 1
    let m = mp < 10 ? mp + 3 : mp - 9
    return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
