import PassportModel

extension DemoDataSet {
    /// An EPCIS 2.0 document of shipping ObjectEvents, one lot each (`LOT-<i>` for i in `range`), to a
    /// GLN whose country the header gives: each maps to one `shipment.dispatched`.
    public static func shippingDocument(_ range: Range<Int>) -> [UInt8] {
        let events: [JSONValue] = range.map { i in
            ["type": "ObjectEvent", "eventID": .string("urn:uuid:ship-\(i)"), "eventTime": "2026-11-20T10:00:00Z", "eventTimeZoneOffset": "+00:00",
                "action": "OBSERVE", "bizStep": "https://ref.gs1.org/cbv/BizStep-shipping", "epcList": [],
                "quantityList": [["epcClass": .string("https://id.gs1.org/01/09506000134352/10/LOT-\(i)"), "quantity": 120, "uom": "EA"]],
                "bizTransactionList": [["type": "urn:epcglobal:cbv:btt:desadv", "bizTransaction": .string("urn:epcglobal:cbv:bt:9506000000002:DESADV-\(i)")]],
                "destinationList": [["type": "location", "destination": "https://id.gs1.org/414/7080003000002"]]]
        }
        let header: JSONValue = ["epcisMasterData": ["vocabularyList": [["type": "urn:epcglobal:epcis:vtype:BusinessLocation", "vocabularyElementList": [
            ["id": "https://id.gs1.org/414/7080003000002", "attributes": [["id": "cbvmda:countryCode", "attribute": "NO"]]]]]]]]
        return CanonicalJSON.encode([
            "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"], "type": "EPCISDocument", "schemaVersion": "2.0",
            "creationDate": "2026-11-20T09:00:00Z", "epcisHeader": header, "epcisBody": ["eventList": .array(events)],
        ])
    }
}
