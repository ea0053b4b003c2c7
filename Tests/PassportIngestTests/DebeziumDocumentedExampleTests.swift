import Foundation
import PassportIngest
import PassportModel
import Testing

/// Debezium's own documented change events (PostgreSQL and MySQL, with and without the
/// schema wrapper) through the fixture mapping.
@Suite struct DebeziumDocumentedExampleTests {
    /// The event as `Event(json:)` reads it once a source is added, and its catalog violations.
    func checked(_ event: JSONObject) throws -> Event {
        var o = event
        o["source"] = "erp-sap"
        let e = try Event(json: .object(o))
        #expect(EventCatalog.validate(e) == [], "\(e.type) \(e.subject)")
        return e
    }

    @Test func postgresqlCreateWithSchemaWrapperBecomesAnItemRegistration() throws {
        let state = InMemoryCDCState()
        let result = try DBZ.mapper.map(try DBZ.fixture("postgresql-create.json"), input: "postgresql-create.json", state: state)
        let event = try #require(result.event, "\(result)")
        #expect(event == [
            "type": "item.registered", "subject": "01/09506000134352/21/1", "sourceRef": "public.customers/1/pg:24023128:555",
            "createdAt": "2019-05-28T08:58:24.863123Z", "data": ["lot": "Kretchmar"],
        ])
        let e = try checked(event)
        #expect(e.createdAt.description == "2019-05-28T08:58:24.863123Z")
        #expect(result.state?.position == .postgres(lsn: 24_023_128, txId: 555))
    }

    @Test func postgresqlStreamUpdateOfAnUnmappedColumnDeleteTombstoneAndTruncateWriteNothing() throws {
        var state = InMemoryCDCState()
        let results = try DBZ.lines("postgresql-stream.jsonl").enumerated().map { i, line in
            try DBZ.mapper.apply(line, input: "postgresql-stream.jsonl:\(i + 1)", state: &state)
        }
        #expect(results.count == 5)
        #expect(results[0].event?["sourceRef"] == "public.customers/1/pg:24023128:555")
        // Same lsn, later transaction: not a replay; only first_name changed, which is not mapped.
        #expect(results[1].skipReason == .unchanged(RowKey(table: "public.customers", key: "1")), "\(results[1])")
        #expect(results[2].skipReason == .deleted(RowKey(table: "public.customers", key: "1")), "\(results[2])")
        #expect(results[3].skipReason == .tombstone)
        #expect(results[4].skipReason == .truncate(table: "public.customers"))
        #expect(results[4].description == "postgresql-stream.jsonl:5 skipped: table public.customers truncated (passports keep their history)")
    }

    @Test func mysqlCreateWithSchemaWrapperUsesTheProcessingTimeWhenTheSourceTimeIsZero() throws {
        let result = try DBZ.mapper.map(try DBZ.fixture("mysql-create.json"), input: "mysql-create.json", state: InMemoryCDCState())
        let event = try #require(result.event, "\(result)")
        // GTIN-13 in the mapping, padded; source.ts_ms is 0 in the documented example, so ts_ms.
        #expect(event == [
            "type": "item.registered", "subject": "01/09506000134352/21/1004",
            "sourceRef": "inventory.customers/1004/mysql:mysql-bin.000003:154:0",
            "createdAt": "2016-06-09T16:56:51.815000Z", "data": ["lot": "Kretchmar"],
        ])
        _ = try checked(event)
    }

    @Test func mysqlDeleteBecomesTheConfiguredStatusChange() throws {
        var state = InMemoryCDCState()
        let results = try DBZ.lines("mysql-stream.jsonl").enumerated().map { i, line in
            try DBZ.mapper.apply(line, input: "mysql-stream.jsonl:\(i + 1)", state: &state)
        }
        #expect(results[1].skipReason == .unchanged(RowKey(table: "inventory.customers", key: "1004")), "\(results[1])")
        let deleted = try #require(results[2].event, "\(results[2])")
        #expect(deleted == [
            "type": "passport.status-changed", "subject": "01/09506000134352/21/1004",
            "sourceRef": "inventory.customers/1004/mysql:mysql-bin.000003:805:0",
            "createdAt": "2016-06-10T18:05:02.300000Z", "data": ["status": "end-of-life", "reason": "row deleted in the ERP"],
        ])
        _ = try checked(deleted)
        #expect(results[2].state?.deleted == true)
        #expect(results[3].skipReason == .tombstone)
        #expect(results[4].skipReason == .truncate(table: "inventory.customers"))
        // The delete again (a redelivery) is a replay.
        let again = try DBZ.mapper.map(try DBZ.fixture("mysql-delete.json"), input: "again", state: state)
        guard case .replay(_, let p, let last)? = again.skipReason else {
            Issue.record("expected a replay, got \(again)")
            return
        }
        #expect(p == last)
    }

    @Test func postgresqlDeleteWithOnlyTheKeyUsesTheRememberedSubject() throws {
        // The PostgreSQL `before` carries only `id` (REPLICA IDENTITY DEFAULT); a delete event needs the subject.
        let yaml = """
            tables:
              public.customers:
                event: item.registered
                key: id
                subject: {gtin: {value: "09506000134352"}, serial: id}
                data: {lot: last_name}
                on-delete:
                  event: passport.status-changed
                  data: {status: {value: suspended}}
            """
        let mapper = DebeziumMapper(mapping: try DebeziumMapping(yaml: yaml))
        var state = InMemoryCDCState()
        _ = try mapper.apply(try DBZ.fixture("postgresql-create.json"), input: "c", state: &state)
        let result = try mapper.apply(try DBZ.fixture("postgresql-delete.json"), input: "d", state: &state)
        let event = try #require(result.event, "\(result)")
        #expect(event["subject"] == "01/09506000134352/21/1")
        #expect(event["sourceRef"] == "public.customers/1/pg:46523128:556")
        _ = try checked(event)
    }

    @Test func documentedBigIntegersAreReadWithoutLoss() throws {
        // ts_ns 1559033904863123000 is beyond 2^53: the strict parser refuses it, the connector reads it.
        #expect(throws: JSONError.self) { try JSONParser.parse(try DBZ.fixture("postgresql-create.json")) }
        let value = try JSONParser.parse(try DBZ.fixture("postgresql-create.json"), largeIntegers: .keepLiteral)
        #expect(value.objectValue?["payload"]?.objectValue?["ts_ns"]?.numberValue?.literal == "1559033904863841257")
    }
}
