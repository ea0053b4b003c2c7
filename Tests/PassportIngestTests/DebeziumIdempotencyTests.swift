import PassportIngest
import PassportModel
import Testing

/// Replays, redeliveries, re-snapshots and no-op updates write nothing; A→B→A writes three events.
@Suite struct DebeziumIdempotencyTests {
    let row = RowKey(table: "erp.production_orders", key: "1")

    @Test func redeliveryAndReplayWriteNothing() throws {
        var state = InMemoryCDCState()
        let create = DBZ.pg("c", after: DBZ.order(id: 1), lsn: 100)
        let first = try DBZ.mapper.apply(create, input: "1", state: &state)
        #expect(first.event?["sourceRef"] == "erp.production_orders/1/pg:100:700")
        let again = try DBZ.mapper.apply(create, input: "2", state: &state)
        #expect(again.skipReason == .replay(row, position: .postgres(lsn: 100, txId: 700), lastApplied: .postgres(lsn: 100, txId: 700)))
        let update = DBZ.pg("u", after: DBZ.order(id: 1, qty: 600), lsn: 200)
        #expect(try DBZ.mapper.apply(update, input: "3", state: &state).event != nil)
        // An older change delivered late is a replay, whatever its values.
        let late = DBZ.pg("u", after: DBZ.order(id: 1, qty: 550), lsn: 150)
        #expect(try DBZ.mapper.apply(late, input: "4", state: &state).skipReason
            == .replay(row, position: .postgres(lsn: 150, txId: 700), lastApplied: .postgres(lsn: 200, txId: 700)))
        #expect(state.rows[row]?.position == .postgres(lsn: 200, txId: 700))
    }

    @Test func resnapshotAndNoOpUpdatesWriteNothingButChangedSnapshotsDo() throws {
        var state = InMemoryCDCState()
        _ = try DBZ.mapper.apply(DBZ.pg("c", after: DBZ.order(id: 1), lsn: 100), input: "1", state: &state)
        // An update of a column the mapping does not read, and a re-snapshot of the same row.
        var touched = DBZ.order(id: 1)
        touched["remark"] = "checked"
        #expect(try DBZ.mapper.apply(DBZ.pg("u", after: touched, lsn: 200), input: "2", state: &state).skipReason == .unchanged(row))
        #expect(try DBZ.mapper.apply(DBZ.pg("r", after: DBZ.order(id: 1), lsn: 300, snapshot: true), input: "3", state: &state).skipReason == .unchanged(row))
        // A snapshot that finds a value the stream missed writes it.
        let changed = try DBZ.mapper.apply(DBZ.pg("r", after: DBZ.order(id: 1, plant: "PLANT-2"), lsn: 400, snapshot: true), input: "4", state: &state)
        #expect(changed.event?["data"]?.objectValue?["facility"] == "facility/PLANT-2", "\(changed)")
    }

    @Test func aToBToAWritesAllThree() throws {
        var state = InMemoryCDCState()
        let results = try [(500, 100), (600, 200), (500, 300)].map { qty, lsn in
            try DBZ.mapper.apply(DBZ.pg(lsn == 100 ? "c" : "u", after: DBZ.order(id: 1, qty: qty), lsn: lsn), input: "\(lsn)", state: &state)
        }
        #expect(results.compactMap(\.event).count == 3)
        #expect(Set(results.compactMap { $0.event?["sourceRef"] }).count == 3)
    }

    @Test func deletesAreIgnoredByDefaultAndKeepTheRowsValues() throws {
        var state = InMemoryCDCState()
        _ = try DBZ.mapper.apply(DBZ.pg("c", after: DBZ.order(id: 1), lsn: 100), input: "1", state: &state)
        #expect(try DBZ.mapper.apply(DBZ.pg("d", before: ["order_id": 1], lsn: 200), input: "2", state: &state).skipReason == .deleted(row))
        // Re-created with the values the passport already shows: nothing to say; with others: an event.
        #expect(try DBZ.mapper.apply(DBZ.pg("c", after: DBZ.order(id: 1), lsn: 300), input: "3", state: &state).skipReason == .unchanged(row))
        #expect(try DBZ.mapper.apply(DBZ.pg("c", after: DBZ.order(id: 1, qty: 9), lsn: 400), input: "4", state: &state).event != nil)
    }

    @Test func primaryKeyChangeIsADeleteOfTheOldKeyAndACreateOfTheNew() throws {
        var state = InMemoryCDCState()
        _ = try DBZ.mapper.apply(DBZ.pg("c", after: DBZ.order(id: 1), lsn: 100), input: "1", state: &state)
        // UPDATE … SET order_id = 2: Debezium sends a delete of key 1 (then its tombstone) and a create of key 2.
        let delete = try DBZ.mapper.apply(DBZ.pg("d", before: DBZ.order(id: 1), lsn: 200), input: "2", state: &state)
        let create = try DBZ.mapper.apply(DBZ.pg("c", after: DBZ.order(id: 2), lsn: 200), input: "3", state: &state)
        #expect(delete.skipReason == .deleted(row))
        #expect(create.event?["sourceRef"] == "erp.production_orders/2/pg:200:700")
        #expect(create.event?["subject"] == "01/09506000134352/10/LOT-2026-001")
        #expect(state.rows.keys.map(\.key).sorted() == ["1", "2"])
    }

    @Test func mysqlPositionsCompareAcrossBinlogFiles() throws {
        var state = InMemoryCDCState()
        let serial: JSONObject = ["serial_id": 9, "gtin": "09506000134352", "serial_no": "SN/0001", "batch_no": "LOT-2026-001", "produced_at": 1_795_000_000_123_456]
        let first = try DBZ.mapper.apply(DBZ.mysql("c", after: serial, file: "mysql-bin.000009", pos: 900, row: 1), input: "1", state: &state)
        let event = try #require(first.event, "\(first)")
        #expect(event["subject"] == "01/09506000134352/21/SN%2F0001")
        #expect(event["data"] == ["lot": "LOT-2026-001", "productionDate": "2026-11-18"])
        var later = serial
        later["batch_no"] = "LOT-2026-002"
        // Row 0 of an earlier position in a later file comes after.
        #expect(try DBZ.mapper.apply(DBZ.mysql("u", after: later, file: "mysql-bin.000010", pos: 4), input: "2", state: &state).event != nil)
        #expect(try DBZ.mapper.apply(DBZ.mysql("u", after: serial, file: "mysql-bin.000009", pos: 901), input: "3", state: &state).skipReason != nil)
        #expect(CDCPosition.mysql(file: "a.000001", pos: 1, row: 0).isAfter(.mysql(file: "b.000001", pos: 0, row: 0)) == nil)
        #expect(CDCPosition("mysql:mysql-bin.000010:4:0") == .mysql(file: "mysql-bin.000010", pos: 4, row: 0))
        #expect(CDCPosition("pg:18446744073709551615:1") == .postgres(lsn: .max, txId: 1))
    }

    @Test func pendingStateSeesTheBatchAndFlushesItInOrder() throws {
        var pending = PendingCDCState(base: InMemoryCDCState())
        _ = try DBZ.mapper.apply(DBZ.pg("c", after: DBZ.order(id: 1), lsn: 100), input: "1", state: &pending)
        #expect(try DBZ.mapper.apply(DBZ.pg("u", after: DBZ.order(id: 1), lsn: 200), input: "2", state: &pending).skipReason == .unchanged(row))
        #expect(pending.base.rows.isEmpty)
        try pending.flush()
        #expect(pending.pending.isEmpty)
        #expect(pending.base.rows[row]?.position == .postgres(lsn: 100, txId: 700))
    }

    @Test func rowStateSurvivesItsJSONForm() throws {
        let state = RowState(position: .mysql(file: "mysql-bin.000003", pos: 154, row: 2), subject: "01/09506000134352/21/1004",
            values: Array(#"{"data":{"lot":"K"}}"#.utf8), deleted: true)
        let bytes = CanonicalJSON.encode(state.json)
        #expect(RowState(json: try JSONParser.parse(bytes)) == state)
        #expect(RowState(json: ["position": "nope"]) == nil)
    }

    @Test func primaryKeyTextsAreUnambiguous() throws {
        let yaml = """
            tables:
              erp.pairs:
                event: item.registered
                key: [a, b]
                subject: {gtin: {value: "09506000134352"}, serial: {value: "S1"}}
                data: {}
            """
        let mapper = DebeziumMapper(mapping: try DebeziumMapping(yaml: yaml))
        func key(_ a: String, _ b: String) throws -> String? {
            let r = try mapper.map(DBZ.pg("c", table: "pairs", after: ["a": .string(a), "b": .string(b)], lsn: 1), input: "k", state: InMemoryCDCState())
            if case .event(_, let row, _) = r.outcome { return row.key }
            return nil
        }
        #expect(try key("x,y", "z") == "x%2Cy,z")
        #expect(try key("x", "y,z") == "x,y%2Cz")
        #expect(try key("a/b%", "ü") == "a%2Fb%25,ü")
    }
}
