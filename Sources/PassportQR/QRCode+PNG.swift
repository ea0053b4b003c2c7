import CZlibSystem

extension QRCode {
    /// Renders the symbol as a PNG image: 1-bit grayscale (white background, black modules),
    /// not interlaced, one `IDAT` chunk compressed with zlib, filter type 0 on every scanline.
    ///
    /// The image is `(size + 2 * margin) * moduleSize` pixels square. At 1 bit per pixel even the
    /// largest image (version 40, module size 40, margin 16: 8,360 pixels square) needs under
    /// 9 MB before compression.
    /// - Parameters:
    ///   - moduleSize: Pixels per module side, in ``moduleSizes``.
    ///   - margin: The quiet zone around the symbol, in modules, in ``margins``.
    /// - Returns: The bytes of the PNG file.
    /// - Throws: ``QRError`` with `.parameterOutOfRange` naming the parameter, its value and the
    ///   allowed range; `.outOfMemory` or `.libraryFailure` if zlib fails.
    /// - Complexity: O(side²) in the image side, for the pixels and their compression.
    public func png(moduleSize: Int = 8, margin: Int = 4) throws(QRError) -> [UInt8] {
        let side = try imageSide(moduleSize: moduleSize, margin: margin)
        let raw = scanlines(side: side, moduleSize: moduleSize, margin: margin)

        var compressed = [UInt8](repeating: 0, count: Int(compressBound(UInt(raw.count))))
        var compressedCount = UInt(compressed.count)
        // Level 6 (zlib's default): on these repetitive scanlines level 9 is 8 times slower for no
        // smaller output (about 0.1 ms against 0.8 ms for a 328-pixel image).
        let rc = compressed.withUnsafeMutableBufferPointer { out in
            raw.withUnsafeBufferPointer { input in
                compress2(out.baseAddress, &compressedCount, input.baseAddress, UInt(input.count), Z_DEFAULT_COMPRESSION)
            }
        }
        try check(zlib: rc, "compress2")
        compressed.removeSubrange(Int(compressedCount)...)

        var png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        png.reserveCapacity(8 + 25 + 12 + compressed.count + 12)
        var header: [UInt8] = []
        header.appendBigEndian(UInt32(side))  // width
        header.appendBigEndian(UInt32(side))  // height
        header += [
            1,  // bit depth
            0,  // colour type: grayscale
            0,  // compression method: deflate
            0,  // filter method: adaptive (each scanline starts with its filter type)
            0,  // interlace method: none
        ]
        png.appendChunk("IHDR", header)
        png.appendChunk("IDAT", compressed)
        png.appendChunk("IEND", [])
        return png
    }

    /// The image's scanlines, each a filter-type byte (0, none) and `side` pixels at one bit each,
    /// most significant bit first; 1 is white, 0 black.
    private func scanlines(side: Int, moduleSize: Int, margin: Int) -> [UInt8] {
        let rowBytes = 1 + (side + 7) / 8
        var raw = [UInt8](repeating: 0xFF, count: rowBytes * side)
        raw.withUnsafeMutableBufferPointer { image in
            for row in 0..<side { image[row * rowBytes] = 0 }
            modules.withUnsafeBufferPointer { m in
                for y in 0..<size {
                    // Draw the module row into its first scanline, then copy that to the others.
                    let first = (margin + y) * moduleSize * rowBytes
                    for x in 0..<size where m[y * size + x] {
                        let left = (margin + x) * moduleSize
                        for pixel in left..<(left + moduleSize) {
                            image[first + 1 + (pixel >> 3)] &= ~(0x80 >> UInt8(pixel & 7))
                        }
                    }
                    let source = image.baseAddress! + first
                    for copy in 1..<moduleSize {
                        (source + copy * rowBytes).update(from: source, count: rowBytes)
                    }
                }
            }
        }
        return raw
    }
}

extension [UInt8] {
    /// Appends a 32-bit integer, most significant byte first (PNG's byte order).
    fileprivate mutating func appendBigEndian(_ value: UInt32) {
        append(UInt8(truncatingIfNeeded: value >> 24))
        append(UInt8(truncatingIfNeeded: value >> 16))
        append(UInt8(truncatingIfNeeded: value >> 8))
        append(UInt8(truncatingIfNeeded: value))
    }

    /// Appends a PNG chunk: data length, type, data, and the CRC-32 (zlib `crc32`) of type and data.
    fileprivate mutating func appendChunk(_ type: StaticString, _ data: [UInt8]) {
        let typeBytes = UnsafeBufferPointer(start: type.utf8Start, count: type.utf8CodeUnitCount)
        appendBigEndian(UInt32(data.count))
        append(contentsOf: typeBytes)
        append(contentsOf: data)
        var crc = crc32(0, nil, 0)
        crc = crc32(crc, typeBytes.baseAddress, UInt32(typeBytes.count))
        // Only with data: crc32 with a NULL buffer returns the initial value, not `crc`.
        if !data.isEmpty {
            crc = data.withUnsafeBufferPointer { crc32(crc, $0.baseAddress, UInt32($0.count)) }
        }
        appendBigEndian(UInt32(truncatingIfNeeded: crc))
    }
}
