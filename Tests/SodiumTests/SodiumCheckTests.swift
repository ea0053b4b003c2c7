import Testing
@testable import Sodium

@Suite("libsodium return codes")
struct SodiumCheckTests {
    @Test("a negative return code becomes a SodiumError naming the operation")
    func failureIsTyped() {
        let e = #expect(throws: SodiumError.self) { try check(-1, "crypto_sign_detached") }
        #expect(e?.message == "libsodium crypto_sign_detached failed (return code -1)")
    }

    @Test("0 and sodium_init's 1 (already initialised) are success", arguments: [Int32(0), 1])
    func successPasses(_ rc: Int32) throws {
        try check(rc, "sodium_init")
    }

    @Test("libsodium initialises, so every entry point may assume it")
    func initializes() throws {
        try Sodium.initialize()
        #expect(SHA256.hash([UInt8]("abc".utf8)).prefix(4) == [0xba, 0x78, 0x16, 0xbf])
    }

    @Test("text that is not base64 decodes to nil, not a crash", arguments: ["a", "====", "YW Jj", "YWJj!"])
    func badBase64IsNil(_ text: String) {
        #expect(Sodium.base64Decode(Array(text.utf8)[...]) == nil)
    }
}
