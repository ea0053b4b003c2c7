import PassportIngest
import PassportModel
import Testing

/// Bad input is rejected, naming the input and the field or column, and records nothing.
@Suite struct DebeziumRejectionTests {
    /// Maps one input with `apply` and checks that it was rejected and that no state was recorded.
    func rejected(_ bytes: [UInt8], input: String = "orders.jsonl:7") throws -> [Violation] {
        var state = InMemoryCDCState()
        let result = try DBZ.mapper.apply(bytes, input: input, state: &state)
        #expect(state.rows.isEmpty, "a rejected change recorded state")
        #expect(result.input == input)
        guard case .reject(let violations) = result.outcome else {
            Issue.record("expected a rejection, got \(result)")
            return []
        }
        #expect(!violations.isEmpty)
        #expect(result.description.hasPrefix("\(input) rejected: "))
        return violations
    }

    @Test func malformedJSONIsRejectedWithTheOffset() throws {
        let v = try rejected(Array(#"{"op": "c", "after": "#.utf8))
        #expect(v.map(\.code.rawValue) == ["malformed-json"])
        #expect(v[0].message.hasPrefix("not valid JSON: invalid JSON at byte 21: unexpected end of input"), "\(v[0].message)")
    }

    @Test(arguments: [
        ("[1, 2]", "", "a Debezium change event is a JSON object"),
        (#"{"hello": "world"}"#, "op", "is required: not a Debezium change event"),
        (#"{"schema": {}, "payload": 3}"#, "payload", "must be an object (the change event) or null"),
        (#"{"op": "x", "source": {"connector": "postgresql", "schema": "erp", "table": "t", "lsn": 1}}"#, "op", "unknown operation"),
        (#"{"op": "c", "after": {"a": 1}}"#, "source", "is required: it names the table"),
        (#"{"op": "c", "after": {"a": 1}, "source": {"connector": "postgresql", "schema": "erp", "table": "production_orders"}}"#, "source.lsn", "is required: the WAL position"),
        (#"{"op": "c", "after": null, "source": {"connector": "mysql", "db": "mes", "table": "serial_numbers", "file": "b.1", "pos": 4}}"#, "after", "is required for op c"),
        (#"{"op": "c", "after": {"a": 1}, "source": {"connector": "mysql", "db": "mes", "table": "serial_numbers", "file": "b.1", "pos": -4}}"#, "source.pos", "must be a non-negative integer"),
    ])
    func notAChangeEvent(input: String, path: String, message: String) throws {
        let v = try rejected(Array(input.utf8))
        #expect(v.contains { $0.path == path && $0.message.hasPrefix(message) }, "\(v)")
    }

    @Test func unmappedTableIsNamed() throws {
        let v = try rejected(DBZ.pg("c", table: "invoices", after: ["id": 1], lsn: 10))
        #expect(v.count == 1)
        #expect(v[0].path == "source.table")
        #expect(v[0].code == .oneOf)
        #expect(v[0].message.hasPrefix("table erp.invoices is not in the mapping (mapped: erp.batch_status, erp.materials"), "\(v[0].message)")
        #expect(v[0].value == "\"erp.invoices\"")
    }

    @Test func wrappedInputNamesPathsUnderPayload() throws {
        var row = DBZ.order(id: 1)
        row["order_id"] = nil
        let v = try rejected(DBZ.pg("c", after: row, lsn: 10, wrapped: true))
        #expect(v.map(\.path) == ["payload.after.order_id"])
        #expect(v[0].message == "primary-key column order_id is not in the row; the row cannot be identified")
    }

    @Test func missingAndNullColumnsAreNamed() throws {
        var row = DBZ.order(id: 1)
        row["qty_done"] = nil
        row["plant"] = .null
        row["country"] = .null  // optional: left out, no violation
        let v = try rejected(DBZ.pg("c", after: row, lsn: 10))
        #expect(v.map(\.path) == ["after.qty_done", "after.plant"])
        #expect(v[0].message.hasPrefix("column qty_done is not in the row (captured columns: batch_no, country, finish_date, material_gtin, order_id, plant)"), "\(v[0].message)")
        #expect(v[1].message == "column plant is NULL; the mapping needs a value (or mark it optional)")
    }

    @Test func valuesThatCannotBeConvertedAreNamedWithTheConversion() throws {
        var row = DBZ.order(id: 1)
        row["finish_date"] = "yesterday"
        row["qty_done"] = "lots"
        let v = try rejected(DBZ.pg("c", after: row, lsn: 10))
        #expect(v.map(\.path) == ["after.qty_done", "after.finish_date"])
        #expect(v[0].rule == "convert integer")
        #expect(v[0].message == "cannot convert: is not an integer")
        #expect(v[1].rule == "convert date epoch-days")
        #expect(v[1].value == "\"yesterday\"")
    }

    @Test func badSubjectColumnsAreNamed() throws {
        let v = try rejected(DBZ.pg("c", after: DBZ.order(id: 1, gtin: "09506000134353", lot: "LOT 1"), lsn: 10))
        #expect(v.map(\.path) == ["after.batch_no"])
        #expect(v[0].message.contains("character outside GS1 character set 82"), "\(v[0].message)")
        let w = try rejected(DBZ.pg("c", after: DBZ.order(id: 1, gtin: "09506000134353"), lsn: 10))
        #expect(w.map(\.path) == ["after.material_gtin"])
        #expect(w[0].message.contains("check digit"), "\(w[0].message)")
    }

    @Test func eventRulesAreReportedAtTheirColumn() throws {
        let v = try rejected(DBZ.pg("c", after: DBZ.order(id: 1, qty: 0, country: "XX"), lsn: 10))
        #expect(v.map(\.path).sorted() == ["after.country", "after.qty_done"])
        #expect(v.contains { $0.path == "after.qty_done" && $0.message.hasPrefix("data.quantity: ") }, "\(v)")
    }

    @Test func integersBeyondDoublePrecisionAreNotRounded() throws {
        var row = DBZ.order(id: 1)
        row["country"] = nil
        var bytes = DBZ.pg("c", after: row, lsn: 10)
        // Splice a 2^63-ish quantity into the text (JSONNumber cannot hold it).
        let text = DBZ.text(bytes).replacingOccurrences(of: "\"qty_done\":500", with: "\"qty_done\":9223372036854775807")
        bytes = Array(text.utf8)
        let v = try rejected(bytes)
        #expect(v.map(\.path) == ["after.qty_done"])
        #expect(v[0].message == "cannot convert: must be an integer within ±2^53")
    }

    @Test func anOverlongSourceRefIsRejected() throws {
        let longKey = String(repeating: "K", count: 240)
        let yaml = """
            tables:
              erp.notes:
                event: item.registered
                key: note_key
                subject: {gtin: {value: "09506000134352"}, serial: serial}
                data: {}
            """
        let mapper = DebeziumMapper(mapping: try DebeziumMapping(yaml: yaml))
        let result = try mapper.map(DBZ.pg("c", table: "notes", after: ["note_key": .string(longKey), "serial": "S1"], lsn: 1), input: "x", state: InMemoryCDCState())
        #expect(result.violations.map(\.code) == [.length], "\(result)")
    }
}
