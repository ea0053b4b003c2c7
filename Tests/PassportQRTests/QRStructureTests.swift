import PassportQR
import Testing

@Suite("The symbol has the structure ISO/IEC 18004 prescribes")
struct QRStructureTests {
    @Test("a short text is a version 1 symbol of 21 modules with three finder patterns", arguments: QRCode.ErrorCorrection.allCases)
    func version1(correction: QRCode.ErrorCorrection) throws {
        let code = try QRCode(encoding: "SN-1", correction: correction)
        #expect(code.version == 1)
        #expect(code.size == 21)
        #expect(code.correction == correction)
        // Finder patterns: a dark 7×7 ring, a light ring, a dark 3×3 centre, and a light separator.
        for (left, top) in [(0, 0), (14, 0), (0, 14)] {
            for dy in -1...7 {
                for dx in -1...7 {
                    let ring = max(abs(dx - 3), abs(dy - 3))  // 0...3 inside the pattern, 4 on the separator
                    let expected = ring == 3 || ring <= 1
                    #expect(code.isDark(x: left + dx, y: top + dy) == expected, "finder at \(left),\(top): module \(dx),\(dy)")
                }
            }
        }
        // Timing patterns between the finders alternate, dark on even positions; the dark module sits at (8, 13).
        for i in 8...12 {
            #expect(code.isDark(x: i, y: 6) == (i % 2 == 0))
            #expect(code.isDark(x: 6, y: i) == (i % 2 == 0))
        }
        #expect(code.isDark(x: 8, y: 13))
    }

    @Test("size is 17 + 4 × version, and larger texts need larger versions")
    func sizes() throws {
        var previous = 0
        for length in [10, 50, 100, 300, 1000] {
            let code = try QRCode(encoding: String(repeating: "7", count: length), correction: .medium)
            #expect(code.size == 17 + 4 * code.version)
            #expect(code.version > previous)
            previous = code.version
        }
    }

    @Test("outside the symbol every module is light (the quiet zone)")
    func quietZone() throws {
        let code = try QRCode(encoding: "SN-1")
        for (x, y) in [(-1, 0), (0, -1), (21, 0), (0, 21), (-100, -100), (Int.max, Int.min)] {
            #expect(!code.isDark(x: x, y: y))
        }
    }

    @Test("case is kept, and a NUL byte is encoded, not taken as the end", arguments: ["abc", "ABC"])
    func bytesAsGiven(text: String) throws {
        let withNul = try QRCode(encoding: text + "\u{0}x")
        let without = try QRCode(encoding: text)
        #expect(modules(withNul) != modules(without))
        #expect(modules(try QRCode(encoding: "abc")) != modules(try QRCode(encoding: "ABC")))
    }

    private func modules(_ code: QRCode) -> [Bool] {
        (0..<code.size).flatMap { y in (0..<code.size).map { x in code.isDark(x: x, y: y) } }
    }
}
