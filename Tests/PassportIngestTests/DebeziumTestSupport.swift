import Foundation
import PassportIngest
import PassportModel

/// Fixtures and envelope builders shared by the Debezium tests.
enum DBZ {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/debezium")

    static func fixture(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: folder.appendingPathComponent(name)))
    }

    static func lines(_ name: String) throws -> [[UInt8]] {
        try fixture(name).split(separator: UInt8(ascii: "\n")).map(Array.init)
    }

    /// The test mapping (`Fixtures/debezium/mapping.yaml`).
    static let mapping: DebeziumMapping = {
        let text = String(decoding: try! fixture("mapping.yaml"), as: UTF8.self)
        return try! DebeziumMapping(yaml: text)
    }()

    static let mapper = DebeziumMapper(mapping: mapping)

    /// A production order row of `erp.production_orders`.
    static func order(
        id: Int, gtin: String = "09506000134352", lot: String = "LOT-2026-001", qty: Int = 500, plant: String = "PLANT-1",
        finishDay: Int = 20775, country: JSONValue = "DE"
    ) -> JSONObject {
        ["order_id": .number(JSONNumber(id)), "material_gtin": .string(gtin), "batch_no": .string(lot), "qty_done": .number(JSONNumber(qty)),
            "plant": .string(plant), "finish_date": .number(JSONNumber(finishDay)), "country": country]
    }

    /// A PostgreSQL change event of `erp.<table>` as JSON text.
    static func pg(
        _ op: String, table: String = "production_orders", schema: String = "erp", before: JSONObject? = nil, after: JSONObject? = nil,
        lsn: Int, txId: Int = 700, tsMs: Int = 1_795_000_000_000, wrapped: Bool = false, snapshot: Bool = false
    ) -> [UInt8] {
        let source: JSONObject = ["version": "2.7.0.Final", "connector": "postgresql", "name": "erp", "ts_ms": .number(JSONNumber(tsMs)),
            "snapshot": .bool(snapshot), "db": "erp", "schema": .string(schema), "table": .string(table),
            "txId": .number(JSONNumber(txId)), "lsn": .number(JSONNumber(lsn)), "xmin": nil]
        let payload: JSONObject = ["before": before.map(JSONValue.object) ?? .null, "after": after.map(JSONValue.object) ?? .null,
            "source": .object(source), "op": .string(op), "ts_ms": .number(JSONNumber(tsMs + 120))]
        let value: JSONValue = wrapped ? ["schema": ["type": "struct", "optional": false], "payload": .object(payload)] : .object(payload)
        return CanonicalJSON.encode(value)
    }

    /// A MySQL change event of `mes.serial_numbers` as JSON text.
    static func mysql(_ op: String, before: JSONObject? = nil, after: JSONObject? = nil, file: String = "mysql-bin.000007", pos: Int, row: Int = 0) -> [UInt8] {
        let source: JSONObject = ["version": "2.7.0.Final", "connector": "mysql", "name": "mes", "ts_ms": 1_795_000_000_000, "snapshot": false,
            "db": "mes", "table": "serial_numbers", "server_id": 223344, "gtid": nil, "file": .string(file), "pos": .number(JSONNumber(pos)),
            "row": .number(JSONNumber(row)), "thread": 7, "query": nil]
        return CanonicalJSON.encode(["before": before.map(JSONValue.object) ?? .null, "after": after.map(JSONValue.object) ?? .null,
            "source": .object(source), "op": .string(op), "ts_ms": 1_795_000_000_321])
    }

    static func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
}

extension DebeziumResult {
    /// The skip reason, if skipped.
    var skipReason: SkipReason? {
        if case .skip(let r) = outcome { return r }
        return nil
    }

    /// The row state that comes with an event.
    var state: RowState? {
        if case .event(_, _, let s) = outcome { return s }
        return nil
    }
}
