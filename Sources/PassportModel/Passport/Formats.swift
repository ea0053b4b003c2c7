/// Identifier and code checks used by event validation.
public enum Formats {
    /// ISO 3166-1 alpha-2 country codes (officially assigned).
    public static let countries: Set<String> = Set("""
        AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY BZ \
        CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR \
        GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO \
        JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR \
        MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO \
        RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV \
        TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW
        """.split(separator: " ").map(String.init))

    /// Why `s` is not of format `f`, or nil if it is.
    public static func problem(_ s: String, _ f: DataSchema.Format) -> String? {
        let digits = s.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
        switch f {
        case .gtin:
            guard digits, [8, 12, 13, 14].contains(s.count) else { return "must be a GTIN of 8, 12, 13 or 14 digits" }
            let padded = String(repeating: "0", count: 14 - s.count) + s
            return GS1.gtinProblem(padded).map { $0.replacingOccurrences(of: padded, with: s) }
        case .gln:
            guard digits, s.count == 13 else { return "must be a GLN of 13 digits" }
            let d = s.utf8.map { Int($0 - 0x30) }
            let expected = GS1.checkDigit(Array(d.dropLast()))
            return expected == d.last! ? nil : "GLN \(s) has check digit \(d.last!), expected \(expected)"
        case .cas:
            return casProblem(s)
        case .country:
            return countries.contains(s) ? nil : "must be an ISO 3166-1 alpha-2 country code like DE or FR"
        case .subject:
            do {
                _ = try Subject(s)
                return nil
            } catch { return error.reason }
        case .lot:
            switch GS1.encodeAttribute(value: s, name: "lot") {
            case .success: return nil
            case .failure(let e): return e.reason
            }
        case .date:
            do {
                _ = try Timestamp(rfc3339: s + "T00:00:00Z")
                return s.count == 10 ? nil : "must be a date YYYY-MM-DD"
            } catch { return "must be a date YYYY-MM-DD (\(error.reason))" }
        case .timestamp:
            do {
                _ = try Timestamp(rfc3339: s)
                return nil
            } catch { return error.reason }
        case .sha256:
            return Hex.isLowercaseHex(s, bytes: 32) ? nil : "must be 64 lowercase hex digits"
        }
    }

    /// Why `s` is not a valid CAS Registry Number, or nil.
    public static func casProblem(_ s: String) -> String? {
        let parts = s.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, (2...7).contains(parts[0].count), parts[1].count == 2, parts[2].count == 1,
            parts.allSatisfy({ $0.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } })
        else { return "must be a CAS Registry Number like 7439-92-1" }
        let body = (parts[0] + parts[1]).utf8.map { Int($0 - 0x30) }
        var sum = 0
        for (i, d) in body.reversed().enumerated() { sum += d * (i + 1) }
        let check = Int(parts[2].utf8.first! - 0x30)
        return sum % 10 == check ? nil : "CAS number \(s) has check digit \(check), expected \(sum % 10)"
    }

    static func pattern(_ f: DataSchema.Format) -> String {
        switch f {
        case .gtin: "^([0-9]{8}|[0-9]{12,14})$"
        case .gln: "^[0-9]{13}$"
        case .cas: "^[0-9]{2,7}-[0-9]{2}-[0-9]$"
        case .country: "^[A-Z]{2}$"
        case .subject: #"^(system|(supplier|facility)/[A-Za-z0-9._:-]{1,64}|00/[0-9]{18}|01/[0-9]{14}(/(10|21)/([-.0-9A-Z_a-z]|%(2[125-9A-CF]|3[A-F])){1,20})?)$"#
        case .lot: #"^[!"%&'()*+,\-./0-9:;<=>?A-Z_a-z]{1,20}$"#
        case .date: "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
        case .timestamp: "^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}"
        case .sha256: "^[0-9a-f]{64}$"
        }
    }

    static func describe(_ f: DataSchema.Format) -> String {
        switch f {
        case .gtin: "GTIN with a valid GS1 check digit"
        case .gln: "GS1 GLN with a valid check digit"
        case .cas: "CAS Registry Number with a valid check digit"
        case .country: "ISO 3166-1 alpha-2 country code"
        case .subject: "passport subject identifier (see ledger-formats.md §2)"
        case .lot: "GS1 lot or serial as printed: 1–20 characters of GS1 character set 82"
        case .date: "calendar date"
        case .timestamp: "RFC 3339 date-time"
        case .sha256: "SHA-256, lowercase hex"
        }
    }
}
