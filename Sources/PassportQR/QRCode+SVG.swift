extension QRCode {
    /// Renders the symbol as a standalone SVG document: a white square with the dark modules as
    /// one black path, drawn as horizontal runs (`M x y h n v m h -n z`) in pixel coordinates.
    ///
    /// The `viewBox` and the `width`/`height` are both the image side,
    /// `(size + 2 * margin) * moduleSize` pixels, and `shape-rendering="crispEdges"` keeps module
    /// edges sharp when the image is scaled.
    /// - Parameters:
    ///   - moduleSize: Pixels per module side, in ``moduleSizes``.
    ///   - margin: The quiet zone around the symbol, in modules, in ``margins``.
    /// - Returns: The SVG document (ASCII, no XML declaration).
    /// - Throws: ``QRError`` with `.parameterOutOfRange` naming the parameter, its value and the
    ///   allowed range.
    /// - Complexity: O(`size`²), one pass over the modules into a buffer sized in advance.
    public func svg(moduleSize: Int = 8, margin: Int = 4) throws(QRError) -> String {
        let side = try imageSide(moduleSize: moduleSize, margin: margin)
        var runs = 0
        modules.withUnsafeBufferPointer { m in
            for y in 0..<size {
                var previous = false
                for x in 0..<size {
                    let dark = m[y * size + x]
                    if dark && !previous { runs += 1 }
                    previous = dark
                }
            }
        }
        // The fixed text is under 250 bytes with its six numbers; a run is at most
        // "M8360 8360h7080v40h-7080z", 25 bytes.
        let capacity = 256 + 25 * runs
        return String(unsafeUninitializedCapacity: capacity) { buffer in
            var out = ByteWriter(buffer)
            out.write(#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 "#)
            out.write(side)
            out.write(" ")
            out.write(side)
            out.write(#"" width=""#)
            out.write(side)
            out.write(#"" height=""#)
            out.write(side)
            out.write(#"" shape-rendering="crispEdges"><rect width=""#)
            out.write(side)
            out.write(#"" height=""#)
            out.write(side)
            out.write(##"" fill="#fff"/><path fill="#000" d=""##)
            modules.withUnsafeBufferPointer { m in
                for y in 0..<size {
                    let top = (margin + y) * moduleSize
                    var x = 0
                    while x < size {
                        guard m[y * size + x] else { x += 1; continue }
                        let start = x
                        while x < size && m[y * size + x] { x += 1 }
                        let width = (x - start) * moduleSize
                        out.write("M")
                        out.write((margin + start) * moduleSize)
                        out.write(" ")
                        out.write(top)
                        out.write("h")
                        out.write(width)
                        out.write("v")
                        out.write(moduleSize)
                        out.write("h-")
                        out.write(width)
                        out.write("z")
                    }
                }
            }
            out.write(#""/></svg>"#)
            return out.count
        }
    }
}
