import Foundation
import Testing
@testable import PassportLedger

@Suite("Locked values")
struct LockedTests {
    @Test("withLock gives each writer exclusive access: no increment is lost")
    func exclusiveAccess() {
        let counter = Locked(0)
        DispatchQueue.concurrentPerform(iterations: 64) { _ in
            for _ in 0..<500 { counter.withLock { $0 += 1 } }
        }
        #expect(counter.withLock { $0 } == 64 * 500)
    }

    @Test("a thread waiting for a value wakes when another thread sets it", .timeLimit(.minutes(1)))
    func waiterWakes() {
        let box = Locked(0)
        let seen = Locked<Int?>(nil)
        Thread {
            let v = box.withLock(waitingUntil: { $0 > 0 }) { $0 }
            seen.withLockWakingWaiters { $0 = v }
        }.start()
        box.withLockWakingWaiters { $0 = 7 }
        #expect(seen.withLock(waitingUntil: { $0 != nil }) { $0 } == 7)
    }
}
