extension QRCode {
    /// The allowed module sizes, in pixels per module side, for ``svg(moduleSize:margin:)`` and
    /// ``png(moduleSize:margin:)``.
    public static let moduleSizes = 1...40
    /// The allowed quiet-zone widths, in modules, for ``svg(moduleSize:margin:)`` and
    /// ``png(moduleSize:margin:)``. ISO/IEC 18004 asks for 4; smaller margins may not scan on a
    /// dark background.
    public static let margins = 0...16

    /// The side of the rendered image in pixels, quiet zone included, after checking the
    /// parameters against ``moduleSizes`` and ``margins``.
    /// - Throws: ``QRError`` with `.parameterOutOfRange`, naming the parameter, its value and the
    ///   allowed range.
    func imageSide(moduleSize: Int, margin: Int) throws(QRError) -> Int {
        guard Self.moduleSizes.contains(moduleSize) else {
            throw QRError(
                .parameterOutOfRange,
                "moduleSize \(moduleSize) is out of range: it must be \(Self.moduleSizes.lowerBound)...\(Self.moduleSizes.upperBound) pixels per module")
        }
        guard Self.margins.contains(margin) else {
            throw QRError(
                .parameterOutOfRange,
                "margin \(margin) is out of range: it must be \(Self.margins.lowerBound)...\(Self.margins.upperBound) modules (4 is the standard quiet zone)")
        }
        return (size + 2 * margin) * moduleSize
    }
}
