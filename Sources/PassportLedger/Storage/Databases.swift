import LMDB

/// The named LMDB databases of a store (DESIGN §7).
struct Databases: Sendable {
    let records: Database
    let subjects: Database
    let nodes: Database
    let checkpoints: Database
    let idempotency: Database
    let blobs: Database
    let keys: Database
    let quarantine: Database
    let meta: Database
    /// Derived: the passport fact index (see ``FactIndex``).
    let facts: Database
    /// Derived from `system`: every ownership policy, by the index of its `policy.updated` record.
    let policies: Database
    /// Derived: the recall trace index (see ``TraceIndex``); nil in a store written before it
    /// existed and opened read-only.
    let trace: Database?

    static let names = ["records", "subjects", "nodes", "checkpoints", "idempotency", "blobs", "keys", "quarantine", "meta", "facts", "policies", "trace"]

    init(_ txn: Transaction, create: Bool) throws {
        records = try txn.openDatabase("records", create: create)
        subjects = try txn.openDatabase("subjects", create: create)
        nodes = try txn.openDatabase("nodes", create: create)
        checkpoints = try txn.openDatabase("checkpoints", create: create)
        idempotency = try txn.openDatabase("idempotency", create: create)
        blobs = try txn.openDatabase("blobs", create: create)
        keys = try txn.openDatabase("keys", create: create)
        quarantine = try txn.openDatabase("quarantine", create: create)
        meta = try txn.openDatabase("meta", create: create)
        facts = try txn.openDatabase("facts", create: create)
        policies = try txn.openDatabase("policies", create: create)
        trace = try? txn.openDatabase("trace", create: create)
    }
}
