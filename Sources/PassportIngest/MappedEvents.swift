import PassportModel

/// What connectors share about the events they map.
enum MappedEvents {
    /// The violations of an unsigned mapped event against its type (a placeholder `source` is
    /// put in for the check; the appender puts its own).
    static func violations(_ event: JSONObject, source: String) -> [Violation] {
        var withSource = event
        withSource["source"] = .string(source)
        do {
            return EventCatalog.validate(try Event(json: .object(withSource)))
        } catch {
            return error.violations
        }
    }
}
