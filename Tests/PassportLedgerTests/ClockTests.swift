import PassportModel
import PassportTestSupport
import Testing
@testable import PassportLedger

@Suite("The ledger's clock")
struct ClockTests {
    @Test("recordedAt, system events' createdAt and the default asOf come from Options.clock; recordedAt never goes back")
    func clockDrivesSystemTime() throws {
        let dir = TemporaryDirectory()
        let clock = TestClock(start: try Timestamp(canonical: "2026-03-01T12:00:00.000000Z"))
        let (ledger, signers) = try Fixtures.store(in: dir, options: clock.options)
        // Record 0 is the ledger key's registration, a system event made at the clock's time.
        let genesis = try ledger.record(0)
        #expect(genesis.recordedAt == clock.now())
        #expect(genesis.event.createdAt == clock.now())

        let later = clock.advance(microseconds: 5_000_000)
        let first = try #require(try ledger.appendSync([Fixtures.submission(try Fixtures.sign(
            Fixtures.eventJSON(sourceRef: "BOM-1"), with: signers["plm"]!))])[0].record)
        #expect(try ledger.record(first.index).recordedAt == later)

        // A clock that goes back (an NTP step) does not make the log go back.
        clock.advance(microseconds: -60_000_000)
        let second = try #require(try ledger.appendSync([Fixtures.submission(try Fixtures.sign(
            Fixtures.eventJSON(sourceRef: "BOM-2", data: Fixtures.bigBom(bytes: 10, tag: "2")), with: signers["plm"]!))])[0].record)
        #expect(try ledger.record(second.index).recordedAt == later)

        // With no asOf, a passport is read as of the clock's now: before the BoM, none.
        let e = #expect(throws: LedgerError.self) { try ledger.passport(try Subject(Fixtures.model)) }
        #expect(e?.code == .notFound)
        clock.advance(microseconds: 120_000_000)
        #expect(try ledger.passport(try Subject(Fixtures.model)).asOf == clock.now())
    }
}
