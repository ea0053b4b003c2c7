import CSodium

/// Turns a libsodium return code into a typed error; the one place libsodium return codes are
/// checked. libsodium returns 0 on success and -1 on failure (`sodium_init` returns 1 when the
/// library was already initialised, which is success too).
/// - Throws: ``SodiumError`` naming the operation when `rc` is negative.
@inline(__always)
func check(_ rc: Int32, _ operation: @autoclosure () -> String) throws(SodiumError) {
    if rc < 0 { throw SodiumError("libsodium \(operation()) failed (return code \(rc))") }
}

/// Checks a call libsodium documents as unable to fail for the sizes this wrapper passes (they are
/// fixed or validated before the call): a failure here is a bug in the wrapper, not something a
/// caller could act on, so it stops the process with a message saying so. No input data reaches
/// such a failure.
@inline(__always)
func checkInfallible(_ rc: Int32, _ operation: @autoclosure () -> String) {
    do {
        try check(rc, operation())
    } catch {
        fatalError("\(error.message); libsodium documents that this cannot fail for the sizes passed, so this is a bug in the Sodium wrapper")
    }
}
