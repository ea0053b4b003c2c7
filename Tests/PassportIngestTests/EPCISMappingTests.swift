import PassportIngest
import PassportModel
import Sodium
import Testing

@Suite struct EPCISMappingTests {
    let m = EPCISFixtures.mapper

    /// GS1 example 9.6.1: a shipping with no destination is kept, not mapped; the receiving is a custody transfer.
    @Test func gs1ObjectEvents() throws {
        let results = m.map(try EPCISFixtures.fixture("Example_9.6.1-ObjectEvent.jsonld"), input: "9.6.1")
        try #require(results.count == 2)
        #expect(results[0].skipReason?.hasPrefix("kept: shipping to no known country") == true, "\(results[0])")
        #expect(results[0].kept != nil)
        let events = results[1].events
        try #require(events.count == 1, "\(results[1])")
        let e = events[0]
        let id = "ni:///sha-256;00e1e6eba3a7cc6125be4793a631f0af50f8322e0ab5f2c0bab994a11cec1d79?ver=CBV2.0"
        #expect(e.string("type") == "custody.transferred")
        #expect(e.string("subject") == "01/10614141073464/21/2018")
        #expect(e.string("sourceRef") == "\(id)#custody.transferred/01/10614141073464/21/2018")
        #expect(e.string("createdAt") == "2005-04-05T02:33:31.116000Z")
        #expect(e.string("validFrom") == "2005-04-05T02:33:31.116000Z")
        #expect(e.data("custodian") == "0012345111112")  // no possessing party: the business location's GLN
        #expect(e.data("location") == "urn:epc:id:sgln:0012345.11111.0")
        #expect(e.data("locationGLN") == "0012345111112")
        #expect(e.data("shipmentId") == "urn:epcglobal:cbv:bt:0614141073467:1152")
        #expect(e.data("transferId")?.stringValue?.hasPrefix("epcis-") == true)  // the ni eventID is longer than 64 bytes
        EPCISFixtures.expectValid(results)
    }

    @Test func queryDocumentMapsLikeTheDocument() throws {
        let doc = m.map(try EPCISFixtures.fixture("Example_9.6.1-ObjectEvent.jsonld"), input: "d")
        let query = m.map(try EPCISFixtures.fixture("EPCISQueryDocument.jsonld"), input: "q")
        #expect(query.map(\.events) == doc.map(\.events))
        #expect(query.map(\.eventID) == doc.map(\.eventID))
    }

    /// GS1 example 9.6.2: a lot received with source and destination lists.
    @Test func gs1QuantityWithSourceAndDestination() throws {
        let results = m.map(try EPCISFixtures.fixture("Example_9.6.2-ObjectEvent.jsonld"), input: "9.6.2")
        let e = try #require(results.first?.events.first, "\(results)")
        #expect(e.string("subject") == "01/04012345123456/10/998877")
        #expect(e.data("custodian") == "0614141007776")
        #expect(e.data("previousCustodian") == "4012345000016")
        #expect(e.data("location") == "urn:epc:id:sgln:0614141.00777.0")
        EPCISFixtures.expectValid(results)
    }

    /// GS1 example 9.6.3 with Digital Link children: custody of each item and lot packed in the SSCC;
    /// the class without lot (a model) is no custody subject.
    @Test func gs1AggregationWithDigitalLinks() throws {
        let results = m.map(try EPCISFixtures.fixture("Example_9.6.3-AggregationEventWithDigitalLink.jsonld"), input: "9.6.3")
        let subjects = results[0].events.map { $0.string("subject") }
        #expect(subjects == ["00/106141412345678908", "01/70614141123451/21/2017", "01/70614141123451/21/2018", "01/04012345123456/10/998877"])
        #expect(Set(results[0].events.map { $0.string("type") }) == ["unit.packed", "custody.transferred"])
        // What the SSCC holds is recorded as the unit's contents.
        EPCISFixtures.expectValid(results)
    }

    /// GS1 example 9.6.4: its lot is in a vendor extension (`example:batch`), so the outputs have no
    /// lot and no genealogy can be placed: kept. With `cbvmda:lotNumber` the outputs form a batch.
    @Test func gs1Transformation() throws {
        let bytes = try EPCISFixtures.fixture("Example_9.6.4-TransformationEventWithDigitalLink.jsonld")
        let kept = m.map(bytes, input: "9.6.4")
        #expect(kept[0].skipReason?.hasPrefix("kept:") == true, "\(kept[0])")
        var root = try JSONParser.parse(bytes).objectValue!
        var body = root["epcisBody"]!.objectValue!
        var event = body["eventList"]!.arrayValue![0].objectValue!
        event["ilmd"] = ["cbvmda:lotNumber": "XYZ"]
        body["eventList"] = [.object(event)]
        root["epcisBody"] = .object(body)
        let results = m.map(document: .object(root), input: "9.6.4+lot")
        let events = results[0].events
        #expect(events.filter { $0.string("type") == "item.registered" }.count == 4)
        let genealogy = try #require(events.first { $0.string("type") == "batch.transformed" }, "\(results[0])")
        #expect(genealogy.string("subject") == "01/04012345778892/10/XYZ")
        let inputs = genealogy.data("inputs")?.arrayValue?.map { $0.objectValue! } ?? []
        #expect(inputs.map { $0.string("subject") } == ["01/04012345111224/21/25", "01/04000001654321/21/99886655",
            "01/04012345111118/10/4444", "01/00614141777778/10/987"])
        #expect(inputs[2]["quantity"] == nil)  // 10 KGM is no piece count
        #expect(inputs[3]["quantity"] == 30)
        #expect(genealogy.data("process") == "commissioning")
        EPCISFixtures.expectValid(results)
    }

    @Test func errorDeclarationIsKept() throws {
        let results = m.map(try EPCISFixtures.fixture("ErrorDeclarationAndCorrectiveEvent.jsonld"), input: "ed")
        let reason = try #require(results[0].skipReason)
        #expect(reason.contains("error declaration of urn:uuid:374d95fc-9457-4a51-bd6a-0bba133845a8 (incorrect_data)"))
        #expect(reason.contains("corrected by urn:uuid:404d95fc-9457-4a51-bd6a-0bba133845a8"))
        #expect(results[0].kept != nil && results[1].kept != nil)
        #expect(results[1].eventID == "urn:uuid:404d95fc-9457-4a51-bd6a-0bba133845a8")
    }

    /// A corrective event is an ordinary event under its own eventID; the declaration maps to nothing.
    @Test func correctiveEventMapsUnderItsOwnID() {
        var original = Self.receiving(id: "urn:uuid:1", party: "urn:epc:id:pgln:4000001.00012")
        original["errorDeclaration"] = ["declarationTime": "2026-11-21T00:00:00Z", "reason": "incorrect_data", "correctiveEventIDs": ["urn:uuid:2"]]
        let corrective = Self.receiving(id: "urn:uuid:2", party: "urn:epc:id:pgln:4012345.00000")
        let results = m.map(EPCISFixtures.document([.object(original), .object(corrective)]), input: "c")
        #expect(results[0].events.isEmpty && results[0].skipReason != nil)
        #expect(results[1].events.map { $0.string("sourceRef") } == ["urn:uuid:2#custody.transferred/01/09506000134352/10/LOT-1"])
        #expect(results[1].events.first?.data("custodian") == "4012345000009")
    }

    static func receiving(id: String?, party: String) -> JSONObject {
        var o: JSONObject = ["type": "ObjectEvent", "eventTime": "2026-11-20T10:00:00+01:00", "eventTimeZoneOffset": "+01:00"]
        if let id { o["eventID"] = .string(id) }
        o["action"] = "OBSERVE"
        o["bizStep"] = "urn:epcglobal:cbv:bizstep:receiving"
        o["quantityList"] = [["epcClass": "urn:epc:class:lgtin:9506000.013435.LOT-1", "quantity": 40]]
        o["bizLocation"] = ["id": "urn:epc:id:sgln:4012345.00001.0"]
        o["destinationList"] = [["type": "possessing_party", "destination": .string(party)]]
        return o
    }

    @Test func eventWithoutIDIsNamedByItsHash() throws {
        let event = Self.receiving(id: nil, party: "urn:epc:id:pgln:4000001.00012")
        let results = m.map(EPCISFixtures.document([.object(event)]), input: "h")
        let expected = "ni:///sha-256;" + Hex.encode(SHA256.hash(CanonicalJSON.encode(.object(event))))
        #expect(results[0].eventID == expected)
        #expect(results[0].events.first?.string("sourceRef") == "\(expected)#custody.transferred/01/09506000134352/10/LOT-1")
        // The kept bytes are the event with the document's @context, canonical.
        let kept = try JSONParser.parse(try #require(results[0].kept).bytes).objectValue!
        #expect(kept["@context"] != nil && kept["bizStep"] == "urn:epcglobal:cbv:bizstep:receiving")
        #expect(results[0].kept!.sha256 == Hex.encode(SHA256.hash(results[0].kept!.bytes)))
    }

    static func shipping(epcs: [String] = [], classes: JSONValue = [], destination: String = "https://id.gs1.org/414/7080003000002") -> JSONObject {
        ["type": "ObjectEvent", "eventID": "urn:uuid:ship-1", "eventTime": "2026-11-20T10:00:00Z", "eventTimeZoneOffset": "+00:00", "action": "OBSERVE",
            "bizStep": "https://ref.gs1.org/cbv/BizStep-shipping", "epcList": .array(epcs.map(JSONValue.string)), "quantityList": classes,
            "bizTransactionList": [["type": "urn:epcglobal:cbv:btt:desadv", "bizTransaction": "urn:epcglobal:cbv:bt:9506000000002:DESADV-77"]],
            "destinationList": [["type": "location", "destination": .string(destination)]]]
    }

    @Test func shippingToAKnownCountry() throws {
        let doc = EPCISFixtures.document([.object(Self.shipping(epcs: ["urn:epc:id:sgtin:9506000.013435.SN1"],
            classes: [["epcClass": "https://id.gs1.org/01/09506000134352/10/LOT-1", "quantity": 120, "uom": "EA"]]))],
            countries: ["7080003000002": "NO"])
        let results = m.map(doc, input: "s")
        let events = results[0].events
        #expect(events.map { $0.string("subject") } == ["01/09506000134352/21/SN1", "01/09506000134352/10/LOT-1"])
        #expect(events.map { $0.data("quantity") } == [1, 120])
        #expect(Set(events.map { $0.data("destination") }) == ["NO"])
        #expect(Set(events.map { $0.data("shipmentId") }) == ["urn:epcglobal:cbv:bt:9506000000002:DESADV-77"])
        EPCISFixtures.expectValid(results)
        // The connector's own master data serves when the document has none.
        let configured = EPCISMapper(locationCountries: ["7080003000002": "NO"])
        #expect(configured.map(EPCISFixtures.document([.object(Self.shipping(epcs: ["urn:epc:id:sgtin:9506000.013435.SN1"]))]), input: "s")[0].events.count == 1)
    }

    @Test func measuredShipmentIsRejectedNamingTheQuantity() {
        let doc = EPCISFixtures.document([.object(Self.shipping(classes: [["epcClass": "urn:epc:class:lgtin:9506000.013435.LOT-1", "quantity": 200.5, "uom": "KGM"]]))],
            countries: ["7080003000002": "NO"])
        let v = m.map(doc, input: "s")[0].violations
        #expect(v.map(\.path) == ["epcisBody.eventList[0].quantityList[0]"])
        #expect(v.first?.message.contains("200.5 KGM") == true)
    }

    /// Products packed into an SSCC earlier in the document ship with it.
    @Test func childrenFollowTheirSSCC() {
        let pack: JSONObject = ["type": "AggregationEvent", "eventID": "urn:uuid:pack", "eventTime": "2026-11-20T09:00:00Z", "eventTimeZoneOffset": "+00:00",
            "parentID": "urn:epc:id:sscc:9506000.0000000017", "childEPCs": ["urn:epc:id:sgtin:9506000.013435.SN1"],
            "childQuantityList": [["epcClass": "urn:epc:class:lgtin:9506000.013435.LOT-1", "quantity": 24]], "action": "ADD", "bizStep": "packing"]
        let ship = Self.shipping(epcs: ["urn:epc:id:sscc:9506000.0000000017"])
        let results = m.map(EPCISFixtures.document([.object(pack), .object(ship)], countries: ["7080003000002": "NO"]), input: "p")
        #expect(results[0].events.map { $0.string("type") } == ["unit.packed"], "\(results[0])")
        #expect(results[0].events.first?.string("subject") == "00/095060000000000176")
        #expect(results[0].events.first?.data("contents")
            == [["subject": "01/09506000134352/21/SN1", "quantity": 1], ["subject": "01/09506000134352/10/LOT-1", "quantity": 24]])
        #expect(results[1].events.map { $0.string("subject") } == ["01/09506000134352/21/SN1", "01/09506000134352/10/LOT-1"])
        #expect(results[1].events.map { $0.data("quantity") } == [1, 24])
    }

    @Test func commissioningRegistersItemsWithTheirLot() throws {
        let event: JSONObject = ["type": "ObjectEvent", "eventID": "urn:uuid:c1", "eventTime": "2026-11-18T06:00:00Z", "eventTimeZoneOffset": "+00:00",
            "action": "ADD", "bizStep": "commissioning",
            "epcList": ["urn:epc:id:sgtin:9506000.013435.SN%2F1", "https://id.gs1.org/01/09506000134352/21/SN2"],
            "ilmd": ["cbvmda:lotNumber": "LOT/1", "cbvmda:countryOfOrigin": "DE"]]
        let results = m.map(EPCISFixtures.document([.object(event)]), input: "c")
        #expect(results[0].events.map { $0.string("subject") } == ["01/09506000134352/21/SN%2F1", "01/09506000134352/21/SN2"])
        #expect(results[0].events.map { $0.data("lot") } == ["LOT/1", "LOT/1"])
        EPCISFixtures.expectValid(results)
    }

    @Test func unknownSchemeIsRejectedNamingEventAndField() {
        var event = Self.receiving(id: "urn:uuid:u", party: "urn:epc:id:pgln:4000001.00012")
        event["epcList"] = ["urn:epc:id:sgtin:9506000.013435.SN1", "urn:epc:id:foo:1.2.3"]
        let results = m.map(EPCISFixtures.document([.object(Self.receiving(id: "urn:uuid:ok", party: "urn:epc:id:pgln:4000001.00012")), .object(event)]), input: "u")
        #expect(results[0].events.count == 1)
        let v = results[1].violations
        #expect(v.map(\.path) == ["epcisBody.eventList[1].epcList[1]"])
        #expect(v.first?.message.contains("unknown EPC scheme urn:epc:id:foo") == true)
        #expect(v.first?.pointer == "/epcisBody/eventList/1/epcList/1")
        #expect(results[1].kept != nil)  // a rejected event is kept too
    }

    @Test(arguments: [
        ("{\"type\": \"EPCISDocument\", ", "malformed-json", ""),
        ("[1, 2]", "type", ""),
        ("{\"type\": \"EPCISMasterDataDocument\", \"epcisBody\": {}}", "one-of", "type"),
        ("{\"type\": \"EPCISDocument\", \"epcisBody\": {}}", "required", "epcisBody.eventList"),
        ("{\"type\": \"EPCISQueryDocument\", \"epcisBody\": {\"queryResults\": {}}}", "required", "epcisBody.queryResults.resultsBody"),
        ("{\"type\": \"EPCISDocument\", \"epcisBody\": {\"eventList\": {}}}", "type", "epcisBody.eventList"),
        ("{\"type\": \"EPCISDocument\", \"epcisBody\": {\"eventList\": [1e400]}}", "malformed-json", ""),
    ])
    func badDocumentsAreRejectedWithTheReason(text: String, code: String, path: String) {
        let results = m.map(Array(text.utf8), input: "bad")
        #expect(results.count == 1)
        #expect(results.first?.index == nil && results.first?.kept == nil)
        #expect(results.first?.violations.map(\.code.rawValue) == [code], "\(results)")
        #expect(results.first?.violations.first?.path == path)
    }

    @Test func badEventsAreRejectedOneByOne() {
        var noTime = Self.receiving(id: "urn:uuid:t", party: "urn:epc:id:pgln:4000001.00012")
        noTime["eventTime"] = nil
        let results = m.map(EPCISFixtures.document([.object(noTime), ["type": "SensorEvent"], "text"]), input: "e")
        #expect(results.map { $0.violations.map(\.path) } == [["epcisBody.eventList[0].eventTime"], ["epcisBody.eventList[1].type"], ["epcisBody.eventList[2]"]])
        #expect(results.allSatisfy { $0.kept != nil })  // kept whatever they are
    }
}
