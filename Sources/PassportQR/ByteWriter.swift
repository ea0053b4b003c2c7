/// Appends ASCII to a buffer sized in advance; the SVG writer's only tool, so that no module
/// costs a string interpolation or a reallocation.
struct ByteWriter {
    private let buffer: UnsafeMutableBufferPointer<UInt8>
    /// The bytes written so far.
    private(set) var count = 0

    init(_ buffer: UnsafeMutableBufferPointer<UInt8>) { self.buffer = buffer }

    /// Writes literal text.
    @inline(__always)
    mutating func write(_ text: StaticString) {
        let n = text.utf8CodeUnitCount
        precondition(count + n <= buffer.count, "ByteWriter: the buffer was sized too small")
        (buffer.baseAddress! + count).update(from: text.utf8Start, count: n)
        count += n
    }

    /// Writes a non-negative integer in decimal.
    @inline(__always)
    mutating func write(_ value: Int) {
        precondition(value >= 0, "ByteWriter writes non-negative integers")
        var digits = 1
        var rest = value / 10
        while rest > 0 { digits += 1; rest /= 10 }
        precondition(count + digits <= buffer.count, "ByteWriter: the buffer was sized too small")
        var v = value
        var i = count + digits
        repeat {
            i -= 1
            buffer[i] = UInt8(truncatingIfNeeded: 0x30 + v % 10)
            v /= 10
        } while v > 0
        count += digits
    }
}
