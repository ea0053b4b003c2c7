/// The published JSON Schema of a projected passport (`dpp passport --format json`).
public enum PassportSchema {
    /// The schema document.
    public static var jsonSchema: JSONValue {
        var sections: [String: JSONObject] = [:]
        var order: [String] = []
        for f in PassportFields.all {
            let parts = f.path.split(separator: ".", maxSplits: 1).map(String.init)
            let description = "\(f.description). Default tier: \(f.tier.rawValue)."
            let value: JSONValue = f.isCollection
                ? ["type": "object", "description": .string(description + " Entries keyed by ID" + (f.keepsExpired ? "; entries past validUntil stay with status expired" : "") + "."),
                    "additionalProperties": true]
                : ["description": .string(description)]
            if parts.count == 1 {
                sections[parts[0]] = ["field": value]
                order.append(parts[0])
            } else {
                if sections[parts[0]] == nil { order.append(parts[0]) }
                sections[parts[0], default: JSONObject()][parts[1]] = value
            }
        }
        var passportProps = JSONObject()
        for name in order {
            let s = sections[name]!
            if let single = s["field"], s.count == 1 {
                passportProps[name] = single
            } else {
                passportProps[name] = ["type": "object", "additionalProperties": false, "properties": .object(s)]
            }
        }
        let provenance: JSONValue = [
            "type": "object", "additionalProperties": false,
            "required": ["index", "subject", "source", "sourceRef", "type", "recordedAt"],
            "properties": [
                "index": ["type": "integer", "minimum": 0, "description": "the record that set the value; prove it with dpp prove --index"],
                "subject": ["type": "string"], "source": ["type": "string"], "sourceRef": ["type": "string"], "type": ["type": "string"],
                "recordedAt": ["$ref": "event.schema.json#/$defs/timestamp"],
                "override": [
                    "type": "object", "description": "present when the value is an authorised override by a non-owner",
                    "additionalProperties": false, "required": ["reason"], "properties": ["reason": ["type": "string"]],
                ],
            ],
        ]
        return [
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "https://passport-ledger.example/specs/schemas/passport.schema.json",
            "title": "Projected product passport",
            "description": "A passport as of a system time and a valid time (Specs/passport-semantics.md), cut to an access tier.",
            "type": "object", "additionalProperties": false,
            "required": ["id", "granularity", "asOf", "validAt", "passport", "provenance"],
            "properties": [
                "id": ["type": "string"],
                "granularity": ["enum": ["model", "batch", "item", "supplier", "facility"]],
                "asOf": ["$ref": "event.schema.json#/$defs/timestamp"],
                "validAt": ["$ref": "event.schema.json#/$defs/timestamp"],
                "view": ["enum": .array(AccessTier.allCases.map { .string($0.rawValue) })],
                "passport": ["type": "object", "additionalProperties": false, "properties": .object(passportProps)],
                "provenance": [
                    "type": "object", "description": "field path (field or field[key]) → the record that set it",
                    "additionalProperties": provenance,
                ],
            ],
        ]
    }

    /// Every published document of the passport model: file name → schema.
    public static var documents: [(String, JSONValue)] {
        [("passport.schema.json", jsonSchema), ("ownership-policy.schema.json", OwnershipPolicy.jsonSchema),
            ("policies/default-ownership.json", OwnershipPolicy.default.json)]
            + EventCatalog.all.map { ("events/\($0.type).schema.json", $0.jsonSchema) }
    }
}
