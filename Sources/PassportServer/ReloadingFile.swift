import Foundation
import Synchronization

/// What a server derives from a file an operator may change while it runs (the access tokens, the
/// access tiers): loaded once, then loaded again when the file's modification time changes —
/// checked at most once a second, so a request costs no file access in between.
final class ReloadingFile<Value: Sendable>: Sendable {
    let url: URL
    private let load: @Sendable () throws -> Value
    private let state = Mutex<(value: Value?, modified: Date?, checked: ContinuousClock.Instant?)>((nil, nil, nil))

    /// - Parameter load: reads and parses the file (also when it is missing).
    init(_ url: URL, load: @escaping @Sendable () throws -> Value) {
        self.url = url
        self.load = load
    }

    /// The value if the file was checked within the last second (no file access), else nil.
    func fresh() -> Value? {
        let now = ContinuousClock.now
        return state.withLock { s in
            guard let v = s.value, let c = s.checked, now - c < .seconds(1) else { return nil }
            return v
        }
    }

    /// The value, loaded again if the file changed since it was last read.
    /// - Throws: what `load` throws.
    func current() throws -> Value {
        if let v = fresh() { return v }
        let now = ContinuousClock.now
        let modified = (try? FileManager.default.attributesOfItem(atPath: url.path))?[.modificationDate] as? Date
        if let v = state.withLock({ s -> Value? in
            guard let v = s.value, s.modified == modified else { return nil }
            s.checked = now
            return v
        }) { return v }
        let value = try load()
        state.withLock { $0 = (value, modified, now) }
        return value
    }

    /// Forgets the value (after this process wrote the file itself).
    func invalidate() { state.withLock { $0 = (nil, nil, nil) } }
}
