import Foundation
import PassportIngest
import PassportModel
import Testing

/// Value conversions as Debezium encodes columns.
@Suite struct DebeziumConversionTests {
    /// Maps `value` through one conversion of a one-column table and returns the `data` member or the violation.
    func convert(_ value: JSONValue, _ convert: String) throws -> (value: JSONValue?, violation: Violation?) {
        let yaml = """
            tables:
              erp.t:
                event: product.registered
                key: id
                subject: {gtin: {value: "09506000134352"}}
                data:
                  name: {value: "x"}
                  manufacturer: {value: "y"}
                  category: {column: v, convert: [\(convert), string]}
            """
        let mapper = DebeziumMapper(mapping: try DebeziumMapping(yaml: yaml))
        let result = try mapper.map(DBZ.pg("c", table: "t", after: ["id": 1, "v": value], lsn: 1), input: "t", state: InMemoryCDCState())
        if let e = result.event { return (e["data"]?.objectValue?["category"], nil) }
        return (nil, result.violations.first)
    }

    @Test(arguments: [
        (JSONValue(20775), "{date: epoch-days}", "2026-11-18"),
        (JSONValue(-1), "{date: epoch-days}", "1969-12-31"),
        (JSONValue(1_795_000_000_123), "{timestamp: epoch-millis}", "2026-11-18T11:06:40.123000Z"),
        (JSONValue(1_795_000_000_123_456), "{timestamp: epoch-micros}", "2026-11-18T11:06:40.123456Z"),
        (JSONValue("2018-06-20T13:37:03+02:00"), "{timestamp: iso}", "2018-06-20T11:37:03.000000Z"),
        (JSONValue("2026-11-18"), "{date: iso}", "2026-11-18"),
        (JSONValue(1250), "{divide: 1000}", "1.25"),
        (JSONValue("62500"), "{multiply: 0.001}", "62.5"),
        (JSONValue("C+o="), "{decimal: {scale: 2}}", "30.5"),
        (JSONValue("/w=="), "{decimal: 0}", "-1"),
        (JSONValue("12.75"), "{decimal: {scale: 2}}", "12.75"),
        (JSONValue(20), "{codes: {\"10\": new, \"20\": released}}", "released"),
        (JSONValue("BLK"), "{codes: {BLK: blocked}}", "blocked"),
        (JSONValue(7), "{prefix: \"facility/\"}", "facility/7"),
    ])
    func converts(value: JSONValue, conversion: String, expected: String) throws {
        let got = try convert(value, conversion)
        #expect(got.value == .string(expected), "\(got)")
    }

    @Test func nanosecondsBeyondDoublePrecisionAreExact() throws {
        // 1559033904863123999 ns is not a double; read from its literal it is exact to the microsecond.
        let yaml = """
            tables:
              erp.t:
                event: product.registered
                key: id
                subject: {gtin: {value: "09506000134352"}}
                data: {name: {value: x}, manufacturer: {value: y}, category: {column: v, convert: {timestamp: epoch-nanos}}}
            """
        let mapper = DebeziumMapper(mapping: try DebeziumMapping(yaml: yaml))
        let text = DBZ.text(DBZ.pg("c", table: "t", after: ["id": 1, "v": 0], lsn: 1)).replacingOccurrences(of: "\"v\":0", with: "\"v\":1559033904863123999")
        let result = try mapper.map(Array(text.utf8), input: "t", state: InMemoryCDCState())
        #expect(result.event?["data"]?.objectValue?["category"] == "2019-05-28T08:58:24.863123Z", "\(result)")
    }

    @Test(arguments: [
        (JSONValue("x"), "{date: epoch-days}", "must be an integer count of days"),
        (JSONValue(3_000_000), "{date: epoch-days}", "is out of range (years 0001–9999)"),
        (JSONValue("2026-13-01"), "{date: iso}", "is not an ISO 8601 date or date-time"),
        (JSONValue("QQ"), "{codes: {BLK: blocked}}", "code \"QQ\" is not in the code list (known: BLK)"),
        (JSONValue("%%"), "{decimal: {scale: 2}}", "is neither a number nor a base64 Debezium decimal"),
        (JSONValue(true), "{divide: 1000}", "must be a number, not boolean"),
    ])
    func rejects(value: JSONValue, conversion: String, reason: String) throws {
        guard let v = try convert(value, conversion).violation else {
            Issue.record("\(conversion) accepted \(value)")
            return
        }
        #expect(v.path == "after.v")
        #expect(v.message.hasPrefix("cannot convert: \(reason)"), "\(v.message)")
    }

    @Test func unitScalingFeedsAValidProductRegistration() throws {
        let row: JSONObject = ["material_id": "M-1", "gtin": "9506000134352", "description": "PowerPack 48V", "net_weight_g": 62500]
        let result = try DBZ.mapper.map(DBZ.pg("c", table: "materials", after: row, lsn: 5), input: "m", state: InMemoryCDCState())
        let event = try #require(result.event, "\(result)")
        #expect(event["subject"] == "01/09506000134352")
        #expect(event["data"] == ["name": "PowerPack 48V", "manufacturer": "Example Cells GmbH", "weightKg": 62.5])
    }

    @Test func statusCodesFeedAValidStatusChange() throws {
        let row: JSONObject = ["order_id": 1, "material_gtin": "09506000134352", "batch_no": "LOT-2026-001", "status_code": "RCL"]
        let result = try DBZ.mapper.map(DBZ.pg("u", table: "batch_status", after: row, lsn: 5), input: "s", state: InMemoryCDCState())
        #expect(result.event?["data"] == ["status": "recalled"], "\(result)")
        let bad = try DBZ.mapper.map(DBZ.pg("u", table: "batch_status", after: ["order_id": 1, "material_gtin": "09506000134352", "batch_no": "L", "status_code": "ZZ"], lsn: 6), input: "s", state: InMemoryCDCState())
        #expect(bad.violations.map(\.path) == ["after.status_code"])
    }
}
