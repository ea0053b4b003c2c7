import CZlibSystem
import PassportQR
import Testing

@Suite("PNG rendering")
struct QRPNGTests {
    static let uri = "https://id.example.com/01/09506000134352/21/SN-000123"

    @Test("signature, IHDR, one IDAT, IEND last, every CRC right", arguments: [(8, 4), (1, 0), (5, 16), (40, 1)])
    func structure(moduleSize: Int, margin: Int) throws {
        let code = try QRCode(encoding: Self.uri, correction: .quartile)
        let png = try code.png(moduleSize: moduleSize, margin: margin)
        let side = (code.size + 2 * margin) * moduleSize

        #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        let chunks = try #require(pngChunks(png), "chunk lengths do not add up to the file")
        #expect(chunks.map(\.type) == ["IHDR", "IDAT", "IEND"])
        for chunk in chunks {
            #expect(chunk.crc == chunk.expectedCRC, "CRC of \(chunk.type)")
        }
        let header = chunks[0].data
        try #require(header.count == 13)
        #expect(bigEndian32(header[0..<4]) == UInt32(side))  // width
        #expect(bigEndian32(header[4..<8]) == UInt32(side))  // height
        #expect(Array(header[8...]) == [1, 0, 0, 0, 0])  // 1 bit, grayscale, deflate, filter 0, not interlaced
        #expect(chunks[2].data.isEmpty)
    }

    @Test("the pixels are the modules: black where dark, white elsewhere, filter 0 on every line", arguments: [(8, 4), (3, 2), (1, 0)])
    func pixels(moduleSize: Int, margin: Int) throws {
        let code = try QRCode(encoding: Self.uri)
        let png = try code.png(moduleSize: moduleSize, margin: margin)
        let side = (code.size + 2 * margin) * moduleSize
        let idat = try #require(pngChunks(png)?.first { $0.type == "IDAT" }).data
        let rowBytes = 1 + (side + 7) / 8
        var raw = [UInt8](repeating: 0, count: rowBytes * side + 1)
        var rawCount = UInt(raw.count)
        let rc = raw.withUnsafeMutableBufferPointer { out in
            idat.withUnsafeBufferPointer { uncompress(out.baseAddress, &rawCount, $0.baseAddress, UInt($0.count)) }
        }
        try #require(rc == Z_OK, "IDAT does not inflate (zlib \(rc))")
        try #require(Int(rawCount) == rowBytes * side, "IDAT holds \(rawCount) bytes, expected \(rowBytes * side)")
        var mismatches = 0
        for y in 0..<side {
            #expect(raw[y * rowBytes] == 0, "filter type of line \(y)")
            for x in 0..<side {
                let white = raw[y * rowBytes + 1 + x / 8] & (0x80 >> UInt8(x % 8)) != 0
                let dark = code.isDark(x: x / moduleSize - margin, y: y / moduleSize - margin)
                if white == dark { mismatches += 1 }
            }
        }
        #expect(mismatches == 0)
    }
}
