import PassportIngest
import Testing

/// The CSV reader against RFC 4180 §2's rules.
@Suite("CSV reader (RFC 4180)")
struct CSVReaderTests {
    func read(_ s: String, _ delimiter: Character = ",") throws(CSVReader.Failure) -> [CSVReader.Record] {
        try CSVReader(delimiter: delimiter.asciiValue!).records(Array(s.utf8))
    }

    func failure(_ s: String) -> CSVReader.Failure? {
        do { _ = try read(s); return nil } catch { return error }
    }

    @Test("rule 1–2: records end at CRLF (a bare LF too); the last line may have no line ending")
    func lineEndings() throws {
        let r = try read("aaa,bbb,ccc\r\nzzz,yyy,xxx")
        #expect(r.map(\.fields) == [["aaa", "bbb", "ccc"], ["zzz", "yyy", "xxx"]])
        #expect(try read("a,b\nc,d\n").map(\.fields) == [["a", "b"], ["c", "d"]])
        #expect(r.map(\.line) == [1, 2])
    }

    @Test("rule 4: spaces are part of a field; an empty last field is a field")
    func spacesAndEmpty() throws {
        #expect(try read(" a , b ,\r\n").map(\.fields) == [[" a ", " b ", ""]])
    }

    @Test("rules 5–7: quoted fields hold commas, CRLF and doubled quotes; line numbers count embedded line breaks")
    func quoted() throws {
        let r = try read("\"aaa\",\"b\r\nbb\",\"c\"\"cc\"\r\nzzz,\"\",x\r\n")
        #expect(r.map(\.fields) == [["aaa", "b\r\nbb", "c\"cc"], ["zzz", "", "x"]])
        #expect(r.map(\.line) == [1, 3])
        #expect(try read("\"a,b\",c").map(\.fields) == [["a,b", "c"]])
    }

    @Test("a record's bytes are its exact text without the line ending")
    func bytes() throws {
        let text = "h1,h2\r\n\"x\"\"\",2\r\n"
        let r = try read(text)
        #expect(String(decoding: Array(text.utf8)[r[1].bytes], as: UTF8.self) == "\"x\"\"\",2")
    }

    @Test("refused, naming the line: a quote in an unquoted field, text after a closing quote, a quoted field never closed")
    func refused() throws {
        let quote = try #require(failure("a,b\nx\"y,z\n"))
        #expect(quote.line == 2 && quote.reason.contains("quote inside an unquoted field"))
        let after = try #require(failure("a\n\"x\"y\n"))
        #expect(after.line == 2 && after.reason.contains("after the closing quote"))
        let open = try #require(failure("a\n\n\"never\nclosed\n"))
        #expect(open.line == 3 && open.reason.contains("never closed"))
    }

    @Test("a byte order mark is skipped, blank lines are skipped but counted, another delimiter works")
    func bomBlankDelimiter() throws {
        let r = try CSVReader(delimiter: UInt8(ascii: ";")).records([0xEF, 0xBB, 0xBF] + Array("a;b\n\nc,1;d\n".utf8))
        #expect(r.map(\.fields) == [["a", "b"], ["c,1", "d"]])
        #expect(r.map(\.line) == [1, 3])
    }
}
