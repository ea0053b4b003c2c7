import PassportDemoData
import PassportModel

/// Debezium change events of the demo ERP's production orders (`erp.production_orders`, mapped by
/// ``DemoDataSet/erpProductionOrdersMapping`` to `batch.produced`), for connector and Kafka tests.
public enum ChangeEvents {
    /// The mapping file's text.
    public static let mapping = DemoDataSet.erpProductionOrdersMapping

    /// The row of order `id`.
    public static func row(id: Int, qty: Int = 500, lot: String? = nil) -> JSONObject {
        ["order_id": .number(JSONNumber(id)), "material_gtin": "09506000134352", "batch_no": .string(lot ?? "LOT-\(id)"),
            "qty_done": .number(JSONNumber(qty)), "plant": .string("PLANT-\(id % 4)"), "finish_date": .number(JSONNumber(20_400 + id % 300)),
            "country": "DE"]
    }

    /// A PostgreSQL change envelope (no schema wrapper) of order `id`: `op` `c`, `u`, `r` (the row
    /// after) or `d` (the row before), at log position `lsn`.
    public static func order(_ op: String = "c", id: Int, qty: Int = 500, lsn: Int, table: String = "production_orders") -> [UInt8] {
        let row = JSONValue.object(row(id: id, qty: qty))
        let source: JSONObject = ["version": "2.7.0.Final", "connector": "postgresql", "name": "erp", "ts_ms": .number(JSONNumber(1_764_000_000_000 + lsn)),
            "snapshot": "false", "db": "erp", "schema": "erp", "table": .string(table), "txId": .number(JSONNumber(1000 + lsn)),
            "lsn": .number(JSONNumber(lsn))]
        return CanonicalJSON.encode([
            "before": op == "d" ? row : .null, "after": op == "d" ? .null : row, "source": .object(source), "op": .string(op),
            "ts_ms": .number(JSONNumber(1_764_000_000_100 + lsn)),
        ])
    }

    /// A change stream of `orders` orders, one message a change (nil: a tombstone) with the
    /// partition Debezium's key hash would give it (`order_id` modulo `partitions`): every order
    /// created; a third updated with new values; some updated with the same values (an update of
    /// no mapped column: nothing to write); some deleted (nothing to write by default) and
    /// followed by their tombstone; the first creation redelivered at the end (a replay).
    /// - Returns: (partition, value) in the order the database wrote them.
    public static func stream(orders: Int, partitions: Int32 = 2) -> [(partition: Int32, value: [UInt8]?)] {
        var out: [(Int32, [UInt8]?)] = []
        func p(_ id: Int) -> Int32 { Int32(id % Int(partitions)) }
        for id in 1...orders { out.append((p(id), order("c", id: id, qty: 100 + id, lsn: id * 10))) }
        for id in stride(from: 1, through: orders, by: 3) { out.append((p(id), order("u", id: id, qty: 2000 + id, lsn: 100_000 + id * 10))) }
        for id in stride(from: 2, through: orders, by: 7) { out.append((p(id), order("u", id: id, qty: 100 + id, lsn: 200_000 + id * 10))) }
        for id in stride(from: 5, through: orders, by: 11) {
            out.append((p(id), order("d", id: id, qty: 100 + id, lsn: 300_000 + id * 10)))
            out.append((p(id), nil))
        }
        out.append((p(1), order("c", id: 1, qty: 101, lsn: 10)))
        return out
    }
}
