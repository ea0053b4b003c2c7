import Foundation
import PassportIngest
import PassportModel
import Testing

/// The YAML mapping file: what it reads, and every problem it names.
@Suite struct DebeziumMappingFileTests {
    @Test func theFixtureMappingReadsEveryTable() throws {
        let m = DBZ.mapping
        #expect(m.tables.keys.sorted() == ["erp.batch_status", "erp.materials", "erp.production_orders", "inventory.customers", "mes.serial_numbers", "public.customers"])
        let orders = try #require(m.tables["erp.production_orders"])
        #expect(orders.eventType == "batch.produced")
        #expect(orders.key == ["order_id"])
        #expect(orders.subject == .gs1(gtin: .column("material_gtin", []), lot: .column("batch_no", []), serial: nil))
        #expect(orders.data == [
            FieldMapping(field: "quantity", source: .column("qty_done", [.integer])),
            FieldMapping(field: "facility", source: .column("plant", [.prefix("facility/")])),
            FieldMapping(field: "productionDate", source: .column("finish_date", [.date(.epochDays)])),
            FieldMapping(field: "countryOfOrigin", source: .column("country", []), optional: true),
        ])
        #expect(orders.onDelete == .ignore)
        #expect(m.tables["inventory.customers"]?.onDelete == .event(type: "passport.status-changed", data: [
            FieldMapping(field: "status", source: .constant("end-of-life")), FieldMapping(field: "reason", source: .constant("row deleted in the ERP")),
        ]))
    }

    @Test func everyProblemIsListedWithItsLine() throws {
        let yaml = """
            version: 2
            tables:
              erp.orders:
                event: batch.made
                subject: {lot: batch_no}
                data:
                  quantity: {column: qty, convert: {divide: 0}}
                  colour: paint
              orders:
                event: batch.produced
                key: [id]
                subject: {gtin: g, lot: l}
                data:
                  productionDate: {column: d, convert: {date: fortnights}}
                  facility: {column: p, value: x}
                  quantity: {column: q, convert: round}
                on-delete: forget
            extra: 1
            """
        let error = try #require(throws: MappingError.self) { try DebeziumMapping(yaml: yaml) }
        let found = error.violations.map { "\($0.path) \($0.message)" }
        let expected = [
            "version line 1: must be 1",
            "tables[erp.orders].event line 4: unknown event type",
            "tables[erp.orders].subject.gtin line 5: is required with a lot or a serial",
            "tables[erp.orders].data.quantity.convert.divide line 7: must be a non-zero number",
            "tables[erp.orders].key is required: the primary-key columns",
            "tables[orders] line 10: a table is named <schema>.<table>",
            "tables[orders].data.productionDate.convert.date line 14: must be one of epoch-days",
            "tables[orders].data.facility line 15: takes a column or a value, not both",
            "tables[orders].data.quantity.convert line 16: unknown conversion",
            "tables[orders].on-delete line 17: must be ignore, or an event",
            "extra line 18: unknown key",
        ]
        for e in expected { #expect(found.contains { $0.hasPrefix(e) }, "missing \(e) in \(found)") }
        #expect(error.description.hasPrefix("invalid Debezium mapping: "))
    }

    @Test func dataMembersMustBeTheEventTypes() throws {
        let yaml = """
            tables:
              erp.orders:
                event: batch.produced
                key: id
                subject: {gtin: g, lot: l}
                data: {colour: paint}
            """
        let error = try #require(throws: MappingError.self) { try DebeziumMapping(yaml: yaml) }
        #expect(error.violations.map(\.path) == ["tables[erp.orders].data.colour"])
        #expect(error.violations[0].message.contains("batch.produced has no data member colour (it has: quantity, facility, productionDate, countryOfOrigin)"), "\(error)")
    }

    @Test func invalidYAMLIsSaidSo() throws {
        let error = try #require(throws: MappingError.self) { try DebeziumMapping(yaml: "tables: [unclosed") }
        #expect(error.violations.count == 1)
        #expect(error.violations[0].message.hasPrefix("not valid YAML: "))
        let empty = try #require(throws: MappingError.self) { try DebeziumMapping(yaml: "") }
        #expect(empty.violations.map(\.path) == ["tables"])
    }

    @Test func theSpecExampleIsAValidMapping() throws {
        // Specs/connectors/debezium.md carries a complete example between the markers.
        let spec = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Specs/connectors/debezium.md")
        let text = try String(contentsOf: spec, encoding: .utf8)
        let start = try #require(text.range(of: "```yaml\n# example mapping\n"))
        let end = try #require(text.range(of: "```", range: start.upperBound..<text.endIndex))
        let mapping = try DebeziumMapping(yaml: String(text[start.upperBound..<end.lowerBound]))
        #expect(mapping.tables.count >= 3)
    }
}
