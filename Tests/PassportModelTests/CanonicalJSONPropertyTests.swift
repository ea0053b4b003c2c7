import PassportDemoData
import Testing
@testable import PassportModel

/// Randomised checks of the parser and the canonical encoder.
@Suite("Canonical JSON properties")
struct CanonicalJSONPropertyTests {
    typealias RNG = SplitMix64

    static let alphabet: [Character] = ["a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "\u{01}", "\u{7f}", "é", "€", "\u{2028}", "\u{FFFF}", "\u{E000}", "😀", "𝄞"]

    static func string(_ rng: inout RNG) -> String {
        String((0..<Int.random(in: 0...8, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
    }

    static func number(_ rng: inout RNG) -> JSONValue {
        switch Int.random(in: 0..<4, using: &rng) {
        case 0: return .number(JSONNumber(Int.random(in: -9_007_199_254_740_992...9_007_199_254_740_992, using: &rng)))
        case 1: return .number(JSONNumber(Double.random(in: -1e6...1e6, using: &rng)))
        case 2: return .number(JSONNumber(Double(bitPattern: rng.next() & 0x7FEF_FFFF_FFFF_FFFF)))  // any finite positive double
        default: return .number(JSONNumber(Double.random(in: -1e-300...1e-300, using: &rng)))
        }
    }

    static func value(_ rng: inout RNG, depth: Int = 0) -> JSONValue {
        switch Int.random(in: 0..<(depth > 3 ? 4 : 6), using: &rng) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &rng))
        case 2: return number(&rng)
        case 3: return .string(string(&rng))
        case 4: return .array((0..<Int.random(in: 0...4, using: &rng)).map { _ in value(&rng, depth: depth + 1) })
        default:
            var o = JSONObject()
            for _ in 0..<Int.random(in: 0...5, using: &rng) { o[string(&rng)] = value(&rng, depth: depth + 1) }
            return .object(o)
        }
    }

    @Test("encode → parse → encode is stable, and the parsed value equals the original")
    func roundTrip() throws {
        var rng = RNG(seed: 20261125)
        for _ in 0..<3000 {
            let v = Self.value(&rng)
            let bytes = CanonicalJSON.encode(v)
            let parsed = try JSONParser.parse(bytes)
            #expect(parsed == v)
            #expect(CanonicalJSON.encode(parsed) == bytes)
        }
    }

    @Test("object members come out in UTF-16 order, whatever order they went in")
    func orderIndependent() throws {
        var rng = RNG(seed: 7)
        for _ in 0..<500 {
            var members: [(String, JSONValue)] = []
            for _ in 0..<Int.random(in: 1...6, using: &rng) {
                let k = Self.string(&rng)
                if !members.contains(where: { $0.0 == k }) { members.append((k, Self.value(&rng, depth: 3))) }
            }
            var a = JSONObject()
            for (k, v) in members { a[k] = v }
            var b = JSONObject()
            for (k, v) in members.shuffled(using: &rng) { b[k] = v }
            let ea = CanonicalJSON.encode(.object(a))
            #expect(ea == CanonicalJSON.encode(.object(b)))
            let keys = try JSONParser.parse(ea).objectValue!.keys
            #expect(keys == keys.sorted { $0.utf16.lexicographicallyPrecedes($1.utf16) })
        }
    }

    /// Changes, removes or inserts one to three random bytes.
    static func mangle(_ bytes: inout [UInt8], _ rng: inout RNG) {
        for _ in 0..<Int.random(in: 1...3, using: &rng) where !bytes.isEmpty {
            let i = Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0..<3, using: &rng) {
            case 0: bytes[i] = UInt8.random(in: 0...255, using: &rng)
            case 1: bytes.remove(at: i)
            default: bytes.insert(UInt8.random(in: 0...255, using: &rng), at: i)
            }
        }
    }

    @Test("a parse that splits arrays gives what the parse in one piece gives: the same value, or the same error")
    func splitParseAgrees() {
        // Every array is split (at any depth, from one element), so the scan meets all of the mangling.
        let splitting = JSONParser.ArraySplitting(maxDepth: JSONParser.maxDepth, minimumCount: 1) { ranges, parse in ranges.map(parse) }
        var rng = RNG(seed: 2026_11_26)
        for round in 0..<3000 {
            var bytes = CanonicalJSON.encode(.array((0..<Int.random(in: 0...6, using: &rng)).map { _ in Self.value(&rng) }))
            if round % 2 == 1 { Self.mangle(&bytes, &rng) }
            let whole = Result { () throws(JSONError) in try JSONParser.parse(bytes) }
            let split = Result { () throws(JSONError) in try JSONParser.parse(bytes, splitting: splitting) }
            switch (whole, split) {
            case (.success(let a), .success(let b)): #expect(a == b && CanonicalJSON.encode(a) == CanonicalJSON.encode(b))
            case (.failure(let a), .failure(let b)): #expect(a == b)
            default: Issue.record("one parse failed, the other did not: \(String(decoding: bytes, as: UTF8.self))")
            }
        }
    }

    @Test("mangled input never crashes the parser: it parses or names the offset")
    func mangledInput() {
        var rng = RNG(seed: 99)
        for _ in 0..<3000 {
            var bytes = CanonicalJSON.encode(Self.value(&rng))
            Self.mangle(&bytes, &rng)
            do {
                let v = try JSONParser.parse(bytes)
                // Whatever parses must canonicalize to something that parses back to itself.
                #expect(try JSONParser.parse(CanonicalJSON.encode(v)) == v)
            } catch {
                #expect(error.offset >= 0 && error.offset <= bytes.count)
                #expect(!error.reason.isEmpty)
            }
        }
    }
}
